// Real projects' own test suites: each Debian source package is built twice from a pristine copy,
// once with CC=cc and once with CC=cc-wb, and its own `make check` (or equivalent) run on each build.
// cc-wb must fail no test that cc passes. The recipes (steps, check-log parsers) are the programs'
// `conformance` entries in harness/programs.ts; sources come from harness/debian.ts (`apt-get source`
// into the shared cache). The cc-wb build also goes through harness/cclog.sh, so that every unit it
// compiled can be checked for barrier completeness against clang's AST afterwards (completeness.ts).
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchDebianSource } from '../harness/debian.js';
import { PROGRAMS, type CheckReport, type ConformanceRecipe } from '../harness/programs.js';
import { commandLogEnv, completenessFailures, loggedCompiler, measureCompleteness, type Completeness } from './completeness.js';
import type { Compiler } from '../harness/compilers.js';
import { compilerShim, ResultCache, sha1 } from './compilers.js';
import { cacheDir } from '../harness/cache.js';
import { describeEnd, run } from '../harness/proc.js';
import { formatSeconds, table } from '../harness/terminal.js';
import { PassSummary, readPassReport, UnitReport } from './wbreport.js';
import { compareConfigureAnswers, readConfigureAnswers, type ConfigureAnswers } from './configure-answers.js';

export type { CheckReport } from '../harness/programs.js';

/** A project as the conformance harness runs it: its recipe from harness/programs.ts. */
export interface ProjectSpec extends Omit<ConformanceRecipe, 'name'> {
  name: string;
  /** Debian source package. */
  source: string;
}

export const PROJECTS: ProjectSpec[] = PROGRAMS.flatMap((p) => {
  if (!p.conformance) return [];
  const { name, ...recipe } = p.conformance;
  return [{ ...recipe, name: name ?? p.name, source: p.source.name }];
});

/** The two small projects the quick run builds. */
export const QUICK_PROJECTS = ['bzip2', 'zlib'];

// -------------------------------------------------------------------------------------------------
// Building and checking

export interface BuildOutcome {
  /** The step that failed ("configure", "build"), or "check" when the suite itself failed. */
  failedStep?: string;
  stepDetail?: string;
  report?: CheckReport;
  seconds: Record<string, number>;
  log: string;
  /** From cc-wb's pass report over the project's own sources (configure probes left out). */
  pass?: PassSummary;
  /** Distinct compiler warning lines during the build step. */
  warnings?: number;
  /** What the configure step concluded (config headers, CMake's check results): configure-answers.ts. */
  configure?: ConfigureAnswers;
}

export interface ProjectResult {
  name: string;
  version: string;
  ref: BuildOutcome;
  wb?: BuildOutcome;
  /**
   * 'ok': cc-wb fails nothing cc passes and barriered every pointer store the oracle found;
   * 'regression': a test cc passes fails; 'uninstrumented': a unit compiled without barriers;
   * 'missed-stores': a pointer store without a barrier (or the oracle could not be run);
   * 'configure-differs': configure concluded differently with cc-wb (config.h, CMake's checks);
   * 'error': could not even fetch/build with cc.
   */
  verdict: 'ok' | 'regression' | 'uninstrumented' | 'missed-stores' | 'configure-differs' | 'error';
  /** Every difference between the configure answers of the two builds (empty: byte-identical). */
  configureDifferences?: string[];
  /** Barrier completeness of the cc-wb build (all its units, test programs included, probes left out). */
  completeness?: Completeness;
  /** Tests failing under cc-wb but not under cc (or the step that broke). */
  newFailures: string[];
  note?: string;
}

const STEP_TIMEOUT_MS = 60 * 60_000;
/** Bumped whenever BuildOutcome gains fields, so cached reference results are recomputed. */
const RESULT_FORMAT = 'build-outcome-v3';

/** Configure-time probes (autoconf's conftest.c, CMake's try_compile) are meant to fail sometimes. */
const PROBE = /(^|\/)conftest\.c$|CMakeFiles\/CMakeScratch|CMakeFiles\/CMakeTmp|CMakeCCompilerId\.c$|CheckFunctionExists\.c$|CheckSymbolExists\.c$/;

