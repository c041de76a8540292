// Configure's answers under cc-wb are plain cc's: a real autoconf configure (declaration and function
// checks under -std=c99, where strdup and getline are not declared) and a real CMake project from
// Debian (cJSON: check_c_compiler_flag for each of its warning flags) configured with both compilers
// must conclude byte for byte the same. And the harness must report it when they do not.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccWb, commandCompiler, type Compiler } from '../../harness/compilers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { CMAKE_CHECKS, cmakeCheckResults, compareConfigureAnswers, readConfigureAnswers } from '../../conformance/configure-answers.js';
import { projectsTable, runProjectSpecs, summarizeProjects, type ProjectSpec } from '../../conformance/projects.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cc-wb-configure-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One word for build systems that want the compiler as a single path (CMake). */
function wrapper(name: string, words: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nexec ${words.map((w) => `'${w}'`).join(' ')} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

const compilers = (): { label: string; cc: string }[] => [
  { label: 'cc', cc: 'cc' },
  { label: 'cc-wb', cc: wrapper('cc-wb', ccWb().words) },
];

describe('configure answers', () => {
  it('reads config headers that configure wrote and the check results of a CMake cache', () => {
    const pristine = join(dir, 'pristine');
    const tree = join(dir, 'tree');
    mkdirSync(join(pristine, 'win'), { recursive: true });
    mkdirSync(join(tree, 'win'), { recursive: true });
    mkdirSync(join(tree, 'build'));
    writeFileSync(join(pristine, 'win', 'config.h'), '#define SHIPPED 1\n');
    writeFileSync(join(tree, 'win', 'config.h'), '#define SHIPPED 1\n');
    writeFileSync(join(tree, 'config.h'), '#define HAVE_DECL_STRDUP 0\n');
    writeFileSync(join(tree, 'build', 'expat_config.h'), '#define XML_DTD\n');
    const cache = `CMAKE_C_COMPILER:FILEPATH=/x/cc\nCMAKE_CACHEFILE_DIR:INTERNAL=${tree}/build\nHAVE_GETRANDOM:INTERNAL=1\nFLAG_SUPPORTS_WSHADOW:INTERNAL=1\n_tree:INTERNAL=${tree}\n`;
    writeFileSync(join(tree, 'build', 'CMakeCache.txt'), cache);
    expect(cmakeCheckResults(cache, tree)).toBe('FLAG_SUPPORTS_WSHADOW=1\nHAVE_GETRANDOM=1');
    const answers = readConfigureAnswers(tree, pristine);
    expect(Object.keys(answers).sort()).toEqual(['build/CMakeCache.txt (check results)', 'build/expat_config.h', 'config.h']);
    expect(compareConfigureAnswers(answers, { ...answers })).toEqual([]);
    expect(compareConfigureAnswers(answers, { ...answers, 'config.h': '#define HAVE_DECL_STRDUP 1\n' })).toEqual([
      "config.h: cc '#define HAVE_DECL_STRDUP 0' / cc-wb '#define HAVE_DECL_STRDUP 1'",
    ]);
    expect(compareConfigureAnswers({}, { 'config.h': '' })).toEqual(['config.h: written only with cc-wb']);
  });

  it('autoconf: AC_CHECK_DECLS and AC_CHECK_FUNCS under -std=c99 give the same config.h with cc-wb', async () => {
    const src = join(dir, 'ac');
    mkdirSync(src);
    writeFileSync(
      join(src, 'configure.ac'),
      [
        'AC_INIT([wbprobe], [1.0])',
        'AC_PROG_CC',
        'AC_CHECK_DECLS([strdup, strndup, getline, getdelim, reallocarray, memalign, valloc, explicit_bzero, memcpy, malloc, free])',
        'AC_CHECK_FUNCS([strdup getline reallocarray memalign explicit_bzero mempcpy posix_memalign aligned_alloc])',
        'AC_CHECK_HEADERS([malloc.h strings.h])',
        // What -Werror=implicit-function-declaration builds see: an undeclared call must not compile.
        'AC_MSG_CHECKING([whether an undeclared strdup compiles])',
        'saved_CFLAGS=$CFLAGS; CFLAGS="$CFLAGS -Werror=implicit-function-declaration"',
        'AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <string.h>]], [[return strdup("x") != 0;]])],',
        '  [AC_DEFINE([UNDECLARED_STRDUP_COMPILES], [1], [an undeclared strdup compiles]) AC_MSG_RESULT([yes])], [AC_MSG_RESULT([no])])',
        'CFLAGS=$saved_CFLAGS',
        'AC_CONFIG_HEADERS([config.h])',
        'AC_OUTPUT',
        '',
      ].join('\n'),
    );
    await execa('autoconf', [], { cwd: src });
    await execa('autoheader', [], { cwd: src });
    const configs: string[] = [];
    for (const c of compilers()) {
      const build = join(src, `build-${c.label}`);
      mkdirSync(build);
      const r = await execa(join(src, 'configure'), [`CC=${c.cc}`, 'CFLAGS=-std=c99 -O2'], { cwd: build, reject: false, all: true, env: { CFLAGS: '', CPPFLAGS: '' } });
      expect(r.exitCode, r.all).toBe(0);
      configs.push(readFileSync(join(build, 'config.h'), 'latin1'));
    }
    expect(configs[0]).toMatch(/#define HAVE_DECL_STRDUP 0/);
    expect(configs[0]).toMatch(/#define HAVE_DECL_MEMCPY 1/);
    expect(configs[0]).not.toMatch(/UNDECLARED_STRDUP_COMPILES 1/);
    expect(compareConfigureAnswers({ 'config.h': configs[0]! }, { 'config.h': configs[1]! })).toEqual([]);
  }, 300_000);

  it("CMake: cJSON's check results (check_c_compiler_flag) are the same with cc-wb", async () => {
    const src = await fetchDebianSource({ name: 'cjson', patches: { apply: 'all' } });
    const results: string[] = [];
    for (const c of compilers()) {
      const build = join(dir, `cjson-${c.label}`);
      const r = await execa('cmake', ['-S', src.dir, '-B', build, `-DCMAKE_C_COMPILER=${c.cc}`, '-DENABLE_CJSON_TEST=OFF'], { reject: false, all: true, env: { CFLAGS: '', CC: '' } });
      expect(r.exitCode, r.all).toBe(0);
      const answers = readConfigureAnswers(build, src.dir);
      results.push(answers[`./${CMAKE_CHECKS}`] ?? '');
    }
    // What cJSON asks: which warning flags the compiler accepts (gcc has -Wall, not -Wcomma).
    expect(results[0]).toMatch(/^FLAG_SUPPORTED_Wall=1$/m);
    expect(results[1]).toBe(results[0]);
  }, 300_000);
});

describe('the projects harness', () => {
  it('fails a project whose configure concludes differently under the compiler under test', async () => {
    const savedCache = process.env.CC_WB_CACHE;
    process.env.CC_WB_CACHE = join(dir, 'cache');
    try {
      const tree = join(dir, 'synthetic');
      mkdirSync(tree);
      // The probe uses strdup without declaring it, as AC_CHECK_DECLS's does.
      writeFileSync(join(tree, 'probe.c'), 'int main(void) { (void) strdup; return 0; }\n');
      const spec: ProjectSpec = {
        name: 'synthetic',
        source: 'synthetic',
        steps: (cc) => [
          { name: 'configure', argv: ['sh', '-c', `if ${cc} -c probe.c -o probe.o 2>/dev/null; then echo '#define HAVE_DECL_STRDUP 1'; else echo '#define HAVE_DECL_STRDUP 0'; fi > config.h`] },
          { name: 'check', argv: ['true'] },
        ],
        parse: () => ({ failed: [] }),
      };
      const ref: Compiler = await commandCompiler('cc', 'cc');
      // A compiler that declares everything: it accepts the probe.
      const lenient = await commandCompiler('lenient', wrapper('lenient', ['sh', '-c', 'case "$*" in *probe.c*) : > probe.o; exit 0;; esac; exec cc "$@"', 'lenient']));
      const run = (wb: Compiler) => runProjectSpecs([spec], { ref, wb, jobs: 1, useRefCache: false, quiet: true, completeness: false, fetchSource: async () => ({ dir: tree, version: '1' }) });
      const [bad] = await run(lenient);
      expect(bad!.verdict).toBe('configure-differs');
      expect(bad!.configureDifferences).toEqual(["config.h: cc '#define HAVE_DECL_STRDUP 0' / lenient '#define HAVE_DECL_STRDUP 1'"]);
      expect(summarizeProjects([bad!])).toMatchObject({ configureDiffers: 1, ok: 0 });
      expect(projectsTable([bad!])).toMatch(/CONFIGURE DIFFERS/);
      const [good] = await run(await commandCompiler('cc-wb', wrapper('cc-wb-synthetic', ccWb().words)));
      expect(good!.configureDifferences).toEqual([]);
      expect(good!.verdict).toBe('ok');
    } finally {
      if (savedCache === undefined) delete process.env.CC_WB_CACHE;
      else process.env.CC_WB_CACHE = savedCache;
    }
  }, 120_000);
});
