// CTypes: type names, sizes and alignments from a library's metadata (synthetic, no build needed).
import { describe, expect, it } from 'vitest';
import { CTypes } from '../../runtime-ts/ctypes.js';
import type { CType, LibraryMeta, RecordMeta, TargetEnv } from '../../runtime-ts/meta.js';

const int = (name: string, size: number, signed: boolean): CType => ({ k: 'int', name, size, signed, char: false, bool: false });

function record(tag: string, size: number, align: number, fields: RecordMeta['fields'], id: number): RecordMeta {
  return { key: `struct ${tag}`, union: false, tag, names: [], complete: true, size, align, fields, fam: false, loc: 't.c:1:1', sys: false, id };
}

function meta(env: TargetEnv): LibraryMeta {
  const shape = record('shape', 8, 8, [{ name: 'kind', type: int('long', env.longSize, true), offset: 0 }], 1);
  const poly = record('poly', 16, 8, [{ name: 'base', type: { k: 'record', rec: shape }, offset: 0 }, { name: 'n', type: int('int', 4, true), offset: 8 }], 2);
  return {
    file: 'libt.so',
    units: ['t.c'],
    env,
    recordList: [shape, poly],
    records: new Map([[shape.key, shape], [poly.key, poly]]),
    enums: new Map(),
    typedefs: new Map<string, CType>([['count_t', { ...int('unsigned int', 4, false), alias: 'count_t' } as CType]]),
    functions: new Map(),
    globals: new Map(),
    macros: new Map(),
    conflicts: [],
  };
}

const lp64: TargetEnv = { pointerSize: 8, longSize: 8, longDoubleSize: 16, charSigned: true };
const llp64Unsigned: TargetEnv = { pointerSize: 8, longSize: 4, longDoubleSize: 8, charSigned: false };

describe('CTypes', () => {
  it("takes long's size and char's signedness from the metadata's environment", () => {
    const a = new CTypes(meta(lp64), 'libt.so');
    const b = new CTypes(meta(llp64Unsigned), 'libt.so');
    expect(a.sizeOf(a.byName('long'))).toBe(8);
    expect(b.sizeOf(b.byName('unsigned long'))).toBe(4);
    expect(a.byName('char')).toMatchObject({ k: 'int', size: 1, signed: true, char: true });
    expect(b.byName('char')).toMatchObject({ k: 'int', size: 1, signed: false, char: true });
    expect(b.sizeOf(b.byName('long long'))).toBe(8);
  });

  it('sizes pointers and pointer-sized names by the metadata', () => {
    const t = new CTypes(meta(lp64), 'libt.so');
    expect(t.sizeOf(t.byName('char *'))).toBe(8);
    expect(t.byName('size_t')).toMatchObject({ k: 'int', size: 8, signed: false });
    expect(t.byName('int16_t')).toMatchObject({ k: 'int', size: 2, signed: true });
  });

  it("resolves the library's records and typedefs, with record layouts from the metadata", () => {
    const t = new CTypes(meta(lp64), 'libt.so');
    expect(t.byName('const count_t')).toMatchObject({ k: 'int', size: 4, signed: false, alias: 'count_t' });
    const poly = t.byName('struct poly');
    expect(t.sizeOf(poly)).toBe(16);
    expect(t.alignOf(poly)).toBe(8);
    expect(t.sizeOf({ k: 'array', of: poly, length: 3 })).toBe(48);
    expect(() => t.byName('struct nowhere')).toThrow(/unknown C type 'struct nowhere' in libt\.so/);
  });

  it('accepts a record that starts with the expected one (first-element idiom), not the reverse', () => {
    const m = meta(lp64);
    const t = new CTypes(m, 'libt.so');
    const [shape, poly] = m.recordList as [RecordMeta, RecordMeta];
    expect(t.compatible(shape, poly)).toBe(true);
    expect(t.compatible(poly, shape)).toBe(false);
    expect(t.key({ k: 'ptr', to: { k: 'record', rec: poly }, constTo: true })).toBe('*r:struct poly');
  });
});
