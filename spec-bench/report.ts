// The three forms of a result: a table for the terminal (and results/*.txt), the JSON for tools, and
// an SVG bar chart for people. All are built from one SuiteResult.
import { table } from '../harness/terminal.js';
import type { Config } from './build.js';
import type { Machine } from './machine.js';
import type { MicroResult } from './micro.js';
import type { BenchResult, Metric } from './runner.js';
import { geomean, percent } from './stats.js';

export interface SuiteResult {
  tool: 'spec-bench';
  format: 1;
  size: 'ref' | 'quick';
  runs: number;
  stressRuns: number;
  /** The time the headline ratios use (both are recorded for every run). */
  metric: Metric;
  started: string;
  finished: string;
  machine: Machine;
  loadAfter: number[];
  configs: { name: string; baseline?: string; compiler: string; runEnv: Record<string, string>; describe: string }[];
  benchmarks: BenchResult[];
  /** Geometric mean over the benchmarks that ran, per configuration with a baseline. */
  geomean: Record<string, { cpu: number; wall: number; benchmarks: number }>;
  buildGeomean: Record<string, { cpu: number; wall: number }>;
  micro: MicroResult[];
  /** The bars of DESIGN.md this run is judged against, and the verdict. */
  bar: { geomeanMax: number; worstMax: number; geomean: number; worst: number; worstName: string; met: boolean } | null;
}

export function summarize(benchmarks: BenchResult[], configs: Config[], metric: Metric): Pick<SuiteResult, 'geomean' | 'buildGeomean' | 'bar'> {
  const g: SuiteResult['geomean'] = {};
  const bg: SuiteResult['buildGeomean'] = {};
  for (const c of configs) {
    if (!c.baseline) continue;
    const rs = benchmarks.filter((b) => b.status === 'ok' && b.ratios[c.name]).map((b) => b.ratios[c.name]!);
    if (rs.length) g[c.name] = { cpu: geomean(rs.map((r) => r.cpu.ratio)), wall: geomean(rs.map((r) => r.wall.ratio)), benchmarks: rs.length };
    const br = benchmarks.filter((b) => b.buildRatio[c.name]).map((b) => b.buildRatio[c.name]!);
    if (br.length) bg[c.name] = { cpu: geomean(br.map((r) => r.cpu)), wall: geomean(br.map((r) => r.wall)) };
  }
  let bar: SuiteResult['bar'] = null;
  const wb = benchmarks.filter((b) => b.status === 'ok' && b.ratios.wb);
  if (wb.length) {
    const worst = wb.reduce((a, b) => (b.ratios.wb![metric].ratio > a.ratios.wb![metric].ratio ? b : a));
    const gm = g.wb![metric];
    const w = worst.ratios.wb![metric].ratio;
    bar = { geomeanMax: 1.03, worstMax: 1.1, geomean: gm, worst: w, worstName: worst.name, met: gm <= 1.03 && w <= 1.1 };
  }
  return { geomean: g, buildGeomean: bg, bar };
}

const secs = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function statusText(b: BenchResult): string {
  if (b.status === 'ok') return b.reference === 'pinned' ? 'ok (pinned)' : b.reference === 'newly pinned' ? 'ok (pinned now)' : 'ok (= base)';
  return b.status.toUpperCase();
}

