// The conformance harness judges cc-wb; these tests judge the harness: that it reads GCC's DejaGnu
// directives as DejaGnu would on x86_64 Linux, and that it really reports a miscompiling compiler.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCompiler, type Compiler } from '../../harness/compilers.js';
import { parseSeeds, runCsmith } from '../../conformance/csmith.js';
import { evalSelector, findDirectives, globMatch, parseTclList, planTest } from '../../conformance/dejagnu.js';
import { completenessFailures, completenessTable } from '../../conformance/completeness.js';
import { parseCheckLog, projectsTable, runProjectSpecs, summarizeProjects, type ProjectSpec } from '../../conformance/projects.js';
import { splitCommand } from '../../harness/proc.js';
import { runRegressions } from '../../conformance/regressions.js';
import { categoryOf, featuresOf, loadTortureCases, runTorture, summarizeTorture } from '../../conformance/torture.js';

describe('DejaGnu directives', () => {
  it('parses Tcl lists with quotes and nested braces', () => {
    expect(parseTclList('dg-options "-mno-mmx -Wno-psabi" { target { x86_64-*-* i?86-*-* } }')).toEqual([
      'dg-options',
      '-mno-mmx -Wno-psabi',
      ['target', ['x86_64-*-*', 'i?86-*-*']],
    ]);
    expect(() => parseTclList('dg-options { "-O2"')).toThrow(/unbalanced/);
  });

  it('finds directives that span lines inside one comment', () => {
    const src = '/* { dg-skip-if "requires io" { avr-*-* } }\n   { dg-skip-if "requires io" { freestanding } } */\nint main(void) { return 0; }\n';
    const ds = findDirectives(src);
    expect(ds.map((d) => [d.name, d.line])).toEqual([
      ['dg-skip-if', 1],
      ['dg-skip-if', 2],
    ]);
  });

  it('evaluates target selectors for x86_64-pc-linux-gnu', () => {
    expect(globMatch('x86_64-*-*', 'x86_64-pc-linux-gnu')).toBe(true);
    expect(globMatch('i?86-*-*', 'x86_64-pc-linux-gnu')).toBe(false);
    expect(evalSelector(['*-*-*'])).toBe(true);
    expect(evalSelector(['!', 'alloca'])).toBe(false);
    expect(evalSelector([['i?86-*-*', 'x86_64-*-*'], '&&', 'ia32'])).toBe(false);
    expect(evalSelector([['i?86-*-*', 'x86_64-*-*'], '&&', '!', 'ia32'])).toBe(true);
    expect(evalSelector(['powerpc-ibm-aix*', '||', 'lp64'])).toBe(true);
    const unknown = new Set<string>();
    expect(evalSelector(['frobnicate'], unknown)).toBe(false);
    expect([...unknown]).toEqual(['frobnicate']);
  });

  it('builds flags as gcc-dg-runtest does: -O, dg-options replacing -w, then additional options', () => {
    expect(planTest('int main(){return 0;}', '-O2').flags).toEqual(['-w']);
    const src = [
      '/* { dg-options "-fwrapv" } */',
      '/* { dg-additional-options "-mno-stv" { target i?86-*-* x86_64-*-* } } */',
      '/* { dg-additional-options "-Wl,-u,_printf_float" { target newlib_nano_io } } */',
      '/* { dg-additional-options "-DSIGNAL_SUPPRESS" { target { ! signal } } } */',
      '/* { dg-options "-mtune=i686" { target { { i?86-*-* x86_64-*-* } && ia32 } } } */',
    ].join('\n');
    expect(planTest(src, '-O1')).toMatchObject({ action: 'run', flags: ['-fwrapv', '-mno-stv'], skip: undefined, unknown: [] });
  });

  it('skips by option lists, effective targets and dg-do selectors', () => {
    const higherOpt = '/* { dg-skip-if "requires higher optimization" { *-*-* } "-O1" "" } */';
    expect(planTest(higherOpt, '-O1').skip).toMatch(/requires higher optimization/);
    expect(planTest(higherOpt, '-O2').skip).toBeUndefined();
    expect(planTest('/* { dg-skip-if "" { ! { i?86-*-* x86_64-*-* } } } */', '-O2').skip).toBeUndefined();
    expect(planTest('/* { dg-require-effective-target ia32 } */', '-O2').skip).toMatch(/effective target ia32/);
    expect(planTest('/* { dg-require-effective-target label_values } */', '-O2').skip).toBeUndefined();
    expect(planTest('/* { dg-require-effective-target frobnicate } */', '-O2').skip).toMatch(/unknown DejaGnu keywords: frobnicate/);
    expect(planTest('/* { dg-do compile } */', '-O2').action).toBe('compile');
    expect(planTest('/* { dg-xfail-run-if "" { x86_64-*-linux* } } */', '-O2').xfail).toMatch(/dg-xfail-run-if/);
    expect(planTest('/* { dg-xfail-run-if "" { powerpc-ibm-aix* } } */', '-O2').xfail).toBeUndefined();
  });
});

