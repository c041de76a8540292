// The metadata appendix on its own (no instrumentation): layouts the compiler computed, odd
// types, what is and is not exported, several units in one library, and C that compiles cleanly
// under strict flags with both gcc and clang.
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt, work } from '../runtime-ts/helpers.js';
import { metadataForPreprocessed } from '../../instrument/metadata.js';
import { readLibraryMeta, typeName, type LibraryMeta, type RecordMeta } from '../../runtime-ts/meta.js';
import { parseSection } from '../../runtime-ts/meta.js';
import { elfSections, readElfSection } from '../../runtime-ts/elf.js';
import { load, type LibraryModule } from '../../runtime-ts/index.js';

/** cc -E -dD, append the metadata, drop the #define lines, compile: what the integrated pass does. */
async function compileWithMetadata(src: string, out: string, cc: string, flags: string[]): Promise<string> {
  const pre = await execa(cc, ['-E', '-dD', ...flags.filter((f) => f.startsWith('-std') || f.startsWith('-D')), src]);
  const text = pre.stdout + '\n';
  const unit = text.replace(/^#[ \t]*(?:define|undef)\b.*$/gm, '') + metadataForPreprocessed(text, src);
  const i = out.replace(/\.o$/, '.i');
  writeFileSync(i, unit);
  const r = await execa(cc, ['-x', 'cpp-output', '-c', '-fPIC', ...flags, i, '-o', out], { reject: false });
  if (r.exitCode !== 0) throw new Error(`${cc} ${flags.join(' ')} ${src}:\n${r.stderr}`);
  return r.stderr;
}

let so: string;
let meta: LibraryMeta;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;
const rec = (key: string): RecordMeta => meta.records.get(key)!;
const field = (key: string, name: string) => rec(key).fields.find((f) => f.name === name)!;

beforeAll(async () => {
  await requireBuilt();
  const objs: string[] = [];
  for (const name of ['layouts', 'layouts2']) {
    const o = join(work(), `${name}.o`);
    await compileWithMetadata(join(fixtures, `${name}.c`), o, 'gcc', ['-O1', '-std=gnu11']);
    objs.push(o);
  }
  so = join(work(), 'liblayouts.so');
  await execa('gcc', ['-shared', ...objs, '-o', so]);
  meta = readLibraryMeta(so)!;
  lib = load(so, { memory: false }) as typeof lib; // metadata only: linked by gcc, no runtime
});

describe('ELF and section', () => {
  it('finds the wb_meta section and one blob per unit', () => {
    const names = elfSections(so).map((s) => s.name);
    expect(names).toContain('wb_meta');
    const section = readElfSection(so, 'wb_meta')!;
    const blobs = parseSection(section.bytes);
    expect(blobs.map((b) => b.unit.file.split('/').pop())).toEqual(['layouts.c', 'layouts2.c']);
  });

  it('reports files without metadata, and files that are not ELF', async () => {
    const plain = join(work(), 'libplain.so');
    await execa('gcc', ['-shared', '-fPIC', join(fixtures, 'layouts2.c'), '-o', plain]);
    expect(readLibraryMeta(plain)).toBeNull();
    expect(() => load(plain)).toThrow(/no cc-wb metadata/);
    expect(() => readLibraryMeta(join(fixtures, 'hw.c'))).toThrow(/not an ELF file/);
  });
});

describe('layouts computed by the compiler', () => {
  it('packed and over-aligned records', () => {
    expect([rec('struct packed').size, rec('struct packed').align]).toEqual([7, 1]);
    expect(field('struct packed', 'i').offset).toBe(1);
    expect(field('struct packed', 's').offset).toBe(5);
    expect([rec('struct aligned').size, rec('struct aligned').align, field('struct aligned', 'i').offset]).toEqual([32, 16, 16]);
  });

  it('bit-fields, including after unnamed and zero-width ones', () => {
    const b = (n: string) => field('struct bits', n).bits;
    expect(b('a')).toEqual({ offset: 0, width: 3 });
    expect(b('b')).toEqual({ offset: 3, width: 5 });
    expect(b('c')).toEqual({ offset: 32, width: 12 });
    expect(b('d')).toEqual({ offset: 48, width: 1 });
    expect(b('e')).toEqual({ offset: 64, width: 40 });
    expect(field('struct bits', 'tail').offset).toBe(13);
    expect(rec('struct bits').fields.map((f) => f.name)).toEqual(['a', 'b', 'c', 'd', 'e', 'tail']);
  });

  it('anonymous members, typedef-named records, flexible arrays, nested arrays', () => {
    expect(rec('struct anon').fields.map((f) => [f.name, f.offset])).toEqual([
      ['tag', 0],
      ['i', 4],
      ['f', 4],
      ['pair', 8],
      ['x', 12],
      ['y', 13],
    ]);
    const c = meta.recordList.find((r) => r.names.includes('cplx'))!;
    expect([c.size, c.tag]).toEqual([16, null]);
    expect(rec('struct list').names).toEqual(['list_t']);
    expect(typeName(meta.typedefs.get('list_p')!)).toBe('list_p');
    expect(rec('struct fam').fam).toBe(true);
    expect(field('struct fam', 'items').offset).toBe(8);
    const grid = field('struct arrays', 'grid').type;
    expect(grid.k === 'array' && grid.length === 3 && grid.of.k === 'array' && grid.of.length === 4).toBe(true);
    const row = field('struct arrays', 'row').type;
    expect(row.k === 'ptr' && row.to.k === 'array' && row.to.length).toBe(4);
    expect(typeName(field('struct callbacks', 'done').type)).toBe('void (*)(void *, int)');
  });

  it('classifies odd types through the compiler', () => {
    const t = (n: string) => field('struct odd', n).type;
    expect(t('wide').k).toBe('opaque');
    expect(t('z').k).toBe('opaque');
    expect(t('v').k).toBe('opaque');
    expect(t('di')).toMatchObject({ k: 'int', size: 8, signed: false });
    expect(t('sz')).toMatchObject({ k: 'int', size: 8, signed: false, alias: 'my_size' });
    expect(t('ld')).toMatchObject({ k: 'float', size: 16 });
    expect(field('struct odd', 'ld').offset).toBe(rec('struct odd').size - 16);
  });

  it('enums with their compatible types and compiler-evaluated values', () => {
    const big = meta.enums.get('enum big')!;
    expect(big.values.get('BIG_HUGE')).toBe(2n ** 63n - 1n);
    expect(big.values.get('BIG_NEG')).toBe(-5);
    expect(big.type).toMatchObject({ size: 8, signed: true });
    expect(meta.enums.get('enum small')!.values.get('SMALL_B')).toBe(98);
    expect(meta.enums.get('enum small')!.type).toMatchObject({ size: 4, signed: false });
  });
});

describe('what is exported', () => {
  it('functions: definitions, prototypes, K&R (promoted), unprototyped; not static or inline', () => {
    expect(meta.functions.get('kr_add')!.type.params.map((p) => typeName(p))).toEqual(['int', 'int']);
    expect(meta.functions.get('kr_len')!.type.params.map((p) => p.k === 'int' ? p.size : typeName(p))).toEqual(['const char *', 8]);
    expect(meta.functions.get('unproto')!.type.unproto).toBe(false); // the definition's prototype wins
    expect(meta.functions.get('declared_elsewhere')!.def).toBe(false);
    expect(typeName(meta.functions.get('pick')!.type)).toBe('int (*(int))(int, int)');
    expect(meta.functions.has('hidden')).toBe(false);
    expect(meta.functions.has('also_hidden')).toBe(false);
    expect(meta.functions.has('hidden_visibility')).toBe(false); // not in .dynsym
    expect(meta.globals.get('int_out')!.type.k).toBe('ptr');
  });

  it('keeps a record that two units define differently apart', () => {
    expect(meta.conflicts).toHaveLength(1);
    expect(meta.records.get('struct bits#2')!.fields.map((f) => f.name)).toEqual(['whole']);
    expect(meta.functions.get('bits_whole')!.type.params[0]).toMatchObject({ k: 'ptr', to: { k: 'record', rec: { key: 'struct bits#2' } } });
    expect(meta.records.get('struct packed')!.size).toBe(7); // same layout: one record
  });
});

describe('using the layouts (library built without the runtime)', () => {
  it('reads and writes bit-fields that C sees', () => {
    const b = new lib.bits({ a: 5, b: -7, c: 4000, d: true, e: 2 ** 39 + 3, tail: 9 });
    expect(lib.bits_get_b(b)).toBe(-7);
    expect(lib.bits_get_c(b)).toBe(4000);
    expect(lib.bits_get_e(b)).toBe(2 ** 39 + 3);
    lib.bits_set(b, 7, 15, 1, 0, 1);
    expect([b.a, b.b, b.c, b.d, b.e, b.tail]).toEqual([7, 15, 1, false, 1, 9]);
    expect(() => (b.a = 8)).toThrow(RangeError);
    expect(() => (b.b = 16)).toThrow(RangeError);
  });

  it('anonymous members, packed and typedef-named records by value, flexible arrays', () => {
    const a = new lib.anon({ i: 1, pair: { hi: 10 }, y: 100 });
    expect(lib.anon_get_i(a)).toBe(111);
    expect(lib.packed_sum(lib.packed_make(1, 2, 3))).toBe(6);
    expect(lib.packed_sum({ c: 1, i: 1000, s: -1 })).toBe(1000);
    // x86-64 passes records with unaligned fields in memory; koffi cannot: refused, not miscalled.
    expect(() => lib.packed_by_value({ i: 1 })).toThrow(/packed_by_value\(\): cannot be called from TypeScript: its parameter type struct packed/);
    const r = lib.cplx_mul({ re: 1, im: 2 }, { re: 3, im: 4 });
    expect([r.re, r.im]).toEqual([-5, 10]);
    const f = lib.$cast(lib.$alloc('long', 4), lib.fam);
    f.n = 3;
    const items = lib.$cast(f.$addr + 8, 'int');
    items[0] = 1;
    items[1] = 2;
    items[2] = 3;
    expect(lib.fam_sum(f)).toBe(6);
    expect(lib.kr_add(2, 3)).toBe(5);
    expect(lib.kr_len('x', 2 ** 40)).toBe(1);
    expect(lib.unproto(4)).toBe(12);
  });

  it('nested arrays as views', () => {
    const a = new lib.arrays();
    a.grid[1][2] = 7;
    expect(lib.grid_at(a, 1, 2)).toBe(7);
    a.name = 'abc';
    expect(a.name.toString()).toBe('abc');
    expect(() => (a.name = 'too long!')).toThrow(RangeError);
  });

  it('cannot call a function whose types koffi cannot pass, and says why', () => {
    expect(lib.odd_ld(new lib.odd())).toBe(0);
    expect(() => lib.ld_twice(1)).toThrow(/ld_twice\(\): cannot be called from TypeScript: its result type long double/);
    expect(() => new lib.odd().ld).toThrow(/long double cannot be converted/);
    expect(() => lib.declared_elsewhere).toThrow(/not found/);
  });
});

describe('names beyond ASCII', () => {
  it('decodes extended identifiers and keeps UTF-8 strings (built by cc-wb)', async () => {
    const u = load(await buildLibrary('unicode', [join(fixtures, 'unicode.c')])) as Record<string, any>;
    expect(u['größe_von']({ wert: 5 })).toBe(5);
    expect(u['größe'].size).toBe(4);
    expect(u['GRÜSSE']).toBe('grüße ☃');
  });
});

describe('the appendix adds no diagnostics', () => {
  for (const [cc, flags] of [
    ['gcc', ['-std=gnu89', '-pedantic', '-Wall', '-Wextra']],
    ['gcc', ['-std=c11', '-pedantic', '-Wall', '-Wextra', '-Wconversion', '-Wpadded', '-Wcast-qual']],
    // clang computes a record's layout (and reports -Wpadded) only when something needs it, as
    // the appendix does for every record: that one warning can appear, nothing else.
    ['clang', ['-std=gnu11', '-Weverything', '-Wno-padded']],
  ] as const) {
    it(`${cc} ${flags.join(' ')}`, async () => {
      const src = join(fixtures, 'layouts.c');
      const pre = await execa(cc, ['-E', '-dD', `-std=${flags[0].slice(5)}`, src]);
      const text = pre.stdout.replace(/^#[ \t]*(?:define|undef)\b.*$/gm, '') + '\n';
      const compile = async (unit: string, name: string) => {
        const i = join(work(), name);
        writeFileSync(i, unit);
        const r = await execa(cc, ['-x', 'cpp-output', '-fsyntax-only', ...flags, i], { reject: false });
        return r.stderr.replaceAll(i, 'UNIT');
      };
      const without = await compile(text, `plain-${cc}.i`);
      const withMeta = await compile(text + metadataForPreprocessed(pre.stdout + '\n', src), `meta-${cc}.i`);
      expect(withMeta).toBe(without);
    });
  }
});

describe('system-header definitions read on demand', () => {
  // A system header's typedefs and tagged records are read only when the unit's own declarations
  // or macros reach them; what they reach must be described as if all had been read in place.
  const unit = [
    '# 0 "u.c"',
    '# 1 "/usr/include/sys.h" 1 3 4',
    'typedef unsigned long sys_size;',
    'struct sys_rec { int a; struct { int b; } in; };',
    'enum sys_e { SYS_A = 1 };',
    'typedef struct { int q; } sys_anon;',
    'typedef int sys_unused;',
    '# 2 "u.c" 2',
    '#define USES_ENUM (SYS_A + 1)',
    '#define USES_TYPEDEF ((sys_size)4)',
    'struct sys_rec g;',
    'sys_anon h;',
    '',
  ].join('\n');
  /** The unit's description as the host reads it (the JSON literal of the appendix). */
  const described = (appendix: string): { records: Array<{ key: string; complete: number; names?: string[] }>; typedefs: Array<{ n: string }>; macros: Array<{ n: string }> } => {
    const literal = appendix.slice(appendix.indexOf('char __wb_json[sizeof(') + 'char __wb_json[sizeof('.length, appendix.indexOf(')];'));
    return JSON.parse(JSON.parse(`[${literal.replace(/"\s*\n\s*"/g, '')}]`)[0]);
  };

  it('describes what the unit reaches, complete, and nothing else', () => {
    const unitMeta = described(metadataForPreprocessed(unit, 'u.c'));
    const byKey = new Map(unitMeta.records.map((r) => [r.key, r]));
    expect(byKey.get('struct sys_rec')?.complete).toBe(1);
    expect(byKey.get('anon struct /usr/include/sys.h:2:25')?.complete).toBe(1); // named through g's record
    expect([...byKey.values()].find((r) => r.names?.includes('sys_anon'))?.complete).toBe(1);
    expect(unitMeta.typedefs.map((t) => t.n)).toEqual(['sys_anon']);
    // Macros over a system enumerator and a system arithmetic typedef are constants.
    expect(unitMeta.macros.map((m) => m.n)).toEqual(['USES_ENUM', 'USES_TYPEDEF']);
  });

  it('lets a unit redefine a system typedef name', () => {
    const redefined = unit.replace('sys_anon h;', 'typedef long sys_size;\nsys_size k;');
    const unitMeta = described(metadataForPreprocessed(redefined, 'u.c'));
    expect(unitMeta.typedefs.map((t) => t.n)).toEqual(['sys_size']);
    expect(metadataForPreprocessed(redefined, 'u.c')).toMatch(/\\"n\\":\\"sys_size\\",\\"t\\":\[\\"p\\",\d+,\\"long\\"\],\\"sys\\":0/);
  });
});
