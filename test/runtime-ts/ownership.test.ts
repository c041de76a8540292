// Ownership of results, per function, with a real library from Debian (cJSON, built with cc-wb):
// `char *cJSON_Print()` returns a buffer the caller frees with cJSON_free, cJSON_Parse and
// cJSON_CreateObject return trees the caller deletes, cJSON_GetObjectItem borrows a node of one.
// Checked: every owed release runs once (the runtime's double-free and misuse counters, and an
// AddressSanitizer run of the same file), C buffers no longer leak (malloc's bytes in use), and
// what the host holds goes back to where it started.
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import koffi from 'koffi';
import { buildLibrary, requireBuilt, root } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { collect, load, scope, stats, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ASAN_CHILD = process.env.OWNERSHIP_ASAN === '1';
let lib: LibraryModule & Record<string, Any>;
let path: string;

beforeAll(async () => {
  await requireBuilt();
  const src = await fetchDebianSource({ name: 'cjson', patches: { apply: 'all' } });
  const asan = ASAN_CHILD ? ['-fsanitize=address', '-fno-omit-frame-pointer'] : [];
  path = await buildLibrary(ASAN_CHILD ? 'cjson-owned-asan' : 'cjson-owned', [join(src.dir, 'cJSON.c')], ['-std=c89', ...asan]);
  lib = load(path) as typeof lib;
  // cJSON keeps its allocator as values (`global_hooks = { malloc, free, realloc }` at file
  // scope), which the pass does not rename yet: install the runtime's through cJSON's own hook,
  // as a program installs any allocator, so that its objects are the runtime's heap objects.
  const symbol = (name: string) => BigInt(lib.$lib.handle.symbol(name) as unknown as number);
  lib.cJSON_InitHooks({ malloc_fn: symbol('__wb_malloc'), free_fn: symbol('__wb_free') });
  const probe = lib.cJSON_CreateObject();
  if (probe.$borrowed) throw new Error('cJSON objects are not heap objects of the runtime');
  lib.cJSON_Delete(probe);
}, 600_000);

let mallinfo2: (() => Record<string, number>) | null = null;

/** Bytes malloc has handed out and not had back (glibc's main arena and mmapped blocks). */
function heapInUse(): number {
  if (!mallinfo2) {
    koffi.struct('mallinfo2_t', { arena: 'size_t', ordblks: 'size_t', smblks: 'size_t', hblks: 'size_t', hblkhd: 'size_t', usmblks: 'size_t', fsmblks: 'size_t', uordblks: 'size_t', fordblks: 'size_t', keepcost: 'size_t' });
    mallinfo2 = koffi.load('libc.so.6').func('mallinfo2_t mallinfo2(void)') as unknown as () => Record<string, number>;
  }
  const m = mallinfo2();
  return Number(m.uordblks) + Number(m.hblkhd);
}

/** The runtime's misuse counters: a double free or a free of a released object shows here. */
function misuse(): number[] {
  const r = stats(lib).runtime;
  return [r.misuse, r.double_frees, r.invalid_frees, r.frees_after_release, r.reallocs_after_free];
}

const doc = JSON.stringify({ name: 'cc-wb', list: Array.from({ length: 40 }, (_, i) => ({ i, s: `item ${i}` })), nested: { pi: 3.5 } });

describe('result ownership, declared per function (cJSON from Debian)', () => {
  it('copies an owned char * result and frees the C buffer at once: cJSON_PrintUnformatted with cJSON_free', () => {
    const rootObj = lib.cJSON_Parse(doc);
    const before = misuse();
    const n = 5000;
    if (!ASAN_CHILD) {
      // Without a declaration the string is copied and the buffer leaks (the measure can fail).
      const h0 = heapInUse();
      for (let i = 0; i < n; i++) lib.cJSON_PrintUnformatted(rootObj);
      expect(heapInUse() - h0).toBeGreaterThan(n * doc.length * 0.9);
    }
    expect(lib.cJSON_PrintUnformatted.returns({ owned: lib.cJSON_free })).toBe(lib.cJSON_PrintUnformatted);
    expect(lib.cJSON_PrintUnformatted.$returns).toEqual({ owned: lib.cJSON_free });
    const h1 = ASAN_CHILD ? 0 : heapInUse();
    for (let i = 0; i < n; i++) expect(lib.cJSON_PrintUnformatted(rootObj)).toBe(doc);
    if (!ASAN_CHILD) expect(heapInUse() - h1).toBeLessThan(n * doc.length * 0.05);
    // $raw keeps the buffer as an array: the same declaration frees it once unreachable.
    const d0 = stats(lib).destroyed;
    scope(() => expect(lib.$string(lib.$raw.cJSON_PrintUnformatted(rootObj))).toBe(doc));
    expect(stats(lib).destroyed - d0).toBe(1);
    lib.cJSON_PrintUnformatted.returns(null);
    lib.cJSON_Delete(rootObj);
    expect(misuse()).toEqual(before);
  });

  it('releases owned trees once, leaves borrowed nodes to C, and drops what C frees itself', () => {
    lib.cJSON_Parse.returns({ owned: 'cJSON_Delete' });
    lib.cJSON_CreateObject.returns({ owned: lib.cJSON_Delete });
    // The type's rule says a cJSON * result is the caller's; a borrowed node is not.
    lib.cJSON.destroyWith(lib.cJSON_Delete);
    lib.cJSON_GetObjectItem.returns({ borrowed: true });
    collect(lib);
    const s0 = stats(lib);
    const m0 = misuse();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      scope(() => {
        const tree = lib.cJSON_Parse('{"a":{"b":[1,2,3]},"c":"x"}');
        const a = lib.cJSON_GetObjectItem(tree, 'a'); // borrowed: freed by the tree's delete
        expect(lib.cJSON_GetArraySize(lib.cJSON_GetObjectItem(a, 'b'))).toBe(3);
        const o = lib.cJSON_CreateObject();
        // Owned by its type's rule, then given to o: C frees it with o, the host owes nothing.
        lib.cJSON_AddItemToObject(o, 'n', lib.cJSON_CreateNumber(i));
        expect(lib.cJSON_GetObjectItem(o, 'n').valuedouble).toBe(i);
      });
    }
    collect(lib);
    const s1 = stats(lib);
    expect(s1.destroyed - s0.destroyed).toBe(2 * n); // each tree and each object, once
    expect(s1.live).toBe(s0.live);
    expect(s1.runtime.host_objects).toBe(s0.runtime.host_objects);
    expect(s1.runtime.deferred).toBe(s0.runtime.deferred);
    expect(s1.runtime.tracked).toBe(s0.runtime.tracked);
    expect(misuse()).toEqual(m0);
    lib.cJSON_GetObjectItem.returns(null);
    lib.cJSON_CreateObject.returns(null);
    lib.cJSON_Parse.returns(null);
    lib.cJSON.$destroy = undefined;
  });

  it('owes one release per owned result, to any function', () => {
    const released: bigint[] = [];
    lib.cJSON_Duplicate.returns({
      owned: (p: bigint) => {
        released.push(p);
        lib.cJSON_Delete(p);
      },
    });
    const original = lib.cJSON_Parse(doc);
    const m0 = misuse();
    const copies: bigint[] = [];
    scope(() => {
      for (let i = 0; i < 10; i++) copies.push(BigInt(lib.cJSON_Duplicate(original, 1).$addr));
    });
    expect(released.sort()).toEqual(copies.sort());
    expect(new Set(released).size).toBe(10);
    lib.cJSON_Duplicate.returns(null);
    lib.cJSON_Delete(original);
    expect(misuse()).toEqual(m0);
  });

  it('takes the declarations by name in load(), and refuses what cannot be owned', () => {
    const again = load(path, { results: { cJSON_Print: { owned: 'cJSON_free' }, cJSON_GetArrayItem: { borrowed: true } } }) as typeof lib;
    expect(again).toBe(lib);
    expect(lib.cJSON_Print.$returns).toEqual({ owned: 'cJSON_free' });
    expect(lib.cJSON_GetArrayItem.$returns).toEqual({ borrowed: true });
    expect(() => lib.cJSON_GetArraySize.returns({ owned: 'free' })).toThrow(/cJSON_GetArraySize\.returns\(\): its result is not a pointer/);
    expect(() => lib.cJSON_Print.returns({ owned: 'no_such_free' })).toThrow(/no function named 'no_such_free'/);
    expect(() => lib.cJSON_Print.returns({ owned: lib.cJSON_free, borrowed: true })).toThrow(/either owned, a handle or borrowed, not owned and borrowed/);
    expect(() => load(path, { results: { nope: { borrowed: true } } })).toThrow(/no function named 'nope'/);
    lib.cJSON_Print.returns(null);
    lib.cJSON_GetArrayItem.returns(null);
  });

  if (!ASAN_CHILD) {
    it('runs the same under AddressSanitizer (libasan preloaded, cJSON built -fsanitize=address)', async () => {
      const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
      const r = await execa('npx', ['vitest', 'run', 'test/runtime-ts/ownership.test.ts'], {
        cwd: root,
        reject: false,
        all: true,
        env: { LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1', OWNERSHIP_ASAN: '1' },
      });
      const out = (r.all ?? '').replace(/\x1b\[[0-9;]*m/g, '');
      expect(out).not.toMatch(/ERROR: AddressSanitizer/);
      expect(r.exitCode, out.slice(-3000)).toBe(0);
      expect(out).toMatch(/Tests\s+4 passed \(4\)/);
    }, 600_000);
  }
});
