// The TypeScript-driven suite: each library built plainly (driven through raw koffi, hand-written
// declarations, manual frees) and with cc-wb (runtime-ts, no declarations, memory managed), the
// same job run in both, interleaved (koffi, cc-wb, koffi, ...) after one untimed check run each,
// every run in a fresh process. Every run must give the digest of the first koffi run; the cc-wb
// runs must end with nothing left to the host (no live host object, nothing deferred), and the
// first run of each version runs its job twice: memory a run leaves behind shows as growth.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ccWb, systemCompiler } from '../../harness/compilers.js';
import { run } from '../../harness/proc.js';
import type { Progress } from '../../harness/terminal.js';
import { context } from '../runner.js';
import { repoRoot } from '../paths.js';
import { ratio, spread, type Ratio, type Spread } from '../stats.js';
import type { Size } from '../suite.js';
import type { ChildReport } from './child.js';
import { buildLibrary } from './libraries.js';
import type { Driver, Variant } from './workload.js';

/** The goal: the cc-wb-driven job at most this many times the raw koffi job's CPU time. */
export const DRIVEN_GOAL = 1.15;

/** The compiled child (the tests run this module from its TypeScript source; the child is always node's). */
const childScript = join(repoRoot, 'dist', 'spec-bench', 'driven', 'child.js');
export const VARIANTS: Variant[] = ['koffi', 'ccwb'];

/**
 * How much the malloc'd memory in use may grow over a second run of the cc-wb job in one process
 * without being called a leak: allocator noise (4 MiB), plus what the runtime's quarantine of
 * released blocks may fill (16 MiB: runtime-c keeps up to 256 blocks of at most 4 MiB there, for
 * the diagnosis of late frees; expat's 1 MiB argument copies fill it over the first runs).
 * Absolute, not relative to the koffi version's growth, which must not hide a leak: that one
 * leaks itself (koffi 3.3.4 keeps a block of about the string's size per
 * koffi.decode(ptr, 'char', len): 18 bytes for 11 characters; expat's text, 3.6 MiB a run on the
 * quick input, 22 MiB at reference size).
 */
const LEAK_SLACK = 4 * 2 ** 20 + 16 * 2 ** 20;

export interface DrivenResult {
  name: string;
  what: string;
  version: string;
  status: 'ok' | 'mismatch' | 'build-failed' | 'run-failed' | 'leak';
  problems: string[];
  runs: Record<Variant, ChildReport[]>;
  summary: Partial<Record<Variant, { cpu: Spread; wall: Spread; loadCpu: Spread; rss: Spread; maxRss: Spread; heapInUse: Spread }>>;
  /** cc-wb-driven over raw koffi, job CPU time (and wall). */
  ratio: { cpu: Ratio; wall: Ratio } | null;
  digest: string;
  facts: Record<string, number>;
  /** The cc-wb version's memory at the end of its last run. */
  memory: ChildReport['memory'] | null;
  /** malloc'd memory in use after a second run of the job minus after the first, per version (bytes). */
  heapGrowth: Partial<Record<Variant, number>>;
}

export interface DrivenOptions {
  size: Size;
  runs: number;
  warmup: boolean;
  timeoutMs: number;
  progress: Progress;
}

