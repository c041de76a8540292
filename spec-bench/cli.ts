#!/usr/bin/env node
// `npm run bench [-- --quick]`: what does the barrier cost real C programs? Builds each program of the
// suite from its Debian source with plain cc and with cc-wb (same flags), checks that every build's
// output is identical, times interleaved runs (no host, a host attached), runs the TypeScript-driven
// suite, and writes a table, JSON and one SVG chart per question to spec-bench/results/. Exits 1 when a benchmark's output differs or a build or run fails.
import { Command, Option } from 'commander';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configurations } from './build.js';
import { describeMachine } from './machine.js';
import { profileDiff, renderProfile } from './profile.js';
import { runMicro } from './micro.js';
import { resultsDir } from './paths.js';
import { Progress } from '../harness/terminal.js';
import { renderTable, summarize, type SuiteResult } from './report.js';
import { renderCharts } from './charts.js';
import { expectedPath, plannedRuns, readExpected, runBenchmark, writeExpected, type BenchResult, type Metric } from './runner.js';
import { QUICK, SUITE, type Benchmark } from './suite.js';
import { DRIVERS } from './driven/drivers.js';
import { plannedDrivenRuns, runDriven, type DrivenResult } from './driven/suite.js';
import type { Driver } from './driven/workload.js';

interface CliOptions {
  quick: boolean;
  runs?: string;
  stressRuns: string;
  only?: string;
  clang: boolean;
  stress: boolean;
  hosted: boolean;
  driven: boolean | string;
  metric: Metric;
  micro: boolean;
  programs: boolean;
  warmup: boolean;
  pin: boolean;
  expected?: string;
  out?: string;
  timeout: string;
  quiet: boolean;
  list: boolean;
  profile?: string;
  charts?: string;
  buildsOnly: boolean;
  rebuild: boolean;
}

export interface SuiteOptions {
  size: 'ref' | 'quick';
  runs: number;
  /** Timed runs of wb-stress (at most `runs`). */
  stressRuns: number;
  benchmarks: Benchmark[];
  clang: boolean;
  stress: boolean;
  /** The configurations with a host attached (default on). */
  hosted?: boolean;
  /** The TypeScript-driven benchmarks to run (none: skipped). */
  driven?: Driver[];
  metric: Metric;
  micro: boolean;
  warmup: boolean;
  pin: boolean;
  expectedFile: string;
  timeoutMs: number;
  quiet: boolean;
  /** Build every configuration (and compare build times), run nothing. */
  buildsOnly?: boolean;
  /** Called with the results so far after each benchmark. */
  onProgress?: (partial: SuiteResult) => void;
}

/** Runs the suite and returns the result (also the entry point the harness test uses). */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const machine = describeMachine();
  const started = new Date().toISOString();
  const configs = configurations(o.clang).filter((c) => (o.stress || c.name !== 'wb-stress') && (o.hosted !== false || !c.hosted));
  const drivers = o.buildsOnly ? [] : (o.driven ?? []);
  const planned = o.buildsOnly ? 0 : plannedRuns({ configs, runs: o.runs, fewerRuns: o.stressRuns, warmup: o.warmup }) * o.benchmarks.length + plannedDrivenRuns(o) * drivers.length;
  const progress = new Progress('spec-bench', planned, o.quiet, 'activity');
  const expected = readExpected(o.expectedFile);
  const benchmarks: BenchResult[] = [];
  const driven: DrivenResult[] = [];
  progress.note(`spec-bench${o.size === 'quick' ? ' --quick' : ''}: ${o.benchmarks.map((b) => b.name).join(', ')}; ${configs.map((c) => c.name).join(', ')}; ${o.runs} runs; load ${machine.loadBefore.join(' ')}`);
  const assemble = (micro: SuiteResult['micro']): SuiteResult => ({
    tool: 'spec-bench',
    format: 2,
    size: o.size,
    runs: o.runs,
    stressRuns: Math.min(o.runs, o.stressRuns),
    buildsOnly: o.buildsOnly ?? false,
    metric: o.metric,
    started,
    finished: new Date().toISOString(),
    machine,
    loadAfter: loadavg().map((x) => Math.round(x * 100) / 100),
    configs: configs.map((c) => ({ name: c.name, baseline: c.baseline, compiler: c.compiler.words.join(' '), runEnv: c.runEnv, describe: c.describe })),
    benchmarks,
    driven,
    ...summarize(benchmarks, configs, o.metric),
    micro,
  });
  for (const b of o.benchmarks) {
    const r = await runBenchmark(b, { size: o.size, runs: o.runs, fewerRuns: o.stressRuns, configs, warmup: o.warmup, expected, pin: o.pin, timeoutMs: o.timeoutMs, progress, buildsOnly: o.buildsOnly ?? false });
    benchmarks.push(r);
    const wb = r.ratios.wb?.[o.metric];
    progress.note(`${b.name}: ${r.status}${wb ? `, wb/base ${((wb.ratio - 1) * 100).toFixed(1)}%` : ''}${r.problems.length ? ` (${r.problems.length} problem(s))` : ''}`);
    // A long run interrupted later still leaves what it measured so far.
    if (o.pin) writeExpected(expected, o.expectedFile);
    o.onProgress?.(assemble([]));
  }
  if (o.pin) writeExpected(expected, o.expectedFile);
  for (const d of drivers) {
    const r = await runDriven(d, { size: o.size, runs: o.runs, warmup: o.warmup, timeoutMs: o.timeoutMs, progress });
    driven.push(r);
    progress.note(`${d.library} from TypeScript: ${r.status}${r.ratio ? `, cc-wb/koffi ${r.ratio.cpu.ratio.toFixed(2)}x` : ''}`);
    o.onProgress?.(assemble([]));
  }
  progress.finish();
  const micro = o.micro ? runMicro(o.size === 'quick', (m) => progress.note(m)) : [];
  return assemble(micro);
}

