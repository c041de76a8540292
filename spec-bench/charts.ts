// The charts of a run, one per question: what the barrier costs with no host (compulsory), with a
// host attached (hosted), a library driven from TypeScript against raw koffi (TypeScript-driven),
// and what cc-wb costs the build (build time). Vega-Lite specifications rendered to SVG by Vega in
// Node. Bars carry no labels (the table has the figures); whiskers show the per-round spread but are
// clipped to a scale the medians and the goals set, so one noisy round cannot squash the chart.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SuiteResult } from './report.js';
import { geomean } from './stats.js';

export type ChartName = 'compulsory' | 'hosted' | 'driven' | 'build';

interface Row {
  benchmark: string;
  config: string;
  /** The ratio, as the value drawn (overhead in percent, or a plain ratio). */
  value: number;
  lo?: number;
  hi?: number;
}

interface Goal {
  value: number;
  label: string;
}

const PALETTE: Record<string, string> = { wb: '#3b6fb6', 'wb-clang': '#7aa33b', 'wb-hosted': '#d08a2c', 'wb-held': '#9b59b6', 'wb-stress': '#c0563b', 'cc-wb / koffi': '#3b6fb6', 'build (CPU)': '#6b7f8e' };

/** A scale that holds the bars, the goals and a margin, not the whiskers. */
function domain(rows: Row[], goals: Goal[], zero: number): [number, number] {
  const vals = [zero, ...rows.map((r) => r.value), ...goals.map((g) => g.value)];
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  const pad = (hi - lo) * 0.12 || 1;
  return [lo < zero ? lo - pad : zero, hi + pad];
}

function barChart(title: string, subtitle: string[], axisTitle: string, rows: Row[], goals: Goal[], zero: number, order: string[]): TopLevelSpec {
  const [lo, hi] = domain(rows, goals, zero);
  // Whiskers end at the chart's edge: drawn there rather than clipped, so that nothing lies outside the picture.
  const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
  rows = rows.map((r) => (r.lo === undefined || r.hi === undefined ? r : { ...r, lo: clamp(r.lo), hi: clamp(r.hi) }));
  const configs = [...new Set(rows.map((r) => r.config))];
  const x = { field: 'value', type: 'quantitative', title: axisTitle, scale: { domain: [lo, hi], nice: false, zero: false } } as const;
  const y = { field: 'benchmark', type: 'nominal', title: null, sort: order, axis: { labelFontWeight: { condition: { test: "datum.value === 'geomean'", value: 'bold' }, value: 'normal' } } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555', offset: 12 },
    width: 520,
    height: { step: Math.max(10, 26 / Math.max(1, configs.length)) * Math.max(1, configs.length) + 6 },
    background: 'white',
    padding: 12,
    autosize: { type: 'pad' },
    config: { font: 'DejaVu Sans, Liberation Sans, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', clip: true, height: { band: 0.8 } },
        encoding: {
          y,
          yOffset: { field: 'config', type: 'nominal', sort: configs },
          x: { ...x },
          x2: { datum: zero },
          color: { field: 'config', type: 'nominal', title: null, sort: configs, scale: { domain: configs, range: configs.map((c) => PALETTE[c] ?? '#888') }, legend: { orient: 'bottom', direction: 'horizontal' } },
          tooltip: [{ field: 'benchmark' }, { field: 'config' }, { field: 'value', format: '.2f' }],
        },
      },
      {
        data: { values: rows.filter((r) => r.lo !== undefined && r.hi !== undefined) },
        mark: { type: 'rule', clip: true, color: '#222', strokeWidth: 1 },
        encoding: { y, yOffset: { field: 'config', type: 'nominal', sort: configs }, x: { field: 'lo', type: 'quantitative', scale: { domain: [lo, hi], nice: false, zero: false } }, x2: { field: 'hi' } },
      },
      {
        data: { values: [{ value: zero }] },
        mark: { type: 'rule', color: '#000' },
        encoding: { x: { field: 'value', type: 'quantitative' } },
      },
      {
        data: { values: goals },
        mark: { type: 'rule', color: '#c62828', strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x: { field: 'value', type: 'quantitative' } },
      },
      // One label per goal, each on a line of its own above the plot, so that close goals do not overlap.
      ...goals.map((g, i) => ({
        data: { values: [g] },
        mark: { type: 'text', color: '#c62828', align: 'left', baseline: 'bottom', dx: 3, dy: -2 - 13 * (goals.length - 1 - i), fontSize: 10, y: 0 },
        encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
      })),
    ],
  } as TopLevelSpec;
}

const pct = (r: number) => (r - 1) * 100;