export function renderTable(s: SuiteResult): string {
  const m = s.metric;
  const others = s.configs.filter((c) => c.baseline);
  const head = [
    'benchmark',
    'version',
    'C lines',
    'stores',
    'calls',
    ...s.configs.map((c) => `${c.name} s`),
    ...others.map((c) => `${c.name}/${c.baseline}`),
    ...others.filter((c) => s.benchmarks.some((b) => b.buildRatio[c.name])).map((c) => `${c.name} build`),
    'output',
  ];
  const buildCols = others.filter((c) => s.benchmarks.some((b) => b.buildRatio[c.name]));
  const rows = s.benchmarks.map((b) => [
    b.name,
    b.version,
    b.pass ? b.pass.linesOfC.toLocaleString('en-US') : '-',
    b.pass ? String(b.pass.stores) : '-',
    b.pass ? String(b.pass.calls) : '-',
    ...s.configs.map((c) => {
      const t = b.summary[c.name]?.[m];
      return t ? `${secs(t.median)} (${secs(t.min)}-${secs(t.max)})` : '-';
    }),
    ...others.map((c) => {
      const r = b.ratios[c.name]?.[m];
      return r ? `${percent(r.ratio)} [${percent(r.pairs.min)}..${percent(r.pairs.max)}]` : '-';
    }),
    ...buildCols.map((c) => (b.buildRatio[c.name] ? `${b.buildRatio[c.name]!.cpu.toFixed(2)}x` : '-')),
    statusText(b),
  ]);
  rows.push([
    'geomean',
    '',
    '',
    '',
    '',
    ...s.configs.map(() => ''),
    ...others.map((c) => (s.geomean[c.name] ? `${percent(s.geomean[c.name]![m])} (${s.geomean[c.name]!.benchmarks})` : '-')),
    ...buildCols.map((c) => (s.buildGeomean[c.name] ? `${s.buildGeomean[c.name]!.cpu.toFixed(2)}x` : '-')),
    '',
  ]);
  const mc = s.machine;
  const lines = [
    `spec-bench ${s.size === 'quick' ? '--quick' : '(reference workloads)'}: ${s.runs} timed runs per configuration${s.configs.some((c) => c.name === 'wb-stress') && s.stressRuns < s.runs ? ` (wb-stress: ${s.stressRuns})` : ''}, interleaved after an untimed check run; ${m === 'cpu' ? 'CPU seconds (user + sys of the workload)' : 'wall seconds'}, median (min-max)`,
    `machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memGiB} GiB; ${mc.uname}`,
    `compilers: ${mc.cc}${mc.clang ? `; ${mc.clang}` : ''}; node ${mc.node}; cc-wb at ${mc.commit.slice(0, 12)}${mc.dirty ? ' + local changes' : ''}`,
    `load average (1/5/15 min): ${mc.loadBefore.join(' ')} before, ${s.loadAfter.join(' ')} after; median 1-min load at run start ${medianLoad(s).toFixed(2)}`,
    `${s.started} .. ${s.finished}`,
  ];
  if (s.benchmarks.length) {
    lines.push(
      '',
      table(head, rows),
      '',
      `ratios: ratio of the medians, [min..max] of the per-round pairs; "stores": barriered stores the pass reported (sites of kind != call), "calls": calls it rewrote (malloc, free, memcpy...); build: CPU time of the whole build vs its baseline's.`,
    );
  }
  const wallRatios = others
    .filter((c) => s.geomean[c.name])
    .map((c) => `${c.name}/${c.baseline} ${percent(s.geomean[c.name]![m === 'cpu' ? 'wall' : 'cpu'])}`)
    .join(', ');
  if (wallRatios) lines.push(`geomean by ${m === 'cpu' ? 'wall' : 'CPU'} time instead: ${wallRatios}`);
  if (s.bar) {
    lines.push(
      `compulsory slowdown (wb vs base): geomean ${percent(s.bar.geomean)} (bar +3.0%), worst ${percent(s.bar.worst)} ${s.bar.worstName} (bar +10.0%): ${s.bar.met ? 'MET' : 'NOT MET'}`,
    );
  }
  const failed = s.benchmarks.filter((b) => b.problems.length);
  if (failed.length) {
    lines.push('', 'problems:');
    for (const b of failed) for (const p of b.problems) lines.push(`  ${b.name}: ${p.split('\n').join('\n    ')}`);
  }
  const unbarriered = s.benchmarks.filter((b) => b.pass?.uninstrumented.length);
  if (unbarriered.length) lines.push(`units compiled without barriers: ${unbarriered.map((b) => `${b.name} ${b.pass!.uninstrumented.length}/${b.pass!.units}`).join(', ')}`);
  if (s.micro.length) {
    lines.push('', 'micro-benchmarks:');
    for (const x of s.micro) {
      const bar = x.bar ? ` [bar: ${x.bar}${x.met === undefined ? '' : x.met ? ': met' : ': NOT MET'}]` : '';
      lines.push(`  ${x.name}: ${x.available ? x.text + bar : `not available (${x.text})`}`);
    }
  }
  return lines.join('\n') + '\n';
}

function medianLoad(s: SuiteResult): number {
  const loads = s.benchmarks.flatMap((b) => Object.values(b.runs).flatMap((ts) => ts.map((t) => t.load))).sort((a, b) => a - b);
  return loads.length ? loads[loads.length >> 1]! : NaN;
}

// ------------------------------------------------------------------------------------------------
// SVG

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS: Record<string, string> = { wb: '#3b6fb6', 'wb-clang': '#7aa33b', 'wb-stress': '#c0563b' };

interface Panel {
  title: string;
  configs: string[];
  /** Reference lines: [ratio, label]. */
  marks: [number, string][];
}

/**
 * Horizontal bars of overhead (ratio - 1) per benchmark and configuration, with the per-round min..max
 * as a whisker; one panel for the compulsory slowdown (wb, wb-clang) and one for stress mode, each on
 * its own scale (stress overheads are tens of times larger).
 */
