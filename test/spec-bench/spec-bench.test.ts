// The spec-bench harness itself: one small real benchmark (bzip2 from Debian, --quick workload, one run
// per configuration) end to end through the same code `npm run bench` uses, the shape of its table,
// JSON and SVG, and the two ways an output check must fail loudly: a configuration whose output
// differs from base's, and a base output that differs from the pinned reference.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuite, writeResults, type SuiteOptions } from '../../spec-bench/cli.js';
import { renderSvg, renderTable } from '../../spec-bench/report.js';
import { parseTimes } from '../../spec-bench/measure.js';
import { geomean, median, ratio } from '../../spec-bench/stats.js';
import { generate } from '../../spec-bench/corpus.js';
import { SUITE, type Benchmark } from '../../spec-bench/suite.js';

const tmp = mkdtempSync(join(tmpdir(), 'spec-bench-test-'));
const bzip2 = SUITE.find((b) => b.name === 'bzip2')!;

function options(over: Partial<SuiteOptions>): SuiteOptions {
  return {
    size: 'quick',
    runs: 1,
    stressRuns: 1,
    benchmarks: [bzip2],
    clang: false,
    stress: true,
    metric: 'cpu',
    micro: false,
    warmup: false,
    pin: false,
    expectedFile: join(tmp, 'none.json'),
    timeoutMs: 120_000,
    quiet: true,
    ...over,
  };
}

describe('spec-bench pieces', () => {
  it('reads the timing bash reports', () => {
    const t = parseTimes('0m0.004s 0m0.001s\n1m2.500s 0m0.250s\n1700000000.250000 1700000063.000000\n');
    expect(t.user).toBeCloseTo(62.5, 6);
    expect(t.sys).toBeCloseTo(0.25, 6);
    expect(t.wall).toBeCloseTo(62.75, 3);
    expect(() => parseTimes('garbage')).toThrow(/cannot read the timing/);
  });

  it('computes medians, pair ratios and geomeans', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(geomean([1.21, 1])).toBeCloseTo(1.1, 10);
    const r = ratio([11, 12, 30], [10, 10, 10]);
    expect(r.ratio).toBeCloseTo(1.2, 10);
    expect(r.pairs.min).toBeCloseTo(1.1, 10);
    expect(r.pairs.max).toBeCloseTo(3, 10);
  });

  it('generates the same inputs every time, of the requested size', () => {
    for (const kind of ['text', 'mixed', 'xml'] as const) {
      const a = generate(kind, 0.25);
      expect(a.equals(generate(kind, 0.25))).toBe(true);
      expect(Math.abs(a.length - 0.25 * 2 ** 20)).toBeLessThan(4096);
    }
    expect(generate('xml', 0.1).toString('latin1')).toMatch(/<\/catalog>\n$/);
  });
});

describe('spec-bench end to end (bzip2, --quick, one run)', () => {
  it('builds, verifies and times base, wb and wb-stress, and writes table, JSON and SVG', async () => {
    const result = await runSuite(options({}));
    const b = result.benchmarks[0]!;
    expect(b.problems).toEqual([]);
    expect(b.status).toBe('ok');
    expect(b.version).toMatch(/^1\.0\.8/);
    for (const c of ['base', 'wb', 'wb-stress']) {
      expect(b.runs[c]).toHaveLength(1);
      expect(b.summary[c]!.cpu.median).toBeGreaterThan(0.05);
      expect(b.summary[c]!.wall.median).toBeGreaterThan(0.05);
    }
    // Ratios exist for both instrumented configurations; on a busy machine they are only plausible.
    for (const c of ['wb', 'wb-stress']) expect(b.ratios[c]!.cpu.ratio).toBeGreaterThan(0.3);
    expect(b.buildRatio.wb!.cpu).toBeGreaterThan(0);
    // The pass report: bzip2 has a few hundred barriered stores and calls in ~6000 lines of C.
    expect(b.pass!.units).toBeGreaterThanOrEqual(8);
    expect(b.pass!.uninstrumented).toEqual([]);
    expect(b.pass!.linesOfC).toBeGreaterThan(4000);
    expect(b.pass!.stores).toBeGreaterThan(20);
    expect(b.pass!.calls).toBeGreaterThan(3);
    expect(Object.keys(b.digests).sort()).toEqual(['c0.bz2', 'd0']);
    expect(result.geomean.wb!.benchmarks).toBe(1);

    const files = writeResults(result, join(tmp, 'out'));
    const json = JSON.parse(readFileSync(files[1]!, 'utf8'));
    expect(json.tool).toBe('spec-bench');
    expect(json.machine.uname).toMatch(/Linux/);
    expect(json.machine.cpu.length).toBeGreaterThan(0);
    expect(json.machine.loadBefore).toHaveLength(3);
    expect(json.benchmarks[0].runs.wb[0]).toMatchObject({ wall: expect.any(Number), cpu: expect.any(Number), load: expect.any(Number) });

    const table = renderTable(result);
    expect(table).toMatch(/^bzip2 +1\.0\.8\S* +[\d,]+ +\d+ +\d+ +[\d.]+ \([\d.]+-[\d.]+\)/m);
    expect(table).toMatch(/^geomean /m);
    expect(table).toContain('load average');
    expect(readFileSync(files[0]!, 'utf8')).toBe(table);

    const svg = renderSvg(result);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // A bar per (benchmark + geomean) x configuration, each with its tooltip.
    expect(svg.match(/<title>bzip2 wb: /g)).toHaveLength(1);
    expect(svg.match(/<title>geomean wb-stress: /g)).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('fails loudly when a configuration produces different output than base', async () => {
    // The same bzip2 workload plus one command whose output depends on WB_STRESS: wb-stress must be
    // reported as a mismatch and not timed.
    const leaky: Benchmark = {
      ...bzip2,
      workload: (ctx, size) => [...bzip2.workload(ctx, size), { program: '/bin/sh', args: ['-c', 'echo "stress=${WB_STRESS:-0}"'], stdout: 'env' }],
    };
    const result = await runSuite(options({ benchmarks: [leaky] }));
    const b = result.benchmarks[0]!;
    expect(b.status).toBe('mismatch');
    expect(b.problems.join('\n')).toMatch(/wb-stress: OUTPUT DIFFERS from base \(env: sha256 .*env first differs at byte 7/);
    expect(b.runs['wb-stress']).toEqual([]);
    expect(b.runs.wb).toHaveLength(1);
    expect(renderTable(result)).toMatch(/MISMATCH/);
  });

  it('fails when base output differs from the pinned reference', async () => {
    const first = await runSuite(options({ stress: false }));
    const version = first.benchmarks[0]!.version;
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ 'bzip2/quick': { version, digests: { ...first.benchmarks[0]!.digests, d0: '0'.repeat(64) } } }));
    const result = await runSuite(options({ stress: false, expectedFile: wrong }));
    const b = result.benchmarks[0]!;
    expect(b.status).toBe('mismatch');
    expect(b.reference).toBe('pinned');
    expect(b.problems.join('\n')).toMatch(/output differs from the pinned reference .*d0: sha256/);
  });
});