/** Overhead rows (percent) of the configurations against their baselines, plus the geomean. */
function overheadRows(s: SuiteResult, configs: string[]): { rows: Row[]; order: string[] } {
  const m = s.metric;
  const rows: Row[] = [];
  const present = configs.filter((c) => s.benchmarks.some((b) => b.ratios[c]));
  for (const b of s.benchmarks) {
    for (const c of present) {
      const r = b.ratios[c]?.[m];
      if (r) rows.push({ benchmark: b.name, config: c, value: pct(r.ratio), lo: pct(r.pairs.min), hi: pct(r.pairs.max) });
    }
  }
  for (const c of present) if (s.geomean[c]) rows.push({ benchmark: 'geomean', config: c, value: pct(s.geomean[c]![m]) });
  return { rows, order: [...s.benchmarks.filter((b) => present.some((c) => b.ratios[c])).map((b) => b.name), 'geomean'] };
}

function stamp(s: SuiteResult): string {
  return `${s.machine.cpu}, ${s.machine.cores} cores; load ${s.machine.loadBefore[0]} before, ${s.loadAfter[0]} after; ${s.finished.slice(0, 10)}; cc-wb ${s.machine.commit.slice(0, 10)}`;
}

/** The Vega-Lite specification of each chart this result has data for. */
export function chartSpecs(s: SuiteResult): Partial<Record<ChartName, TopLevelSpec>> {
  const out: Partial<Record<ChartName, TopLevelSpec>> = {};
  const metric = s.metric === 'cpu' ? 'CPU' : 'wall';
  const runs = `median of ${s.runs} runs; whiskers: per-round min..max (clipped at the chart's edge)`;
  const goal = (config: string) => (s.bars ?? []).find((b) => b.config === config); // results of format 1 have no bars
  const compulsory = overheadRows(s, ['wb', 'wb-clang']);
  if (compulsory.rows.length) {
    const g = goal('wb');
    out.compulsory = barChart(
      'Compulsory cost: cc-wb build vs plain cc, no host',
      [`overhead in ${metric} time, ${runs}`, stamp(s)],
      `overhead over plain cc (%, ${metric} time)`,
      compulsory.rows,
      [
        { value: 3, label: `geomean goal +3%${g ? (g.met ? ' (met)' : ' (not met)') : ''}` },
        { value: 10, label: 'worst goal +10%' },
      ],
      0,
      compulsory.order,
    );
  }
  const hosted = overheadRows(s, ['wb-hosted', 'wb-held']);
  if (hosted.rows.length) {
    const g = goal('wb-hosted');
    out.hosted = barChart(
      'Hosted cost: a host attached, barriers on their active path',
      ['wb-hosted: the host holds nothing; wb-held: it holds 8 small objects of its own', `overhead in ${metric} time, ${runs}`, stamp(s)],
      `overhead over plain cc (%, ${metric} time)`,
      hosted.rows,
      [
        { value: 5, label: `geomean goal +5%${g ? (g.met ? ' (met)' : ' (not met)') : ''}` },
        { value: 15, label: 'worst goal +15%' },
      ],
      0,
      hosted.order,
    );
  }
  const driven = (s.driven ?? []).filter((d) => d.ratio);
  if (driven.length) {
    const rows: Row[] = driven.map((d) => ({ benchmark: d.name, config: 'cc-wb / koffi', value: d.ratio!.cpu.ratio, lo: d.ratio!.cpu.pairs.min, hi: d.ratio!.cpu.pairs.max }));
    rows.push({ benchmark: 'geomean', config: 'cc-wb / koffi', value: geomean(rows.map((r) => r.value)) });
    out.driven = barChart(
      'TypeScript-driven: cc-wb + runtime-ts vs plain cc + raw koffi',
      [`job CPU time of the cc-wb version over the raw koffi version's, ${runs}`, stamp(s)],
      'cc-wb-driven CPU time / raw koffi CPU time (x)',
      rows,
      [{ value: 1.15, label: 'goal 1.15x' }],
      1,
      [...driven.map((d) => d.name), 'geomean'],
    );
  }
  const built = s.benchmarks.filter((b) => b.buildRatio.wb);
  if (built.length) {
    const rows: Row[] = built.map((b) => ({ benchmark: b.name, config: 'build (CPU)', value: b.buildRatio.wb!.cpu }));
    if (s.buildGeomean.wb) rows.push({ benchmark: 'geomean', config: 'build (CPU)', value: s.buildGeomean.wb.cpu });
    out.build = barChart(
      'Build time: cc-wb vs plain cc',
      ['CPU time of the whole build (configure, compile, link) with cc-wb over the same build with plain cc', stamp(s)],
      'build CPU time, cc-wb / plain cc (x)',
      rows,
      [],
      1,
      [...built.map((b) => b.name), 'geomean'],
    );
  }
  return out;
}

/** A Vega-Lite specification as SVG text. */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Every chart this result has data for, as SVG. */
export async function renderCharts(s: SuiteResult): Promise<Partial<Record<ChartName, string>>> {
  const out: Partial<Record<ChartName, string>> = {};
  for (const [name, spec] of Object.entries(chartSpecs(s)) as [ChartName, TopLevelSpec][]) out[name] = await renderChart(spec);
  return out;
}
