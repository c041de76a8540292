// Csmith differential testing: random, UB-free C programs that print a checksum of their globals.
// Programs come from fixed seeds (the same seed always gives the same program for one csmith
// version), are compiled with plain cc and with cc-wb, and must print the same thing. Csmith programs
// store pointers into globals, structs and arrays constantly, so they are a good net for the pass.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compiler } from '../harness/compilers.js';
import { ResultCache, sha1 } from './compilers.js';
import { cacheDir } from '../harness/cache.js';
import { regressionsDir } from './paths.js';
import { describeEnd, pool, run } from '../harness/proc.js';
import { Progress, table } from '../harness/terminal.js';
import { lastLines } from './torture.js';
import { readPassReport, reportEnv } from './wbreport.js';

export interface CsmithRun {
  status: 'ok' | 'compile-error' | 'compile-timeout' | 'timeout' | 'crash';
  stdout: string;
  detail?: string;
  /** cc-wb compiled the program without barriers (the pass gave up): the first error it reported. */
  fallback?: string;
  /** Stores and calls the pass barriered. */
  sites?: number;
}

export interface CsmithResult {
  seed: number;
  opt: string;
  ref: CsmithRun;
  wb?: CsmithRun;
  /** 'uninstrumented': same output, but only because cc-wb fell back to a plain compile. */
  verdict: 'match' | 'mismatch' | 'uninstrumented' | 'dropped';
  reason?: string;
  /** Where a mismatch was saved as a regression test. */
  saved?: string;
  /** Set when cc-wb's first attempt differed and the retry matched. */
  flaky?: string;
}

export interface CsmithOptions {
  ref: Compiler;
  wb: Compiler;
  seeds: number[];
  opts: string[];
  jobs: number;
  runTimeoutMs: number;
  compileTimeoutMs: number;
  useRefCache: boolean;
  /** Save each mismatch under conformance/regressions/ (off in unit tests). */
  saveRegressions: boolean;
  /** Each seed at one level only, taking turns through `opts` (the quick run). */
  alternate?: boolean;
  quiet?: boolean;
  label?: string;
}

let includeDirMemo: string | undefined;

/** The folder holding csmith.h: `<dir>/csmith` for some dir in the compiler's system include path. */
export async function csmithIncludeDir(cc: Compiler): Promise<string> {
  if (includeDirMemo) return includeDirMemo;
  const r = await run([...cc.words, '-E', '-Wp,-v', '-x', 'c', '/dev/null'], { timeoutMs: 60_000 });
  const dirs = r.stderr
    .split('\n')
    .filter((l) => l.startsWith(' /'))
    .map((l) => l.trim());
  for (const d of [...dirs, '/usr/include', '/usr/local/include']) {
    if (existsSync(join(d, 'csmith', 'csmith.h'))) return (includeDirMemo = join(d, 'csmith'));
  }
  throw new Error('conformance: csmith.h not found in the system include path: install it with `apt-get install csmith libcsmith-dev`');
}

async function csmithVersion(): Promise<string> {
  const r = await run(['csmith', '--version'], { timeoutMs: 30_000 });
  if (r.spawnError || r.code !== 0) throw new Error('conformance: csmith not found: install it with `apt-get install csmith libcsmith-dev`');
  return r.stdout.trim().split('\n')[0] ?? 'csmith';
}

const generating = new Map<string, Promise<string>>();

/** Generates (once, cached on disk) the program for a seed; concurrent callers share one csmith run. */
function generate(seed: number, version: string): Promise<string> {
  const key = `${version}\0${seed}`;
  let p = generating.get(key);
  if (!p) {
    p = generateOnce(seed, version);
    generating.set(key, p);
  }
  return p;
}

async function generateOnce(seed: number, version: string): Promise<string> {
  const dir = cacheDir('csmith', sha1(version).slice(0, 8));
  const path = join(dir, `seed-${seed}.c`);
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  const r = await run(['csmith', '--seed', String(seed), '--output', tmp], { timeoutMs: 120_000 });
  if (r.code !== 0 || !existsSync(tmp)) throw new Error(`conformance: csmith --seed ${seed} failed: ${describeEnd(r)} ${r.stderr.trim()}`);
  renameSync(tmp, path);
  return path;
}