function projectPass(reportPath: string): PassSummary {
  const all = readPassReport(reportPath);
  if (all.units === 0) return all;
  // readPassReport counts every line; recount without the probes.
  const lines = existsSync(reportPath) ? readFileSync(reportPath, 'utf8').split('\n').filter((l) => l.trim()) : [];
  const units = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as UnitReport];
    } catch {
      return [];
    }
  });
  const own = units.filter((u) => !PROBE.test(u.source));
  return {
    units: own.length,
    sites: own.filter((u) => u.instrumented).reduce((a, u) => a + (u.sites?.length ?? 0), 0),
    fallbacks: own
      .filter((u) => !u.instrumented)
      .map((u) => ({ source: u.source, message: (u.diagnostics?.find((d) => d.severity === 'error') ?? u.diagnostics?.[0])?.message ?? 'compiled without write barriers' })),
  };
}

/** Where a project's build with compiler `c` lives: the tree, its log, cc-wb's report, the compile log. */
function buildPaths(spec: ProjectSpec, c: Compiler) {
  const root = cacheDir('conformance', 'projects', spec.name);
  return { root, tree: join(root, c.label), log: join(root, `${c.label}.log`), report: join(root, `${c.label}-report.jsonl`), cmdlog: join(root, `${c.label}-cmdlog`) };
}

