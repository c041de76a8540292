// The forms of a result: a table for the terminal (and results/*.txt), the JSON for tools; the charts
// for people are charts.ts. All are built from one SuiteResult.
import { table } from '../harness/terminal.js';
import type { Config } from './build.js';
import type { Machine } from './machine.js';
import type { MicroResult } from './micro.js';
import type { BenchResult, Metric } from './runner.js';
import { geomean, percent } from './stats.js';
import { DRIVEN_GOAL, type DrivenResult } from './driven/suite.js';

export interface SuiteResult {
  tool: 'spec-bench';
  format: 2;
  size: 'ref' | 'quick';
  runs: number;
  stressRuns: number;
  /** Only the builds were made and timed (--builds-only): no workload ran. */
  buildsOnly?: boolean;
  /** The time the headline ratios use (both are recorded for every run). */
  metric: Metric;
  started: string;
  finished: string;
  machine: Machine;
  loadAfter: number[];
  configs: { name: string; baseline?: string; compiler: string; runEnv: Record<string, string>; describe: string }[];
  benchmarks: BenchResult[];
  /** The TypeScript-driven suite: each library from TypeScript through cc-wb against plain cc + raw koffi. */
  driven: DrivenResult[];
  /** Geometric mean over the benchmarks that ran, per configuration with a baseline. */
  geomean: Record<string, { cpu: number; wall: number; benchmarks: number }>;
  buildGeomean: Record<string, { cpu: number; wall: number }>;
  /** Build time (configure included) of each cc-wb configuration against its baseline's, with the goals. */
  buildTime: Record<string, BuildTimeSummary>;
  micro: MicroResult[];
  /** The goals this run is judged against (DESIGN.md's compulsory bar, the hosted goal), and the verdicts. */
  bars: Bar[];
}

export interface Bar {
  config: string;
  what: string;
  geomeanMax: number;
  worstMax: number;
  geomean: number;
  worst: number;
  worstName: string;
  met: boolean;
}

/** The goals: the compulsory slowdown (no host) and the cost with a host attached, against base. */
export const GOALS: { config: string; what: string; geomeanMax: number; worstMax: number }[] = [
  { config: 'wb', what: 'compulsory slowdown (wb vs base)', geomeanMax: 1.03, worstMax: 1.1 },
  { config: 'wb-hosted', what: 'hosted cost (wb-hosted vs base)', geomeanMax: 1.05, worstMax: 1.15 },
];

/** The build-time goals: a cc-wb build (configure + make) against the plain one. */
export const BUILD_GOALS = { cpuGeomean: 1.3, cpuWorst: 1.6, wallGeomean: 1.3, configure: 1.2 } as const;

export interface BuildTimeSummary {
  goals: typeof BUILD_GOALS;
  benchmarks: number;
  cpuGeomean: number;
  cpuWorst: number;
  cpuWorstName: string;
  wallGeomean: number;
  /** Over the benchmarks with a configure step (CPU; wall alongside). */
  configureBenchmarks: number;
  configureCpuGeomean: number | null;
  configureWallGeomean: number | null;
  met: { cpuGeomean: boolean; cpuWorst: boolean; wallGeomean: boolean; configure: boolean | null };
}

function buildTimeSummary(benchmarks: BenchResult[], config: string): BuildTimeSummary | undefined {
  const with_ = benchmarks.filter((b) => b.buildRatio[config]);
  if (with_.length === 0) return undefined;
  const r = (b: BenchResult) => b.buildRatio[config]!;
  const worst = with_.reduce((a, b) => (r(b).cpu > r(a).cpu ? b : a));
  const configured = with_.filter((b) => r(b).configureCpu !== undefined);
  const cpuGeomean = geomean(with_.map((b) => r(b).cpu));
  const wallGeomean = geomean(with_.map((b) => r(b).wall));
  const configureCpuGeomean = configured.length ? geomean(configured.map((b) => r(b).configureCpu!)) : null;
  const configureWallGeomean = configured.length ? geomean(configured.map((b) => r(b).configureWall!)) : null;
  return {
    goals: BUILD_GOALS,
    benchmarks: with_.length,
    cpuGeomean,
    cpuWorst: r(worst).cpu,
    cpuWorstName: worst.name,
    wallGeomean,
    configureBenchmarks: configured.length,
    configureCpuGeomean,
    configureWallGeomean,
    met: {
      cpuGeomean: cpuGeomean <= BUILD_GOALS.cpuGeomean,
      cpuWorst: r(worst).cpu <= BUILD_GOALS.cpuWorst,
      wallGeomean: wallGeomean <= BUILD_GOALS.wallGeomean,
      configure: configureCpuGeomean === null ? null : configureCpuGeomean <= BUILD_GOALS.configure,
    },
  };
}

