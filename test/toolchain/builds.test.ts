// cc-wb under the build tools that drive it: configure-style probes, make -j2 with a static and a
// shared library, a real autoconf + automake + libtool project, and CMake. Each is compared with
// the same build by plain cc; these use the real pass.
import { execa } from 'execa';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CCWB, definedSymbols, driverTmp, listTree, read, removeScratch, requireBuilt, scratch, sh, writeTree } from './helpers.js';

beforeAll(requireBuilt, 120_000);
afterAll(() => {
  removeScratch();
  expect(readdirSync(driverTmp).filter((e) => e.startsWith('cc-wb-'))).toEqual([]);
  rmSync(driverTmp, { recursive: true, force: true });
});

// A little C with the stores the barrier is about: list links, globals, struct copies, memcpy,
// realloc, free, function pointers; in a static library, a shared library and a program.
const LIB_SOURCES: Record<string, string> = {
  'list.h':
    '#include <stddef.h>\nstruct node { struct node *next; void *data; int key; };\n' +
    'struct table { struct node **slots; size_t n; int (*hash)(int); };\n' +
    'void list_push(int key, void *data);\nstruct node *list_pop(void);\nint list_sum(void);\n' +
    'struct table *table_new(size_t n);\nvoid table_put(struct table *t, int key);\nsize_t table_count(const struct table *t);\n' +
    'void table_grow(struct table *t);\nvoid table_free(struct table *t);\n',
  's1.c':
    '#include <stdlib.h>\n#include "list.h"\nstatic struct node *head;\n' +
    'void list_push(int key, void *data) { struct node *n = malloc(sizeof *n); n->next = head; n->data = data; n->key = key; head = n; }\n' +
    'struct node *list_pop(void) { struct node *n = head; if (n) head = n->next; return n; }\n',
  's2.c':
    '#include <stdlib.h>\n#include <string.h>\n#include "list.h"\n' +
    'int list_sum(void) { struct node *n, copy; int s = 0; while ((n = list_pop()) != NULL) { memcpy(&copy, n, sizeof copy); s += copy.key; free(n); } return s; }\n',
  'd1.c':
    '#include <stdlib.h>\n#include "list.h"\nstatic int ident(int k) { return k; }\n' +
    'struct table *table_new(size_t n) { struct table *t = calloc(1, sizeof *t); t->slots = calloc(n, sizeof *t->slots); t->n = n; t->hash = ident; return t; }\n' +
    'void table_put(struct table *t, int key) { size_t i = (size_t)t->hash(key) % t->n; struct node *e = malloc(sizeof *e); e->key = key; e->data = t; e->next = t->slots[i]; t->slots[i] = e; }\n',
  'd2.c':
    '#include <stdlib.h>\n#include <string.h>\n#include "list.h"\n' +
    'size_t table_count(const struct table *t) { size_t c = 0; for (size_t i = 0; i < t->n; i++) for (struct node *e = t->slots[i]; e; e = e->next) c++; return c; }\n' +
    'void table_grow(struct table *t) { size_t old = t->n; t->slots = realloc(t->slots, 2 * old * sizeof *t->slots); memset(t->slots + old, 0, old * sizeof *t->slots); t->n = 2 * old; }\n' +
    'void table_free(struct table *t) { for (size_t i = 0; i < t->n; i++) { struct node *e = t->slots[i]; while (e) { struct node *next = e->next; free(e); e = next; } } free(t->slots); free(t); }\n',
  'main.c':
    '#include <stdio.h>\n#include "list.h"\nstatic int values[100];\n' +
    'int main(void) { for (int i = 0; i < 100; i++) { values[i] = i; list_push(i, &values[i]); }\n' +
    '  struct table *t = table_new(8); for (int i = 0; i < 1000; i++) { table_put(t, i); if (i == 500) table_grow(t); }\n' +
    '  printf("sum %d count %zu\\n", list_sum(), table_count(t)); table_free(t); return 0; }\n',
};
const EXPECTED = 'sum 4950 count 1000\n';

const MAKEFILE = `CFLAGS ?= -O2 -g
all: prog
libs.a: s1.o s2.o
\t$(AR) rcs $@ $^
libd.so: d1.pic.o d2.pic.o
\t$(CC) -shared -o $@ $^
%.pic.o: %.c
\t$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@
%.o: %.c
\t$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
prog: main.o libs.a libd.so
\t$(CC) $(CFLAGS) -o $@ main.o -L. -ls -ld -Wl,-rpath,'$$ORIGIN'
-include $(wildcard *.d)
`;

