// rules/renames.ts: which libc names are renamed, and when a copy into a scalar keeps its builtin.
import { describe, expect, it } from 'vitest';
import { parseC, type Node } from '../../../instrument/parse.js';
import { RENAMED_FUNCTIONS, copyIntoScalar, isCallee, mayNameRenamed, mayStoreOrCall, meansLibcFunction, returnKindMatchesLibc, routedValue } from '../../../instrument/rules/renames.js';
import { ARITH, UNKNOWN, VOID, pointerTo, type CType } from '../../../instrument/ctype.js';

/** The first identifier node spelled `name` in the parse of `src`. */
function identifier(src: string, name: string): Node {
  const found = parseC(src).rootNode.descendantsOfType('identifier').find((n) => n.text === name);
  if (!found) throw new Error(`no identifier ${name} in ${src}`);
  return found;
}

describe('renamed functions', () => {
  it('maps each libc name and its builtin to the runtime entry point', () => {
    expect(RENAMED_FUNCTIONS.get('memcpy')).toBe('__wb_memcpy');
    expect(RENAMED_FUNCTIONS.get('__builtin_memcpy')).toBe('__wb_memcpy');
    expect(RENAMED_FUNCTIONS.get('free')).toBe('__wb_free');
    expect(RENAMED_FUNCTIONS.has('strcpy')).toBe(false);
  });

  it('tells statements that may store or call a renamed name from those that cannot', () => {
    expect(mayStoreOrCall.test('x = y;')).toBe(true);
    expect(mayStoreOrCall.test('i++;')).toBe(true);
    expect(mayStoreOrCall.test('p = malloc(4);')).toBe(true);
    expect(mayStoreOrCall.test('free(p);')).toBe(true);
    expect(mayStoreOrCall.test('if (a == b || a <= c) g(a);')).toBe(false);
    expect(mayStoreOrCall.test('freeze(p);')).toBe(false);
  });

  it('tells initializers that may name a renamed function from those that cannot', () => {
    expect(mayNameRenamed.test('{ .alloc = malloc, .release = free }')).toBe(true);
    expect(mayNameRenamed.test('{ [0] = 1, [1] = 2 }')).toBe(false);
    expect(mayNameRenamed.test('{ freeze, mallocx }')).toBe(false);
  });

  it('routes a plain name only where it is declared as a function; a builtin always', () => {
    const fn: CType = { k: 'func', ret: pointerTo(VOID), sig: null };
    expect(meansLibcFunction('malloc', { type: fn, local: false, register: false })).toBe(true);
    expect(meansLibcFunction('malloc', undefined)).toBe(false); // undeclared: an implicit declaration
    expect(meansLibcFunction('free', { type: pointerTo(fn), local: false, register: false })).toBe(false); // a variable
    expect(meansLibcFunction('free', { type: fn, local: true, register: false })).toBe(false);
    expect(meansLibcFunction('__builtin_memcpy', undefined)).toBe(true);
  });

  it('writes a value use as the runtime function seen through the declared type', () => {
    expect(routedValue('free', '__wb_free')).toBe('(*(__typeof__(&free))&__wb_free)');
    expect(routedValue('__builtin_free', '__wb_free')).toBe('__wb_free');
    expect(isCallee(identifier('void f(void *p) { (free)(p); }', 'free'))).toBe(true);
    expect(isCallee(identifier('void f(void *p) { g(free, p); }', 'free'))).toBe(false);
  });

  it("accepts a declaration as libc's only when its return type has libc's shape", () => {
    const fn = (ret: CType): CType => ({ k: 'func', ret, sig: null });
    expect(returnKindMatchesLibc('malloc', fn(pointerTo(VOID)))).toBe(true);
    expect(returnKindMatchesLibc('strdup', fn(ARITH))).toBe(false); // autoconf's `char strdup ();`
    expect(returnKindMatchesLibc('free', fn(VOID))).toBe(true);
    expect(returnKindMatchesLibc('posix_memalign', fn(ARITH))).toBe(true);
    expect(returnKindMatchesLibc('free', fn(UNKNOWN))).toBe(true);
    expect(returnKindMatchesLibc('free', ARITH)).toBe(false);
  });
});

describe('copies into a scalar', () => {
  const arithmetic = () => true;
  it('finds the object of memcpy(&x, p, n) through casts and parentheses', () => {
    const id = identifier('void f(void) { memcpy((void *)(&x), p, 4); }', 'memcpy');
    const found = copyIntoScalar(id, arithmetic);
    expect(found?.object.text).toBe('x');
    expect(found?.args.text).toBe('((void *)(&x), p, 4)');
  });

  it('leaves other copies alone', () => {
    expect(copyIntoScalar(identifier('void f(void) { memcpy(p, q, 4); }', 'memcpy'), arithmetic)).toBeNull();
    expect(copyIntoScalar(identifier('void f(void) { memcpy(&x, q, 4); }', 'memcpy'), () => false)).toBeNull();
    expect(copyIntoScalar(identifier('void f(void) { free(&x); }', 'free'), arithmetic)).toBeNull();
    expect(copyIntoScalar(identifier('void f(void) { g = memcpy; }', 'memcpy'), arithmetic)).toBeNull();
  });
});
