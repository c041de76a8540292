// The benchmark programs: how each is built from its Debian source (with any $CC, always -O2 -g), what
// it runs (a reference workload of 5-30 s at -O2 on the 2-core box, and a short one for --quick), and
// what its output must be. Build recipes use test/real's Project shape so builds are cached and shared
// the same way as the real-program tests'.
import { join } from 'node:path';
import type { Project, Step } from '../harness/build.js';
import type { InputKind } from './corpus.js';
import { repoRoot } from './paths.js';

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
  /** A generated input (corpus.ts), created on first use. */
  input(kind: InputKind, mb: number): string;
  /** A small text input with fixed content, created on first use. */
  text(name: string, content: string): string;
}

/** What a finished run produced: its run directory and the files in it. */
export interface RunOutput {
  dir: string;
  read(name: string): Buffer;
}

export interface Benchmark {
  name: string;
  /** What it stands for (the SPEC CPU program it resembles, or the kind of code). */
  what: string;
  project: Project;
  /** The main executable (relative to the build tree): sizes, perf analysis. */
  program: string;
  workload(ctx: RunContext, size: Size): Command[];
  /**
   * Checks beyond "every configuration's output is identical to base's": round trips, expected text
   * shipped by upstream. Returns the problems found (empty: fine).
   */
  verify?(ctx: RunContext, size: Size, out: RunOutput): string[];
}

const workloads = join(repoRoot, 'harness', 'workloads');
const autoconf = (cc: string, ...args: string[]): Step => ({
  argv: ['./configure', `CC=${cc}`, `CFLAGS=${CFLAGS}`, '--disable-dependency-tracking', ...args],
});
// Debian's patches can leave .texi newer than .info; makeinfo is not installed and the manuals are not benchmarked.
const make = (...args: string[]): Step => ({ argv: ['make', '-j2', 'MAKEINFO=true', ...args] });

interface Level {
  flags: string[];
  kind: InputKind;
  mb: number;
  /** Extra decompression flags. */
  dflags?: string[];
}

