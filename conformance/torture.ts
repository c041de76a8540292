// GCC's execute torture tests (gcc.c-torture/execute/*.c from Debian's gcc-12-source): each program
// exits 0 when compiled correctly. We compile every test with plain cc and with cc-wb at each
// optimisation level, run both, and call it a regression when cc passes and cc-wb does not.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Compiler } from '../harness/compilers.js';
import { ResultCache, sha1 } from './compilers.js';
import { planTest, TestPlan } from './dejagnu.js';
import { cacheDir } from '../harness/cache.js';
import { describeEnd, pool, run } from '../harness/proc.js';
import { readPassReport, reportEnv } from './wbreport.js';
import { Progress, table } from '../harness/terminal.js';

export type Status = 'pass' | 'fail' | 'timeout' | 'compile-error' | 'compile-timeout' | 'skip';

export interface Outcome {
  status: Status;
  /** Exit status or signal of the program, or the compiler's last lines of diagnostics. */
  detail?: string;
  compileMs?: number;
  runMs?: number;
  /** cc-wb compiled the test without barriers (the pass gave up): the first error it reported. */
  fallback?: string;
  /** Stores and calls the pass barriered in this test. */
  sites?: number;
}

/** 'uninstrumented': same behaviour, but only because cc-wb fell back to a plain compile. */
export type Verdict = 'ok' | 'regression' | 'uninstrumented' | 'excluded' | 'skipped';

export interface TortureResult {
  test: string;
  opt: string;
  category: string;
  features: string[];
  plan: TestPlan;
  ref: Outcome;
  wb: Outcome;
  verdict: Verdict;
  /** Why a test is excluded (cc itself fails) or skipped (not for this target). */
  reason?: string;
  /** Set when cc-wb's first attempt failed and the retry passed. */
  flaky?: string;
}

export interface TortureCase {
  name: string; // file name without .c
  path: string;
  source: string;
  category: string;
  features: string[];
}

// ---------------------------------------------------------------------------------------------
// Corpus

const TORTURE_GLOB = '*/gcc/testsuite/gcc.c-torture/execute/*.[ch]';
export const TORTURE_COUNT = 1592;

async function findGccTarball(): Promise<string> {
  if (process.env.CC_WB_GCC_TARBALL) return process.env.CC_WB_GCC_TARBALL;
  const r = await run(['dpkg', '-L', 'gcc-12-source'], { timeoutMs: 30_000 });
  const tarball = r.stdout.split('\n').find((l) => /\/gcc-[\d.]+(-dfsg)?\.tar\.(xz|gz|bz2)$/.test(l));
  if (r.code !== 0 || !tarball) {
    throw new Error('conformance: GCC sources not found: install them with `apt-get install gcc-12-source` (or set CC_WB_GCC_TARBALL)');
  }
  return tarball;
}

/** Extracts the top-level execute/*.c (and the headers they include) once into the cache. */
export async function tortureDir(): Promise<string> {
  const dir = cacheDir('gcc-torture', 'execute');
  const stamp = join(dir, '.complete');
  if (existsSync(stamp)) return dir;
  const tarball = await findGccTarball();
  process.stderr.write(`conformance: extracting torture tests from ${tarball} ...\n`);
  const r = await run(
    ['tar', '-xf', tarball, '-C', dir, '--wildcards', '--no-wildcards-match-slash', '--strip-components=5', TORTURE_GLOB],
    { timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`conformance: tar failed on ${tarball}: ${r.stderr.trim()}`);
  const n = readdirSync(dir).filter((f) => f.endsWith('.c')).length;
  if (n < 1000) throw new Error(`conformance: only ${n} torture tests extracted from ${tarball}`);
  writeFileSync(stamp, `${tarball}\n${n} tests\n`);
  return dir;
}

export function loadTortureCases(dir: string): TortureCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const source = readFileSync(path, 'utf8');
      const name = basename(f, '.c');
      return { name, path, source, category: categoryOf(name), features: featuresOf(source) };
    });
}

/**
 * The fixed quick sample: every fifth test in name order (about 320), so each category keeps its
 * share and the sample never changes between runs.
 */
export function quickSample(cases: TortureCase[], every = 5): TortureCase[] {
  return cases.filter((_, i) => i % every === 0);
}

// ---------------------------------------------------------------------------------------------
// Categories: by file name (one per test) and by language feature (several per test).

