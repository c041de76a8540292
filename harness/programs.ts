// The programs the harnesses build, one entry per program: where its source comes from (a Debian
// source package and which of its patches apply), and what each harness does with it: the real-program
// tests build it and run its own tests (`test`), the conformance harness builds it with cc and with
// cc-wb and compares their test suites (`conformance`), spec-bench builds it at -O2 -g and times a
// workload (`bench`). The step lists differ on purpose where the uses do (spec-bench links static
// programs at fixed flags; conformance names its steps and reads the check log), and are kept exactly
// as they are: cached builds and cached reference results are keyed by them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Project, Step } from './build.js';
import { repoRoot } from './cache.js';
import type { DebianSourceSpec } from './debian.js';

// -------------------------------------------------------------------------------------------------
// What a program entry holds

/** The real-program tests' recipe: a build with the project's own flags, and its own test suite. */
export interface TestRecipe {
  /** Build steps given the value to use for $(CC) (shell words). */
  build(cc: string): Step[];
  /** The project's own test suite; empty when the project has none (lua: see workloads/lua-workload.lua). */
  check(cc: string): Step[];
  /** Files a complete build produces (a configure script that silently dropped a feature shows here). */
  artifacts: string[];
}

/** A step of the conformance recipe: named, for the report ("configure", "build", "check"). */
export interface NamedStep {
  name: string;
  argv: string[];
  /** Folder relative to the copied tree. */
  cwd?: string;
  env?: Record<string, string>;
}

/** What a finished check run tells us: test names that failed, and counts when the suite reports them. */
export interface CheckReport {
  failed: string[];
  passed?: number;
  total?: number;
}

/** The conformance harness's recipe: configure and build steps, then the check step (always last). */
export interface ConformanceRecipe {
  /** The project's name in conformance's tables and --projects, when not the program's. */
  name?: string;
  steps(cc: string, jobs: number): NamedStep[];
  /** Reads the check log (and the tree, for suites that leave marker files) into a report. */
  parse(log: string, tree: string): CheckReport;
  /** Why a test may fail under plain cc too, for the report. */
  note?: string;
}

/** Kinds of generated input a workload reads (spec-bench/corpus.ts makes them). */
export type InputKind = 'text' | 'mixed' | 'xml';

/** The flags every configuration builds with: same sources, same flags, only the compiler differs. */
export const CFLAGS = '-O2 -g';

export type Size = 'ref' | 'quick';

/** One command of a workload; its stdout goes to a file of the run directory, which is checked. */
export interface Command {
  /** Relative to the build tree, or absolute. */
  program: string;
  args: string[];
  /** A file to read standard input from (default: /dev/null). */
  stdin?: string;
  /** Name of the file in the run directory that receives standard output. */
  stdout: string;
  /** A directory (in the run directory) the command writes into, created before the run. */
  outDir?: string;
}

export interface RunContext {
  /** The build tree (the program's working directory is the run directory, not this). */
  tree: string;
  /** A generated input (spec-bench/corpus.ts), created on first use. */
  input(kind: InputKind, mb: number): string;
  /** A small text input with fixed content, created on first use. */
  text(name: string, content: string): string;
}

/** What a finished run produced: its run directory and the files in it. */
export interface RunOutput {
  dir: string;
  read(name: string): Buffer;
}

/** How spec-bench builds and times a program. */
export interface BenchRecipe {
  /** What it stands for (the SPEC CPU program it resembles, or the kind of code). */
  what: string;
  /** Build steps at CFLAGS given $(CC); the source is the program's. */
  build(cc: string): Step[];
  /** Files the build must produce. */
  artifacts: string[];
  /** The main executable (relative to the build tree): sizes, perf analysis. */
  program: string;
  workload(ctx: RunContext, size: Size): Command[];
  /**
   * Checks beyond "every configuration's output is identical to base's": round trips, expected text
   * shipped by upstream. Returns the problems found (empty: fine).
   */
  verify?(ctx: RunContext, size: Size, out: RunOutput): string[];
}

