// K&R implicit-int function definitions at file scope.
import type { Node } from '../parse.js';

/**
 * The call in `x() {` / `f(a, b) {` at file scope: an expression statement holding only a call of
 * a name with identifier arguments, its ';' missing, followed by a block.
 */
export function implicitIntDefinition(stmt: Node, next: Node | undefined): Node | null {
  if (stmt.type !== 'expression_statement' || next?.type !== 'compound_statement') return null;
  const call = stmt.namedChildren[0];
  if (!call || call.type !== 'call_expression' || call.childForFieldName('function')?.type !== 'identifier') return null;
  if (!stmt.lastChild?.isMissing) return null;
  if (!(call.childForFieldName('arguments')?.namedChildren ?? []).every((a) => a.type === 'identifier')) return null;
  return call;
}