export function summarize(benchmarks: BenchResult[], configs: Config[], metric: Metric): Pick<SuiteResult, 'geomean' | 'buildGeomean' | 'buildTime' | 'bars'> {
  const buildTime: SuiteResult['buildTime'] = {};
  for (const c of configs) {
    const t = c.baseline && !c.buildOf ? buildTimeSummary(benchmarks, c.name) : undefined;
    if (t) buildTime[c.name] = t;
  }
  const g: SuiteResult['geomean'] = {};
  const bg: SuiteResult['buildGeomean'] = {};
  for (const c of configs) {
    if (!c.baseline) continue;
    const rs = benchmarks.filter((b) => b.status === 'ok' && b.ratios[c.name]).map((b) => b.ratios[c.name]!);
    if (rs.length) g[c.name] = { cpu: geomean(rs.map((r) => r.cpu.ratio)), wall: geomean(rs.map((r) => r.wall.ratio)), benchmarks: rs.length };
    const br = benchmarks.filter((b) => b.buildRatio[c.name]).map((b) => b.buildRatio[c.name]!);
    if (br.length) bg[c.name] = { cpu: geomean(br.map((r) => r.cpu)), wall: geomean(br.map((r) => r.wall)) };
  }
  const bars: Bar[] = [];
  for (const goal of GOALS) {
    const c = goal.config;
    const rs = benchmarks.filter((b) => b.status === 'ok' && b.ratios[c]);
    if (!rs.length) continue;
    const worst = rs.reduce((a, b) => (b.ratios[c]![metric].ratio > a.ratios[c]![metric].ratio ? b : a));
    const gm = g[c]![metric];
    const w = worst.ratios[c]![metric].ratio;
    bars.push({ ...goal, geomean: gm, worst: w, worstName: worst.name, met: gm <= goal.geomeanMax && w <= goal.worstMax });
  }
  return { geomean: g, buildGeomean: bg, buildTime, bars };
}

