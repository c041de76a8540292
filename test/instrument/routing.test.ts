// How the pass routes libc's memory functions to the runtime: every use of a declared one, called
// or taken as a value, anywhere in user code; nothing the unit did not declare.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputBytes, type InstrumentResult } from '../../instrument/index.js';
import { body, buildAndRun, buildAndRunPlain, instrument } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'wb-routing-'));
let n = 0;

/** Compiles an instrumented unit (no link) with `flags`; the compiler's status and stderr. */
function compileInstrumented(r: InstrumentResult, flags: string[], cc = 'gcc'): { status: number | null; stderr: string } {
  const file = join(work, `u${++n}.wb.i`);
  writeFileSync(file, outputBytes(r));
  const c = spawnSync(cc, [...flags, '-c', '-x', 'cpp-output', file, '-o', join(work, `u${n}.o`)], { encoding: 'utf8' });
  return { status: c.status, stderr: c.stderr };
}

/** Compiles the original source the same way. */
function compilePlain(src: string, flags: string[], cc = 'gcc'): { status: number | null; stderr: string } {
  const file = join(work, `p${++n}.c`);
  writeFileSync(file, src);
  const c = spawnSync(cc, [...flags, '-c', file, '-o', join(work, `p${n}.o`)], { encoding: 'utf8' });
  return { status: c.status, stderr: c.stderr };
}

// A library with a pluggable allocator, in every shape such libraries keep one.
const pluggable = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef void *(*alloc_fn)(size_t);
typedef void (*free_fn)(void *);
static void *(*do_malloc)(size_t) = malloc;
static void (*do_free)(void *) = &free;
static void *(*do_realloc)(void *, size_t) = (void *(*)(void *, size_t))realloc;
static struct hooks { alloc_fn alloc; free_fn release; char *(*dup)(const char *); } hooks = { .alloc = malloc, .release = free, strdup };
static free_fn frees[] = { free, 0 };
static void set_alloc_funcs(alloc_fn a, free_fn f) { do_malloc = a; do_free = f; }
int main(void) {
  char *(*dup)(const char *) = strdup;
  void *p = do_malloc(8), *q = hooks.alloc(16), *r = do_realloc(0, 4);
  char *s = hooks.dup("x"), *t = dup("y");
  do_free(p); hooks.release(q); frees[0](r); free(s); free(t);
  set_alloc_funcs(malloc, free);
  p = do_malloc(1); do_free(p);
  static alloc_fn later; later = malloc; free(later(2));
  printf("same=%d %d\\n", hooks.alloc == malloc, do_free == free);
  extern long wbt_counter(const char *);
  printf("alloc=%ld free=%ld\\n", wbt_counter("alloc"), wbt_counter("free"));
  return 0;
}
`;

describe('libc functions used as values', () => {
  it('gives a pluggable allocator the runtime\'s functions in every shape (initializers, tables, &, casts, arguments)', () => {
    const run = buildAndRun(pluggable);
    expect(run.status, run.stderr).toBe(0);
    // Seven allocations and seven frees, every one through the runtime; the comparisons hold as in C.
    expect(run.stdout).toContain('same=1 1');
    expect(run.stdout).toContain('alloc=7 free=7');
    const values = run.result.sites.filter((s) => s.kind === 'value').map((s) => s.detail);
    expect(values.sort()).toEqual(['free', 'free', 'free', 'free', 'free', 'malloc', 'malloc', 'malloc', 'malloc', 'malloc', 'realloc', 'strdup', 'strdup']);
    expect(body(run.result)).toContain('static void *(*do_malloc)(size_t) = (*(__typeof__(&malloc))&__wb_malloc);');
  });

  it('keeps the type the unit declared, so a value use compiles warning-free where the original does', () => {
    // The runtime's getline takes the stream as void *; the unit's own reallocarray has no prototype.
    const src = '#define _GNU_SOURCE\n#include <stdio.h>\nvoid *reallocarray();\nssize_t (*gl)(char **, size_t *, FILE *) = getline;\nvoid *(*m)() = reallocarray;\nint same(void) { return gl == getline && m == reallocarray; }\n';
    const flags = ['-std=gnu11', '-Wall', '-Wextra', '-Werror'];
    expect(compilePlain(src, flags).status).toBe(0);
    for (const cc of ['gcc', 'clang']) {
      const r = instrument(src, cc);
      expect(r.sites.filter((s) => s.kind === 'value')).toHaveLength(4);
      const c = compileInstrumented(r, flags, cc);
      expect(c.stderr).toBe('');
      expect(c.status).toBe(0);
    }
  });
});

describe('names the unit did not declare', () => {
  it('leaves an undeclared strdup undeclared, so gcc still refuses it', () => {
    // strdup is POSIX: <string.h> under -std=c99 does not declare it.
    const src = '#include <string.h>\nchar *copy(const char *s) { return strdup(s); }\n';
    const flags = ['-std=c99', '-Werror=implicit-function-declaration'];
    const plain = compilePlain(src, flags);
    expect(plain.status).not.toBe(0);
    const r = instrument(src, 'gcc', ['-std=c99']);
    expect(r.ok).toBe(true);
    expect(body(r)).toContain('return strdup(s);');
    expect(r.sites).toHaveLength(0);
    const c = compileInstrumented(r, flags);
    expect(c.status).not.toBe(0);
    expect(c.stderr).toMatch(/implicit declaration of function .strdup./);
  });

  it('routes the same name once the unit declares it, from a header or its own prototype', () => {
    const header = instrument('#define _GNU_SOURCE\n#include <string.h>\nchar *copy(const char *s) { return strdup(s); }\n', 'gcc', ['-std=c99']);
    expect(body(header)).toContain('return __wb_strdup(s);');
    const own = instrument('char *strdup(const char *);\nchar *copy(const char *s) { return strdup(s); }\n', 'gcc', ['-std=c99']);
    expect(body(own)).toContain('return __wb_strdup(s);');
    // A block-scope prototype declares it for that block only.
    const block = instrument('char *a(const char *s) { char *strdup(const char *); return strdup(s); }\nint b(const char *s) { return strdup(s) != 0; }\n', 'gcc', ['-std=gnu89', '-w']);
    expect(body(block)).toContain('return __wb_strdup(s); }');
    expect(body(block)).toContain('return strdup(s) != 0;');
  });

  it('treats a file-scope variable named like a libc function as the program\'s own', () => {
    // No libc header: `free` is this unit's function pointer, and calls through it must reach it.
    const src = 'int printf(const char *, ...);\nstatic int count;\nstatic void mine(void *p) { (void)p; count++; }\nstatic void (*free)(void *) = mine;\nint main(void) { free(0); free(&count); printf("count=%d\\n", count); return 0; }\n';
    const run = buildAndRun(src);
    expect(body(run.result)).not.toContain('__wb_free');
    expect(run.stdout).toBe(buildAndRunPlain(src).stdout);
    expect(run.stdout).toContain('count=2');
  });
});