export interface Program {
  name: string;
  source: DebianSourceSpec;
  test?: TestRecipe;
  conformance?: ConformanceRecipe;
  bench?: BenchRecipe;
}

// -------------------------------------------------------------------------------------------------
// Test-suite output parsers (conformance)

/** Automake's parallel test harness (`PASS: name`, `FAIL: name`, `# TOTAL: n`), summed over subdirs. */
function automakeLog(log: string): CheckReport {
  const failed = [...log.matchAll(/^(?:FAIL|ERROR|XPASS): (\S+)/gm)].map((m) => m[1]!);
  const sum = (key: string) => [...log.matchAll(new RegExp(`^# ${key}: +(\\d+)`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  const total = sum('TOTAL');
  return { failed, passed: sum('PASS') + sum('XFAIL'), total: total || undefined };
}

/** CTest: `n% tests passed, m tests failed out of t` and the list under "The following tests FAILED". */
function ctest(log: string): CheckReport {
  const m = /tests passed, (\d+) tests? failed out of (\d+)/.exec(log);
  const failedBlock = /The following tests FAILED:\n((?:\s+\d+ - .*\n?)*)/.exec(log)?.[1] ?? '';
  const failed = [...failedBlock.matchAll(/\d+ - (\S+)/g)].map((x) => x[1]!);
  if (!m) return { failed: failed.length ? failed : ['(ctest did not finish)'] };
  return { failed, total: Number(m[2]), passed: Number(m[2]) - Number(m[1]) };
}

/** gawk: `ALL TESTS PASSED` or `N TESTS FAILED`, leaving `test/_name` output files for each failure. */
function gawk(log: string, tree: string): CheckReport {
  const dir = join(tree, 'test');
  const failed = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith('_') && !f.startsWith('_.'))
        .map((f) => f.slice(1))
        .sort()
    : [];
  if (!/ALL TESTS PASSED|TESTS FAILED/.test(log) && failed.length === 0) return { failed: ['(make check did not finish)'] };
  return { failed };
}

/** Suites whose only verdict is make's exit status (bzip2, zstd, lz4): name the step that failed. */
function exitOnly(name: string) {
  return (log: string): CheckReport => ({ failed: /make(\[\d+\])?: \*\*\* .*Error/.test(log) ? [name] : [] });
}

/** zlib: `*** zlib test OK ***` / `*** zlib shared test FAILED ***` per variant. */
function zlib(log: string): CheckReport {
  const ok = [...log.matchAll(/\*\*\* (zlib.*?) test OK \*\*\*/g)].map((m) => m[1]!);
  const failed = [...log.matchAll(/\*\*\* (zlib.*?) test FAILED \*\*\*/g)].map((m) => m[1]!);
  if (ok.length + failed.length === 0) failed.push('(make test did not finish)');
  return { failed, passed: ok.length, total: ok.length + failed.length };
}

// -------------------------------------------------------------------------------------------------
// Step helpers

const makeJ = (jobs: number, ...args: string[]) => ['make', `-j${jobs}`, ...args];
// Debian's patches leave some .texi newer than its .info; the manuals are not what we test, and
// makeinfo is not installed.
const automakeJ = (jobs: number, ...args: string[]) => makeJ(jobs, 'MAKEINFO=true', ...args);
const configureStep = (cc: string, ...args: string[]): NamedStep => ({ name: 'configure', argv: ['./configure', `CC=${cc}`, ...args] });
/** A CMake project at the top of the tree: configure into build/ with these definitions, then build. */
const cmakeBuild = (cc: string, jobs: number, ...defines: string[]): NamedStep[] => [
  { name: 'configure', argv: ['cmake', '-S', '.', '-B', 'build', `-DCMAKE_C_COMPILER=${cc}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', ...defines] },
  { name: 'build', argv: ['cmake', '--build', 'build', `-j${jobs}`] },
];

const benchConfigure = (cc: string, ...args: string[]): Step => ({
  argv: ['./configure', `CC=${cc}`, `CFLAGS=${CFLAGS}`, '--disable-dependency-tracking', ...args],
});
// Debian's patches can leave .texi newer than .info; makeinfo is not installed and the manuals are not benchmarked.
const benchMake = (...args: string[]): Step => ({ argv: ['make', '-j2', 'MAKEINFO=true', ...args] });

const workloads = join(repoRoot, 'harness', 'workloads');

// -------------------------------------------------------------------------------------------------
// Benchmark workloads

interface Level {
  flags: string[];
  kind: InputKind;
  mb: number;
  /** Extra decompression flags. */
  dflags?: string[];
}

/** A compressor: compress an input at each level, decompress the result, and demand the round trip. */
function compressor(name: string, what: string, build: Pick<BenchRecipe, 'build' | 'artifacts'>, program: string, ext: string, levels: Record<Size, Level[]>): BenchRecipe {
  return {
    what,
    ...build,
    program,
    workload: (ctx, size) =>
      levels[size].flatMap((l, i) => [
        { program, args: [...l.flags, '-c'], stdin: ctx.input(l.kind, l.mb), stdout: `c${i}.${ext}` },
        // Relative stdin: the compressed file the step before wrote into the run directory.
        { program, args: [...(l.dflags ?? []), '-d', '-c'], stdin: `c${i}.${ext}`, stdout: `d${i}` },
      ]),
    verify(ctx, size, out) {
      const problems: string[] = [];
      levels[size].forEach((l, i) => {
        const want = ctx.input(l.kind, l.mb);
        const got = out.read(`d${i}`);
        const orig = out.read(want);
        if (!got.equals(orig)) problems.push(`${name}: round trip ${i} (${l.flags.join(' ')}) does not give back ${want} (${got.length} vs ${orig.length} bytes)`);
        if (out.read(`c${i}.${ext}`).length >= orig.length) problems.push(`${name}: level ${l.flags.join(' ')} did not compress`);
      });
      return problems;
    },
  };
}

const bzip2Bench = compressor(
  'bzip2',
  "401.bzip2's own program: Burrows-Wheeler block sorting, Huffman coding",
  {
    // Debian's Makefile links bzip2 against libbz2.so; link the static library instead, so the program
    // carries one runtime and needs no LD_LIBRARY_PATH.
    build: (cc) => [
      { argv: ['make', '-j2', `CC=${cc}`, `CFLAGS=${CFLAGS} -D_FILE_OFFSET_BITS=64`, 'libbz2.a', 'bzip2.o'] },
      { argv: ['sh', '-c', `${cc} ${CFLAGS} -o bzip2-static bzip2.o libbz2.a`] },
    ],
    artifacts: ['bzip2-static'],
  },
  'bzip2-static',
  'bz2',
  {
    ref: [
      { flags: ['-9'], kind: 'mixed', mb: 24 },
      { flags: ['-1'], kind: 'text', mb: 12 },
    ],
    quick: [{ flags: ['-9'], kind: 'mixed', mb: 4 }],
  },
);

const gzipBench = compressor(
  'gzip',
  'LZ77 + Huffman (deflate), the 164.gzip of SPEC CPU2000',
  {
    build: (cc) => [benchConfigure(cc), benchMake()],
    artifacts: ['gzip'],
  },
  'gzip',
  'gz',
  {
    // -n: no name or time stamp in the header, so the compressed bytes are reproducible.
    ref: [
      { flags: ['-n', '-9'], kind: 'mixed', mb: 24 },
      { flags: ['-n', '-6'], kind: 'text', mb: 24 },
    ],
    quick: [{ flags: ['-n', '-9'], kind: 'mixed', mb: 8 }],
  },
);

const xzBench = compressor(
  'xz',
  'LZMA2: binary-tree match finder, range coder',
  {
    // Static liblzma: src/xz/xz is then the program itself, not a libtool wrapper script.
    build: (cc) => [benchConfigure(cc, '--disable-shared', '--disable-nls', '--disable-doc', '--disable-scripts', '--disable-lzmainfo', '--disable-lzmadec', '--disable-xzdec'), benchMake()],
    artifacts: ['src/xz/xz'],
  },
  'src/xz/xz',
  'xz',
  {
    ref: [
      { flags: ['-T1', '-6'], kind: 'mixed', mb: 16, dflags: ['-T1'] },
      { flags: ['-T1', '-2'], kind: 'text', mb: 16, dflags: ['-T1'] },
    ],
    quick: [{ flags: ['-T1', '-6'], kind: 'mixed', mb: 3, dflags: ['-T1'] }],
  },
);

const zstdBench = compressor(
  'zstd',
  'Zstandard: optimal parsing at high levels, FSE/Huffman entropy stages',
  {
    build: (cc) => [{ argv: ['make', '-j2', '-C', 'programs', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'zstd-release'] }],
    artifacts: ['programs/zstd'],
  },
  'programs/zstd',
  'zst',
  {
    // One thread for compression and I/O: the work is the C code's, not the scheduler's.
    ref: [
      { flags: ['-q', '--single-thread', '-19'], kind: 'mixed', mb: 12, dflags: ['-q', '--single-thread'] },
      { flags: ['-q', '--single-thread', '-7'], kind: 'text', mb: 48, dflags: ['-q', '--single-thread'] },
    ],
    quick: [{ flags: ['-q', '--single-thread', '-19'], kind: 'mixed', mb: 2, dflags: ['-q', '--single-thread'] }],
  },
);

const lz4Bench = compressor(
  'lz4',
  'LZ4 (fast and high-compression modes): hash chains, byte copies',
  {
    // Debian's patch links the program with -L../lib -llz4: build only the static library, so that is what it finds.
    build: (cc) => [
      { argv: ['make', '-j2', '-C', 'lib', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'liblz4.a'] },
      { argv: ['make', '-j2', '-C', 'programs', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'lz4'] },
    ],
    artifacts: ['programs/lz4'],
  },
  'programs/lz4',
  'lz4',
  {
    ref: [
      { flags: ['-q', '-12'], kind: 'mixed', mb: 48 },
      { flags: ['-q', '-9'], kind: 'text', mb: 48 },
      { flags: ['-q', '-1'], kind: 'mixed', mb: 48 },
    ],
    quick: [{ flags: ['-q', '-12'], kind: 'mixed', mb: 8 }],
  },
);

const luaBench: BenchRecipe = {
  what: 'an interpreter with a garbage collector (like 400.perlbench): tables, closures, coroutines, strings',
  build: (cc) => [{ argv: ['make', '-j2', '-C', 'src', 'linux', `CC=${cc} -std=gnu99`, 'MYCFLAGS=-g'] }],
  artifacts: ['src/lua'],
  program: 'src/lua',
  workload: (_ctx, size) => [
    // The real-program test's workload (deterministic, GC-heavy), at a larger scale.
    { program: 'src/lua', args: [join(workloads, 'lua-workload.lua'), size === 'ref' ? '3' : '1'], stdout: 'out' },
  ],
  verify: (_ctx, _size, out) => (/\ndone\n$/.test(out.read('out').toString('latin1')) ? [] : ['lua: the workload did not print its final "done"']),
};

const gawkBench: BenchRecipe = {
  what: 'an interpreter for text processing: associative arrays, regex, field splitting',
  build: (cc) => [
    benchConfigure(cc, '--disable-rpath', '--disable-nls', '--disable-pma'),
    // As debian/rules: the DFSG tarball lacks the GFDL manuals; stand-ins keep make from rebuilding them.
    {
      argv: ['touch', '--date=Jan 01 2000', ...['gawktexi.in', 'sidebar.awk', 'gawk.texi', 'gawk.info', 'gawkinet.texi', 'gawkinet.info', 'gawkworkflow.texi', 'gawkworkflow.info', 'pm-gawk.texi', 'pm-gawk.info'].map((f) => `doc/${f}`)],
    },
    benchMake('-C', 'support'),
    benchMake('gawk'),
  ],
  artifacts: ['gawk'],
  program: 'gawk',
  workload: (ctx, size) => {
    const text = ctx.input('text', size === 'ref' ? 24 : 4);
    return [
      { program: 'gawk', args: ['-f', join(workloads, 'wordfreq.awk'), text], stdout: 'wordfreq' },
      { program: 'gawk', args: ['-f', join(workloads, 'fields.awk'), text], stdout: 'fields' },
    ];
  },
};

const bcBench: BenchRecipe = {
  what: 'arbitrary-precision arithmetic interpreter: pi, e, sqrt, log to thousands of digits',
  // Debian's 08_no-make-circular-dependencies patch edits bc/Makefile.am: regenerate with this
  // machine's autotools. The build compiles `fbc` with $CC and runs it to make libmath.h: under
  // cc-wb that runs instrumented too.
  build: (cc) => [{ argv: ['autoreconf', '-fi'] }, benchConfigure(cc, '--without-readline', '--without-libedit'), benchMake()],
  artifacts: ['bc/bc'],
  program: 'bc/bc',
  workload: (ctx, size) => {
    const digits = size === 'ref' ? 3000 : 1000;
    return [{ program: 'bc/bc', args: ['-l', '-q', ctx.text(`digits-${digits}.bc`, `digits = ${digits}\n`), join(workloads, 'pi.bc')], stdout: 'out' }];
  },
  verify: (_ctx, _size, out) => {
    const text = out.read('out').toString('latin1');
    return text.startsWith('3.14159265358979323846264338327950288419716939937510') ? [] : [`bc: pi starts "${text.slice(0, 40)}"`];
  },
};

const pcre2Patterns = [
  // Literal, alternation, classes with quantifiers, backreferences, lookaround, case-insensitive.
  ['-c', '-e', 'the [a-z]+ of'],
  ['-c', '-i', '-e', '^(ka|to|ri)[a-z]*ment\\b'],
  ['-c', '-e', '\\b(\\w+) \\1\\b'],
  ['-c', '-e', '[0-9]{3,}[^0-9]+[a-z]{4}[.?]$'],
  ['-c', '-e', '(?<=and )(?!the)[a-z]{4,8}(er|tion)s?'],
  ['-o', '-e', '\\b[a-z]+(quater|senka|dalli)\\b'],
];

const pcre2Bench: BenchRecipe = {
  what: 'a backtracking regex engine (the interpreter, no JIT) and its test driver',
  build: (cc) => [benchConfigure(cc, '--disable-shared', '--disable-jit', '--disable-pcre2grep-callout'), benchMake('pcre2grep', 'pcre2test')],
  artifacts: ['pcre2grep', 'pcre2test'],
  program: 'pcre2grep',
  workload: (ctx, size) => {
    const text = ctx.input('text', size === 'ref' ? 24 : 2);
    return [
      ...pcre2Patterns.map((p, i) => ({ program: 'pcre2grep', args: [...p, text], stdout: `grep${i}` })),
      // Upstream's Perl-compatibility test: its expected output ships with the source.
      { program: 'pcre2test', args: ['-q', join(ctx.tree, 'testdata', 'testinput1')], stdout: 'test1' },
    ];
  },
  verify: (ctx, _size, out) => {
    const want = out.read(join(ctx.tree, 'testdata', 'testoutput1'));
    return out.read('test1').equals(want) ? [] : ['pcre2: pcre2test testinput1 differs from upstream testoutput1'];
  },
};

/** expat's CMake build at CFLAGS with $(CC): the static library and xmlwf, or the shared library too. */
export function expatCmakeSteps(cc: string, shared: boolean): Step[] {
  return [
    // CMake wants the compiler as one path: a two-line script that runs $CC.
    { argv: ['sh', '-c', 'printf \'#!/bin/sh\\nexec %s "$@"\\n\' "$1" > cc-wrapper && chmod +x cc-wrapper', 'sh', cc] },
    {
      argv: [
        'sh',
        '-c',
        'exec cmake -S expat -B build -DCMAKE_C_COMPILER="$PWD/cc-wrapper" "$@"',
        'sh',
        '-DCMAKE_BUILD_TYPE=None',
        `-DCMAKE_C_FLAGS=${CFLAGS}`,
        `-DEXPAT_SHARED_LIBS=${shared ? 'ON' : 'OFF'}`,
        '-DEXPAT_BUILD_DOCS=OFF',
        '-DEXPAT_BUILD_TESTS=OFF',
        '-DEXPAT_BUILD_EXAMPLES=OFF',
      ],
    },
    // Debian's security patches test `#if XML_DTD == 1` as autotools' config.h defines it; CMake's is empty
    // (the same fix as conformance/projects.ts).
    { argv: ['sed', '-i', 's/^#define XML_DTD$/#define XML_DTD 1/', 'build/expat_config.h'] },
    { argv: ['cmake', '--build', 'build', '-j2'] },
  ];
}

const expatBench: BenchRecipe = {
  what: 'a streaming XML parser (xmlwf writing canonical XML): tokenizer state machines, hash tables',
  build: (cc) => expatCmakeSteps(cc, false),
  artifacts: ['build/xmlwf/xmlwf'],
  program: 'build/xmlwf/xmlwf',
  workload: (ctx, size) => {
    const doc = ctx.input('xml', size === 'ref' ? 48 : 8);
    return [
      // -d DIR: canonical XML (or with -m, the parse events as XML) written to DIR/<input name>.
      { program: 'build/xmlwf/xmlwf', args: ['-d', 'canonical', doc], stdout: 'canonical.log', outDir: 'canonical' },
      { program: 'build/xmlwf/xmlwf', args: ['-m', '-d', 'meta', doc], stdout: 'meta.log', outDir: 'meta' },
    ];
  },
};

// -------------------------------------------------------------------------------------------------
// The programs

const all = { apply: 'all' } as const;

export const PROGRAMS: Program[] = [
  {
    name: 'bzip2',
    // Debian's patches build libbz2.so (-fPIC, -shared) and link bzip2 against it: more for cc-wb to do.
    source: { name: 'bzip2', patches: all },
    test: {
      build: (cc) => [{ argv: ['make', '-j2', `CC=${cc}`, 'libbz2.a', 'bzip2', 'bzip2recover'] }],
      check: (cc) => [{ argv: ['make', `CC=${cc}`, 'test'] }],
      artifacts: ['bzip2', 'bzip2recover', 'libbz2.a', 'libbz2.so.1.0.4'],
    },
    conformance: {
      steps: (cc, j) => [
        { name: 'build', argv: makeJ(j, `CC=${cc}`, 'bzip2', 'bzip2recover') },
        { name: 'check', argv: ['make', `CC=${cc}`, 'test'] },
      ],
      parse: exitOnly('make test (compress/decompress sample1-3 and cmp)'),
    },
    bench: bzip2Bench,
  },
  {
    name: 'zlib',
    source: { name: 'zlib', patches: all },
    test: {
      build: (cc) => [{ argv: ['./configure'], env: { CC: cc } }, { argv: ['make', '-j2'] }],
      check: () => [{ argv: ['make', 'test'] }],
      artifacts: ['libz.a', 'libz.so.1.2.13', 'example', 'minigzip', 'examplesh', 'minigzipsh', 'example64', 'minigzip64'],
    },
    conformance: {
      steps: (cc, j) => [
        { name: 'configure', argv: ['./configure'], env: { CC: cc } },
        { name: 'build', argv: makeJ(j) },
        { name: 'check', argv: ['make', 'test'] },
      ],
      parse: zlib,
    },
  },
  {
    name: 'gzip',
    source: { name: 'gzip', patches: all },
    conformance: {
      steps: (cc, j) => [configureStep(cc, '--disable-dependency-tracking'), { name: 'build', argv: automakeJ(j) }, { name: 'check', argv: automakeJ(j, 'check') }],
      parse: automakeLog,
    },
    bench: gzipBench,
  },
  {
    name: 'lz4',
    source: { name: 'lz4', patches: all },
    conformance: {
      steps: (cc, j) => [
        { name: 'build', argv: makeJ(j, `CC=${cc}`, 'lib', 'lz4') },
        { name: 'check', argv: ['make', `CC=${cc}`, 'check'] },
      ],
      parse: exitOnly('make check (tests/test-lz4-essentials)'),
    },
    bench: lz4Bench,
  },
  {
    name: 'expat',
    source: { name: 'expat', patches: all },
    conformance: {
      steps: (cc, j) => [
        {
          name: 'configure',
          argv: ['cmake', '-S', 'expat', '-B', 'build', `-DCMAKE_C_COMPILER=${cc}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DEXPAT_BUILD_DOCS=OFF', '-DEXPAT_BUILD_TESTS=ON', '-DEXPAT_BUILD_EXAMPLES=ON'],
        },
        // Debian's security patches test `#if XML_DTD == 1`, as autotools' config.h defines it; CMake's
        // header defines it empty. Debian builds with autotools, which needs libtool we do not have.
        { name: 'fix-config', argv: ['sed', '-i', 's/^#define XML_DTD$/#define XML_DTD 1/', 'build/expat_config.h'] },
        { name: 'build', argv: ['cmake', '--build', 'build', `-j${j}`] },
        { name: 'check', argv: ['ctest', '--test-dir', 'build', '--output-on-failure', `-j${j}`] },
      ],
      parse: ctest,
    },
    bench: expatBench,
  },
  {
    name: 'xz',
    source: { name: 'xz-utils', patches: all },
    conformance: {
      name: 'xz-utils',
      steps: (cc, j) => [configureStep(cc, '--disable-dependency-tracking', '--enable-threads', '--disable-doc', '--disable-nls'), { name: 'build', argv: automakeJ(j) }, { name: 'check', argv: automakeJ(j, 'check') }],
      parse: automakeLog,
    },
    bench: xzBench,
  },
  {
    name: 'pcre2',
    source: { name: 'pcre2', patches: all },
    conformance: {
      steps: (cc, j) => [
        configureStep(cc, '--disable-dependency-tracking', '--enable-pcre2-16', '--enable-pcre2-32', '--disable-pcre2grep-callout', '--enable-jit'),
        { name: 'build', argv: automakeJ(j) },
        { name: 'check', argv: automakeJ(j, 'check') },
      ],
      parse: automakeLog,
    },
    bench: pcre2Bench,
  },
  {
    name: 'zstd',
    // The source package (zstd is one of its binaries): the download fallback lists versions by it.
    source: { name: 'libzstd', patches: all },
    conformance: {
      steps: (cc, j) => [
        { name: 'build', argv: makeJ(j, `CC=${cc}`, 'lib-release', 'zstd-release') },
        { name: 'check', argv: ['make', `CC=${cc}`, 'check'] },
      ],
      parse: exitOnly('make check (tests/playTests.sh, shortest)'),
    },
    bench: zstdBench,
  },
  {
    name: 'gawk',
    source: { name: 'gawk', patches: all },
    conformance: {
      steps: (cc, j) => [
        configureStep(cc, '--disable-dependency-tracking', '--disable-rpath', '--disable-nls'),
        // As debian/rules does: the DFSG tarball lacks the GFDL manual sources; stand-ins keep make
        // from trying to rebuild them.
        {
          name: 'stub-docs',
          argv: ['touch', '--date=Jan 01 2000', ...['gawktexi.in', 'sidebar.awk', 'gawk.texi', 'gawk.info', 'gawkinet.texi', 'gawkinet.info', 'gawkworkflow.texi', 'gawkworkflow.info', 'pm-gawk.texi', 'pm-gawk.info'].map((f) => `doc/${f}`)],
        },
        { name: 'build', argv: automakeJ(j) },
        { name: 'check', argv: automakeJ(1, 'check') },
      ],
      parse: gawk,
      note: 'a few tests depend on installed locales and fail under plain cc too',
    },
    bench: gawkBench,
  },
  {
    name: 'lua',
    // Debian's 0001/0002 patches move the build to libtool and need a generated header; build upstream's
    // `linux` target instead, with Debian's source fixes (the CVE patches) applied.
    source: { name: 'lua5.4', patches: { apply: 'only', names: /cve/i, why: 'upstream make, Debian security fixes' } },
    test: {
      build: (cc) => [{ argv: ['make', '-j2', '-C', 'src', 'linux', `CC=${cc} -std=gnu99`] }],
      check: () => [],
      artifacts: ['src/lua', 'src/luac', 'src/liblua.a'],
    },
    bench: luaBench,
  },
  {
    name: 'bc',
    source: { name: 'bc', patches: all },
    bench: bcBench,
  },
  {
    name: 'jansson',
    source: { name: 'jansson', patches: all },
    conformance: {
      // Its CMake build: the Debian tarball ships no configure script (Debian runs autoreconf).
      steps: (cc, j) => [
        ...cmakeBuild(cc, j, '-DJANSSON_BUILD_DOCS=OFF'),
        { name: 'check', argv: ['ctest', '--test-dir', 'build', '--output-on-failure', `-j${j}`] },
      ],
      parse: ctest,
    },
  },
  {
    name: 'libyaml',
    source: { name: 'libyaml', patches: all },
    conformance: {
      // CTest runs its two self-tests; the parser, emitter and loader then run over every shipped
      // example and regression input, and the dumper round-trips them (it exits non-zero on a
      // mismatch), so that the library's real work is compared under cc and cc-wb.
      steps: (cc, j) => [
        ...cmakeBuild(cc, j, '-DBUILD_TESTING=ON'),
        {
          name: 'check',
          argv: [
            'sh',
            '-c',
            'ctest --test-dir build --output-on-failure; ' +
              'for f in examples/*.yaml regression-inputs/*; do ' +
              'for t in run-parser-test-suite run-scanner run-parser run-loader run-emitter run-dumper; do ' +
              'if build/$t "$f" >/dev/null 2>&1; then echo "PASS: $t $f"; else echo "FAIL: $t:$f"; fi; done; done',
          ],
        },
      ],
      parse: (log) => {
        const own = ctest(log);
        const runsFailed = [...log.matchAll(/^FAIL: (\S+)/gm)].map((m) => m[1]!);
        const runsPassed = [...log.matchAll(/^PASS: /gm)].length;
        const total = (own.total ?? 0) + runsPassed + runsFailed.length;
        return { failed: [...own.failed, ...runsFailed], passed: (own.passed ?? 0) + runsPassed, total };
      },
    },
  },
];

/** The entry of `name` (a program's name, as in PROGRAMS). */
export function program(name: string): Program {
  const p = PROGRAMS.find((x) => x.name === name);
  if (!p) throw new Error(`harness: unknown program "${name}" (have ${PROGRAMS.map((x) => x.name).join(', ')})`);
  return p;
}

/** A program as the real-program tests build it. */
export function testProject(name: string): Project {
  const p = program(name);
  if (!p.test) throw new Error(`harness: ${name} has no test recipe`);
  return { name: p.name, source: p.source, ...p.test };
}

/** A program as spec-bench builds it: cached apart from the test build (bench-<name>). */
export function benchProject(p: Program): Project {
  if (!p.bench) throw new Error(`harness: ${p.name} has no benchmark recipe`);
  return { name: `bench-${p.name}`, source: p.source, build: p.bench.build, check: () => [], artifacts: p.bench.artifacts };
}

/** The programs the real-program tests and the barrier-completeness test build. */
export const TEST_PROJECTS = { bzip2: testProject('bzip2'), lua: testProject('lua'), zlib: testProject('zlib') } as const;
