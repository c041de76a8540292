// The spec-bench harness itself: one small real benchmark (bzip2 from Debian, --quick workload, one run
// per configuration, with and without a host attached) end to end through the same code `npm run
// bench` uses, the shape of its table and JSON, and the two ways an output check must fail loudly: a
// configuration whose output differs from base's, and a base output that differs from the pinned
// reference. The charts and the TypeScript-driven suite have tests of their own (charts.test.ts,
// driven.test.ts).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runSuite, writeResults, type SuiteOptions } from '../../spec-bench/cli.js';
import { renderBuildTable, renderTable, summarize, type SuiteResult } from '../../spec-bench/report.js';
import { configurations } from '../../spec-bench/build.js';
import type { BenchResult, BuildFacts } from '../../spec-bench/runner.js';
import { hostSink } from '../../spec-bench/host-sink.js';
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

describe('spec-bench build times', () => {
  const facts = (buildMs: number, buildCpuMs: number, configure?: [number, number]): BuildFacts => ({
    buildMs,
    buildCpuMs,
    ...(configure ? { configureMs: configure[0], configureCpuMs: configure[1] } : {}),
    reused: false,
    textBytes: null,
    dir: '/nowhere',
  });
  const bench = (name: string, base: BuildFacts, wb: BuildFacts): BenchResult =>
    ({
      name,
      status: 'ok',
      ratios: {},
      builds: { base, wb },
      buildRatio: {
        wb: {
          cpu: wb.buildCpuMs / base.buildCpuMs,
          wall: wb.buildMs / base.buildMs,
          ...(base.configureCpuMs ? { configureCpu: wb.configureCpuMs! / base.configureCpuMs, configureWall: wb.configureMs! / base.configureMs! } : {}),
        },
      },
    }) as unknown as BenchResult;

  it('puts configure, build CPU and build wall of base and wb side by side, with the goals', () => {
    const benchmarks = [bench('gzip', facts(10_000, 8_000, [4_000, 2_000]), facts(12_000, 9_600, [4_400, 2_200])), bench('lua', facts(5_000, 9_000), facts(8_000, 18_000))];
    const configs = configurations(false);
    const result = { configs: configs.map((c) => ({ name: c.name, baseline: c.baseline })), benchmarks, ...summarize(benchmarks, configs, 'cpu') } as unknown as SuiteResult;
    const t = result.buildTime.wb!;
    expect(t.cpuGeomean).toBeCloseTo(Math.sqrt(1.2 * 2), 10);
    expect([t.cpuWorst, t.cpuWorstName]).toEqual([2, 'lua']);
    expect(t.configureCpuGeomean).toBeCloseTo(1.1, 10);
    expect(t.met).toEqual({ cpuGeomean: false, cpuWorst: false, wallGeomean: false, configure: true });
    expect(result.buildTime['wb-stress']).toBeUndefined(); // it runs wb's build
    const text = renderBuildTable(result, 'wb');
    expect(text).toMatch(/^gzip +2\.00 +2\.20 +1\.10x +8\.00 +9\.60 +1\.20x +10\.0 +12\.0 +1\.20x/m);
    expect(text).toMatch(/^lua +- +- +- +9\.00 +18\.0 +2\.00x +5\.00 +8\.00 +1\.60x/m);
    expect(text).toMatch(/worst 2\.00x lua \(<= 1\.6x\): NOT MET/);
    expect(text).toMatch(/configure CPU geomean 1\.10x over 1 \(<= 1\.2x; wall 1\.10x\): MET/);
  });
});