describe('categories and small parsers', () => {
  it('sorts tests into categories by file name', () => {
    expect(categoryOf('pr12345')).toBe('pr (GCC bug reports)');
    expect(categoryOf('20020920-1')).toBe('dated 20xx (YYYYMMDD-N)');
    expect(categoryOf('920501-1')).toBe('dated 19xx (YYMMDD-N)');
    expect(categoryOf('va-arg-22')).toBe('varargs (va-arg, stdarg)');
    expect(categoryOf('builtin-bitops-1')).toBe('builtins');
    expect(categoryOf('struct-ret-1')).toBe('struct, union, bitfield');
    expect(categoryOf('zzz')).toBe('other');
    expect(featuresOf('void f(struct s *p, char *q) { p->next = q; /* memcpy(a,b,c) */ }')).toEqual(['stores via *p, p->f, a[i]', 'pointer-typed variables']);
  });

  it('reads seed ranges and command lines', () => {
    expect(parseSeeds('1-3,7')).toEqual([1, 2, 3, 7]);
    expect(() => parseSeeds('a-b')).toThrow(/bad seed range/);
    expect(splitCommand(`node '/a b/cc-wb.js' -x`)).toEqual(['node', '/a b/cc-wb.js', '-x']);
  });

  it('reads test-suite logs: automake, ctest, zlib, gawk-style exit status', () => {
    const am = 'PASS: t1\nFAIL: t2\nERROR: t3\n# TOTAL: 3\n# PASS:  1\n# FAIL:  1\n# ERROR: 1\n';
    expect(parseCheckLog('gzip', am, '/nonexistent')).toEqual({ failed: ['t2', 't3'], passed: 1, total: 3 });
    const ct = '50% tests passed, 1 tests failed out of 2\n\nThe following tests FAILED:\n\t  2 - runtests_cxx (Failed)\nErrors while running CTest\n';
    expect(parseCheckLog('expat', ct, '/nonexistent')).toEqual({ failed: ['runtests_cxx'], passed: 1, total: 2 });
    expect(parseCheckLog('zlib', '\t\t*** zlib test OK ***\n\t\t*** zlib shared test FAILED ***\n', '/x')).toEqual({ failed: ['zlib shared'], passed: 1, total: 2 });
    expect(parseCheckLog('bzip2', "make: *** [Makefile:80: test] Error 1\n", '/x').failed).toHaveLength(1);
    expect(parseCheckLog('bzip2', 'cmp sample1.bz2 sample1.rb2\n', '/x').failed).toHaveLength(0);
  });
});