describe('configure-style probes answer as with cc', () => {
  // Each probe as autoconf/automake write it; run in a plain-cc directory and a cc-wb directory:
  // same exit status, same files left behind, and stderr empty exactly where cc's is.
  const probes: [string, string][] = [
    ['the compiler works; default output a.out and nothing else', 'printf "int main(void) { return 0; }\\n" > conftest.c; $CC conftest.c; ./a.out'],
    ['object suffix', 'printf "int main(void) { return 0; }\\n" > conftest.c; $CC -c conftest.c; ls conftest.o'],
    ['cross compiling? (run a program)', 'printf "#include <stdio.h>\\nint main(void) { FILE *f = fopen(\\"conftest.out\\", \\"w\\"); return ferror(f) || fclose(f) != 0; }\\n" > conftest.c; $CC -o conftest conftest.c; ./conftest'],
    ['GNU C?', 'printf "int main(void) {\\n#ifndef __GNUC__\\n choke me\\n#endif\\n return 0; }\\n" > conftest.c; $CC -c conftest.c'],
    ['C11 features (-std=gnu11 accepted)', 'printf "_Static_assert(1, \\"x\\"); int main(void) { return 0; }\\n" > conftest.c; $CC -std=gnu11 -c conftest.c'],
    ['-c and -o together (am_cv_prog_cc_c_o)', 'printf "int main(void) { return 0; }\\n" > conftest.c; $CC -c conftest.c -o conftest2.o; $CC -c conftest.c -o conftest2.o'],
    ['depcomp gcc3 mode', 'mkdir sub; printf "#include \\"conftst1.h\\"\\nint x;\\n" > sub/conftest.c; : > sub/conftst1.h; $CC -MT sub/conftest.o -MD -MP -MF sub/conftest.TPo -c -o sub/conftest.o sub/conftest.c; grep sub/conftest.o sub/conftest.TPo; grep sub/conftst1.h sub/conftest.TPo'],
    ['CPP works, and fails on a missing header', 'printf "#include <limits.h>\\nSyntax error\\n" > conftest.c; $CC -E conftest.c > conftest.i; printf "#include <ac_nonexistent.h>\\n" > conftest.c; ! $CC -E conftest.c > /dev/null 2>&1'],
    ['a header check (compile)', 'printf "#include <stdint.h>\\nint main(void) { return 0; }\\n" > conftest.c; $CC -c conftest.c'],
    ['a missing header (compile fails)', 'printf "#include <no_such_header_h.h>\\n" > conftest.c; ! $CC -c conftest.c 2>/dev/null; test ! -e conftest.o'],
    ['a function check (link)', 'printf "char strdup(void);\\nint main(void) { return strdup(); }\\n" > conftest.c; $CC -o conftest conftest.c'],
    ['a missing function (link fails)', 'printf "char no_such_fn_xyz(void);\\nint main(void) { return no_such_fn_xyz(); }\\n" > conftest.c; ! $CC -o conftest conftest.c 2>/dev/null; test ! -e conftest'],
    ['sizeof by compile-time assertion, true and false', 'printf "static int a[1 - 2 * !(sizeof(void *) >= 8)]; int main(void) { return a[0]; }\\n" > conftest.c; $CC -c conftest.c; printf "static int a[1 - 2 * !(sizeof(void *) >= 16)]; int main(void) { return a[0]; }\\n" > conftest.c; ! $CC -c conftest.c 2>/dev/null'],
    ['a library check (-lm)', 'printf "double cos(double);\\nint main(void) { return cos(0.0) != 1.0; }\\n" > conftest.c; $CC -o conftest conftest.c -lm; ./conftest'],
    ['AC_LANG_WERROR: no stderr for clean code with pointer stores', 'printf "#include <stdlib.h>\\nstruct s { struct s *n; } *g;\\nint main(void) { struct s *p = malloc(sizeof *p); p->n = g; g = p; return 0; }\\n" > conftest.c; $CC -Wall -o conftest conftest.c 2> conftest.err; test ! -s conftest.err'],
    ['-pthread program', 'printf "#include <pthread.h>\\nstatic void *f(void *p) { return p; }\\nint main(void) { pthread_t t; void *r; pthread_create(&t, 0, f, &t); pthread_join(t, &r); return r != &t; }\\n" > conftest.c; $CC -pthread -o conftest conftest.c; ./conftest'],
  ];
  it.each(probes)('%s', async (_name, script) => {
    const plain = scratch('probe-cc');
    const wb = scratch('probe-ccwb');
    const [rp, rw] = await Promise.all([sh(script, { cwd: plain, env: { CC: 'cc' } }), sh(script, { cwd: wb, env: { CC: CCWB } })]);
    expect(rp.exitCode, rp.stderr).toBe(0);
    expect([rw.exitCode, rw.stderr.length === 0]).toEqual([rp.exitCode, rp.stderr.length === 0]);
    expect(listTree(wb)).toEqual(listTree(plain));
    for (const f of listTree(plain).filter((f) => /\.(TPo|d)$/.test(f))) expect(read(wb, f)).toBe(read(plain, f));
    // and the pass handled the probe: no fallback to an uninstrumented compile (autoconf's
    // `char strdup(void); ... strdup()` declares library functions with made-up prototypes)
    expect(rw.stderr).not.toMatch(/cc-wb: /);
  });
});

