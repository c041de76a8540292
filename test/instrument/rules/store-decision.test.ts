// rules/store-decision.ts: the decision for one store, given what the rewriter knows.
import { describe, expect, it } from 'vitest';
import { parseC, type Node } from '../../../instrument/parse.js';
import { decideStore, rootIdentifier, type StoreScope, type VarInfo } from '../../../instrument/rules/store-decision.js';
import { ARITH, UNKNOWN, pointerTo, type FieldInfo } from '../../../instrument/ctype.js';

/** The left operand of the first assignment in `body`. */
function lhsOf(body: string): Node {
  const a = parseC(`void f(void) { ${body} }`).rootNode.descendantsOfType('assignment_expression')[0]!;
  return a.childForFieldName('left')!;
}

function scope(vars: Record<string, VarInfo>, opts: { taken?: string[]; fields?: Record<string, FieldInfo[]> } = {}): StoreScope {
  return {
    lookup: (name) => vars[name],
    addressTaken: (name) => opts.taken?.includes(name) ?? false,
    isComplexPart: () => false,
    typeOf: (n) => (n.type === 'identifier' ? (vars[n.text]?.type ?? UNKNOWN) : UNKNOWN),
    fieldOf: () => null,
    fieldsNamed: (name) => opts.fields?.[name] ?? [],
  };
}

const ptr: VarInfo = { type: pointerTo(ARITH), local: false, register: false };
const localPtr: VarInfo = { ...ptr, local: true };

describe('store decisions', () => {
  it('skips locals whose address stays private, barriers them otherwise', () => {
    expect(decideStore(lhsOf('p = 0;'), scope({ p: localPtr }))).toEqual({ action: 'skip', why: 'local' });
    expect(decideStore(lhsOf('p = 0;'), scope({ p: localPtr }, { taken: ['p'] }))).toEqual({ action: 'barrier' });
    expect(decideStore(lhsOf('(s.next) = 0;'), scope({ s: { type: UNKNOWN, local: true, register: false } }))).toEqual({ action: 'skip', why: 'local' });
  });

  it('skips stores known to be arithmetic and barriers the unknown', () => {
    expect(decideStore(lhsOf('n = 0;'), scope({ n: { type: ARITH, local: false, register: false } }))).toEqual({ action: 'skip', why: 'non-pointer' });
    expect(decideStore(lhsOf('g = 0;'), scope({ g: ptr }))).toEqual({ action: 'barrier' });
    expect(decideStore(lhsOf('*q = 0;'), scope({}))).toEqual({ action: 'barrier' });
  });

  it('judges an unknown record field by every field of that name', () => {
    const arith: FieldInfo = { name: 'n', type: ARITH, bitfield: false };
    const bits: FieldInfo = { name: 'n', type: ARITH, bitfield: true };
    const pointer: FieldInfo = { name: 'n', type: pointerTo(ARITH), bitfield: false };
    expect(decideStore(lhsOf('q->n = 0;'), scope({}, { fields: { n: [arith, bits] } }))).toEqual({ action: 'skip', why: 'non-pointer' });
    expect(decideStore(lhsOf('q->n = 0;'), scope({}, { fields: { n: [pointer] } }))).toEqual({ action: 'barrier' });
    expect(decideStore(lhsOf('q->n = 0;'), scope({}, { fields: { n: [pointer, bits] } }))).toMatchObject({ action: 'error' });
  });

  it('finds the variable an lvalue designates', () => {
    expect(rootIdentifier(lhsOf('(s.a.b) = 0;'), false)).toBe('s');
    expect(rootIdentifier(lhsOf('s.a[2] = 0;'), false)).toBeNull();
    expect(rootIdentifier(lhsOf('s.a[2] = 0;'), true)).toBe('s');
    expect(rootIdentifier(lhsOf('p->a = 0;'), false)).toBeNull();
  });
});