async function runChild(d: Driver, v: Variant, lib: string, input: string, timeoutMs: number, again: boolean): Promise<ChildReport> {
  if (!existsSync(childScript)) throw new Error(`${childScript} is missing: run 'npm run build' first`);
  const r = await run([process.execPath, '--expose-gc', childScript, d.library, v, lib, input, ...(again ? ['--again'] : [])], { timeoutMs, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: process.env.HOME ?? '/' } });
  if (r.code !== 0) throw new Error(`${d.library} ${v}: ${r.spawnError ?? (r.timedOut ? 'timed out' : `exit ${r.code}`)}\n${r.stderr.trim().split('\n').slice(-12).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
}

export function plannedDrivenRuns(o: Pick<DrivenOptions, 'runs' | 'warmup'>): number {
  return VARIANTS.length * (o.runs + (o.warmup ? 1 : 0));
}

export async function runDriven(d: Driver, o: DrivenOptions): Promise<DrivenResult> {
  const p = o.progress;
  const result: DrivenResult = { name: d.library, what: d.what, version: '', status: 'ok', problems: [], runs: { koffi: [], ccwb: [] }, summary: {}, ratio: null, digest: '', facts: {}, memory: null, heapGrowth: {} };
  const libs = {} as Record<Variant, string>;
  try {
    p.status(`${d.library}: building (plain cc, cc-wb)`);
    const plain = await buildLibrary(d.library, systemCompiler('cc', 'plain'));
    const wb = await buildLibrary(d.library, ccWb());
    libs.koffi = plain.path;
    libs.ccwb = wb.path;
    result.version = wb.version;
  } catch (e) {
    result.status = 'build-failed';
    result.problems.push((e as Error).message.split('\n').slice(0, 12).join('\n'));
    p.skip(plannedDrivenRuns(o));
    return result;
  }
  const input = d.input(context(''), o.size);
  const bad = new Set<Variant>();
  const once = async (v: Variant, round: string): Promise<ChildReport | null> => {
    if (bad.has(v)) return null;
    p.status(`${d.library}: ${v} ${round}`);
    try {
      // The first run of each version (the check run, or the first timed one) also runs the job again.
      const again = result.heapGrowth[v] === undefined;
      const r = await runChild(d, v, libs[v], input, o.timeoutMs, again);
      if (r.heapGrowth !== undefined) result.heapGrowth[v] = r.heapGrowth;
      if (!result.digest) {
        result.digest = r.digest;
        result.facts = r.facts;
      } else if (r.digest !== result.digest) {
        bad.add(v);
        result.status = 'mismatch';
        result.problems.push(`${v}: RESULT DIFFERS (digest ${r.digest.slice(0, 16)}… instead of ${result.digest.slice(0, 16)}…; ${JSON.stringify(r.facts)} vs ${JSON.stringify(result.facts)})`);
        p.loud(`MISMATCH ${d.library} ${v}`);
        return null;
      }
      if (r.memory) {
        result.memory = r.memory;
        const m = r.memory;
        if ((m.live > 0 || m.hostObjects > 0 || m.deferred > 0) && result.status === 'ok') {
          result.status = 'leak';
          result.problems.push(`${v}: memory left at the end: ${m.live} live host object(s), ${m.hostObjects} HOST in the runtime, ${m.deferred} deferred`);
        }
      }
      return r;
    } catch (e) {
      bad.add(v);
      result.status = 'run-failed';
      result.problems.push((e as Error).message);
      p.loud(`FAILED ${d.library} ${v}: ${(e as Error).message.split('\n')[0]}`);
      return null;
    } finally {
      p.tick();
    }
  };
  if (o.warmup) for (const v of VARIANTS) await once(v, 'check run');
  for (let i = 0; i < o.runs; i++) {
    for (const v of VARIANTS) {
      const r = await once(v, `run ${i + 1}/${o.runs}`);
      if (r) result.runs[v].push(r);
    }
  }
  for (const v of VARIANTS) {
    const rs = result.runs[v];
    if (!rs.length) continue;
    result.summary[v] = {
      cpu: spread(rs.map((r) => r.cpu)),
      wall: spread(rs.map((r) => r.wall)),
      loadCpu: spread(rs.map((r) => r.loadCpu)),
      rss: spread(rs.map((r) => r.rss)),
      maxRss: spread(rs.map((r) => r.maxRss)),
      heapInUse: spread(rs.map((r) => r.heapInUse)),
    };
  }
  // Memory a run leaves allocated grows with every run; what the cc-wb version keeps at its end
  // beyond the koffi version without growing (the runtime's tables at their high-water mark, its
  // bounded quarantine of released blocks) is reported, not a leak.
  const kGrow = result.heapGrowth.koffi;
  const wGrow = result.heapGrowth.ccwb;
  if (kGrow !== undefined && wGrow !== undefined) {
    result.facts['malloc growth on a 2nd run, KiB: koffi'] = Math.round(kGrow / 1024);
    result.facts['cc-wb'] = Math.round(wGrow / 1024);
    if (wGrow > LEAK_SLACK && result.status === 'ok') {
      result.status = 'leak';
      result.problems.push(`ccwb: a second run of the job in the same process leaves ${(wGrow / 2 ** 20).toFixed(1)} MiB more malloc'd memory in use than the first (koffi: ${(kGrow / 2 ** 20).toFixed(1)} MiB): objects nobody frees`);
    }
  }
  const k = result.runs.koffi;
  const w = result.runs.ccwb;
  if (k.length && w.length) {
    result.ratio = {
      cpu: ratio(
        w.map((r) => r.cpu),
        k.map((r) => r.cpu),
      ),
      wall: ratio(
        w.map((r) => r.wall),
        k.map((r) => r.wall),
      ),
    };
  }
  return result;
}