/** A compressor: compress an input at each level, decompress the result, and demand the round trip. */
function compressor(name: string, what: string, project: Project, program: string, ext: string, levels: Record<Size, Level[]>): Benchmark {
  return {
    name,
    what,
    project,
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

const bzip2 = compressor(
  'bzip2',
  "401.bzip2's own program: Burrows-Wheeler block sorting, Huffman coding",
  {
    name: 'bench-bzip2',
    source: { name: 'bzip2', patches: { apply: 'all' } },
    // Debian's Makefile links bzip2 against libbz2.so; link the static library instead, so the program
    // carries one runtime and needs no LD_LIBRARY_PATH.
    build: (cc) => [
      { argv: ['make', '-j2', `CC=${cc}`, `CFLAGS=${CFLAGS} -D_FILE_OFFSET_BITS=64`, 'libbz2.a', 'bzip2.o'] },
      { argv: ['sh', '-c', `${cc} ${CFLAGS} -o bzip2-static bzip2.o libbz2.a`] },
    ],
    check: () => [],
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

const gzip = compressor(
  'gzip',
  'LZ77 + Huffman (deflate), the 164.gzip of SPEC CPU2000',
  {
    name: 'bench-gzip',
    source: { name: 'gzip', patches: { apply: 'all' } },
    build: (cc) => [autoconf(cc), make()],
    check: () => [],
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

const xz = compressor(
  'xz',
  'LZMA2: binary-tree match finder, range coder',
  {
    name: 'bench-xz',
    source: { name: 'xz-utils', patches: { apply: 'all' } },
    // Static liblzma: src/xz/xz is then the program itself, not a libtool wrapper script.
    build: (cc) => [autoconf(cc, '--disable-shared', '--disable-nls', '--disable-doc', '--disable-scripts', '--disable-lzmainfo', '--disable-lzmadec', '--disable-xzdec'), make()],
    check: () => [],
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

const zstd = compressor(
  'zstd',
  'Zstandard: optimal parsing at high levels, FSE/Huffman entropy stages',
  {
    name: 'bench-zstd',
    source: { name: 'zstd', patches: { apply: 'all' } },
    build: (cc) => [{ argv: ['make', '-j2', '-C', 'programs', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'zstd-release'] }],
    check: () => [],
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

const lz4 = compressor(
  'lz4',
  'LZ4 (fast and high-compression modes): hash chains, byte copies',
  {
    name: 'bench-lz4',
    source: { name: 'lz4', patches: { apply: 'all' } },
    // Debian's patch links the program with -L../lib -llz4: build only the static library, so that is what it finds.
    build: (cc) => [
      { argv: ['make', '-j2', '-C', 'lib', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'liblz4.a'] },
      { argv: ['make', '-j2', '-C', 'programs', `CC=${cc}`, `CFLAGS=${CFLAGS}`, 'lz4'] },
    ],
    check: () => [],
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

const lua: Benchmark = {
  name: 'lua',
  what: 'an interpreter with a garbage collector (like 400.perlbench): tables, closures, coroutines, strings',
  project: {
    name: 'bench-lua',
    // As test/real's lua project: upstream's make target, Debian's security fixes.
    source: { name: 'lua5.4', patches: { apply: 'only', names: /cve/i, why: 'upstream make, Debian security fixes' } },
    build: (cc) => [{ argv: ['make', '-j2', '-C', 'src', 'linux', `CC=${cc} -std=gnu99`, 'MYCFLAGS=-g'] }],
    check: () => [],
    artifacts: ['src/lua'],
  },
  program: 'src/lua',
  workload: (_ctx, size) => [
    // The real-program test's workload (deterministic, GC-heavy), at a larger scale.
    { program: 'src/lua', args: [join(workloads, 'lua-workload.lua'), size === 'ref' ? '3' : '1'], stdout: 'out' },
  ],
  verify: (_ctx, _size, out) => (/\ndone\n$/.test(out.read('out').toString('latin1')) ? [] : ['lua: the workload did not print its final "done"']),
};

const gawk: Benchmark = {
  name: 'gawk',
  what: 'an interpreter for text processing: associative arrays, regex, field splitting',
  project: {
    name: 'bench-gawk',
    source: { name: 'gawk', patches: { apply: 'all' } },
    build: (cc) => [
      autoconf(cc, '--disable-rpath', '--disable-nls', '--disable-pma'),
      // As debian/rules: the DFSG tarball lacks the GFDL manuals; stand-ins keep make from rebuilding them.
      {
        argv: ['touch', '--date=Jan 01 2000', ...['gawktexi.in', 'sidebar.awk', 'gawk.texi', 'gawk.info', 'gawkinet.texi', 'gawkinet.info', 'gawkworkflow.texi', 'gawkworkflow.info', 'pm-gawk.texi', 'pm-gawk.info'].map((f) => `doc/${f}`)],
      },
      make('-C', 'support'),
      make('gawk'),
    ],
    check: () => [],
    artifacts: ['gawk'],
  },
  program: 'gawk',
  workload: (ctx, size) => {
    const text = ctx.input('text', size === 'ref' ? 24 : 4);
    return [
      { program: 'gawk', args: ['-f', join(workloads, 'wordfreq.awk'), text], stdout: 'wordfreq' },
      { program: 'gawk', args: ['-f', join(workloads, 'fields.awk'), text], stdout: 'fields' },
    ];
  },
};

const bc: Benchmark = {
  name: 'bc',
  what: 'arbitrary-precision arithmetic interpreter: pi, e, sqrt, log to thousands of digits',
  project: {
    name: 'bench-bc',
    source: { name: 'bc', patches: { apply: 'all' } },
    // Debian's 08_no-make-circular-dependencies patch edits bc/Makefile.am: regenerate with this
    // machine's autotools. The build compiles `fbc` with $CC and runs it to make libmath.h: under
    // cc-wb that runs instrumented too.
    build: (cc) => [{ argv: ['autoreconf', '-fi'] }, autoconf(cc, '--without-readline', '--without-libedit'), make()],
    check: () => [],
    artifacts: ['bc/bc'],
  },
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

const pcre2: Benchmark = {
  name: 'pcre2',
  what: 'a backtracking regex engine (the interpreter, no JIT) and its test driver',
  project: {
    name: 'bench-pcre2',
    source: { name: 'pcre2', patches: { apply: 'all' } },
    build: (cc) => [autoconf(cc, '--disable-shared', '--disable-jit', '--disable-pcre2grep-callout'), make('pcre2grep', 'pcre2test')],
    check: () => [],
    artifacts: ['pcre2grep', 'pcre2test'],
  },
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

const expat: Benchmark = {
  name: 'expat',
  what: 'a streaming XML parser (xmlwf writing canonical XML): tokenizer state machines, hash tables',
  project: {
    name: 'bench-expat',
    source: { name: 'expat', patches: { apply: 'all' } },
    build: (cc) => [
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
          '-DEXPAT_SHARED_LIBS=OFF',
          '-DEXPAT_BUILD_DOCS=OFF',
          '-DEXPAT_BUILD_TESTS=OFF',
          '-DEXPAT_BUILD_EXAMPLES=OFF',
        ],
      },
      // Debian's security patches test `#if XML_DTD == 1` as autotools' config.h defines it; CMake's is empty
      // (the same fix as conformance/projects.ts).
      { argv: ['sed', '-i', 's/^#define XML_DTD$/#define XML_DTD 1/', 'build/expat_config.h'] },
      { argv: ['cmake', '--build', 'build', '-j2'] },
    ],
    check: () => [],
    artifacts: ['build/xmlwf/xmlwf'],
  },
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

export const SUITE: Benchmark[] = [bzip2, gzip, xz, zstd, lz4, lua, gawk, bc, pcre2, expat];

/** Small builds and short workloads: the --quick run, a few minutes including builds. */
export const QUICK = ['bzip2', 'lua', 'lz4'];
