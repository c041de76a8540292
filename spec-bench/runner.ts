// The benchmark loop: build every configuration, check that each one's output is exactly base's (and
// base's the pinned reference), then time N rounds with the configurations interleaved (base, wb,
// wb-stress, base, wb, ...) so drift of a shared machine hits all of them alike.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fetchDebianSource } from '../harness/debian.js';
import type { StepTime } from '../harness/build.js';
import { buildFor, passFacts, type BuiltConfig, type Config, type PassFacts } from './build.js';
import { inputFile } from './corpus.js';
import { compareDigests, firstDifference, runWorkload, RunFailed, type RunResult, type Timing } from './measure.js';
import { Progress } from '../harness/terminal.js';
import { ratio, spread, type Ratio, type Spread } from './stats.js';
import { benchCache, repoRoot } from './paths.js';
import { hostedPrefix, sumSinkReports, takeSinkReports, type HostedFacts } from './host-sink.js';
import type { Benchmark, RunContext, Size } from './suite.js';

export type Metric = 'cpu' | 'wall';

/** Pinned reference outputs: sha256 of every output file, per benchmark, size and source version. */
export type Expected = Record<string, { version: string; digests: Record<string, string> }>;

export const expectedPath = join(repoRoot, 'spec-bench', 'expected.json');

export function readExpected(path = expectedPath): Expected {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Expected) : {};
}

