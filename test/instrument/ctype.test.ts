// instrument/ctype.ts: the C type model and the reading of declarations into it, as the rewriter
// (store detail) and the metadata (host detail) see it.
import { describe, expect, it } from 'vitest';
import { parseUnit, type Node } from '../../instrument/parse.js';
import { ARITH, TypeScope, UNKNOWN, adjustParameter, isArithmetic, kindOf, pointee, pointerTo, resolved, sameType, type CType } from '../../instrument/ctype.js';

/** Reads a unit's file-scope declarations in order, as a rewriter does; returns the scope and each declared name's type. */
function read(text: string, host = false): { scope: TypeScope; types: Map<string, CType> } {
  const { tree } = parseUnit(text, 't.c');
  const scope = new TypeScope(text, { host });
  const types = new Map<string, CType>();
  for (const n of tree.rootNode.namedChildren) {
    if (n.type !== 'declaration' && n.type !== 'type_definition' && n.type !== 'function_definition') {
      scope.specifier(n);
      continue;
    }
    const base = scope.declarationBase(n);
    const declarators: Array<Node | null> = n.type === 'function_definition' ? [n.childForFieldName('declarator')] : n.childrenForFieldName('declarator');
    for (const d of declarators) {
      const { name, nameNode, type } = scope.declare(d, base, scope.isConst(n));
      if (!name) continue;
      if (n.type === 'type_definition') scope.defineTypedef(name, type, nameNode!.startIndex);
      else types.set(name, type);
    }
  }
  return { scope, types };
}

describe('the rewriter view (store detail)', () => {
  it('looks through typedef names and keeps them for the host', () => {
    const { types } = read('typedef int *IP; typedef IP IPA[4]; IP a; IPA b; unsigned long c; void *d;');
    expect(kindOf(types.get('a')!)).toBe('ptr');
    expect(types.get('a')).toMatchObject({ k: 'typedef', name: 'IP' });
    expect(kindOf(types.get('b')!)).toBe('array');
    expect(kindOf(pointee(types.get('b')!))).toBe('ptr');
    expect(isArithmetic(types.get('c')!)).toBe(true);
    expect(kindOf(pointee(types.get('d')!))).toBe('void');
  });

  it('answers unknown for what it cannot see through', () => {
    const { types } = read('T x; typedef int A; typedef char *A; A y; enum e { E1 } z; __int128_t w;');
    expect((types.get('z') as Extract<CType, { k: 'enum' }>).en.values).toEqual([]); // the host's concern
    expect(kindOf(types.get('x')!)).toBe('unknown'); // an undeclared type name
    expect(kindOf(types.get('y')!)).toBe('unknown'); // a typedef name defined twice with different shapes
    expect(kindOf(types.get('z')!)).toBe('arith');
    expect(kindOf(types.get('w')!)).toBe('arith');
  });

  it('trusts a record by its tag while the tag has one definition', () => {
    const { scope, types } = read('struct s *p; struct s { int *q; int n; }; struct s *r;');
    const rec = scope.resolveRecord(pointee(types.get('p')!));
    expect(rec?.byName!.get('q')?.type).toMatchObject({ k: 'ptr' });
    expect(scope.resolveRecord(pointee(types.get('r')!))).toBe(rec);
    expect(sameType(types.get('p')!, types.get('r')!)).toBe(true);

    const twice = read('struct s { int a; } x; struct s *p; struct s { char *b; } y;');
    expect(twice.scope.resolveRecord(pointee(twice.types.get('p')!))).toBeNull();
    // A definition's own type stays trusted: it is the record that was read there.
    expect(twice.scope.resolveRecord(twice.types.get('x')!)?.byName!.has('a')).toBe(true);
    expect(twice.scope.resolveRecord(twice.types.get('y')!)).toBeNull();
  });

  it('flattens anonymous members; by name also the members of a tagged member declaration', () => {
    const text = 'struct o { union { int *a; long b; }; struct in { char *c; }; int d : 3; } v;';
    const { scope, types } = read(text);
    const rec = scope.resolveRecord(types.get('v')!)!;
    expect([...rec.byName!.keys()]).toEqual(['a', 'b', 'c', 'd']);
    expect(rec.byName!.get('d')!.bitfield).toBe(true);
    expect(scope.fieldsByName.get('a')).toHaveLength(1);
    expect(rec.fields).toEqual([]); // listed for the host only
    // In order, for the host: the anonymous union's members, not those of a tag declared inside.
    const host = read(text, true);
    const hostRec = (host.types.get('v') as Extract<CType, { k: 'record' }>).rec;
    expect(hostRec.fields!.map((f) => f.name)).toEqual(['a', 'b', 'd']);
  });

  it('does not read parameter lists, qualifiers or _Complex spellings', () => {
    const { types } = read('int f(struct p { int x; } *a, const char *s); const char *cs; double _Complex z;');
    expect(types.get('f')).toMatchObject({ k: 'func', sig: null });
    expect(types.get('cs')).toMatchObject({ k: 'ptr', constTo: false });
    expect(isArithmetic(types.get('z')!)).toBe(true);
  });

  it('stops reading records nested deeper than it can walk', () => {
    const depth = 300;
    const text = Array.from({ length: depth }, (_, i) => `struct s${i} { int *p; `).join('') + '}; '.repeat(depth);
    const { scope } = read(text);
    expect(scope.records).toHaveLength(200);
  });
});