export function renderSvg(s: SuiteResult): string {
  const m = s.metric;
  const names = [...s.benchmarks.filter((b) => Object.keys(b.ratios).length).map((b) => b.name), 'geomean'];
  const present = new Set(s.configs.map((c) => c.name));
  const panels = (
    [
    { title: 'compulsory slowdown (cc-wb build vs plain, no host)', configs: ['wb', 'wb-clang'].filter((c) => present.has(c)), marks: [[1.03, 'geomean bar 3%'], [1.1, 'worst bar 10%']] },
    { title: 'stress mode (WB_STRESS=1: every allocation host-held)', configs: present.has('wb-stress') ? ['wb-stress'] : [], marks: [] },
    ] as Panel[]
  ).filter((p) => p.configs.length);
  const rowH = 14;
  const groupGap = 8;
  const labelW = 90;
  const panelW = 360;
  const top = 72;
  const groupH = (p: Panel) => p.configs.length * rowH + groupGap;
  const height = top + Math.max(...panels.map((p) => names.length * groupH(p))) + 62;
  const width = labelW + panels.length * (panelW + 40) + 10;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">spec-bench${s.size === 'quick' ? ' --quick' : ''}: cc-wb overhead by ${m === 'cpu' ? 'CPU' : 'wall'} time (median of ${s.runs}, whiskers: per-round min..max)</text>`,
    `<text x="10" y="34" fill="#555">${esc(`${s.machine.cpu}, ${s.machine.cores} cores; load ${s.machine.loadBefore[0]} .. ${s.loadAfter[0]}; ${s.finished.slice(0, 10)}; cc-wb ${s.machine.commit.slice(0, 10)}`)}</text>`,
  ];
  panels.forEach((p, pi) => {
    const x0 = labelW + pi * (panelW + 40);
    const value = (b: string, c: string) => (b === 'geomean' ? s.geomean[c]?.[m] : s.benchmarks.find((x) => x.name === b)?.ratios[c]?.[m].ratio);
    const whisker = (b: string, c: string) => (b === 'geomean' ? undefined : s.benchmarks.find((x) => x.name === b)?.ratios[c]?.[m].pairs);
    const vals = names
      .flatMap((b) => p.configs.flatMap((c) => [value(b, c), whisker(b, c)?.max, whisker(b, c)?.min]))
      .filter((v): v is number => v !== undefined && Number.isFinite(v))
      .map((r) => r - 1);
    const hi = Math.max(0.02, ...vals, ...p.marks.map(([r]) => r - 1)) * 1.08;
    const lo = Math.min(0, ...vals) * 1.08;
    const sx = (v: number) => x0 + ((v - lo) / (hi - lo)) * panelW;
    out.push(`<text x="${x0}" y="${top - 12}" font-weight="bold">${esc(p.title)}</text>`);
    const bottom = top + names.length * groupH(p);
    // Axis ticks: a "nice" step giving about five ticks.
    const raw = (hi - lo) / 5;
    const step = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10].find((t) => t >= raw) ?? raw;
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
      const x = sx(t);
      out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom}" stroke="#e4e4e4"/>`);
      // Overheads past +100% read better as ratios.
      const label = hi > 1 ? `${Math.round((1 + t) * 10) / 10}x` : `${t >= 0 ? '+' : ''}${Math.round(t * 1000) / 10}%`;
      out.push(`<text x="${x}" y="${bottom + 12}" text-anchor="middle" fill="#555">${esc(label)}</text>`);
    }
    out.push(`<line x1="${sx(0)}" y1="${top - 4}" x2="${sx(0)}" y2="${bottom}" stroke="#000"/>`);
    p.marks.forEach(([r, label], k) => {
      const x = sx(r - 1);
      out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom + 14 + 12 * k}" stroke="#d33" stroke-dasharray="4,3"/>`);
      out.push(`<text x="${x + 3}" y="${bottom + 24 + 12 * k}" fill="#d33">${esc(label)}</text>`);
    });
    names.forEach((b, bi) => {
      const gy = top + bi * groupH(p);
      if (pi === 0) out.push(`<text x="${labelW - 6}" y="${gy + (p.configs.length * rowH) / 2 + 4}" text-anchor="end"${b === 'geomean' ? ' font-weight="bold"' : ''}>${esc(b)}</text>`);
      p.configs.forEach((c, ci) => {
        const r = value(b, c);
        if (r === undefined || !Number.isFinite(r)) return;
        const y = gy + ci * rowH;
        const v = r - 1;
        const xa = sx(Math.min(0, v));
        const w = Math.max(1, Math.abs(sx(v) - sx(0)));
        out.push(`<rect x="${xa}" y="${y + 1}" width="${w}" height="${rowH - 3}" fill="${COLORS[c] ?? '#888'}"><title>${esc(`${b} ${c}: ${percent(r)}`)}</title></rect>`);
        const wh = whisker(b, c);
        if (wh) {
          const yy = y + rowH / 2;
          out.push(`<line x1="${sx(wh.min - 1)}" y1="${yy}" x2="${sx(wh.max - 1)}" y2="${yy}" stroke="#222"/>`);
        }
        const tx = v >= 0 ? sx(v) + 3 : sx(0) + 3;
        out.push(`<text x="${tx}" y="${y + rowH - 3}" fill="#222">${esc(percent(r))}</text>`);
      });
    });
    p.configs.forEach((c, ci) => {
      out.push(`<rect x="${x0 + ci * 90}" y="${height - 14}" width="10" height="10" fill="${COLORS[c] ?? '#888'}"/>`);
      out.push(`<text x="${x0 + ci * 90 + 14}" y="${height - 5}">${esc(c)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
