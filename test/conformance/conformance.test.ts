// cc-wb must compile programs exactly as cc does. This is the CI-sized slice of `npm run conformance`
// (which runs all 1,592 GCC torture tests, 1,000 csmith seeds and nine real projects): a fixed
// sample of torture tests, a few csmith seeds and the whole regression corpus, with zero regressions.
// CC_WB_CONFORMANCE_WB names another compiler under test (e.g. "gcc", to check the harness alone).
import { describe, expect, it } from 'vitest';
import { commandCompiler } from '../../harness/compilers.js';
import { parseSeeds, runCsmith, summarizeCsmith } from '../../conformance/csmith.js';
import { defaultWbCommand } from '../../conformance/paths.js';
import { regressionFiles, runRegressions } from '../../conformance/regressions.js';
import { loadTortureCases, quickSample, runTorture, summarizeTorture, TORTURE_COUNT, tortureDir } from '../../conformance/torture.js';

const wbCommand = process.env.CC_WB_CONFORMANCE_WB ?? defaultWbCommand();
const common = async () => ({
  ref: await commandCompiler('cc', 'cc'),
  wb: await commandCompiler('cc-wb', wbCommand),
  jobs: 2,
  runTimeoutMs: 10_000,
  compileTimeoutMs: 300_000,
  useRefCache: true,
  quiet: true,
});

/** Readable failure: the list of what differs, not a deep-equal dump of thousands of results. */
function listing(items: readonly { test?: string; seed?: number; opt: string; status?: string; reason?: string; detail?: string }[]): string[] {
  return items.map((i) => `${i.test ?? `csmith seed ${i.seed}`} ${i.opt}: ${i.status ?? ''} ${i.reason ?? i.detail ?? ''}`.trim());
}

describe(`conformance: ${wbCommand} against cc`, () => {
  it('GCC torture sample (every 10th of gcc.c-torture/execute, -O1/-O2 in turn): every test cc passes, cc-wb passes instrumented', async () => {
    const all = loadTortureCases(await tortureDir());
    expect(all.length).toBe(TORTURE_COUNT);
    const sample = quickSample(all, 10);
    const results = await runTorture(sample, { ...(await common()), opts: ['-O1', '-O2'], alternate: true });
    const s = summarizeTorture(results);
    expect(listing(s.regressions)).toEqual([]);
    expect(listing(s.uninstrumented)).toEqual([]);
    // The sample is real work, not a vacuous pass: plain cc passes nearly all of it here.
    const refPass = Object.values(s.byOpt).reduce((a, b) => a + b.refPass, 0);
    expect(refPass).toBeGreaterThanOrEqual(sample.length - 2);
  });

  it('csmith seeds 1-24 (-O1/-O2 in turn): identical checksums, every program instrumented', async () => {
    const results = await runCsmith({ ...(await common()), seeds: parseSeeds('1-24'), opts: ['-O1', '-O2'], saveRegressions: false, alternate: true });
    const s = summarizeCsmith(results);
    expect(listing(s.mismatches)).toEqual([]);
    expect(listing(s.uninstrumented)).toEqual([]);
    expect(s.programsCompared).toBeGreaterThanOrEqual(20);
  });

  it('regression corpus (conformance/regressions): fixed reproducers behave as under cc, open ones still reproduce', async () => {
    const files = regressionFiles();
    const c = await common();
    const results = await runRegressions(c.ref, c.wb, { files });
    expect(results).toHaveLength(files.length);
    const differing = results
      .filter((r) => !r.open && !r.same)
      .map((r) => `${r.file}: cc ${r.ref.end}, cc-wb ${r.wb.end}${r.wb.fallback ? ' (compiled without barriers)' : ''}${r.wb.detail ? ` (${r.wb.detail.split('\n')[0]})` : ''}`);
    expect(differing).toEqual([]);
    // An open bug that no longer reproduces has been fixed: drop its `conformance-status: open` line
    // so the file guards the fix from now on.
    const fixed = results.filter((r) => r.open && r.same).map((r) => `${r.file}: fixed, remove conformance-status: open`);
    expect(fixed).toEqual([]);
  });
});