describe('the host view (host detail)', () => {
  it('reads signatures, const pointees and original spellings', () => {
    const { types } = read('int f(const char *s, int n[], ...); __int128 big; unsigned __int128 ubig; int g();', true);
    const f = types.get('f')!;
    expect(f).toMatchObject({ k: 'func', sig: { names: ['s', 'n'], variadic: true, unproto: false } });
    const sig = (f as Extract<CType, { k: 'func' }>).sig!;
    expect(sig.params[0]).toMatchObject({ k: 'ptr', constTo: true });
    expect(sig.params[1]).toMatchObject({ k: 'ptr', constTo: false }); // an array parameter is a pointer
    expect(types.get('big')).toMatchObject({ k: 'prim', spell: '__int128', arith: true });
    expect(types.get('ubig')).toMatchObject({ k: 'prim', spell: 'unsigned __int128' });
    expect(types.get('g')).toMatchObject({ k: 'func', sig: { unproto: true } });
  });

  it('describes a _Complex declaration by its spelling', () => {
    const { types } = read('double _Complex z;', true);
    expect(types.get('z')).toEqual({ k: 'opaque', spell: 'double _Complex' });
  });

  it('gives records defined in a parameter list prototype scope', () => {
    const { scope } = read('struct t; int f(struct p { int x; } *a, struct t *b);', true);
    expect(scope.records.map((r) => [r.tag, r.proto])).toEqual([
      ['t', false],
      ['p', true],
    ]);
    expect(scope.tags.has('struct p')).toBe(false);
  });

  it('completes a forward-declared tag with its definition', () => {
    const { scope } = read('struct n; struct n *head; struct n { struct n *next; };', true);
    expect(scope.records).toHaveLength(1);
    expect(scope.records[0]!.fields!.map((f) => f.name)).toEqual(['next']);
  });
});

describe('type helpers', () => {
  it('adjusts parameters and compares types', () => {
    const arr: CType = { k: 'array', of: ARITH, sized: true };
    expect(adjustParameter(arr)).toEqual(pointerTo(ARITH));
    const fn: CType = { k: 'func', ret: ARITH, sig: null };
    expect(adjustParameter(fn)).toEqual(pointerTo(fn));
    expect(sameType(pointerTo(ARITH), pointerTo({ k: 'prim', spell: 'long', arith: true }))).toBe(true);
    expect(sameType(pointerTo(ARITH), pointerTo(UNKNOWN))).toBe(false);
    expect(resolved({ k: 'typedef', name: 'T', to: { k: 'typedef', name: 'U', to: ARITH } })).toBe(ARITH);
  });
});