describe('make -j2 CC=cc-wb', () => {
  it('builds a program with a static and a shared library; same output, same dependency files as cc', async () => {
    const plain = scratch('make-cc');
    const wb = scratch('make-ccwb');
    for (const d of [plain, wb]) writeTree(d, { ...LIB_SOURCES, Makefile: MAKEFILE });
    const report = join(wb, 'report.jsonl');
    const [rp, rw] = await Promise.all([
      execa('make', ['-j2', 'CC=cc'], { cwd: plain, reject: false }),
      execa('make', ['-j2', `CC=${CCWB}`], { cwd: wb, reject: false, env: { CC_WB_REPORT: report, TMPDIR: driverTmp } }),
    ]);
    expect(rp.exitCode, String(rp.stderr)).toBe(0);
    expect(rw.exitCode, String(rw.stderr)).toBe(0);
    expect(String(rw.stderr)).toBe('');
    expect(listTree(wb).filter((f) => f !== 'report.jsonl')).toEqual(listTree(plain));
    for (const f of listTree(plain).filter((f) => f.endsWith('.d'))) expect(read(wb, f), f).toBe(read(plain, f));
    expect(String((await execa(join(wb, 'prog'))).stdout) + '\n').toBe(EXPECTED);
    expect(String((await execa(join(plain, 'prog'))).stdout) + '\n').toBe(EXPECTED);

    // the runtime went into the program (non-PIC archive) and into the shared library (PIC archive)
    expect(await definedSymbols(join(wb, 'prog'))).toContain('__wb_active');
    expect(await definedSymbols(join(wb, 'libd.so'))).toContain('__wb_active');
    expect(await definedSymbols(join(plain, 'prog'))).not.toContain('__wb_active');

    const units = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(units.map((u) => u.source.slice(wb.length + 1)).sort()).toEqual(['d1.c', 'd2.c', 'main.c', 's1.c', 's2.c']);
    expect(units.map((u) => u.output.slice(wb.length + 1)).sort()).toEqual(['d1.pic.o', 'd2.pic.o', 'main.o', 's1.o', 's2.o']);
    expect(units.every((u) => u.instrumented === true)).toBe(true);

    // dependency tracking works: up to date now, out of date after touching the header
    expect((await execa('make', ['-q', `CC=${CCWB}`], { cwd: wb, reject: false, env: { TMPDIR: driverTmp } })).exitCode).toBe(0);
    await execa('touch', ['-d', '+1 minute', join(wb, 'list.h')]);
    expect((await execa('make', ['-q', `CC=${CCWB}`], { cwd: wb, reject: false, env: { TMPDIR: driverTmp } })).exitCode).toBe(1);
  });
});