/** With `logCommands`, every compile goes through cclog.sh into the build's compile log, for the oracle. */
async function buildAndCheck(spec: ProjectSpec, pristine: string, c: Compiler, jobs: number, logCommands = false): Promise<BuildOutcome> {
  let configure: ConfigureAnswers | undefined;
  const { tree, log, report: reportPath, cmdlog } = buildPaths(spec, c);
  rmSync(tree, { recursive: true, force: true });
  cpSync(pristine, tree, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  writeFileSync(log, '');
  const shim = compilerShim(logCommands ? loggedCompiler(c) : c);
  const seconds: Record<string, number> = {};
  let warnings = 0;
  // The tree is a copy: drop options the outer environment may carry that would change the build.
  rmSync(reportPath, { force: true });
  const env = { ...process.env, MAKEFLAGS: '', MFLAGS: '', MAKELEVEL: '', CFLAGS: '', CPPFLAGS: '', LDFLAGS: '', CC_WB_REPORT: reportPath, ...(logCommands ? commandLogEnv(cmdlog) : {}) };
  const passSummary = () => projectPass(reportPath);
  for (const step of spec.steps(shim, jobs)) {
    writeFileSync(log, `\n===== ${step.name}: ${step.argv.join(' ')}\n`, { flag: 'a' });
    const before = readFileSync(log, 'utf8').length;
    const r = await run(step.argv, { cwd: join(tree, step.cwd ?? '.'), env: { ...env, ...step.env }, timeoutMs: STEP_TIMEOUT_MS, logFile: log });
    seconds[step.name] = r.ms / 1000;
    if (step.name === 'check') {
      const text = readFileSync(log, 'utf8').slice(before);
      const report = spec.parse(text, tree);
      if (r.timedOut) report.failed.push(`(check ${describeEnd(r, STEP_TIMEOUT_MS)})`);
      // A suite that exits non-zero with no failure we could name still failed.
      if (r.code !== 0 && report.failed.length === 0) report.failed.push(`(check ${describeEnd(r)})`);
      return { report, seconds, log, failedStep: report.failed.length ? 'check' : undefined, pass: passSummary(), warnings, configure };
    }
    if (step.name === 'build') {
      // New compiler warnings matter: projects built with -Werror would break on them.
      const text = readFileSync(log, 'utf8').slice(before);
      warnings = new Set(text.split('\n').filter((l) => /: warning: /.test(l))).size;
    }
    if (r.code !== 0) {
      const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n');
      return { failedStep: step.name, stepDetail: `${describeEnd(r, STEP_TIMEOUT_MS)}\n${tail}`, seconds, log, pass: passSummary(), warnings, configure };
    }
    // Read before any later step edits what configure wrote (expat's fix-config does, in both builds).
    if (step.name === 'configure') configure = readConfigureAnswers(tree, pristine);
  }
  throw new Error(`conformance: project ${spec.name} has no check step`);
}

export interface ProjectsOptions {
  ref: Compiler;
  wb: Compiler;
  jobs: number;
  useRefCache?: boolean;
  quiet?: boolean;
  /** Compare the cc-wb build's barriered sites with clang's AST (default true). */
  completeness?: boolean;
  /** Where a project's pristine source comes from (default: its Debian source package). */
  fetchSource?: (spec: ProjectSpec) => Promise<{ dir: string; version: string }>;
}

const debianSource = async (spec: ProjectSpec) => fetchDebianSource({ name: spec.source, patches: { apply: 'all' } });

export async function runProjects(names: string[], o: ProjectsOptions): Promise<ProjectResult[]> {
  const specs = names.map((n) => {
    const s = PROJECTS.find((p) => p.name === n);
    if (!s) throw new Error(`conformance: unknown project "${n}" (have ${PROJECTS.map((p) => p.name).join(', ')})`);
    return s;
  });
  return runProjectSpecs(specs, o);
}

/** runProjects for any specs (tests run synthetic projects through the same code). */
export async function runProjectSpecs(specs: ProjectSpec[], o: ProjectsOptions): Promise<ProjectResult[]> {
  const measure = o.completeness ?? true;
  const cache = new ResultCache<BuildOutcome>('projects', o.ref, o.useRefCache ?? true);
  const results: ProjectResult[] = [];
  for (const [i, spec] of specs.entries()) {
    const say = (msg: string) => {
      if (!o.quiet) process.stderr.write(`[projects ${i + 1}/${specs.length}] ${spec.name}: ${msg}\n`);
    };
    say('fetching the source');
    let src: { dir: string; version: string };
    try {
      src = await (o.fetchSource ?? debianSource)(spec);
    } catch (e) {
      // One project whose source cannot be had (a mirror's 404) must not stop the others.
      const detail = e instanceof Error ? e.message : String(e);
      say(`cannot fetch the source: ${detail.split('\n')[0]}`);
      results.push({ name: spec.name, version: '?', ref: { failedStep: 'fetch', stepDetail: detail, seconds: {}, log: '' }, verdict: 'error', newFailures: [], note: 'source fetch failed' });
      continue;
    }
    const key = sha1(RESULT_FORMAT, spec.name, src.version, spec.steps('CC', o.jobs).map((s) => s.argv.join(' ')).join('\n'), spec.parse.toString());
    let ref = cache.get(key);
    if (!ref) {
      say(`${src.version}: build + check with ${o.ref.label}`);
      ref = await buildAndCheck(spec, src.dir, o.ref, o.jobs);
      if (!ref.failedStep || ref.failedStep === 'check') {
        cache.set(key, ref);
        cache.save();
      }
    } else say(`${src.version}: ${o.ref.label} result from the cache`);
    if (ref.failedStep && ref.failedStep !== 'check') {
      say(`cannot ${ref.failedStep} with ${o.ref.label}: ${ref.stepDetail?.split('\n')[0]}`);
      results.push({ name: spec.name, version: src.version, ref, verdict: 'error', newFailures: [], note: `${o.ref.label} ${ref.failedStep} failed` });
      continue;
    }
    say(`build + check with ${o.wb.label}`);
    const wb = await buildAndCheck(spec, src.dir, o.wb, o.jobs, measure);
    let completeness: Completeness | undefined;
    if (measure && (!wb.failedStep || wb.failedStep === 'check')) {
      const paths = buildPaths(spec, o.wb);
      let shown = 0;
      completeness = await measureCompleteness(spec.name, o.wb, paths.cmdlog, paths.report, {
        tree: paths.tree,
        ignore: PROBE,
        jobs: o.jobs,
        onProgress: (done, total) => {
          if (done === total || done - shown >= Math.max(10, total / 5)) {
            shown = done;
            say(`barrier completeness: clang AST of ${done}/${total} units`);
          }
        },
      });
      const t = completeness.result?.totals;
      say(t ? `barrier completeness: ${t.tus} units, ${t.oracleStores} pointer stores, ${t.passSites} sites, ${t.missed} missed` : `barrier completeness NOT MEASURED: ${completeness.error?.split('\n')[0]}`);
    }
    let newFailures: string[];
    if (wb.failedStep && wb.failedStep !== 'check') newFailures = [`(${wb.failedStep} failed: ${wb.stepDetail?.split('\n')[0]})`];
    else {
      const refFailed = new Set(ref.report?.failed ?? []);
      newFailures = (wb.report?.failed ?? []).filter((t) => !refFailed.has(t));
    }
    const unbarriered = wb.pass?.fallbacks ?? [];
    const configureDifferences = ref.configure || wb.configure ? compareConfigureAnswers(ref.configure ?? {}, wb.configure ?? {}, o.ref.label, o.wb.label) : [];
    if (ref.configure || wb.configure) say(`configure answers (${Object.keys(wb.configure ?? {}).join(', ') || 'none'}): ${configureDifferences.length ? `${configureDifferences.length} DIFFERENCES` : 'identical'}`);
    const verdict = newFailures.length
      ? 'regression'
      : unbarriered.length
        ? 'uninstrumented'
        : configureDifferences.length
          ? 'configure-differs'
          : completenessFailures(completeness)
            ? 'missed-stores'
            : 'ok';
    say(`${verdict}${newFailures.length ? `: ${newFailures.join(', ')}` : ''} (${formatSeconds(sum(ref.seconds))} vs ${formatSeconds(sum(wb.seconds))})`);
    results.push({ name: spec.name, version: src.version, ref, wb, verdict, newFailures, note: spec.note, completeness, configureDifferences });
  }
  return results;
}

function sum(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

export interface ProjectsSummary {
  projects: number;
  ok: number;
  regressions: number;
  uninstrumented: number;
  errors: number;
  /** Pointer stores clang's AST shows that cc-wb's report has no site for, over all projects. */
  missedStores: number;
  /** Projects whose completeness could not be measured (the oracle failed). */
  unmeasured: number;
  /** Projects whose configure concluded differently under cc-wb. */
  configureDiffers: number;
}

export function summarizeProjects(results: ProjectResult[]): ProjectsSummary {
  return {
    projects: results.length,
    ok: results.filter((r) => r.verdict === 'ok').length,
    regressions: results.filter((r) => r.verdict === 'regression').length,
    uninstrumented: results.filter((r) => r.verdict === 'uninstrumented').length,
    errors: results.filter((r) => r.verdict === 'error').length,
    missedStores: results.reduce((a, r) => a + (r.completeness?.result?.totals.missed ?? 0), 0),
    unmeasured: results.filter((r) => r.completeness?.error !== undefined).length,
    configureDiffers: results.filter((r) => (r.configureDifferences?.length ?? 0) > 0).length,
  };
}

function describeChecks(b: BuildOutcome | undefined): string {
  if (!b) return '-';
  if (b.failedStep && b.failedStep !== 'check') return `${b.failedStep} failed`;
  const r = b.report!;
  if (r.total !== undefined) return `${r.total - r.failed.length}/${r.total} pass`;
  return r.failed.length ? `${r.failed.length} failed` : 'pass';
}

export function projectsTable(results: ProjectResult[]): string {
  const rows = results.map((r) => [
    `${r.name} ${r.version}`,
    describeChecks(r.ref),
    describeChecks(r.wb),
    `${formatSeconds(r.ref.seconds.build ?? 0)} / ${r.wb ? formatSeconds(r.wb.seconds.build ?? 0) : '-'}`,
    `${r.ref.warnings ?? '?'} / ${r.wb?.warnings ?? '-'}`,
    r.wb?.pass ? `${r.wb.pass.units - r.wb.pass.fallbacks.length}/${r.wb.pass.units}` : '-',
    r.wb?.pass ? r.wb.pass.sites : '-',
    r.completeness?.result ? r.completeness.result.totals.missed : r.completeness ? '?' : '-',
    { ok: 'ok', error: 'ERROR', uninstrumented: 'UNBARRIERED', 'missed-stores': 'MISSED STORES', 'configure-differs': 'CONFIGURE DIFFERS', regression: 'REGRESSION' }[r.verdict],
    [
      r.newFailures.join(', '),
      ...(r.configureDifferences ?? []).slice(0, 3).map((d) => `configure: ${d}`),
      r.ref.report?.failed.length ? `cc fails too: ${r.ref.report.failed.join(', ')}` : '',
      ...(r.wb?.pass?.fallbacks ?? []).slice(0, 3).map((f) => `no barriers in ${f.source.replace(/^.*\/projects\/[^/]+\/[^/]+\//, '')}: ${f.message.split('\n')[0]!.slice(0, 160)}`),
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  return table(['project', 'cc', 'cc-wb', 'build time cc / cc-wb', 'warnings cc / cc-wb', 'units barriered', 'sites', 'missed stores', 'verdict', 'notes'], rows);
}

/** The check-log parser of a project by name (tests and tools that re-read saved logs). */
export function parseCheckLog(project: string, log: string, tree: string): CheckReport {
  const spec = PROJECTS.find((p) => p.name === project);
  if (!spec) throw new Error(`conformance: unknown project "${project}"`);
  return spec.parse(log, tree);
}