describe('spec-bench end to end (bzip2, --quick, one run)', () => {
  it('builds, verifies and times base, wb, the hosted configurations and wb-stress, and writes table and JSON', async () => {
    const result = await runSuite(options({}));
    const b = result.benchmarks[0]!;
    expect(b.problems).toEqual([]);
    expect(b.status).toBe('ok');
    expect(b.version).toMatch(/^1\.0\.8/);
    for (const c of ['base', 'wb', 'wb-hosted', 'wb-held', 'wb-stress']) {
      expect(b.runs[c]).toHaveLength(1);
      expect(b.summary[c]!.cpu.median).toBeGreaterThan(0.05);
      expect(b.summary[c]!.wall.median).toBeGreaterThan(0.05);
    }
    // Ratios exist for both instrumented configurations; on a busy machine they are only plausible.
    for (const c of ['wb', 'wb-hosted', 'wb-held', 'wb-stress']) expect(b.ratios[c]!.cpu.ratio).toBeGreaterThan(0.3);
    // Both bzip2 processes (compress, decompress) had the host attached and reported back; the empty
    // host's shadow is clear, so no store reached the C filter; the other held its 8 objects.
    expect(b.hosted['wb-hosted']).toMatchObject({ processes: 2, held: 0, slowStores: 0, countedStores: 0 });
    expect(b.hosted['wb-held']).toMatchObject({ processes: 2, held: 8, countedStores: 0 });
    expect(result.bars.map((x) => x.config)).toEqual(['wb', 'wb-hosted']);
    expect(b.buildRatio.wb!.cpu).toBeGreaterThan(0);
    // bzip2 builds with make alone: no configure time
    expect(b.builds.wb!.configureCpuMs).toBeUndefined();
    expect(result.buildTime.wb!.benchmarks).toBe(1);
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
    expect(table).toMatch(/^build time, wb vs base/m);
    expect(json.buildTime.wb.goals).toEqual({ cpuGeomean: 1.3, cpuWorst: 1.6, wallGeomean: 1.3, configure: 1.2 });
    expect(readFileSync(files[0]!, 'utf8')).toBe(table);

    expect(table).toMatch(/^hosted cost \(wb-hosted vs base\): geomean [-+][\d.]+% \(goal \+5\.0%\)/m);
    expect(table).toMatch(/^bzip2 +wb-held +2 +8 /m);

    // The sink refuses a program that is not linked with cc-wb's runtime, rather than measure it unhosted.
    const plain = spawnSync(join(b.builds.base!.dir, b.program), ['--help'], { env: { ...process.env, LD_PRELOAD: hostSink() }, encoding: 'utf8' });
    expect(plain.status).toBe(99);
    expect(plain.stderr).toMatch(/wb_host_register not in the symbol table/);
  });

  it('fails loudly when a configuration produces different output than base', async () => {
    // The same bzip2 workload plus one command whose output depends on WB_STRESS: wb-stress must be
    // reported as a mismatch and not timed.
    const leaky: Benchmark = {
      ...bzip2,
      workload: (ctx, size) => [...bzip2.workload(ctx, size), { program: '/bin/sh', args: ['-c', 'echo "stress=${WB_STRESS:-0}"'], stdout: 'env' }],
    };
    const result = await runSuite(options({ benchmarks: [leaky], hosted: false }));
    const b = result.benchmarks[0]!;
    expect(b.status).toBe('mismatch');
    expect(b.problems.join('\n')).toMatch(/wb-stress: OUTPUT DIFFERS from base \(env: sha256 .*env first differs at byte 7/);
    expect(b.runs['wb-stress']).toEqual([]);
    expect(b.runs.wb).toHaveLength(1);
    expect(renderTable(result)).toMatch(/MISMATCH/);
  });

  it('fails when base output differs from the pinned reference', async () => {
    const first = await runSuite(options({ stress: false, hosted: false }));
    const version = first.benchmarks[0]!.version;
    const wrong = join(tmp, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ 'bzip2/quick': { version, digests: { ...first.benchmarks[0]!.digests, d0: '0'.repeat(64) } } }));
    const result = await runSuite(options({ stress: false, hosted: false, expectedFile: wrong }));
    const b = result.benchmarks[0]!;
    expect(b.status).toBe('mismatch');
    expect(b.reference).toBe('pinned');
    expect(b.problems.join('\n')).toMatch(/output differs from the pinned reference .*d0: sha256/);
  });
});
