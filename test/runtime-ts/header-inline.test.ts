// jansson from Debian: a public header whose reference counting and several setters are `static
// inline` functions (json_incref, json_decref, json_object_set...), and a pluggable allocator kept
// in file-scope function pointers (`static json_malloc_t do_malloc = malloc;`). Built with cc-wb and
// driven from TypeScript: the inline API is callable like any other function, with the same
// marshalling, and the library's objects are the runtime's (attached, their free deferred).
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibrary, requireBuilt, work } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { load, readLibraryMeta, stats, type LibraryModule } from '../../runtime-ts/index.js';
import { libraryDts } from '../../runtime-ts/dts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let lib: LibraryModule & Record<string, Any>;
let path: string;

beforeAll(async () => {
  await requireBuilt();
  const src = await fetchDebianSource({ name: 'jansson', patches: { apply: 'all' } });
  // CMake (with plain cc) writes jansson_config.h and jansson_private_config.h; cc-wb compiles.
  const cfg = join(work(), 'jansson-config');
  const r = await execa('cmake', ['-S', src.dir, '-B', cfg, '-DJANSSON_BUILD_DOCS=OFF', '-DJANSSON_WITHOUT_TESTS=ON', '-DJANSSON_EXAMPLES=OFF'], { reject: false, all: true, env: { CC: 'cc', CFLAGS: '' } });
  if (r.exitCode !== 0) throw new Error(`cmake (jansson's configure) failed:\n${r.all}`);
  const sources = readdirSync(join(src.dir, 'src')).filter((f) => f.endsWith('.c')).map((f) => join(src.dir, 'src', f));
  path = await buildLibrary('jansson', sources, ['-DHAVE_CONFIG_H', '-I', join(cfg, 'include'), '-I', join(cfg, 'private_include')]);
  lib = load(path) as typeof lib;
});

describe("jansson's static inline API, from TypeScript", () => {
  it('is callable: json_incref and json_decref change the reference count C keeps', () => {
    expect(typeof lib.json_incref).toBe('function');
    expect(typeof lib.json_decref).toBe('function');
    const arr = lib.json_array();
    expect(arr.refcount).toBe(1);
    // Same marshalling as any function: the proxy goes in, the same proxy comes out.
    expect(lib.json_incref(arr)).toBe(arr);
    expect(arr.refcount).toBe(2);
    lib.json_decref(arr);
    expect(arr.refcount).toBe(1);
    lib.json_decref(arr);
  });

  it('runs inline setters that take a reference (json_object_set, json_array_append)', () => {
    const obj = lib.json_object();
    const num = lib.json_integer(42);
    expect(lib.json_object_set(obj, 'answer', num)).toBe(0);
    expect(num.refcount).toBe(2); // the object's reference and ours
    const arr = lib.json_array();
    expect(lib.json_array_append(arr, num)).toBe(0);
    expect(num.refcount).toBe(3);
    expect(lib.json_integer_value(lib.json_object_get(obj, 'answer'))).toBe(42);
    expect(lib.json_dumps(obj, lib.JSON_COMPACT)).toBe('{"answer":42}');
    for (const v of [arr, obj, num]) lib.json_decref(v);
  });

  it('rejects wrong arguments naming the C signature, as for any function', () => {
    expect(() => lib.json_decref('x')).toThrow(/json_decref\(\)/);
  });

  it('lists the inline functions in the generated declarations', () => {
    const dts = libraryDts(readLibraryMeta(path)!);
    expect(dts).toMatch(/json_decref\(/);
    expect(dts).toMatch(/json_object_set\(/);
  });
});

describe("jansson's allocator (do_malloc = malloc at file scope)", () => {
  it("gives the runtime's objects: attached, and a free by C deferred while TypeScript holds one", () => {
    const before = stats(lib).runtime!.deferred;
    const s = lib.json_string('kept');
    expect(s.$borrowed).toBe(false);
    lib.json_decref(s); // the count reaches 0: jansson frees it through do_free
    expect(stats(lib).runtime!.deferred - before).toBe(1);
    expect(s.refcount).toBe(0);
    expect(s.type).toBe(lib.JSON_STRING);
    s.release();
    expect(stats(lib).runtime!.deferred).toBe(before);
  });
});

describe('inline functions two units define differently', () => {
  it('are left out (the one instance pointer could be either); a shared one is kept', async () => {
    const dir = join(work(), 'inline-conflict');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'common.h'), 'static inline int twice(int x) { return 2 * x; }\n');
    writeFileSync(join(dir, 'a.h'), 'static inline int pick(int x) { return x + 1; }\n');
    writeFileSync(join(dir, 'b.h'), 'static inline long pick(long x, long y) { return x - y; }\n');
    writeFileSync(join(dir, 'a.c'), '#include "common.h"\n#include "a.h"\nint use_a(int x) { return pick(twice(x)); }\n');
    writeFileSync(join(dir, 'b.c'), '#include "common.h"\n#include "b.h"\nlong use_b(long x) { return pick(x, twice(1)); }\n');
    const so = await buildLibrary('inline-conflict', [join(dir, 'a.c'), join(dir, 'b.c')]);
    const meta = readLibraryMeta(so)!;
    expect(meta.functions.has('pick')).toBe(false);
    expect(meta.functions.get('twice')?.inline).toBe(true);
    const l = load(so) as Any;
    expect(l.twice(21)).toBe(42);
    expect(l.use_a(3)).toBe(7);
    expect(l.pick).toBeUndefined();
  });
});
