#!/usr/bin/env node
// `npm run conformance [-- --quick]`: does cc-wb compile programs exactly as cc does? Runs GCC's
// execute torture tests, csmith differential tests, the regression corpus and real projects' own test
// suites with both compilers, checks every unit of the projects' cc-wb builds for pointer stores without
// a barrier (clang's AST as the oracle), prints progress and a summary, writes JSON, exits 1 on any
// regression or missed store.
import { Command, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { completenessTable } from './completeness.js';
import { commandCompiler, type Compiler } from '../harness/compilers.js';
import { csmithTable, parseSeeds, runCsmith, summarizeCsmith, CsmithSummary } from './csmith.js';
import { cacheDir, repoRoot } from '../harness/cache.js';
import { defaultWbCommand } from './paths.js';
import { killAllRunning } from '../harness/proc.js';
import { formatSeconds } from '../harness/terminal.js';
import { projectsTable, PROJECTS, QUICK_PROJECTS, runProjects, summarizeProjects, ProjectsSummary } from './projects.js';
import { runRegressions } from './regressions.js';
import { loadTortureCases, quickSample, runTorture, summarizeTorture, tortureDir, tortureTable, TortureSummary } from './torture.js';

const SUITES = ['torture', 'csmith', 'regressions', 'projects'] as const;
type Suite = (typeof SUITES)[number];

interface CliOptions {
  quick: boolean;
  suites: string;
  cc: string;
  wb: string;
  opt: string;
  jobs: string;
  only?: string;
  seeds?: string;
  projects?: string;
  timeout: string;
  json?: string;
  refCache: boolean;
  save: boolean;
  completeness: boolean;
}

const program = new Command()
  .name('conformance')
  .description('Compile and run GCC torture tests, csmith programs, the regression corpus and real projects\' test suites with plain cc and with cc-wb; every difference is a bug.')
  .option('--quick', 'fixed sample: 319 torture tests and 50 csmith seeds (each at one of the -O levels in turn), the regressions, bzip2 and zlib (their own tests and barrier completeness)', false)
  .option('--suites <list>', `comma-separated subset of ${SUITES.join(',')}`, SUITES.join(','))
  .option('--cc <command>', 'reference compiler', 'cc')
  .option('--wb <command>', 'compiler under test (env CC_WB_CONFORMANCE_WB)', process.env.CC_WB_CONFORMANCE_WB ?? defaultWbCommand())
  .option('-O, --opt <levels>', 'optimisation levels, comma-separated', '-O1,-O2')
  .option('-j, --jobs <n>', 'parallel compiles/runs (the machine is shared: keep it at 2)', '2')
  .option('--only <regex>', 'torture tests whose name matches')
  .option('--seeds <ranges>', 'csmith seeds, e.g. 1-500,777 (default 1-1000, quick 1-50)')
  .option('--projects <list>', `projects to build and check (default all: ${PROJECTS.map((p) => p.name).join(',')})`)
  .option('--timeout <s>', 'run-time limit per test program, seconds', '10')
  .option('--json <file>', 'results file (default <cache>/conformance/results/<quick|full>.json)')
  .option('--no-ref-cache', 'recompute plain cc results instead of reusing cached ones')
  .option('--no-completeness', "projects: skip the barrier-completeness check (cc-wb's barriered sites vs clang's AST, every unit)")
  .addOption(new Option('--no-save', 'do not save csmith mismatches as regression tests'));

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<CliOptions>();
  const suites = o.suites.split(',').map((s) => s.trim()) as Suite[];
  for (const s of suites) if (!SUITES.includes(s)) throw new Error(`conformance: unknown suite "${s}" (have ${SUITES.join(', ')})`);
  const opts = o.opt.split(',').map((s) => s.trim()).map((s) => (s.startsWith('-') ? s : `-${s}`));
  const jobs = Math.max(1, Number(o.jobs) || 2);
  const runTimeoutMs = Number(o.timeout) * 1000;
  const ref = await commandCompiler('cc', o.cc);
  const wb = await commandCompiler('cc-wb', o.wb);
  const started = Date.now();
  process.stderr.write(`conformance${o.quick ? ' --quick' : ''}: ${ref.label} = ${ref.command}; ${wb.label} = ${wb.command}; ${opts.join(' ')}; -j${jobs}\n`);

  const report: Record<string, unknown> = { quick: o.quick, ref: { command: ref.command, identity: ref.fingerprint() }, wb: { command: wb.command, identity: wb.fingerprint() }, opts, started: new Date(started).toISOString() };
  const summary: string[] = [];
  let failures = 0;
  const common = { ref, wb, jobs, runTimeoutMs, compileTimeoutMs: 300_000, useRefCache: o.refCache };

  if (suites.includes('torture')) {
    let cases = loadTortureCases(await tortureDir());
    if (o.quick) cases = quickSample(cases);
    if (o.only) cases = cases.filter((c) => new RegExp(o.only!).test(c.name));
    const results = await runTorture(cases, { ...common, opts, alternate: o.quick });
    const s: TortureSummary = summarizeTorture(results);
    report.torture = { summary: s, results };
    failures += s.regressions.length + s.uninstrumented.length;
    summary.push(renderTorture(s, results, ref, wb));
  }

  if (suites.includes('csmith')) {
    const seeds = parseSeeds(o.seeds ?? (o.quick ? '1-50' : '1-1000'));
    const results = await runCsmith({ ...common, seeds, opts, saveRegressions: o.save, alternate: o.quick });
    const s: CsmithSummary = summarizeCsmith(results);
    report.csmith = { summary: s, results: results.map((r) => ({ ...r, ref: { ...r.ref, stdout: r.ref.stdout.trim() }, wb: r.wb && { ...r.wb, stdout: r.wb.stdout.trim() } })) };
    failures += s.mismatches.length + s.uninstrumented.length;
    summary.push(
      [
        `== Csmith: ${s.seeds} seeds (${seedRange(seeds)}), ${s.programsCompared} compiled programs compared, ${s.mismatches.length} mismatches, ${s.uninstrumented.length} compiled without barriers, ${s.sites} barrier sites`,
        csmithTable(results),
        ...s.mismatches.map((m) => `MISMATCH seed ${m.seed} ${m.opt}: ${m.reason}${m.saved ? ` -> ${relative(repoRoot, m.saved)}` : ''}`),
        ...s.uninstrumented.map((u) => `UNINSTRUMENTED seed ${u.seed} ${u.opt}: ${u.reason.split('\n')[0]}`),
        ...s.flaky.map((f) => `flaky (matched on retry) seed ${f.seed} ${f.opt}: ${f.reason}`),
        s.dropped.length ? `dropped: ${s.dropped.map((d) => `${d.seed}${d.opt} (${d.reason})`).join('; ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }

  if (suites.includes('regressions')) {
    const results = await runRegressions(ref, wb, { jobs, timeoutMs: runTimeoutMs * 2 });
    const bad = results.filter((r) => !r.same);
    report.regressions = results;
    failures += bad.length;
    summary.push(
      [
        `== Regression corpus (conformance/regressions): ${results.length} files, ${results.length - bad.length} behave as under cc, ${bad.length} differ (${bad.filter((r) => r.open).length} of them known open bugs)`,
        ...results.filter((r) => r.open && r.same).map((r) => `FIXED? ${relative(repoRoot, r.file)} is marked open but behaves as under cc: remove its conformance-status line`),
        ...bad.map((r) => `${r.open ? 'DIFFERS (open)' : 'DIFFERS'} ${relative(repoRoot, r.file)} ${r.flags.join(' ')}: cc ${r.ref.end}, cc-wb ${r.wb.end}${r.wb.fallback ? ' (compiled without barriers)' : ''}${r.wb.missed ? ` (${r.wb.missed} pointer store(s) without a barrier)` : ''}${r.wb.detail || r.wb.fallback ? `\n    ${(r.wb.detail ?? r.wb.fallback!).split('\n').join('\n    ')}` : ''}`),
      ].join('\n'),
    );
  }

  if (suites.includes('projects')) {
    const names = o.projects ? o.projects.split(',').map((s) => s.trim()) : o.quick ? QUICK_PROJECTS : PROJECTS.map((p) => p.name);
    const results = await runProjects(names, { ref, wb, jobs, completeness: o.completeness });
    const s: ProjectsSummary = summarizeProjects(results);
    report.projects = { summary: s, results };
    // A project plain cc cannot build proves nothing either way: that fails the run too. So does each
    // pointer store without a barrier, and a project whose stores the oracle could not count.
    // And a configure that concludes differently under cc-wb (config.h, CMake's check results).
    failures += s.regressions + s.uninstrumented + s.errors + s.missedStores + s.unmeasured + s.configureDiffers;
    summary.push(`== Real projects' own test suites (make check with CC=cc vs CC=cc-wb)\n${projectsTable(results)}`);
    if (o.completeness) {
      summary.push(
        `== Barrier completeness (every unit of the cc-wb builds: pointer stores in clang's AST vs cc-wb's barriered sites, per line): ${s.missedStores} missed${s.unmeasured ? `, ${s.unmeasured} project(s) not measured` : ''}\n` +
          completenessTable(results, cacheDir('conformance', 'projects')),
      );
    }
  }

  if (!o.only) await import('./diagnostics.js').then((m) => m.diagnosticsSuite({ quick: o.quick, jobs, wb: wb.words, log: (l) => process.stderr.write(`${l}\n`) })).then((d) => { failures += d.failures; summary.push(d.summary); });
  const elapsed = (Date.now() - started) / 1000;
  report.seconds = elapsed;
  const jsonPath = o.json ?? join(cacheDir('conformance', 'results'), `${o.quick ? 'quick' : 'full'}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 1));
  const text = summary.join('\n\n') + `\n\n${failures === 0 ? 'PASS' : 'FAIL'}: ${failures} regression(s) in ${formatSeconds(elapsed)}; results in ${jsonPath}\n`;
  writeFileSync(jsonPath.replace(/\.json$/, '') + '.txt', text);
  process.stdout.write('\n' + text);
  return failures === 0 ? 0 : 1;
}

function renderTorture(s: TortureSummary, results: Parameters<typeof tortureTable>[0], ref: Compiler, wb: Compiler): string {
  const opts = Object.keys(s.byOpt);
  const lines = [
    `== GCC torture (gcc.c-torture/execute): ${s.tests} tests, ${opts.map((op) => `${op}: ${ref.label} ${s.byOpt[op]!.refPass}/${s.byOpt[op]!.run} pass, ${wb.label} ${s.byOpt[op]!.wbPass}/${s.byOpt[op]!.run}, ${s.byOpt[op]!.regressions} regressions, ${s.byOpt[op]!.uninstrumented} compiled without barriers, ${s.byOpt[op]!.sites} barrier sites`).join('; ')}`,
    tortureTable(results, ref.label, wb.label, 'category'),
    '',
    'by feature (a test counts under each feature it uses):',
    tortureTable(results, ref.label, wb.label, 'feature'),
  ];
  if (s.excluded.length) lines.push('', `excluded (plain ${ref.label} fails them itself):`, ...s.excluded.map((e) => `  ${e.test} ${e.opt}: ${e.reason.split('\n')[0]}`));
  if (s.skipped.length) lines.push('', 'skipped (not for x86_64-linux or these flags):', ...s.skipped.map((e) => `  ${e.test} ${e.opt}: ${e.reason}`));
  if (s.uninstrumented.length) lines.push('', `UNINSTRUMENTED (${wb.label} fell back to a plain compile; behaviour matches but nothing was barriered):`, ...s.uninstrumented.map((u) => `  ${u.test} ${u.opt}: ${u.reason.split('\n')[0]}`));
  if (s.flaky.length) lines.push('', 'flaky (passed on retry):', ...s.flaky.map((f) => `  ${f.test} ${f.opt}: ${f.reason}`));
  if (s.regressions.length) {
    lines.push('', 'REGRESSIONS:');
    for (const r of s.regressions) lines.push(`  ${r.test} ${r.opt}: ${r.status}${r.detail ? `\n      ${r.detail.split('\n').join('\n      ')}` : ''}`);
  }
  return lines.join('\n');
}

function seedRange(seeds: number[]): string {
  if (seeds.length === 0) return 'none';
  const contiguous = seeds.every((s, i) => i === 0 || s === seeds[i - 1]! + 1);
  return contiguous ? `${seeds[0]}-${seeds[seeds.length - 1]}` : `${seeds.length} listed`;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAllRunning();
    process.stderr.write(`\nconformance: interrupted (${sig})\n`);
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    killAllRunning();
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
