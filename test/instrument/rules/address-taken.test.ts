// rules/address-taken.ts: which locals' storage escapes, by C's scopes.
import { describe, expect, it } from 'vitest';
import { parseC } from '../../../instrument/parse.js';
import { escapingLocals } from '../../../instrument/rules/address-taken.js';

/** The names (with their line in `src`) of the body's escaping locals: `name@line`. */
function escaping(src: string, arrayMembers: string[] = []): { names: string[]; nestedFunction: boolean } {
  const text = `void f(void)\n${src}`;
  const root = parseC(text).rootNode;
  const body = root.descendantsOfType('function_definition')[0]!.childForFieldName('body')!;
  const r = escapingLocals(text, body, { resolve: () => undefined, mayBeArrayMember: (name) => arrayMembers.includes(name) });
  const names = [...r.taken].sort((a, b) => a - b).map((k) => {
    const line = text.slice(0, k).split('\n').length - 1;
    return `${/^\w+/.exec(text.slice(k))![0]}@${line}`;
  });
  return { names, nestedFunction: r.nestedFunction };
}

describe('escaping locals', () => {
  it('finds &x, &x.f and &x.arr[i], not &p[i]', () => {
    expect(escaping('{ int a, b, c; int *p; struct s s; g(&a); g(&(s.k)); g(&s.arr[1][2]); g(&p[1]); }').names).toEqual(['a@1', 's@1']);
  });

  it('resolves each & to the declaration in scope, not to every variable of that name', () => {
    const r = escaping('{\n register int *r;\n { int *r; g(&r); }\n r = 0;\n}');
    expect(r.names).toEqual(['r@3']);
  });

  it('puts a name in scope from its own declarator on', () => {
    expect(escaping('{ void *p;\n { void *p = &p; } }').names).toEqual(['p@2']);
  });

  it('counts a member array used as a value as an escape of its record', () => {
    const body = '{ struct t a, b, c, d, e, f, h; g(a.arr); x = b.arr + 1; x = c.arr[0]; x = *d.arr; n = sizeof e.arr; g(f.k); h.arr[1] = 0; }';
    expect(escaping(body, ['arr']).names).toEqual(['a@1', 'b@1']);
  });

  it('treats a member declared as an array in a record the body defines as possibly one', () => {
    expect(escaping('{ struct t { int *v[2]; int *w; } s; s.w = 0; g(s.v); }').names).toEqual(['s@1']);
  });

  it('reports a nested function', () => {
    expect(escaping('{ int x; int n(void) { return x; } }').nestedFunction).toBe(true);
    expect(escaping('{ int x; }').nestedFunction).toBe(false);
  });
});