// A compiler that miscompiles on purpose: plain cc plus a macro the test programs react to, plus an
// extra line of output from a constructor. The harness must call both out.
describe('the harness catches a miscompiling compiler', () => {
  let dir: string;
  let ref: Compiler;
  let broken: Compiler;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cc-wb-harness-'));
    writeFileSync(join(dir, 'extra.h'), '#include <stdio.h>\nstatic void __attribute__((constructor)) __extra(void) { printf("extra\\n"); }\n');
    const script = join(dir, 'broken-cc');
    writeFileSync(script, `#!/bin/sh\nexec cc -DBROKEN -include '${join(dir, 'extra.h')}' "$@"\n`);
    chmodSync(script, 0o755);
    ref = await commandCompiler('cc', 'cc');
    broken = await commandCompiler('cc-wb', script);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('torture: regression, exclusion and skip verdicts', async () => {
    const t = join(dir, 'torture');
    mkdirSync(t);
    writeFileSync(join(t, 'good.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(t, 'miscompiled.c'), '#include <stdlib.h>\nint main(void) {\n#ifdef BROKEN\n  abort();\n#endif\n  return 0; }\n');
    writeFileSync(join(t, 'ccfails.c'), '#include <stdlib.h>\nint main(void) { abort(); }\n');
    writeFileSync(join(t, 'notx86.c'), '/* { dg-require-effective-target ia32 } */\nint main(void) { return 0; }\n');
    writeFileSync(join(t, 'badsyntax.c'), '#ifdef BROKEN\n#error broken\n#endif\nint main(void) { return 0; }\n');
    const results = await runTorture(loadTortureCases(t), { ref, wb: broken, opts: ['-O1'], jobs: 2, runTimeoutMs: 10_000, compileTimeoutMs: 60_000, useRefCache: false, quiet: true });
    const verdict = Object.fromEntries(results.map((r) => [r.test, r.verdict]));
    expect(verdict).toEqual({ good: 'ok', miscompiled: 'regression', ccfails: 'excluded', notx86: 'skipped', badsyntax: 'regression' });
    const s = summarizeTorture(results);
    expect(s.regressions.find((r) => r.test === 'miscompiled')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/SIGABRT/) });
    expect(s.regressions.find((r) => r.test === 'badsyntax')).toMatchObject({ status: 'compile-error', detail: expect.stringMatching(/#error broken/) });
    expect(s.excluded[0]).toMatchObject({ test: 'ccfails', reason: expect.stringMatching(/cc fail: SIGABRT/) });
  });

  it('torture: a unit cc-wb compiled without barriers is reported, not passed', async () => {
    // Stands in for cc-wb's fallback: a plain compile plus the pass report line cc-wb writes then.
    const script = join(dir, 'fallback-cc');
    writeFileSync(script, `#!/bin/sh\necho '{"source":"x.c","instrumented":false,"diagnostics":[{"severity":"error","message":"cannot parse x.c:3"}]}' >> "$CC_WB_REPORT"\nexec cc "$@"\n`);
    chmodSync(script, 0o755);
    const t = join(dir, 'fallback');
    mkdirSync(t);
    writeFileSync(join(t, 'plain.c'), 'int main(void) { return 0; }\n');
    const results = await runTorture(loadTortureCases(t), { ref, wb: await commandCompiler('cc-wb', script), opts: ['-O2'], jobs: 1, runTimeoutMs: 10_000, compileTimeoutMs: 60_000, useRefCache: false, quiet: true });
    expect(results.map((r) => [r.verdict, r.reason])).toEqual([['uninstrumented', 'cannot parse x.c:3']]);
    expect(summarizeTorture(results).byOpt['-O2']).toMatchObject({ wbPass: 1, uninstrumented: 1 });
  });

  it('csmith: an output mismatch is reported', async () => {
    const results = await runCsmith({ ref, wb: broken, seeds: [1], opts: ['-O1'], jobs: 2, runTimeoutMs: 20_000, compileTimeoutMs: 120_000, useRefCache: false, saveRegressions: false, quiet: true });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ verdict: 'mismatch', reason: expect.stringMatching(/line 1: expected "checksum = [0-9A-F]+", got "extra"/) });
  });

  it('regression corpus: a behaviour difference is reported', async () => {
    const file = join(dir, 'r.c');
    writeFileSync(file, '/* conformance-flags: -O1 -w */\n#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n');
    const [r] = await runRegressions(ref, broken, { files: [file] });
    expect(r).toMatchObject({ same: false, ref: { end: 'exit 0', stdout: 'hi\n' }, wb: { end: 'exit 0', stdout: 'extra\nhi\n' } });
    const [same] = await runRegressions(ref, ref, { files: [file] });
    expect(same).toMatchObject({ same: true, open: false });
    const openFile = join(dir, 'open.c');
    writeFileSync(openFile, '/* conformance-status: open (known bug)\n * conformance-flags: -O0 */\nint main(void) { return 0; }\n');
    const [open] = await runRegressions(ref, broken, { files: [openFile] });
    expect(open).toMatchObject({ open: true, same: false, flags: ['-O0'] });
  });

  it('regression corpus: with conformance-check: barriers, a store without a barrier is a difference', async () => {
    // Plain cc as the compiler under test writes no pass report: its one pointer store has no site.
    const body = '#include <string.h>\nchar *g;\nint main(void) { g = 0; return 0; }\n';
    const checked = join(dir, 'checked.c');
    writeFileSync(checked, `/* conformance-check: barriers */\n${body}`);
    const [r] = await runRegressions(ref, ref, { files: [checked] });
    expect(r).toMatchObject({ same: false, wb: { end: 'exit 0', missed: 1, detail: expect.stringContaining('checked.c:4: assign =') } });
    const unchecked = join(dir, 'unchecked.c');
    writeFileSync(unchecked, `/* no barrier check */\n${body}`);
    const [u] = await runRegressions(ref, ref, { files: [unchecked] });
    expect(u).toMatchObject({ same: true, wb: { missed: undefined } });
  });
});

// Barrier completeness of a project build: a synthetic two-file project built by a stand-in for cc-wb
// that compiles with plain cc and writes a pass report listing the sites it is told to. Reporting all
// three pointer stores of lib.c is complete; dropping one must show as a missed store that fails the run.
describe('projects: barrier completeness against the clang AST oracle', () => {
  let dir: string;
  let ref: Compiler;
  const savedCache = process.env.CC_WB_CACHE;
  const lib = [
    '#include <string.h>',
    'struct node { struct node *next; int v; };',
    'struct node *head;',
    'void push(struct node *n) { n->next = head; head = n; }', // line 4: two stores
    'void wipe(struct node *n) { memset(n, 0, sizeof *n); }', // line 5: a range store
    'int main(void) { struct node a; a.v = 1; push(&a); int ok = head == &a && !a.next; wipe(&a); return ok ? 0 : 1; }',
    '',
  ].join('\n');
  const spec: ProjectSpec = {
    name: 'synthetic',
    source: 'synthetic',
    steps: (cc) => [
      // A configure probe (left out of the comparison) beside the project's own unit.
      { name: 'configure', argv: [cc, '-c', 'conftest.c', '-o', 'conftest.o'] },
      { name: 'build', argv: [cc, '-O1', '-c', 'lib.c', '-o', 'lib.o'] },
      { name: 'link', argv: [cc, 'lib.o', '-o', 'prog'] },
      { name: 'check', argv: ['./prog'] },
    ],
    parse: () => ({ failed: [] }),
  };

  /** A "cc-wb" that reports `sites` (JSON) for every C unit it compiles, then compiles with cc. */
  async function fakeWb(name: string, sites: { line: number; kind: string }[]): Promise<Compiler> {
    const json = sites.map((s) => JSON.stringify({ file: 'lib.c', line: s.line, col: 1, kind: s.kind })).join(',');
    const script = join(dir, name);
    writeFileSync(
      script,
      `#!/bin/sh\nsrc=; out=; prev=\nfor a in "$@"; do\n  [ "$prev" = -o ] && out=$a\n  case $a in *.c) src=$a;; esac\n  prev=$a\ndone\n` +
        `if [ -n "$src" ] && [ -n "$CC_WB_REPORT" ]; then\n  printf '%s\\n' '{"source":"'"$PWD/$src"'","output":"'"$PWD/$out"'","instrumented":true,"sites":[${json}]}' >> "$CC_WB_REPORT"\nfi\nexec cc "$@"\n`,
    );
    chmodSync(script, 0o755);
    return commandCompiler('cc-wb', script);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cc-wb-completeness-'));
    process.env.CC_WB_CACHE = join(dir, 'cache');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'lib.c'), lib);
    writeFileSync(join(dir, 'src', 'conftest.c'), 'char *g;\nvoid f(void) { g = 0; }\n');
    ref = await commandCompiler('cc', 'cc');
  });
  afterAll(() => {
    if (savedCache === undefined) delete process.env.CC_WB_CACHE;
    else process.env.CC_WB_CACHE = savedCache;
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (wb: Compiler) => runProjectSpecs([spec], { ref, wb, jobs: 2, useRefCache: false, quiet: true, fetchSource: async () => ({ dir: join(dir, 'src'), version: '1' }) });
  const all = [
    { line: 4, kind: 'assign' },
    { line: 4, kind: 'assign' },
    { line: 5, kind: 'call' },
  ];

  it('a build that barriers every store is complete', async () => {
    const [r] = await run(await fakeWb('complete-wb', [...all, { line: 6, kind: 'assign' }]));
    expect(r!.completeness?.error).toBeUndefined();
    expect(r!.completeness?.result?.totals).toMatchObject({ tus: 1, oracleStores: 3, passSites: 4, missed: 0, extra: 1, unreported: 0 });
    expect(r!.verdict).toBe('ok');
    expect(summarizeProjects([r!])).toMatchObject({ missedStores: 0, unmeasured: 0 });
  });

  it('a store without a barrier is a missed store that fails the run', async () => {
    const [r] = await run(await fakeWb('leaky-wb', all.slice(0, 2)));
    expect(r!.completeness?.result?.totals).toMatchObject({ tus: 1, oracleStores: 3, passSites: 2, missed: 1 });
    expect(r!.completeness!.result!.tus[0]!.missed[0]).toMatchObject({ line: 5, kind: 'call', detail: 'memset', func: 'wipe' });
    expect(r!.verdict).toBe('missed-stores');
    expect(summarizeProjects([r!])).toMatchObject({ ok: 0, missedStores: 1 });
    expect(projectsTable([r!])).toMatch(/MISSED STORES/);
    const table = completenessTable([r!], dir);
    expect(table).toMatch(/^synthetic\s+1\s+3\s+2\s+1\s/m);
    expect(table).toContain('lib.c:5: call memset');
  });

  it('a comparison that cannot be made is reported, not passed', async () => {
    const [r] = await run(await fakeWb('complete-wb', all));
    // As when clang cannot read a unit: the project is not measured, and that counts as a failure.
    const unmeasured = { ...r!, completeness: { error: 'clang -E lib.c exited 1' } };
    expect(completenessFailures(unmeasured.completeness)).toBe(1);
    expect(summarizeProjects([unmeasured])).toMatchObject({ missedStores: 0, unmeasured: 1 });
    expect(completenessTable([unmeasured])).toMatch(/synthetic: NOT MEASURED: clang -E lib.c exited 1/);
  });
});