/** Writes <out>.txt and .json; returns their paths. */
export function writeResults(result: SuiteResult, outBase: string): string[] {
  mkdirSync(join(outBase, '..'), { recursive: true });
  const files = [`${outBase}.txt`, `${outBase}.json`];
  writeFileSync(files[0]!, renderTable(result));
  writeFileSync(files[1]!, JSON.stringify(result, null, 2) + '\n');
  return files;
}

/** Writes <out>-<chart>.svg for each chart the result has data for; returns their paths. */
export async function writeCharts(result: SuiteResult, outBase: string): Promise<string[]> {
  const files: string[] = [];
  for (const [name, svg] of Object.entries(await renderCharts(result))) {
    const f = `${outBase}-${name}.svg`;
    writeFileSync(f, svg);
    files.push(f);
  }
  return files;
}

const program = new Command()
  .name('spec-bench')
  .description(
    'SPEC-style overhead benchmark of cc-wb: real programs from Debian sources built with plain cc (base), with cc-wb (wb), run with a host attached (wb-hosted) and with WB_STRESS=1 (wb-stress); outputs verified, interleaved timed runs, medians and ratios.',
  )
  .option('--quick', `small subset (${QUICK.join(', ')}) with short workloads and 3 runs: a few minutes`, false)
  .option('-n, --runs <n>', 'timed runs per configuration (default 5; 3 with --quick)')
  .option('--stress-runs <n>', 'timed runs of wb-stress (its slow path makes some programs 10-20x slower)', '3')
  .option('--only <list>', `comma-separated benchmarks (of ${SUITE.map((b) => b.name).join(', ')})`)
  .option('--clang', 'also build with clang and cc-wb over clang (configurations clang, wb-clang)', false)
  .option('--no-stress', 'skip the wb-stress configuration')
  .option('--no-hosted', 'skip the configurations with a host attached (wb-hosted, wb-held: the barriers\' active path)')
  .option('--no-driven', 'skip the TypeScript-driven suite (zlib, expat, cjson from TypeScript: cc-wb + runtime-ts against plain cc + raw koffi)')
  .option('--driven <list>', `comma-separated TypeScript-driven benchmarks (of ${DRIVERS.map((d) => d.library).join(', ')})`)
  .addOption(new Option('--metric <m>', 'time the ratios use: cpu (user + sys, steadier on a shared machine) or wall').choices(['cpu', 'wall']).default('cpu'))
  .option('--no-micro', 'skip the micro-benchmarks')
  .option('--no-programs', 'only the micro-benchmarks')
  .option('--no-warmup', 'no untimed check run per configuration before the timed rounds')
  .option('--pin', 'record base outputs as the reference (spec-bench/expected.json) where none is pinned for the source version', false)
  .option('--expected <file>', 'pinned reference outputs', relative(process.cwd(), expectedPath) || expectedPath)
  .option('--out <base>', 'results path without extension (default spec-bench/results/<suite|quick>)')
  .option('--timeout <s>', 'limit per run, seconds', '600')
  .option('-q, --quiet', 'no progress display', false)
  .option('--list', 'list the benchmarks and exit', false)
  .option('--profile <list>', 'instead of timing: run the workloads (--quick size unless --ref-size) under callgrind in base and wb and list the functions and source lines that got more expensive')
  .option('--ref-size', 'with --profile: the reference workloads', false)
  .option('--charts <json>', 'instead of running: render the charts (and, for a result of this version, the table) of a stored result next to it')
  .option('--builds-only', 'build every configuration and compare the build times (configure, CPU, wall); run no workload', false)
  .option('--rebuild', 'build again even where an identical build is cached (CC_WB_REBUILD=1): build times from this run', false);

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<CliOptions>();
  if (o.profile) {
    const configs = configurations(false);
    for (const n of o.profile.split(',').map((x) => x.trim())) {
      const b = SUITE.find((x) => x.name === n);
      if (!b) throw new Error(`spec-bench: unknown benchmark "${n}" (have ${SUITE.map((x) => x.name).join(', ')})`);
      process.stderr.write(`spec-bench: profiling ${n} under callgrind (base, then wb)\n`);
      const size = (o as CliOptions & { refSize: boolean }).refSize ? 'ref' : 'quick';
      const text = renderProfile(`${n} (${size} workload)`, await profileDiff(b, configs[0]!, configs[1]!, size));
      process.stdout.write(text + '\n');
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(join(resultsDir, `profile-${n}.txt`), text);
    }
    return 0;
  }
  if (o.charts) {
    const stored = JSON.parse(readFileSync(o.charts, 'utf8')) as SuiteResult;
    const base = o.charts.replace(/\.json$/, '');
    const files = await writeCharts(stored, base);
    // A result of the current format gets its table again too (the report's wording may have changed).
    if (stored.format === 2) {
      writeFileSync(`${base}.txt`, renderTable(stored));
      files.unshift(`${base}.txt`);
    }
    process.stderr.write(`charts: ${files.map((f) => relative(process.cwd(), f) || f).join(', ')}\n`);
    return 0;
  }
  if (o.list) {
    for (const b of SUITE) console.log(`${b.name.padEnd(8)} ${b.project.source.name.padEnd(10)} ${b.program.padEnd(20)} ${b.what}`);
    return 0;
  }
  const size = o.quick ? 'quick' : 'ref';
  if (o.rebuild) process.env.CC_WB_REBUILD = '1';
  const names = o.only ? o.only.split(',').map((s) => s.trim()) : o.quick ? QUICK : SUITE.map((b) => b.name);
  const benchmarks = names.map((n) => {
    const b = SUITE.find((x) => x.name === n);
    if (!b) throw new Error(`spec-bench: unknown benchmark "${n}" (have ${SUITE.map((x) => x.name).join(', ')})`);
    return b;
  });
  const runs = o.runs !== undefined ? Number(o.runs) : o.quick ? 3 : 5;
  const only = o.only ? `-${names.join('-')}` : '';
  const outBase = o.out ?? join(resultsDir, o.buildsOnly ? `build-time${only}` : o.quick ? 'quick' : o.only ? `only${only}` : 'suite');
  const drivenNames = typeof o.driven === 'string' ? o.driven.split(',').map((s) => s.trim()) : o.driven ? DRIVERS.map((d) => d.library) : [];
  const drivers = drivenNames.map((n) => {
    const d = DRIVERS.find((x) => x.library === n);
    if (!d) throw new Error(`spec-bench: unknown TypeScript-driven benchmark "${n}" (have ${DRIVERS.map((x) => x.library).join(', ')})`);
    return d;
  });
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`spec-bench: --runs must be a positive integer, not "${o.runs}"`);
  const result = await runSuite({
    size,
    runs,
    stressRuns: Math.max(1, Number(o.stressRuns) || 1),
    benchmarks: o.programs ? benchmarks : [],
    clang: o.clang,
    stress: o.stress,
    hosted: o.hosted,
    driven: drivers,
    metric: o.metric,
    micro: o.micro && !o.buildsOnly,
    warmup: o.warmup,
    pin: o.pin,
    expectedFile: o.expected ?? expectedPath,
    timeoutMs: Number(o.timeout) * 1000,
    quiet: o.quiet,
    buildsOnly: o.buildsOnly,
    onProgress: (partial) => writeResults(partial, outBase),
  });
  const text = renderTable(result);
  process.stdout.write(text);
  const files = [...writeResults(result, outBase), ...(await writeCharts(result, outBase))];
  process.stderr.write(`results: ${files.map((f) => relative(process.cwd(), f) || f).join(', ')}\n`);
  const failed = result.benchmarks.filter((b) => b.status !== 'ok');
  if (failed.length) {
    process.stderr.write(`spec-bench: FAILED: ${failed.map((b) => `${b.name} (${b.status})`).join(', ')}\n`);
    return 1;
  }
  return 0;
}

// Run as a program, not when imported by the test.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(2);
    },
  );
}