const met = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'MET' : 'NOT MET');
const times = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${x.toFixed(2)}x`);

/**
 * The build-time table of one cc-wb configuration: configure, whole build CPU and whole build wall
 * time (seconds, configure included), its baseline's and the ratio side by side, then the goals.
 */
export function renderBuildTable(s: SuiteResult, config: string): string {
  const c = s.configs.find((x) => x.name === config);
  const t = s.buildTime?.[config];
  if (!c?.baseline || !t) return '';
  const base = c.baseline;
  const head = ['benchmark', `configure CPU ${base} s`, `${config} s`, 'ratio', `build CPU ${base} s`, `${config} s`, 'ratio', `build wall ${base} s`, `${config} s`, 'ratio', ''];
  const rows = s.benchmarks
    .filter((b) => b.buildRatio[config])
    .map((b) => {
      const mine = b.builds[config]!;
      const theirs = b.builds[base]!;
      const r = b.buildRatio[config]!;
      const reused = mine.reused || theirs.reused ? 'reused build' : '';
      return [
        b.name,
        secs(theirs.configureCpuMs === undefined ? undefined : theirs.configureCpuMs / 1000),
        secs(mine.configureCpuMs === undefined ? undefined : mine.configureCpuMs / 1000),
        times(r.configureCpu),
        secs(theirs.buildCpuMs / 1000),
        secs(mine.buildCpuMs / 1000),
        times(r.cpu),
        secs(theirs.buildMs / 1000),
        secs(mine.buildMs / 1000),
        times(r.wall),
        reused,
      ];
    });
  rows.push(['geomean', '', '', times(t.configureCpuGeomean), '', '', times(t.cpuGeomean), '', '', times(t.wallGeomean), '']);
  return [
    `build time, ${config} vs ${base} (build = configure + make; CPU: user + sys of everything, cc-wb's pass servers included; configure wall times in the JSON):`,
    table(head, rows),
    `goals: build CPU geomean ${times(t.cpuGeomean)} (goal <= ${t.goals.cpuGeomean}x): ${met(t.met.cpuGeomean)}; worst ${times(t.cpuWorst)} ${t.cpuWorstName} (<= ${t.goals.cpuWorst}x): ${met(t.met.cpuWorst)}; build wall geomean ${times(t.wallGeomean)} (<= ${t.goals.wallGeomean}x): ${met(t.met.wallGeomean)}; configure CPU geomean ${times(t.configureCpuGeomean)} over ${t.configureBenchmarks} (<= ${t.goals.configure}x; wall ${times(t.configureWallGeomean)}): ${met(t.met.configure)}`,
  ].join('\n');
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
    s.buildsOnly
      ? 'spec-bench --builds-only: each configuration built once, timed (no workload ran)'
      : `spec-bench ${s.size === 'quick' ? '--quick' : '(reference workloads)'}: ${s.runs} timed runs per configuration${s.configs.some((c) => c.name === 'wb-stress') && s.stressRuns < s.runs ? ` (wb-stress: ${s.stressRuns})` : ''}, interleaved after an untimed check run; ${m === 'cpu' ? 'CPU seconds (user + sys of the workload)' : 'wall seconds'}, median (min-max)`,
    `machine: ${mc.cpu}, ${mc.cores} cores, ${mc.memGiB} GiB; ${mc.uname}`,
    `compilers: ${mc.cc}${mc.clang ? `; ${mc.clang}` : ''}; node ${mc.node}; cc-wb at ${mc.commit.slice(0, 12)}${mc.dirty ? ' + local changes' : ''}`,
    `load average (1/5/15 min): ${mc.loadBefore.join(' ')} before, ${s.loadAfter.join(' ')} after${s.buildsOnly ? '' : `; median 1-min load at run start ${medianLoad(s).toFixed(2)}`}`,
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
  for (const c of others) {
    const text = renderBuildTable(s, c.name);
    if (text) lines.push('', text);
  }
  const wallRatios = others
    .filter((c) => s.geomean[c.name])
    .map((c) => `${c.name}/${c.baseline} ${percent(s.geomean[c.name]![m === 'cpu' ? 'wall' : 'cpu'])}`)
    .join(', ');
  if (wallRatios) lines.push(`geomean by ${m === 'cpu' ? 'wall' : 'CPU'} time instead: ${wallRatios}`);
  for (const b of s.bars) {
    lines.push(
      `${b.what}: geomean ${percent(b.geomean)} (goal ${percent(b.geomeanMax)}), worst ${percent(b.worst)} ${b.worstName} (goal ${percent(b.worstMax)}): ${b.met ? 'MET' : 'NOT MET'}`,
    );
  }
  const hosted = s.benchmarks.filter((b) => Object.keys(b.hosted ?? {}).length);
  if (hosted.length) {
    lines.push('', 'the attached host (wb-hosted, last run; the runtime\'s counters summed over the processes):');
    lines.push(
      table(
        ['benchmark', 'config', 'processes', 'held', 'slow stores', 'counted', 'range ops', 'range words', 'events'],
        hosted.flatMap((b) =>
          Object.entries(b.hosted).map(([c, h]) => [b.name, c, String(h.processes), String(h.held), h.slowStores.toLocaleString('en-US'), h.countedStores.toLocaleString('en-US'), h.rangeOps.toLocaleString('en-US'), h.rangeWords.toLocaleString('en-US'), h.events.toLocaleString('en-US')]),
        ),
      ),
      '"slow stores": pointer stores that passed the hook\'s shadow test (the slot\'s 1 MiB granule holds counted slots, or the new value\'s granule holds host objects) and ran the C filter; every other store stopped at the shadow test.',
    );
  }
  if (s.driven?.length) lines.push('', ...renderDriven(s.driven, s.runs));
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

