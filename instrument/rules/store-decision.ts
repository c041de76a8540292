// Whether a store `lhs = ...` (or `lhs op= ...`, `lhs++`) can be a pointer store into memory
// the runtime tracks. A barrier is never wrong, only slower: the answer is "skip" only where it
// is certain (a local whose address never escapes, a type known to be arithmetic, a bit-field),
// and an error where a wrong guess could miss a pointer store the compiler cannot catch (a
// bit-field, which has no address, sharing its name with a possible pointer field).
import type { Node } from '../parse.js';
import { UNKNOWN, isArithmetic, kindOf, type CType, type FieldInfo } from '../ctype.js';

export interface VarInfo {
  type: CType;
  local: boolean; // automatic storage in the current function (parameters included)
  register: boolean;
  /** Where it is declared (the offset of its name), for the escape analysis (rules/address-taken.ts). */
  declaredAt?: number;
}

export type Decision =
  | { action: 'skip'; why: 'local' | 'non-pointer' }
  | { action: 'barrier' }
  | { action: 'error'; message: string };

/** What the rewriter knows at the store: its scopes and its best static types. */
export interface StoreScope {
  lookup(name: string): VarInfo | undefined;
  /** The address of this local escapes (or any local's may: a nested function reaches the frame). */
  addressTaken(name: string): boolean;
  /** The lvalue is the real or imaginary part of a complex number. */
  isComplexPart(lhs: Node): boolean;
  typeOf(n: Node): CType;
  /** The field a field expression designates, when its record is known. */
  fieldOf(fe: Node): FieldInfo | null;
  /** Every field of that name in any record of the unit. */
  fieldsNamed(name: string): FieldInfo[];
}

export function decideStore(lhs: Node, scope: StoreScope): Decision {
  if (scope.isComplexPart(lhs)) return { action: 'skip', why: 'non-pointer' };
  let l = lhs;
  while (l.type === 'parenthesized_expression' && l.namedChildren.length === 1) l = l.namedChildren[0]!;
  if (l.type === 'identifier') {
    const v = scope.lookup(l.text);
    if (v?.local && kindOf(v.type) !== 'array' && !scope.addressTaken(l.text)) return { action: 'skip', why: 'local' };
    if (v?.register && !v.local) return { action: 'skip', why: 'non-pointer' };
    return isArithmetic(v?.type ?? UNKNOWN) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
  }
  if (l.type === 'field_expression') {
    const isDot = l.child(1)?.type === '.';
    if (isDot) {
      const root = rootIdentifier(l, false);
      const v = root ? scope.lookup(root) : undefined;
      if (root && v?.local && kindOf(v.type) !== 'array' && !scope.addressTaken(root)) return { action: 'skip', why: 'local' };
    }
    const field = l.childForFieldName('field')?.text ?? '';
    const known = scope.fieldOf(l);
    if (known) return known.bitfield || isArithmetic(known.type) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
    const all = scope.fieldsNamed(field);
    if (all.length > 0 && all.every((f) => f.bitfield || isArithmetic(f.type))) return { action: 'skip', why: 'non-pointer' };
    if (all.some((f) => f.bitfield))
      return { action: 'error', message: `cannot tell whether '${l.text}' is a bit-field (a bit-field and a possible pointer field share the name '${field}')` };
    return { action: 'barrier' };
  }
  return isArithmetic(scope.typeOf(l)) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
}

/** The variable an lvalue designates storage of (`x`, `x.f.g`, `(x)`), or null. */
export function rootIdentifier(n: Node | null, throughSubscript: boolean): string | null {
  while (n) {
    if (n.type === 'identifier') return n.text;
    if (n.type === 'parenthesized_expression') n = n.namedChildren[0] ?? null;
    else if (n.type === 'field_expression' && n.child(1)?.type === '.') n = n.childForFieldName('argument');
    else if (throughSubscript && n.type === 'subscript_expression') n = n.childForFieldName('argument');
    else return null;
  }
  return null;
}