async function buildAndRun(c: Compiler, src: string, opt: string, include: string, work: string, tag: string, o: CsmithOptions, timeoutMs = o.runTimeoutMs): Promise<CsmithRun> {
  const dir = join(work, tag);
  mkdirSync(dir, { recursive: true });
  try {
    const exe = join(dir, 'a.out');
    const reportPath = join(dir, 'wb-report.jsonl');
    const cr = await run([...c.words, opt, '-w', '-I', include, '-o', exe, src], { cwd: dir, timeoutMs: o.compileTimeoutMs, maxOutput: 64 << 10, env: reportEnv(reportPath) });
    if (cr.timedOut) return { status: 'compile-timeout', stdout: '', detail: describeEnd(cr, o.compileTimeoutMs) };
    if (cr.code !== 0) return { status: 'compile-error', stdout: '', detail: lastLines(cr.stderr || cr.spawnError || describeEnd(cr), 12) };
    const pass = readPassReport(reportPath);
    const info = { fallback: pass.fallbacks[0]?.message, sites: pass.units ? pass.sites : undefined };
    const rr = await run([exe], { cwd: dir, timeoutMs, maxOutput: 256 << 10 });
    if (rr.timedOut) return { status: 'timeout', stdout: rr.stdout, detail: describeEnd(rr, timeoutMs), ...info };
    if (rr.code !== 0) return { status: 'crash', stdout: rr.stdout, detail: describeEnd(rr), ...info };
    return { status: 'ok', stdout: rr.stdout, ...info };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Parses "1-50,77,100-120" into seeds. */
export function parseSeeds(spec: string): number[] {
  const seeds: number[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`conformance: bad seed range "${part}" (expected e.g. 1-50,77)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  return seeds;
}

export async function runCsmith(o: CsmithOptions): Promise<CsmithResult[]> {
  const version = await csmithVersion();
  const include = await csmithIncludeDir(o.ref);
  const cache = new ResultCache<CsmithRun>('csmith', o.ref, o.useRefCache);
  const work = mkdtempSync(join(tmpdir(), 'cc-wb-csmith-'));
  const jobs = o.alternate ? o.seeds.map((seed, i) => ({ seed, opt: o.opts[i % o.opts.length]! })) : o.seeds.flatMap((seed) => o.opts.map((opt) => ({ seed, opt })));
  const progress = new Progress(o.label ?? 'csmith', jobs.length, o.quiet);
  try {
    return await pool(jobs, o.jobs, async ({ seed, opt }): Promise<CsmithResult> => {
      const src = await generate(seed, version);
      const key = sha1(version, String(seed), opt, readFileSync(src, 'utf8'));
      let ref = cache.get(key);
      if (!ref) {
        ref = await buildAndRun(o.ref, src, opt, include, work, `${seed}${opt}-ref`, o);
        // A timeout is a property of the machine's load as much as of the program; retry next time.
        if (ref.status !== 'timeout') cache.set(key, ref);
      }
      if (ref.status !== 'ok') {
        progress.tick('dropped');
        return { seed, opt, ref, verdict: 'dropped', reason: `${o.ref.label}: ${ref.status}${ref.detail ? ` (${ref.detail.split('\n')[0]})` : ''}` };
      }
      // Barriered code may run a little slower: it gets twice the reference's time limit.
      const attempt = () => buildAndRun(o.wb, src, opt, include, work, `${seed}${opt}-wb`, o, 2 * o.runTimeoutMs);
      const matches = (r: CsmithRun) => r.status === 'ok' && r.stdout === ref!.stdout;
      let wb = await attempt();
      let flaky: string | undefined;
      if (!matches(wb)) {
        // One retry separates a shared machine's noise (a driver rebuilt mid-run, a load spike) from
        // a miscompile; a pass on retry is still reported, as flaky, never silently dropped.
        const first = wb;
        wb = await attempt();
        if (matches(wb)) flaky = `first attempt: ${first.status}${first.detail ? `: ${first.detail.split('\n')[0]}` : ''}`;
      }
      const same = matches(wb);
      const result: CsmithResult = { seed, opt, ref, wb, verdict: !same ? 'mismatch' : wb.fallback ? 'uninstrumented' : 'match', flaky };
      if (same && wb.fallback) result.reason = wb.fallback;
      if (!same) {
        result.reason = wb.status === 'ok' ? `output differs: ${firstDifference(ref.stdout, wb.stdout)}` : `${o.wb.label}: ${wb.status}${wb.detail ? `: ${wb.detail}` : ''}`;
        if (o.saveRegressions) result.saved = saveRegression(seed, opt, version, src, ref, wb, result.reason);
      }
      if (result.verdict === 'mismatch' || result.verdict === 'uninstrumented') progress.note(`${result.verdict.toUpperCase()} seed ${seed} ${opt}: ${result.reason?.split('\n')[0] ?? ''}`);
      progress.tick(result.verdict);
      return result;
    });
  } finally {
    cache.save();
    progress.finish();
    rmSync(work, { recursive: true, force: true });
  }
}

function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: expected "${la[i] ?? '<eof>'}", got "${lb[i] ?? '<eof>'}"`;
  }
  return 'exit status';
}

/**
 * A mismatch becomes a regression test: the program itself with a header giving the seed, flags and
 * the output plain cc produces. test/conformance/conformance.test.ts compiles every file in the folder
 * with both compilers using the `conformance-flags` line and requires identical output.
 */
function saveRegression(seed: number, opt: string, version: string, src: string, ref: CsmithRun, wb: CsmithRun, reason: string): string {
  mkdirSync(regressionsDir, { recursive: true });
  const path = join(regressionsDir, `csmith-seed-${seed}${opt}.c`);
  const header = [
    '/*',
    ` * Csmith mismatch: ${version}, --seed ${seed}, compiled ${opt}.`,
    ` * conformance-flags: ${opt} -w -I@CSMITH@`,
    ` * expected (plain cc) output: ${ref.stdout.trim().replace(/\*\//g, '* /')}`,
    ` * cc-wb gave: ${reason.replace(/\*\//g, '* /').split('\n').join('\n *   ')}`,
    ` *   stdout: ${wb.stdout.trim().replace(/\*\//g, '* /') || '(none)'}`,
    ' */',
    '',
  ].join('\n');
  writeFileSync(path, header + readFileSync(src, 'utf8'));
  return path;
}

export interface CsmithSummary {
  seeds: number;
  programsCompared: number;
  matches: number;
  mismatches: { seed: number; opt: string; reason: string; saved?: string }[];
  uninstrumented: { seed: number; opt: string; reason: string }[];
  /** Barrier sites over all compared programs. */
  sites: number;
  dropped: { seed: number; opt: string; reason: string }[];
  flaky: { seed: number; opt: string; reason: string }[];
}

export function summarizeCsmith(results: CsmithResult[]): CsmithSummary {
  return {
    seeds: new Set(results.map((r) => r.seed)).size,
    programsCompared: results.filter((r) => r.verdict !== 'dropped').length,
    matches: results.filter((r) => r.verdict === 'match').length,
    mismatches: results.filter((r) => r.verdict === 'mismatch').map((r) => ({ seed: r.seed, opt: r.opt, reason: r.reason ?? '', saved: r.saved })),
    uninstrumented: results.filter((r) => r.verdict === 'uninstrumented').map((r) => ({ seed: r.seed, opt: r.opt, reason: r.reason ?? '' })),
    sites: results.reduce((a, r) => a + (r.wb?.sites ?? 0), 0),
    dropped: results.filter((r) => r.verdict === 'dropped').map((r) => ({ seed: r.seed, opt: r.opt, reason: r.reason ?? '' })),
    flaky: results.filter((r) => r.flaky).map((r) => ({ seed: r.seed, opt: r.opt, reason: r.flaky! })),
  };
}

export function csmithTable(results: CsmithResult[]): string {
  const opts = [...new Set(results.map((r) => r.opt))];
  return table(
    ['opt', 'seeds', 'compared', 'match', 'mismatch', 'unbarriered', 'dropped (cc timeout/crash)', 'barrier sites'],
    opts.map((o) => {
      const rs = results.filter((r) => r.opt === o);
      const n = (v: CsmithResult['verdict']) => rs.filter((r) => r.verdict === v).length;
      return [o, rs.length, rs.length - n('dropped'), n('match'), n('mismatch'), n('uninstrumented'), n('dropped'), rs.reduce((a, r) => a + (r.wb?.sites ?? 0), 0)];
    }),
  );
}
