// A real library with a pluggable allocator (cJSON from Debian: `static internal_hooks global_hooks =
// { malloc, free, realloc };`, replaced by cJSON_InitHooks) allocates through function pointers. Built
// with cc-wb, those pointers are the runtime's functions, so its objects are the runtime's: attached
// when they reach TypeScript, and C's free of one that TypeScript still holds is deferred. Under
// AddressSanitizer (a child vitest with the library built -fsanitize=address and libasan preloaded),
// C reading an object after cJSON_Delete while TypeScript holds it must not be a use after free.
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { buildLibrary, requireBuilt, root } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { load, stats, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ASAN_CHILD = process.env.PLUGGABLE_ALLOCATOR_ASAN === '1';
let lib: LibraryModule & Record<string, Any>;

beforeAll(async () => {
  await requireBuilt();
  const src = await fetchDebianSource({ name: 'cjson', patches: { apply: 'all' } });
  const asan = ASAN_CHILD ? ['-fsanitize=address', '-fno-omit-frame-pointer'] : [];
  lib = load(await buildLibrary(ASAN_CHILD ? 'cjson-hooks-asan' : 'cjson-hooks', [join(src.dir, 'cJSON.c')], ['-std=c89', ...asan])) as typeof lib;
});

/** Parses a document, keeps one number item, deletes the document in C, and reads the item. */
function deleteWhileHeld(hooksFirst: boolean): void {
  if (hooksFirst) lib.cJSON_InitHooks(null); // back to malloc/free/realloc, assigned in C
  const before = stats(lib).runtime!;
  const doc = lib.cJSON_Parse('{"keep":3.5,"other":[1,2,3],"name":"x"}');
  const keep = lib.cJSON_GetObjectItem(doc, 'keep');
  // Allocated through global_hooks.allocate: the runtime's malloc, so attached, not borrowed.
  expect(keep.$borrowed).toBe(false);
  expect(doc.$borrowed).toBe(false);
  lib.cJSON_Delete(doc); // frees through global_hooks.deallocate: deferred for the two held objects
  const after = stats(lib).runtime!;
  expect(after.deferred - before.deferred).toBe(2);
  // The held item is intact, for TypeScript and for C.
  expect(keep.valuedouble).toBe(3.5);
  expect(keep.type & 0xff).toBe(lib.cJSON_Number);
  expect(lib.cJSON_GetNumberValue(keep)).toBe(3.5);
  expect(lib.cJSON_IsNumber(keep)).toBe(1);
  const freed = stats(lib).freed;
  keep.release();
  doc.release();
  // Released at depth 0: C had freed both, so the runtime frees them now.
  expect(stats(lib).freed - freed).toBe(2);
  expect(stats(lib).runtime!.deferred).toBe(before.deferred);
}

describe('a library with a pluggable allocator (cJSON from Debian), built with cc-wb', () => {
  it("allocates through the runtime from its default hooks: C's free is deferred while TypeScript holds the object", () => {
    deleteWhileHeld(false);
  });

  it('does the same after cJSON_InitHooks(NULL) resets the hooks and compares them with malloc and free', () => {
    deleteWhileHeld(true);
    // The printer reallocates only when the hooks are malloc and free (a comparison of function
    // pointers in cJSON_InitHooks): that path must still be taken and give the right text.
    const doc = lib.cJSON_Parse('[1,2,{"a":"b"}]');
    expect(lib.cJSON_PrintUnformatted(doc)).toBe('[1,2,{"a":"b"}]');
    lib.cJSON_Delete(doc);
    doc.release();
  });

  if (!ASAN_CHILD) {
    it('keeps it so under AddressSanitizer (libasan preloaded, the library built -fsanitize=address)', async () => {
      const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
      const r = await execa('npx', ['vitest', 'run', 'test/runtime-ts/pluggable-allocator.test.ts'], {
        cwd: root,
        reject: false,
        all: true,
        env: { LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1', PLUGGABLE_ALLOCATOR_ASAN: '1' },
      });
      const out = r.all ?? '';
      expect(out).not.toMatch(/ERROR: AddressSanitizer/);
      expect(r.exitCode, out.slice(-3000)).toBe(0);
      expect(out).toMatch(/2 passed/);
    });
  }
});