export function writeExpected(e: Expected, path = expectedPath): void {
  const sorted = Object.fromEntries(Object.entries(e).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(path, JSON.stringify(sorted, null, 2) + '\n');
}

export interface BenchOptions {
  size: Size;
  runs: number;
  configs: Config[];
  /** One untimed run per configuration first (it checks outputs and warms the page cache). */
  warmup: boolean;
  expected: Expected;
  /** Record base's outputs as the new reference where none is pinned for this source version. */
  pin: boolean;
  timeoutMs: number;
  progress: Progress;
  /** Timed runs of configurations with `fewerRuns` set (wb-stress: 10-20x slower on some programs). */
  fewerRuns: number;
  /** Stop after the builds (build times and the pass report only). */
  buildsOnly?: boolean;
}

export interface BuildFacts {
  /** The whole build (configure included). */
  buildMs: number;
  buildCpuMs: number;
  /** Its configure step (./configure, cmake), when it has one; absent for a reused build of an older stamp. */
  configureMs?: number;
  configureCpuMs?: number;
  reused: boolean;
  textBytes: number | null;
  dir: string;
}

export type Status = 'ok' | 'mismatch' | 'build-failed' | 'run-failed';

export interface BenchResult {
  name: string;
  what: string;
  version: string;
  program: string;
  status: Status;
  /** Everything that went wrong, one line each (mismatches name the file and the first differing byte). */
  problems: string[];
  /** How the reference output was checked: against the pinned digests, or newly pinned, or not pinned. */
  reference: 'pinned' | 'newly pinned' | 'not pinned' | 'pinned for another version';
  pass: PassFacts | null;
  builds: Record<string, BuildFacts>;
  /**
   * Build time of a configuration against its baseline's: CPU (user + sys of the whole build, pass
   * servers included) and wall; the configure step's alone when the build has one.
   */
  buildRatio: Record<string, { cpu: number; wall: number; configureCpu?: number; configureWall?: number }>;
  runs: Record<string, Timing[]>;
  summary: Record<string, { cpu: Spread; wall: Spread }>;
  ratios: Record<string, { cpu: Ratio; wall: Ratio }>;
  /** sha256 of base's output files. */
  digests: Record<string, string>;
  /** Per hosted configuration, what the attached host saw in the last run (the runtime's counters summed over the processes). */
  hosted: Record<string, HostedFacts>;
}

/** The configure step's times (./configure, cmake), or nothing when the build has none. */
function configureTime(steps: StepTime[]): Pick<BuildFacts, 'configureMs' | 'configureCpuMs'> {
  const configure = steps.filter((t) => /(^|\/)(configure|cmake)$/.test(t.program));
  if (configure.length === 0) return {};
  return { configureMs: configure.reduce((n, t) => n + t.wallMs, 0), configureCpuMs: configure.reduce((n, t) => n + t.cpuMs, 0) };
}

/** The inputs a workload reads, generated into the cache on first use. */
export function context(tree: string): RunContext {
  const inputs = benchCache('inputs');
  return {
    tree,
    input: (kind, mb) => inputFile(inputs, kind, mb),
    text: (name, content) => {
      const p = join(inputs, name);
      if (!existsSync(p) || readFileSync(p, 'utf8') !== content) writeFileSync(p, content);
      return p;
    },
  };
}

/** The builds a configuration list needs: wb-stress and wb-hosted run wb's binaries. */
function buildsNeeded(configs: Config[]): Config[] {
  return configs.filter((c) => !c.buildOf);
}

/** Runs one benchmark plans (for the progress display). */
export function plannedRuns(o: Pick<BenchOptions, 'configs' | 'runs' | 'fewerRuns' | 'warmup'>): number {
  return o.configs.reduce((a, c) => a + (c.fewerRuns ? Math.min(o.runs, o.fewerRuns) : o.runs) + (o.warmup ? 1 : 0), 0);
}

export async function runBenchmark(bench: Benchmark, o: BenchOptions): Promise<BenchResult> {
  const p = o.progress;
  const src = await fetchDebianSource(bench.project.source);
  const result: BenchResult = {
    name: bench.name,
    what: bench.what,
    version: src.version,
    program: bench.program,
    status: 'ok',
    problems: [],
    reference: 'not pinned',
    pass: null,
    builds: {},
    buildRatio: {},
    runs: {},
    summary: {},
    ratios: {},
    digests: {},
    hosted: {},
  };

  // 1. Builds.
  const built = new Map<string, BuiltConfig>();
  for (const c of buildsNeeded(o.configs)) {
    p.status(`${bench.name}: building with ${c.compiler.label}`);
    try {
      const b = await buildFor(bench, c);
      built.set(c.name, b);
      result.builds[c.name] = { buildMs: b.build.buildMs, buildCpuMs: b.build.buildCpuMs, ...configureTime(b.build.steps), reused: b.build.reused, textBytes: b.textBytes, dir: b.build.dir };
      p.note(`${bench.name}: ${c.name} build ${b.build.reused ? 'reused' : 'done'} (${(b.build.buildCpuMs / 1000).toFixed(1)} s CPU)`);
    } catch (e) {
      result.status = 'build-failed';
      result.problems.push(`${c.name} build: ${(e as Error).message.split('\n').slice(0, 12).join('\n')}`);
      p.skip(plannedRuns(o));
      return result;
    }
  }
  const buildOf = (c: Config): BuiltConfig => built.get(c.buildOf ?? c.name)!;
  for (const c of o.configs) {
    if (!c.baseline || c.buildOf) continue;
    const mine = result.builds[c.name]!;
    const theirs = result.builds[c.baseline]!;
    result.buildRatio[c.name] = { cpu: mine.buildCpuMs / theirs.buildCpuMs, wall: mine.buildMs / theirs.buildMs };
    if (mine.configureCpuMs !== undefined && theirs.configureCpuMs !== undefined) {
      result.buildRatio[c.name]!.configureCpu = mine.configureCpuMs / theirs.configureCpuMs;
      result.buildRatio[c.name]!.configureWall = mine.configureMs! / theirs.configureMs!;
    }
  }
  const wb = built.get('wb');
  if (wb) result.pass = passFacts(wb.build.report, wb.build.dir);
  if (result.pass && result.pass.units > 0 && result.pass.stores + result.pass.calls === 0) {
    // Every program of the suite has pointer stores: a report without any means the pass did not run.
    result.status = 'build-failed';
    result.problems.push(`wb build: cc-wb's report lists ${result.pass.units} units and not one barriered store or call (${wb!.build.report}): is the pass broken?`);
    p.loud(`${bench.name}: the wb build has no barriers at all`);
    p.skip(plannedRuns(o));
    return result;
  }
  if (result.pass?.uninstrumented.length) {
    result.problems.push(`${result.pass.uninstrumented.length} unit(s) compiled without barriers: ${result.pass.uninstrumented.slice(0, 5).join(', ')}`);
  }

  if (o.buildsOnly) return result;

  // 2. Runs. The first round checks outputs (timed too when there is no warm-up round).
  const key = `${bench.name}/${o.size}`;
  const runDir = (c: Config) => benchCache('runs', bench.name, o.size, c.name);
  const bad = new Set<string>();
  let reference: RunResult | null = null;
  const check = (c: Config, r: RunResult): void => {
    // The first run of the first configuration (base) is the reference every other run must equal.
    if (!reference) {
      reference = r;
      result.digests = r.digests;
      const ctx = context(buildOf(c).build.dir);
      const own = bench.verify?.(ctx, o.size, r.output) ?? [];
      const wrong = own.map((msg) => `${c.name}: ${msg}`);
      const pin = o.expected[key];
      if (pin && pin.version === src.version) {
        const diff = compareDigests(pin.digests, r.digests);
        result.reference = 'pinned';
        if (diff.length) wrong.push(`${c.name}: output differs from the pinned reference (spec-bench/expected.json ${key}): ${diff.join('; ')}`);
      } else if (o.pin && own.length === 0) {
        o.expected[key] = { version: src.version, digests: r.digests };
        result.reference = 'newly pinned';
      } else result.reference = pin ? 'pinned for another version' : 'not pinned';
      if (wrong.length) {
        bad.add(c.name);
        result.status = 'mismatch';
        result.problems.push(...wrong);
        p.loud(`MISMATCH ${bench.name} ${c.name}: ${wrong[0]}`);
      }
      return;
    }
    const diff = compareDigests(reference.digests, r.digests);
    const own = bench.verify?.(context(buildOf(c).build.dir), o.size, r.output) ?? [];
    if ((diff.length || own.length) && !bad.has(c.name)) {
      bad.add(c.name);
      result.status = 'mismatch';
      const where = Object.keys(reference.digests)
        .filter((f) => reference!.digests[f] !== r.digests[f] && f in r.digests)
        .slice(0, 3)
        .map((f) => `${f} first differs at byte ${firstDifference(reference!.output.read(f), r.output.read(f))}`);
      result.problems.push(`${c.name}: OUTPUT DIFFERS from base (${[...diff, ...own, ...where].join('; ')}; see ${r.output.dir})`);
      p.loud(`MISMATCH ${bench.name} ${c.name}: output differs from base; see ${r.output.dir}`);
    }
  };
  const once = async (c: Config, round: string): Promise<RunResult | null> => {
    if (bad.has(c.name) || (c.baseline && bad.has(c.baseline))) return null;
    const b = buildOf(c);
    const ctx = context(b.build.dir);
    p.status(`${bench.name}: ${c.name} ${round}`);
    try {
      const commands = bench.workload(ctx, o.size);
      let r: RunResult;
      if (c.hosted) {
        // The build's own programs get the host; anything else a workload runs (a shell) does not.
        const ours = commands.map((cmd) => !isAbsolute(cmd.program));
        const report = `${runDir(c)}.sink.jsonl`;
        takeSinkReports(report);
        const prefix = hostedPrefix();
        r = await runWorkload(commands, b.build.dir, runDir(c), { ...c.runEnv, WB_HOST_SINK_REPORT: report }, o.timeoutMs, (i) => (ours[i] ? prefix : []));
        const reports = takeSinkReports(report);
        const want = ours.filter(Boolean).length;
        if (reports.length !== want) throw new RunFailed(`spec-bench: ${want} hosted process(es) ran but the host sink reported ${reports.length}: was the host attached?`, '');
        result.hosted[c.name] = sumSinkReports(reports);
      } else r = await runWorkload(commands, b.build.dir, runDir(c), c.runEnv, o.timeoutMs);
      check(c, r);
      // A run whose output is wrong measures nothing.
      return bad.has(c.name) ? null : r;
    } catch (e) {
      if (!(e instanceof RunFailed)) throw e;
      bad.add(c.name);
      result.status = result.status === 'ok' ? 'run-failed' : result.status;
      result.problems.push(`${c.name}: ${e.message}`);
      p.loud(`FAILED ${bench.name} ${c.name}: ${e.message.split('\n')[0]}`);
      return null;
    } finally {
      p.tick();
    }
  };

  for (const c of o.configs) result.runs[c.name] = [];
  if (o.warmup) for (const c of o.configs) await once(c, 'check run');
  for (let i = 0; i < o.runs; i++) {
    for (const c of o.configs) {
      const n = c.fewerRuns ? Math.min(o.runs, o.fewerRuns) : o.runs;
      if (i >= n) continue;
      const r = await once(c, `run ${i + 1}/${n}`);
      if (r) result.runs[c.name]!.push(r.timing);
    }
  }

  // 3. Summary.
  for (const c of o.configs) {
    const t = result.runs[c.name]!;
    if (t.length === 0) continue;
    result.summary[c.name] = { cpu: spread(t.map((x) => x.cpu)), wall: spread(t.map((x) => x.wall)) };
    const base = c.baseline ? result.runs[c.baseline] : undefined;
    if (base && base.length) {
      result.ratios[c.name] = {
        cpu: ratio(
          t.map((x) => x.cpu),
          base.map((x) => x.cpu),
        ),
        wall: ratio(
          t.map((x) => x.wall),
          base.map((x) => x.wall),
        ),
      };
    }
  }
  return result;
}
