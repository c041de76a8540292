// cc-wb must compile programs exactly as cc does. This is the CI-sized slice of `npm run conformance`
// (which runs all 1,592 GCC torture tests, 1,000 csmith seeds and nine real projects): a fixed
// sample of torture tests, a few csmith seeds and the whole regression corpus, with zero regressions.
// CC_WB_CONFORMANCE_WB names another compiler under test (e.g. "gcc", to check the harness alone).
import { describe, expect, it } from 'vitest';
import { makeCompiler } from '../conformance/compilers.js';
import { parseSeeds, runCsmith, summarizeCsmith } from '../conformance/csmith.js';
import { defaultWbCommand } from '../conformance/paths.js';
import { regressionFiles, runRegressions } from '../conformance/regressions.js';
import { loadTortureCases, quickSample, runTorture, summarizeTorture, TORTURE_COUNT, tortureDir } from '../conformance/torture.js';

const wbCommand = process.env.CC_WB_CONFORMANCE_WB ?? defaultWbCommand();
const common = async () => ({
  ref: await makeCompiler('cc', 'cc'),
  wb: await makeCompiler('cc-wb', wbCommand),
  jobs: 2,
  runTimeoutMs: 10_000,
  compileTimeoutMs: 300_000,
  useRefCache: true,
  quiet: true,
});

/** Readable failure: the list of what differs, not a deep-equal dump of thousands of results. */
function listing(items: { test?: string; seed?: number; opt: string; status?: string; reason?: string; detail?: string }[]): string[] {
  return items.map((i) => `${i.test ?? `csmith seed ${i.seed}`} ${i.opt}: ${i.status ?? ''} ${i.reason ?? i.detail ?? ''}`.trim());
}

describe(`conformance: ${wbCommand} against cc`, () => {
  it('GCC torture sample (every 10th of gcc.c-torture/execute, -O2): every test cc passes, cc-wb passes', async () => {
    const all = loadTortureCases(await tortureDir());
    expect(all.length).toBe(TORTURE_COUNT);
    const sample = quickSample(all, 10);
    const results = await runTorture(sample, { ...(await common()), opts: ['-O2'] });
    const s = summarizeTorture(results);
    expect(listing(s.regressions)).toEqual([]);
    // The sample is real work, not a vacuous pass: plain cc passes nearly all of it here.
    expect(s.byOpt['-O2']!.refPass).toBeGreaterThanOrEqual(sample.length - 2);
  });

  it('csmith seeds 1-12 (-O1, -O2): identical checksums', async () => {
    const results = await runCsmith({ ...(await common()), seeds: parseSeeds('1-12'), opts: ['-O1', '-O2'], saveRegressions: false });
    const s = summarizeCsmith(results);
    expect(listing(s.mismatches)).toEqual([]);
    expect(s.programsCompared).toBeGreaterThanOrEqual(20);
  });

  it('regression corpus (test/conformance/regressions): every reproducer behaves as under cc', async () => {
    const files = regressionFiles();
    const c = await common();
    const results = await runRegressions(c.ref, c.wb, { files });
    const differing = results.filter((r) => !r.same).map((r) => `${r.file}: cc ${r.ref.end}, cc-wb ${r.wb.end}${r.wb.detail ? ` (${r.wb.detail.split('\n')[0]})` : ''}`);
    expect(differing).toEqual([]);
    expect(results).toHaveLength(files.length);
  });
});