const NAME_CATEGORIES: [string, RegExp][] = [
  ['dated 19xx (YYMMDD-N)', /^9\d{5}-\d/],
  ['dated 20xx (YYYYMMDD-N)', /^20\d{6}-\d/],
  ['pr (GCC bug reports)', /^pr\d/],
  ['varargs (va-arg, stdarg)', /^(va-arg|stdarg|strct-varg|strct-stdarg|nest-stdar)/],
  ['builtins', /^(builtin-|built-in-|bswap|ffs|bcp|medce|pure|inst-check|eeprof|frame-address|return-addr|call-trap)/],
  ['string & memory', /^(str(len|cpy|ncmp|cmp|ing-opt)|mem(cpy|set|chr)|widechar|wchar_t|index|zerolen)/],
  ['stdio', /^(v?f?printf|user-printf|gofast)/],
  ['struct, union, bitfield', /^(struct|strct|bitfld|bf-|bf\d|packed|zero-struct|anon|pta-field|compndlit|alias-access-path|enum|scope)/],
  ['loops', /^(loop|doloop|unroll|ivopts)/],
  ['integer arithmetic', /^(arith|div|mod|mul|usmul|shift|ashl|ashr|lshr|cmp|compare|int-compare|tstdi|longlong|extzv|ifcvt|vrp|mode-dep|conversion|cvt|dbra|postmod|ptr-arith|const-addr)/],
  ['floating point & complex', /^(float|cbrt|complex|cmpsf)/],
  ['nested functions', /^(nestfunc|nest-)/],
  ['vectors', /^(simd|scal-to-vec|usad|ssad)/],
  ['aliasing', /^(alias|mayalias|restrict|lto-tbaa|struct-aliasing)/],
];

export function categoryOf(name: string): string {
  for (const [cat, re] of NAME_CATEGORIES) if (re.test(name)) return cat;
  return 'other';
}

