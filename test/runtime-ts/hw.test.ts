// The paper's struct hw example, every call form, plus globals, enums, macros and integer rules.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { load, NativeArray, NativeStruct, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('hw', [join(fixtures, 'hw.c')])) as typeof lib;
});

describe('struct hw: every call form', () => {
  it('pointer result → pointer argument (hw_p_print(hw_p_zero()))', () => {
    const p = lib.hw_p_zero();
    expect(p).toBeInstanceOf(lib.hw);
    expect(p.x).toBe(0);
    expect(p.msg).toBeNull();
    p.x = 42;
    expect(lib.hw_p_x(p)).toBe(42);
    lib.hw_p_print(p);
    lib.hw_p_free(p);
  });

  it('value result → value and pointer arguments (hw_print(hw_zero()))', () => {
    const z = lib.hw_zero();
    expect(z).toBeInstanceOf(lib.hw);
    expect(z.x).toBe(0);
    z.x = 3;
    expect(lib.hw_x(z)).toBe(3);
    expect(lib.hw_p_x(z)).toBe(3);
    lib.hw_print(z);
    const m = lib.hw_make(5, 'five');
    expect(m.x).toBe(5);
    expect(m.msg).toBe('five');
  });

  it('pointer result passed by value', () => {
    const p = lib.hw_p_zero();
    p.x = -8;
    expect(lib.hw_x(p)).toBe(-8);
  });

  it('objects created in TypeScript, by class, by plain object, by value and by pointer', () => {
    const h = new lib.hw({ x: 11, msg: 'eleven' });
    expect(lib.hw_x(h)).toBe(11);
    expect(lib.hw_p_x(h)).toBe(11);
    expect(lib.hw_p_msg(h)).toBe('eleven');
    expect(lib.hw_x({ x: 12 })).toBe(12);
    expect(lib.hw_p_x({ x: 13, msg: 'x' })).toBe(13);
    expect(lib.hw_p_x(null)).toBe(-1);
    expect(lib.hw_t).toBe(lib.hw);
  });

  it('field writes reach C and C writes reach the proxy', () => {
    const h = new lib.hw();
    lib.hw_p_set(h, 99, 'from C');
    expect(h.x).toBe(99);
    expect(h.msg).toBe('from C');
    h.msg = 'from TS';
    expect(lib.hw_p_msg(h)).toBe('from TS');
    h.msg = null;
    expect(h.msg).toBeNull();
  });

  it('keeps one proxy per object', () => {
    const p = lib.hw_p_zero();
    expect(lib.hw_p_same(p)).toBe(p);
    const h = new lib.hw({ x: 1 });
    expect(lib.hw_p_same(h)).toBe(h);
    expect(lib.hw_get_current()).toBe(lib.hw_get_current());
  });

  it('rejects wrong arguments with a TypeError naming the C signature', () => {
    expect(() => lib.hw_p_x(3)).toThrow(/hw_p_x\(\): argument 1 'p' \(C: int hw_p_x\(const struct hw \*p\)\)/);
    expect(() => lib.hw_x('nope')).toThrow(TypeError);
    expect(() => lib.hw_p_x({ y: 1 })).toThrow(/no field 'y'/);
    expect(() => lib.hw_p_x()).toThrow(/expected 1 argument, got 0/);
    expect(() => lib.hw_p_set(new lib.hw(), 1.5, 'x')).toThrow(/expected int \(an integer/);
    expect(() => lib.hw_p_set(new lib.hw(), 2 ** 31, 'x')).toThrow(/-2147483648\.\.2147483647/);
  });
});

describe('globals, enums, macros', () => {
  it('reads and writes scalar globals', () => {
    expect(lib.hw_count).toBe(7);
    lib.hw_count = 12;
    expect(lib.hw_get_count()).toBe(12);
    expect(lib.hw_ratio).toBe(0.5);
    expect(lib.hw_favourite).toBe(lib.HW_GREEN);
  });

  it('reads pointers in statically initialised globals as proxies of the right objects', () => {
    expect(lib.hw_origin).toBeInstanceOf(NativeStruct);
    expect(lib.hw_origin.msg).toBe('origin');
    expect(lib.hw_origin.$borrowed).toBe(true);
    expect(lib.hw_current).toBe(lib.hw_pair[1]);
    expect(lib.hw_current.msg).toBe('twenty');
    expect(lib.hw_pair.length).toBe(2);
    expect(lib.hw_pair[0].x).toBe(10);
    expect([...lib.hw_names]).toEqual(['red', 'green', 'blue', null]);
    expect(lib.hw_primes.toArray()).toEqual([2, 3, 5, 7, 11]);
    expect(() => lib.hw_pair[2]).toThrow(RangeError);
    lib.hw_current = lib.hw_origin;
    expect(lib.hw_get_current()).toBe(lib.hw_origin);
  });

  it('exposes enums and integer, string and floating macros evaluated by the compiler', () => {
    expect([lib.HW_RED, lib.HW_GREEN, lib.HW_BLUE]).toEqual([0, 5, -2]);
    expect(lib.hw_color).toEqual({ HW_RED: 0, HW_GREEN: 5, HW_BLUE: -2 });
    expect(lib.hw_next_color(lib.HW_RED)).toBe(5);
    expect(lib.hw_next_color('HW_GREEN')).toBe(-2);
    expect(lib.hw_is_red(0)).toBe(true);
    expect(lib.HW_VERSION).toBe(3);
    expect(lib.HW_MASK).toBe(8);
    expect(lib.HW_NAME).toBe('hello, world');
    expect(lib.HW_SCALE).toBe(2.5);
    expect(lib.HW_BIG).toBe(2n ** 64n - 1n);
    expect(lib.HW_NEG).toBe(-300);
    expect(lib.HW_NINE).toBe(9);
    expect(lib.HW_SQUARE).toBeUndefined();
  });

  it('does not export static or inline functions', () => {
    expect(Object.keys(lib)).not.toContain('max');
  });
});

describe('integers', () => {
  it('uses numbers for 64-bit values while exact and bigints beyond', () => {
    expect(lib.hw_i64(21)).toBe(42);
    expect(lib.hw_i64(2n ** 40n)).toBe(2 ** 41);
    expect(lib.hw_i64_big()).toBe(2n ** 60n + 1n);
    expect(lib.hw_u64_max()).toBe(2n ** 64n - 1n);
    expect(lib.hw_strlen('héllo')).toBe(6);
    expect(() => lib.hw_i64(2n ** 63n)).toThrow(TypeError);
    expect(() => lib.hw_u8(256)).toThrow(TypeError);
    expect(lib.hw_u8(255)).toBe(0);
    expect(lib.hw_i16(-32768)).toBe(-32768);
    expect(lib.hw_f32(1.25)).toBe(2.5);
  });

  it('views char arrays and byte arrays', () => {
    const a = lib.hw_primes;
    expect(a).toBeInstanceOf(NativeArray);
    expect(a[4]).toBe(11);
  });
});
