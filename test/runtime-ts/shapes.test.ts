// The first-element idiom (a Polygon is a Shape is a Header), arrays with bounds, unions,
// structs by value holding arrays, strings.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { load, NativeArray, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('shapes', [join(fixtures, 'shapes.c')])) as typeof lib;
});

describe('first-element idiom', () => {
  it('exposes the members of the first member, transitively', () => {
    const pts = lib.$alloc('struct Point', 3);
    Object.assign(pts.$at(1), { x: 4 });
    Object.assign(pts.$at(2), { y: 3 });
    const poly = new lib.Polygon({ kind: lib.SHAPE_POLYGON, magic: 7, n: 3, pts });
    expect(poly.kind).toBe(lib.SHAPE_POLYGON);
    expect(poly.magic).toBe(7);
    expect(poly.base.hdr).toBe(lib.$cast(poly, lib.Header));
    expect(poly.base.kind).toBe(poly.kind);
    expect(lib.shape_area(poly)).toBe(6);
    expect(lib.shape_magic(poly)).toBe(7);
    const c = new lib.Circle({ kind: lib.SHAPE_CIRCLE, r: 2 });
    expect(lib.shape_area(c)).toBe(12);
    expect(() => lib.shape_area(pts)).toThrow(TypeError);
  });

  it('casts a Shape from C to the Polygon it is', () => {
    const s = lib.make_square(2);
    expect(s).toBeInstanceOf(lib.Shape);
    expect(s.magic).toBe(0x5151);
    expect(lib.shape_area(s)).toBe(4);
    const p = lib.$cast(s, lib.Polygon);
    expect(p.n).toBe(4);
    expect(p.pts.$length).toBe(4);
    expect(p.pts.$at(2).y).toBe(2);
    expect(() => p.pts.$at(4)).toThrow(RangeError);
    expect(p.base).toBe(s);
  });
});

describe('arrays', () => {
  it('knows the length of C allocations and checks bounds', () => {
    const r = lib.make_range(5);
    expect(r).toBeInstanceOf(NativeArray);
    expect(r.length).toBe(5);
    expect([...r]).toEqual([0, 1, 2, 3, 4]);
    expect(() => r[5]).toThrow(RangeError);
    expect(() => (r[-1] = 0)).toThrow(RangeError);
    r[4] = 40;
    expect(lib.sum_ints(r, 5)).toBe(46);
  });

  it('passes JS arrays (copied in, and back for non-const pointers) and typed arrays', () => {
    expect(lib.sum_ints([1, 2, 3], 3)).toBe(6);
    const a = [0, 0, 0];
    lib.fill_ints(a, 3, 9);
    expect(a).toEqual([9, 9, 9]);
    const t = new Int32Array([5, 6]);
    expect(lib.sum_ints(t, 2)).toBe(11);
    lib.fill_ints(t, 2, 1);
    expect([...t]).toEqual([1, 1]);
    expect(lib.sum_points([{ x: 1, y: 2 }, { x: 3 }], 2)).toBe(6);
    expect(() => lib.sum_ints(['a'], 1)).toThrow(/element 0/);
  });

  it('views fixed arrays in records and passes records holding arrays by value', () => {
    const im = lib.image_make(2, 3);
    expect(im.pixels.length).toBe(16);
    expect(im.pixels[15]).toBe(15);
    expect(lib.image_sum(im)).toBe(120 + 6);
    im.pixels = [1, 1];
    expect(im.pixels[0]).toBe(1);
    expect(im.pixels[2]).toBe(2);
    expect(() => (im.pixels = new Array(17).fill(0))).toThrow(RangeError);
    expect(lib.image_sum({ w: 1, h: 1, pixels: [1, 2, 3] })).toBe(7);
  });

  it('reads strings and arrays of strings', () => {
    expect(lib.make_words()).toBe('alpha beta');
    expect(lib.count_char('banana', 'a'.charCodeAt(0))).toBe(3);
    expect(lib.word_list().toArray === undefined).toBe(false);
    const w = lib.word_list();
    expect([w[0], w[1], w[2], w[3]]).toEqual(['one', 'two', 'three', null]);
  });

  it('passes unions by value', () => {
    expect(lib.value_int({ i: 77 })).toBe(77);
    const v = new lib.value({ d: 1.5 });
    expect(v.d).toBe(1.5);
    v.i = 3;
    expect(lib.value_int(v)).toBe(3);
  });
});