/** What a test exercises, as far as the pass cares: where pointer stores and range copies hide. */
const FEATURES: [string, RegExp][] = [
  ['stores via *p, p->f, a[i]', /(\*\s*\w+|->\s*\w+|\w\s*\[[^\]\n]*\])\s*([-+*/%&|^]|<<|>>)?=[^=]/],
  ['pointer-typed variables', /\b(char|int|long|short|void|float|double|struct\s+\w+|union\s+\w+|[A-Z_a-z]\w*_t)\s*\*+\s*(const\s+)?\w+\s*[;,=)[]/],
  ['struct assignment', /\bstruct\s+\w+\s+\w+\s*=\s*\*|\b\w+\s*=\s*\*\s*\w+\s*;/],
  ['heap (malloc/free)', /\b(malloc|calloc|realloc|free)\s*\(/],
  ['memcpy/memset/memmove', /\b(__builtin_)?(memcpy|memmove|memset|bzero|mempcpy)\s*\(/],
  ['function pointers', /\(\s*\*\s*\w*\s*\)\s*\(/],
  ['varargs', /\bva_(start|arg)\b|__builtin_va_/],
  ['bitfields', /^\s*(unsigned|signed|int|long|short|char|_Bool|__int128)[\w\s]*\s\w+\s*:\s*\d+\s*;/m],
  ['setjmp/longjmp', /\b(__builtin_)?(setjmp|longjmp)\b/],
  ['computed goto', /goto\s*\*/],
  ['vector extension', /vector_size/],
  ['_Complex', /_Complex|__complex__|__real__|__imag__/],
  ['alloca & VLAs', /\b(__builtin_)?alloca\s*\(|\[\s*[a-z_]\w*\s*\]\s*;/],
  ['inline asm', /\b(asm|__asm__)\s*(volatile|__volatile__)?\s*\(/],
  ['__int128', /__int128/],
  ['floating point', /\b(float|double)\b/],
];

export function featuresOf(source: string): string[] {
  // Comments hold DejaGnu directives and prose, not code.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  return FEATURES.filter(([, re]) => re.test(code)).map(([f]) => f);
}

// ---------------------------------------------------------------------------------------------
// Running

export interface TortureOptions {
  ref: Compiler;
  wb: Compiler;
  opts: string[];
  jobs: number;
  runTimeoutMs: number;
  compileTimeoutMs: number;
  useRefCache: boolean;
  /** Each test at one level only, taking turns through `opts` (the quick run: half the work). */
  alternate?: boolean;
  quiet?: boolean;
  label?: string;
}

async function compileAndRun(c: Compiler, tc: TortureCase, opt: string, plan: TestPlan, work: string, o: TortureOptions, timeoutMs = o.runTimeoutMs): Promise<Outcome> {
  const dir = join(work, `${tc.name}${opt}-${c.label}`.replace(/[^\w.+-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  try {
    const exe = join(dir, 'a.out');
    const actionFlags = plan.action === 'run' || plan.action === 'link' ? ['-o', exe] : plan.action === 'preprocess' ? ['-E', '-o', join(dir, 't.i')] : plan.action === 'assemble' ? ['-S', '-o', join(dir, 't.s')] : ['-c', '-o', join(dir, 't.o')];
    const libs = plan.action === 'run' || plan.action === 'link' ? ['-lm'] : [];
    const reportPath = join(dir, 'wb-report.jsonl');
    const cr = await run([...c.words, opt, ...plan.flags, ...actionFlags, tc.path, ...libs], { cwd: dir, timeoutMs: o.compileTimeoutMs, maxOutput: 64 << 10, env: reportEnv(reportPath) });
    if (cr.timedOut) return { status: 'compile-timeout', detail: describeEnd(cr, o.compileTimeoutMs), compileMs: cr.ms };
    if (cr.code !== 0) return { status: 'compile-error', detail: lastLines(cr.stderr || cr.spawnError || describeEnd(cr), 12), compileMs: cr.ms };
    const pass = readPassReport(reportPath);
    const info = { compileMs: cr.ms, fallback: pass.fallbacks[0]?.message, sites: pass.units ? pass.sites : undefined };
    if (plan.action !== 'run') return { status: 'pass', ...info };
    const rr = await run([exe], { cwd: dir, timeoutMs, maxOutput: 16 << 10 });
    if (rr.timedOut) return { status: 'timeout', detail: describeEnd(rr, timeoutMs), runMs: rr.ms, ...info };
    if (rr.code !== 0) {
      const tail = lastLines(rr.stderr, 4);
      return { status: 'fail', detail: describeEnd(rr) + (tail ? `: ${tail}` : ''), runMs: rr.ms, ...info };
    }
    return { status: 'pass', runMs: rr.ms, ...info };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** The reference result depends on the test, its includes, the flags and the compiler: hash them all. */
function refKey(tc: TortureCase, opt: string, plan: TestPlan): string {
  const includes = [...tc.source.matchAll(/#\s*include\s*"([^"]+)"/g)].map((m) => {
    const p = join(tc.path, '..', m[1]!);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  });
  return sha1(tc.source, ...includes, opt, plan.action, ...plan.flags);
}

export async function runTorture(cases: TortureCase[], o: TortureOptions): Promise<TortureResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'cc-wb-torture-'));
  const cache = new ResultCache<Outcome>('torture', o.ref, o.useRefCache);
  const jobs = o.alternate ? cases.map((tc, i) => ({ tc, opt: o.opts[i % o.opts.length]! })) : cases.flatMap((tc) => o.opts.map((opt) => ({ tc, opt })));
  const progress = new Progress(o.label ?? 'torture', jobs.length, o.quiet);
  try {
    return await pool(jobs, o.jobs, async ({ tc, opt }) => {
      const plan = planTest(tc.source, opt);
      const base = { test: tc.name, opt, category: tc.category, features: tc.features, plan };
      if (plan.skip) {
        progress.tick('skipped');
        const skipped: Outcome = { status: 'skip', detail: plan.skip };
        return { ...base, ref: skipped, wb: skipped, verdict: 'skipped' as const, reason: plan.skip };
      }
      const key = refKey(tc, opt, plan);
      let ref = cache.get(key);
      if (!ref) {
        ref = await compileAndRun(o.ref, tc, opt, plan, work, o);
        // Timeouts depend on machine load, not on the compiler: never remember them.
        if (ref.status !== 'timeout' && ref.status !== 'compile-timeout') cache.set(key, ref);
      }
      // Barriered code may run a little slower: it gets twice the reference's time limit.
      let wb = await compileAndRun(o.wb, tc, opt, plan, work, o, 2 * o.runTimeoutMs);
      let flaky: string | undefined;
      if (ref.status === 'pass' && wb.status !== 'pass') {
        // One retry separates a shared machine's noise (a driver rebuilt mid-run, a load spike) from
        // a miscompile; a pass on retry is still reported, as flaky.
        const first = wb;
        wb = await compileAndRun(o.wb, tc, opt, plan, work, o, 2 * o.runTimeoutMs);
        if (wb.status === 'pass') flaky = `first attempt: ${first.status}${first.detail ? `: ${first.detail.split('\n')[0]}` : ''}`;
      }
      let verdict: Verdict;
      let reason: string | undefined;
      if (ref.status !== 'pass') {
        verdict = 'excluded';
        reason = `${o.ref.label} ${ref.status}${plan.xfail ? ` (expected: ${plan.xfail})` : ''}: ${ref.detail ?? ''}`.trim();
      } else if (wb.status !== 'pass') verdict = 'regression';
      else if (wb.fallback) {
        verdict = 'uninstrumented';
        reason = wb.fallback;
      } else verdict = 'ok';
      if (verdict === 'regression' || verdict === 'uninstrumented') progress.note(`${verdict.toUpperCase()} ${tc.name} ${opt}: ${verdict === 'regression' ? `${wb.status} ${wb.detail?.split('\n')[0] ?? ''}` : reason?.split('\n')[0]}`);
      progress.tick(verdict);
      return { ...base, ref, wb, verdict, reason, flaky };
    });
  } finally {
    cache.save();
    progress.finish();
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

export interface TortureSummary {
  tests: number;
  byOpt: Record<string, { run: number; skipped: number; refPass: number; wbPass: number; excluded: number; regressions: number; uninstrumented: number; sites: number }>;
  regressions: { test: string; opt: string; status: Status; detail?: string }[];
  uninstrumented: { test: string; opt: string; reason: string }[];
  excluded: { test: string; opt: string; reason: string }[];
  skipped: { test: string; opt: string; reason: string }[];
  flaky: { test: string; opt: string; reason: string }[];
}

export function summarizeTorture(results: TortureResult[]): TortureSummary {
  const byOpt: TortureSummary['byOpt'] = {};
  for (const r of results) {
    const s = (byOpt[r.opt] ??= { run: 0, skipped: 0, refPass: 0, wbPass: 0, excluded: 0, regressions: 0, uninstrumented: 0, sites: 0 });
    if (r.verdict === 'skipped') {
      s.skipped++;
      continue;
    }
    s.run++;
    if (r.ref.status === 'pass') s.refPass++;
    if (r.wb.status === 'pass') s.wbPass++;
    if (r.verdict === 'excluded') s.excluded++;
    if (r.verdict === 'regression') s.regressions++;
    if (r.verdict === 'uninstrumented') s.uninstrumented++;
    s.sites += r.wb.sites ?? 0;
  }
  return {
    tests: new Set(results.map((r) => r.test)).size,
    byOpt,
    regressions: results.filter((r) => r.verdict === 'regression').map((r) => ({ test: r.test, opt: r.opt, status: r.wb.status, detail: r.wb.detail })),
    uninstrumented: results.filter((r) => r.verdict === 'uninstrumented').map((r) => ({ test: r.test, opt: r.opt, reason: r.reason ?? '' })),
    excluded: results.filter((r) => r.verdict === 'excluded').map((r) => ({ test: r.test, opt: r.opt, reason: r.reason ?? '' })),
    skipped: results.filter((r) => r.verdict === 'skipped').map((r) => ({ test: r.test, opt: r.opt, reason: r.reason ?? '' })),
    flaky: results.filter((r) => r.flaky).map((r) => ({ test: r.test, opt: r.opt, reason: r.flaky! })),
  };
}

/** Pass counts per category (or feature) and optimisation level: `cc  cc-wb` pairs and regressions. */
export function tortureTable(results: TortureResult[], refName: string, wbName: string, by: 'category' | 'feature'): string {
  const opts = [...new Set(results.map((r) => r.opt))];
  const keys = (r: TortureResult) => (by === 'category' ? [r.category] : r.features.length ? r.features : ['(none)']);
  const groups = new Map<string, TortureResult[]>();
  for (const r of results) for (const k of keys(r)) groups.set(k, [...(groups.get(k) ?? []), r]);
  const names = [...groups.keys()].sort((a, b) => (by === 'category' ? a.localeCompare(b) : groups.get(b)!.length - groups.get(a)!.length));
  if (by === 'category') names.push('TOTAL');
  const header = [by, 'tests', ...opts.flatMap((o) => [`${refName} ${o}`, `${wbName} ${o}`, `regr ${o}`, `unbarriered ${o}`])];
  const rows = names.map((n) => {
    const rs = n === 'TOTAL' ? results : groups.get(n)!;
    const tests = new Set(rs.map((r) => r.test)).size;
    return [
      n,
      tests,
      ...opts.flatMap((o) => {
        const at = rs.filter((r) => r.opt === o && r.verdict !== 'skipped');
        return [
          `${at.filter((r) => r.ref.status === 'pass').length}/${at.length}`,
          `${at.filter((r) => r.wb.status === 'pass').length}/${at.length}`,
          at.filter((r) => r.verdict === 'regression').length,
          at.filter((r) => r.verdict === 'uninstrumented').length,
        ];
      }),
    ];
  });
  return table(header, rows);
}