const mib = (b: number | undefined) => (b === undefined ? '-' : `${Math.round(b / 2 ** 20)}`);

/** The TypeScript-driven table, its goal line and its problems. */
export function renderDriven(driven: DrivenResult[], runs: number): string[] {
  const rows = driven.map((d) => {
    const k = d.summary.koffi;
    const w = d.summary.ccwb;
    const m = d.memory;
    return [
      d.name,
      d.version,
      k ? `${secs(k.cpu.median)} (${secs(k.cpu.min)}-${secs(k.cpu.max)})` : '-',
      w ? `${secs(w.cpu.median)} (${secs(w.cpu.min)}-${secs(w.cpu.max)})` : '-',
      d.ratio ? `${d.ratio.cpu.ratio.toFixed(2)}x [${d.ratio.cpu.pairs.min.toFixed(2)}..${d.ratio.cpu.pairs.max.toFixed(2)}]` : '-',
      w ? secs(w.loadCpu.median) : '-',
      k && w ? `${mib(k.maxRss.median)} / ${mib(w.maxRss.median)}` : '-',
      k && w ? `${mib(k.heapInUse.median)} / ${mib(w.heapInUse.median)}` : '-',
      m ? `${m.live} live, ${m.deferred} deferred (${m.attached + m.created} managed)` : '-',
      d.status === 'ok' ? 'ok (= koffi)' : d.status.toUpperCase(),
    ];
  });
  const timed = driven.filter((d) => d.ratio);
  const worst = timed.reduce<DrivenResult | null>((a, d) => (!a || d.ratio!.cpu.ratio > a.ratio!.cpu.ratio ? d : a), null);
  const out = [
    `TypeScript-driven: each job from TypeScript through cc-wb + runtime-ts (no declarations, no frees) against the library built with plain cc and driven through raw koffi (hand-written declarations, manual frees); ${runs} timed runs each, interleaved, a process per run; job CPU seconds, median (min-max)`,
    table(['library', 'version', 'koffi s', 'cc-wb s', 'cc-wb/koffi', 'cc-wb load s', 'peak RSS MiB koffi / cc-wb', 'malloc in use at end', 'cc-wb host at end', 'result'], rows),
    ...driven.map((d) => `  ${d.name}: ${d.what}; ${Object.entries(d.facts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`),
  ];
  if (worst) {
    // The goal is time and managed memory: a run that leaks or differs does not meet it, however fast.
    const gm = geomean(timed.map((d) => d.ratio!.cpu.ratio));
    const fast = timed.length === driven.length && timed.every((d) => d.ratio!.cpu.ratio <= DRIVEN_GOAL);
    const clean = driven.every((d) => d.status === 'ok');
    const verdict = fast && clean ? 'MET' : `NOT MET${clean ? '' : ` (${driven.filter((d) => d.status !== 'ok').map((d) => `${d.name} ${d.status}`).join(', ')})`}`;
    out.push(`TypeScript-driven (cc-wb vs raw koffi, CPU): geomean ${gm.toFixed(2)}x, worst ${worst.ratio!.cpu.ratio.toFixed(2)}x ${worst.name} (goal <= ${DRIVEN_GOAL.toFixed(2)}x each, memory managed, nothing leaked): ${verdict}`);
  }
  for (const d of driven) for (const p of d.problems) out.push(`  ${d.name}: ${p.split('\n').join('\n    ')}`);
  return out;
}

function medianLoad(s: SuiteResult): number {
  const loads = s.benchmarks.flatMap((b) => Object.values(b.runs).flatMap((ts) => ts.map((t) => t.load))).sort((a, b) => a - b);
  return loads.length ? loads[loads.length >> 1]! : NaN;
}
