// Real programs from Debian built with cc-wb must behave exactly as they do built with plain cc: bzip2
// and zlib pass their own test suites, and lua runs a CPU-heavy workload (harness/workloads/lua-workload.lua)
// with byte-identical output. Sources come from `apt-get source` (cached in .cache/debian/); builds are
// cached per compiler fingerprint in .cache/build/ (CC_WB_REBUILD=1 forces fresh ones).
//
// CC_WB_TEST_CC=gcc puts another compiler in cc-wb's place, to check the harness itself.
import { afterAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { repoRoot } from '../../harness/cache.js';
import { compilerUnderTest, referenceCompiler } from '../../harness/compilers.js';
import { buildProject, checkProject, runIn, type BuildResult, type Project } from '../../harness/build.js';
import { TEST_PROJECTS as PROJECTS } from '../../harness/programs.js';
import { pairUnits, readReport } from '../../harness/oracle/compare.js';

const underTest = compilerUnderTest();
const reference = referenceCompiler();
const workload = join(repoRoot, 'harness', 'workloads', 'lua-workload.lua');

interface Row {
  project: string;
  version: string;
  plainMs: number;
  testMs: number;
  plainCpuMs: number;
  testCpuMs: number;
  check: string;
  tus: number;
  instrumented: number;
  sites: number;
}
const rows: Row[] = [];

function summarize(project: Project, plain: BuildResult, test: BuildResult, check: string): void {
  // Only the build's own translation units: configure probes also reach cc-wb and its report.
  const units = pairUnits(test.commands, readReport(test.report));
  rows.push({
    project: project.name,
    version: test.version,
    plainMs: plain.buildMs,
    testMs: test.buildMs,
    plainCpuMs: plain.buildCpuMs,
    testCpuMs: test.buildCpuMs,
    check,
    tus: units.length,
    instrumented: units.filter((u) => u.entry?.instrumented).length,
    sites: units.reduce((a, u) => a + (u.entry?.instrumented ? u.entry.sites.length : 0), 0),
  });
}

/** Every C file the build compiled went through cc-wb (one report line each), unless cc-wb is stood in for. */
function expectReportCoversBuild(build: BuildResult): void {
  if (underTest.label !== 'cc-wb') return;
  const reported = new Set(readReport(build.report).map((e) => e.source));
  const compiled = build.commands.filter((c) => c.mode === 'compile').flatMap((c) => c.sources.map((s) => resolve(c.cwd, s)));
  expect(compiled.length).toBeGreaterThan(0);
  expect(compiled.filter((s) => !reported.has(s))).toEqual([]);
}

describe(`real programs built with ${underTest.label} (reference: ${reference.words.join(' ')})`, () => {
  afterAll(() => {
    // CPU seconds (user + system of everything the build ran) are the comparable figure on a shared
    // machine; wall seconds are shown for reference.
    const head = ['project', 'version', 'plain build cpu s', `${underTest.label} build cpu s`, 'ratio', 'wall s (plain/cc-wb)', 'own checks', 'TUs', 'instrumented', 'barriered sites'];
    const body = rows.map((r) => [
      r.project,
      r.version,
      (r.plainCpuMs / 1000).toFixed(1),
      (r.testCpuMs / 1000).toFixed(1),
      `${(r.testCpuMs / r.plainCpuMs).toFixed(2)}x`,
      `${(r.plainMs / 1000).toFixed(1)}/${(r.testMs / 1000).toFixed(1)}`,
      r.check,
      String(r.tus),
      String(r.instrumented),
      String(r.sites),
    ]);
    const w = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
    const fmt = (cells: string[]): string => cells.map((x, c) => (c < 2 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ');
    console.log(['', fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(fmt)].join('\n'));
  });

  it('bzip2: builds (static lib, shared lib, programs) and passes `make test`', async () => {
    const plain = await buildProject(PROJECTS.bzip2, reference);
    const test = await buildProject(PROJECTS.bzip2, underTest);
    expectReportCoversBuild(test);
    const check = await checkProject(PROJECTS.bzip2, test, underTest);
    summarize(PROJECTS.bzip2, plain, test, check.ok ? 'make test ok' : 'make test FAILED');
    expect(check.ok, check.output).toBe(true);
    // The self-test compresses and decompresses its three samples and compares with cmp.
    expect(check.output).toMatch(/cmp sample3\.tst sample3\.ref/);
  });

  it('zlib: configures with CC=…, builds static and shared, and passes `make test`', async () => {
    const plain = await buildProject(PROJECTS.zlib, reference);
    const test = await buildProject(PROJECTS.zlib, underTest);
    expectReportCoversBuild(test);
    const check = await checkProject(PROJECTS.zlib, test, underTest);
    summarize(PROJECTS.zlib, plain, test, check.ok ? 'make test ok' : 'make test FAILED');
    expect(check.ok, check.output).toBe(true);
    for (const variant of ['zlib test OK', 'zlib shared test OK', 'zlib 64-bit test OK']) expect(check.output).toContain(variant);
  });

  it('lua 5.4: builds (upstream linux target) and runs the workload with output identical to a plain build', async () => {
    const plain = await buildProject(PROJECTS.lua, reference);
    const test = await buildProject(PROJECTS.lua, underTest);
    expectReportCoversBuild(test);
    const want = await runIn(plain, 'src/lua', [workload]);
    expect(want.stderr.toString(), 'plain lua must run the workload cleanly').toBe('');
    expect(want.exitCode).toBe(0);
    expect(want.stdout.toString()).toMatch(/\ndone\n$/);
    const got = await runIn(test, 'src/lua', [workload]);
    const same = got.stdout.equals(want.stdout) && got.exitCode === 0 && got.stderr.length === 0;
    summarize(PROJECTS.lua, plain, test, same ? `workload identical (${(want.ms / 1000).toFixed(1)} s vs ${(got.ms / 1000).toFixed(1)} s)` : 'workload DIFFERS');
    expect(got.stderr.toString()).toBe('');
    expect(got.exitCode).toBe(0);
    // Compared as text for a readable diff; the Buffer comparison below is the byte-for-byte check.
    expect(got.stdout.toString('latin1')).toBe(want.stdout.toString('latin1'));
    expect(got.stdout.equals(want.stdout)).toBe(true);
  });
});
