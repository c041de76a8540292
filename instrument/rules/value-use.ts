// Whether an assignment's value is used: the barriered form yields the stored value only where
// something reads it (a statement expression's last statement does).
import type { Node } from '../parse.js';

/** The value of expression n is discarded (an expression statement, a `for` update, a comma's left). */
export function valueUnused(n: Node): boolean {
  const p = n.parent;
  if (!p) return false;
  if (p.type === 'expression_statement') {
    // ...unless it is the last statement of a statement expression `({ ...; x = y; })`.
    const block = p.parent;
    const isLast = block?.type === 'compound_statement' && block.lastNamedChild?.id === p.id;
    return !(isLast && block?.parent?.type === 'parenthesized_expression');
  }
  if (p.type === 'for_statement') return p.childForFieldName('update')?.id === n.id;
  if (p.type === 'comma_expression') return p.childForFieldName('left')?.id === n.id || valueUnused(p);
  return false;
}
