// A store that is the statement of `#pragma omp atomic` must stay that statement, in the form
// OpenMP requires (`x = expr;` for write, `v = x;` for read, `x = x op expr;` for update), so its
// barrier cannot wrap the assignment as usual. The rewriter moves the barrier's work out of the
// statement instead (barrier-text.ts, atomic forms): the pragma is a directive line, outside the
// syntax tree, and this module finds it in the text.
import type { Node } from '../parse.js';

export type AtomicClause = 'read' | 'write' | 'update' | 'capture';

export interface AtomicPragma {
  clause: AtomicClause;
  /**
   * Where text can go before the pragma without moving a line: the newline that ends the last
   * line above it that is not a directive (a line marker may sit between them), or -1.
   */
  insertAt: number;
}

/** The `#pragma omp atomic` directly before statement `stmt`, if any. */
export function ompAtomicPragma(text: string, stmt: Node): AtomicPragma | null {
  let i = stmt.startIndex - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--;
  if (i < 0) return null;
  const start = text.lastIndexOf('\n', i) + 1;
  const line = text.slice(start, i + 1);
  const m = /^#\s*pragma\s+omp\s+atomic\b(.*)$/.exec(line);
  if (!m) return null;
  const clause = /\b(read|write|update|capture)\b/.exec(m[1]!)?.[1] as AtomicClause | undefined;
  let lineStart = start;
  while (lineStart > 0) {
    const above = text.lastIndexOf('\n', lineStart - 2) + 1;
    if (text[above] !== '#') break;
    lineStart = above;
  }
  return { clause: clause ?? 'update', insertAt: lineStart - 1 };
}

/** `x = x op e` or `x = e op x` for the update form: the right operand uses the stored lvalue. */
export function isUpdateOf(lhs: Node, rhs: Node): boolean {
  let r = rhs;
  while (r.type === 'parenthesized_expression' && r.namedChildren.length === 1) r = r.namedChildren[0]!;
  if (r.type !== 'binary_expression') return false;
  const same = (n: Node | null): boolean => n !== null && n.text.replace(/\s+/g, '') === lhs.text.replace(/\s+/g, '');
  return same(r.childForFieldName('left')) || same(r.childForFieldName('right'));
}
