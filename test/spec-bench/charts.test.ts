// The charts of a run: one per question, rendered by Vega to SVG and by resvg to PNG; nothing may
// fall outside the picture, the bars carry no labels, and one wild whisker must not set the scale.
import { describe, expect, it } from 'vitest';
import { Resvg } from '@resvg/resvg-js';
import { chartSpecs, renderCharts } from '../../spec-bench/charts.js';
import type { SuiteResult } from '../../spec-bench/report.js';

const pairs = (ratio: number, min = ratio - 0.01, max = ratio + 0.01) => ({ ratio, pairs: { median: ratio, min, max } });
const both = (r: ReturnType<typeof pairs>) => ({ cpu: r, wall: r });

/** A result with every chart's data, and an expat whose per-round ratios run from -80% to +200%. */
function sample(): SuiteResult {
  const names = ['bzip2', 'gzip', 'lua', 'expat'];
  const wb = [1.01, 1.02, 1.04, 1.016];
  const hosted = [1.05, 1.03, 1.3, 1.1];
  const benchmarks = names.map((name, i) => ({
    name,
    ratios: {
      wb: both(name === 'expat' ? pairs(wb[i]!, 0.2, 3) : pairs(wb[i]!)),
      'wb-hosted': both(pairs(hosted[i]!)),
      'wb-held': both(pairs(hosted[i]! + 0.1)),
    },
    buildRatio: { wb: { cpu: 2 + i, wall: 2 + i } },
  }));
  return {
    metric: 'cpu',
    runs: 5,
    machine: { cpu: 'Test CPU with a rather long model name, 2.2 GHz', cores: 2, loadBefore: [1.5, 1, 1], commit: '0123456789abcdef' },
    loadAfter: [2.5, 1, 1],
    finished: '2026-12-06T09:00:00.000Z',
    benchmarks,
    geomean: { wb: { cpu: 1.02, wall: 1.02, benchmarks: 4 }, 'wb-hosted': { cpu: 1.11, wall: 1.11, benchmarks: 4 }, 'wb-held': { cpu: 1.2, wall: 1.2, benchmarks: 4 } },
    buildGeomean: { wb: { cpu: 3.2, wall: 3.2 } },
    bars: [
      { config: 'wb', what: 'x', geomeanMax: 1.03, worstMax: 1.1, geomean: 1.02, worst: 1.04, worstName: 'lua', met: true },
      { config: 'wb-hosted', what: 'x', geomeanMax: 1.05, worstMax: 1.15, geomean: 1.11, worst: 1.3, worstName: 'lua', met: false },
    ],
    driven: ['zlib', 'expat', 'cjson'].map((name, i) => ({ name, ratio: both(pairs(1 + i * 0.4)) })),
  } as unknown as SuiteResult;
}

describe('spec-bench charts', () => {
  it('has one chart per question', () => {
    expect(Object.keys(chartSpecs(sample())).sort()).toEqual(['build', 'compulsory', 'driven', 'hosted']);
  });

  it('scales the compulsory chart to the medians and goals, not to an outlier whisker', () => {
    const spec = chartSpecs(sample()).compulsory as unknown as { layer: { mark: { type: string; clip?: boolean }; encoding: { x?: { scale?: { domain: number[] } } } }[] };
    const [lo, hi] = spec.layer[0]!.encoding.x!.scale!.domain as [number, number];
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(10); // the +10% goal is on the chart
    expect(hi).toBeLessThan(20); // expat's +200% round is not what sets it
    const whiskers = spec.layer.find((l) => l.mark.type === 'rule' && l.mark.clip)!;
    expect(whiskers).toBeDefined();
    // Text marks are only the goal labels: no figures printed over the bars.
    expect(spec.layer.filter((l) => l.mark.type === 'text')).toHaveLength(2);
  });

  it('renders every chart to a PNG with nothing clipped', async () => {
    const svgs = await renderCharts(sample());
    expect(Object.keys(svgs)).toHaveLength(4);
    for (const [name, svg] of Object.entries(svgs)) {
      expect(svg, name).toMatch(/^<svg[^>]* viewBox="0 0 [\d.]+ [\d.]+"/);
      expect(svg, name).not.toMatch(/NaN|undefined/);
      const r = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
      const png = r.render();
      expect(png.width, name).toBeGreaterThan(400);
      const bytes = png.asPng();
      expect(bytes.subarray(1, 4).toString('latin1'), name).toBe('PNG');
      // The drawn content (text included: titles, axis labels, the legend) lies inside the picture.
      const box = r.getBBox()!;
      expect(box.x, name).toBeGreaterThanOrEqual(0);
      expect(box.y, name).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, name).toBeLessThanOrEqual(r.width + 0.5);
      expect(box.y + box.height, name).toBeLessThanOrEqual(r.height + 0.5);
    }
  });
});