describe('autoconf + automake + libtool', () => {
  const files: Record<string, string> = {
    ...LIB_SOURCES,
    'configure.ac':
      'AC_INIT([wbdemo], [1.0])\nAC_CONFIG_AUX_DIR([build-aux])\nAM_INIT_AUTOMAKE([foreign subdir-objects -Wall])\nAC_PROG_CC\nAM_PROG_AR\nLT_INIT\n' +
      'AC_CHECK_HEADERS([stdint.h string.h no_such_header.h])\nAC_CHECK_FUNCS([strdup memmove no_such_function_xyz])\n' +
      'AC_CHECK_SIZEOF([void *])\nAC_CHECK_LIB([m], [cos])\nAC_C_BIGENDIAN\nAC_CONFIG_HEADERS([config.h])\nAC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n',
    'Makefile.am':
      'lib_LTLIBRARIES = libwbdemo.la\nlibwbdemo_la_SOURCES = s1.c s2.c d1.c d2.c list.h\nlibwbdemo_la_LDFLAGS = -no-undefined\n' +
      'noinst_LTLIBRARIES = libconv.la\nlibconv_la_SOURCES = d1.c\nlibconv_la_CFLAGS = -DCONV\n' +
      'bin_PROGRAMS = demo\ndemo_SOURCES = main.c\ndemo_LDADD = libwbdemo.la\n' +
      'check_PROGRAMS = demo_static\ndemo_static_SOURCES = main.c\ndemo_static_LDFLAGS = -static\ndemo_static_LDADD = libwbdemo.la\nTESTS = demo_static\n',
  };

  it('configure finds the same things; make -j2 and make check pass; the libraries carry the runtime', async () => {
    const src = scratch('autotools-src');
    writeTree(src, files);
    const auto = await execa('autoreconf', ['-fi'], { cwd: src, reject: false });
    expect(auto.exitCode, String(auto.stderr)).toBe(0);
    const plain = join(src, 'build-cc');
    const wb = join(src, 'build-ccwb');
    const configure = (dir: string, cc: string) => execa('sh', ['-c', `mkdir -p ${dir} && cd ${dir} && ../configure CC='${cc}' CFLAGS='-O2 -g'`], { reject: false, env: { TMPDIR: driverTmp } });
    const [cp, cw] = await Promise.all([configure(plain, 'cc'), configure(wb, CCWB)]);
    expect(cp.exitCode, String(cp.stderr)).toBe(0);
    expect(cw.exitCode, String(cw.stderr)).toBe(0);
    expect(read(wb, 'config.h')).toBe(read(plain, 'config.h'));
    expect(String(cw.stdout)).toMatch(/checking dependency style of .*cc-wb\.js\.\.\. gcc3/);
    expect(String(cw.stdout)).toMatch(/checking whether the .*cc-wb\.js linker .* supports shared libraries\.\.\. yes/);
    const strip = (out: string) => out.replaceAll(CCWB, 'cc').replaceAll('cc-wb.js', 'cc');
    expect(strip(String(cw.stdout))).toBe(String(cp.stdout));

    const mw = await execa('make', ['-j2'], { cwd: wb, reject: false, env: { TMPDIR: driverTmp } });
    expect(mw.exitCode, String(mw.stdout) + String(mw.stderr)).toBe(0);
    const check = await execa('make', ['-j2', 'check'], { cwd: wb, reject: false, env: { TMPDIR: driverTmp } });
    expect(check.exitCode, String(check.stdout)).toBe(0);
    expect(String(check.stdout)).toMatch(/# PASS: +1/);
    const demo = await execa(join(wb, 'demo'), { reject: false });
    expect(String(demo.stdout) + '\n').toBe(EXPECTED);
    expect(await definedSymbols(join(wb, '.libs', 'libwbdemo.so'))).toContain('__wb_active');
    expect(await definedSymbols(join(wb, 'demo_static'))).toContain('__wb_active');
    // libtool compiled each source twice (PIC into .libs/, non-PIC beside): both objects exist
    expect(listTree(wb).filter((f) => /^(\.libs\/)?(s1|libconv_la-d1)\.o$/.test(f))).toEqual(['.libs/libconv_la-d1.o', '.libs/s1.o', 'libconv_la-d1.o', 's1.o']);
  });
});

describe('CMake', () => {
  it('identifies the compiler as GNU and builds a static lib, a shared lib and a program', async () => {
    const src = scratch('cmake');
    writeTree(src, {
      ...LIB_SOURCES,
      'CMakeLists.txt':
        'cmake_minimum_required(VERSION 3.13)\nproject(wbc C)\nadd_library(st STATIC s1.c s2.c)\n' +
        'add_library(sh SHARED d1.c d2.c)\nadd_executable(app main.c)\ntarget_link_libraries(app st sh)\n',
    });
    const build = join(src, 'build');
    const conf = await execa('cmake', ['-S', src, '-B', build, `-DCMAKE_C_COMPILER=${CCWB}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo'], { reject: false, env: { TMPDIR: driverTmp } });
    expect(conf.exitCode, String(conf.stdout) + String(conf.stderr)).toBe(0);
    expect(String(conf.stdout)).toMatch(/The C compiler identification is GNU 12\./);
    const b = await execa('cmake', ['--build', build, '-j', '2'], { reject: false, env: { TMPDIR: driverTmp } });
    expect(b.exitCode, String(b.stdout) + String(b.stderr)).toBe(0);
    expect(String((await execa(join(build, 'app'))).stdout) + '\n').toBe(EXPECTED);
    expect(await definedSymbols(join(build, 'libsh.so'))).toContain('__wb_active');
    // CMake's own dependency files (-MD -MT -MF) name the real objects
    expect(read(build, 'CMakeFiles/app.dir/main.c.o.d')).toMatch(/^CMakeFiles\/app\.dir\/main\.c\.o: .*main\.c/);
  });
});
