// Where does the wb build spend its extra instructions? Runs a benchmark's workload under callgrind
// in the base and the wb build, and compares self cost (instructions, Ir) per function and per source
// line. The instrumented code keeps the user's line markers, so a line's extra cost is the barriers
// and runtime calls the pass put on that line; out-of-line runtime functions (__wb_malloc, __wb_free,
// ...) appear under their own names.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFor, type Config } from './build.js';
import { compareDigests, runWorkload } from './measure.js';
import { benchCache, repoRoot } from './paths.js';
import { context } from './runner.js';
import type { Benchmark, Size } from './suite.js';
import { table } from '../harness/terminal.js';

/** Self cost per function and per source line of one callgrind output file (or several, summed). */
export interface Profile {
  total: number;
  byFunction: Map<string, { file: string; ir: number }>;
  byLine: Map<string, number>;
}

/**
 * Callgrind's name compression: `(id) name` defines an id for a file, object or function name
 * (`kind`), a later `(id)` refers to it. Returns the resolver for one file's lines.
 */
function nameCompression(): (v: string, kind: string) => string {
  const names = new Map<string, string>();
  return (v, kind) => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(v.trim());
    if (!m) return v.trim();
    const key = `${kind}${m[1]}`;
    if (m[2] !== undefined) names.set(key, m[2]);
    return names.get(key) ?? v;
  };
}

/**
 * Parses callgrind's output format (positions: line; events: Ir first) with name and position
 * compression. Cost lines after `calls=` are the call's inclusive cost and are not self cost.
 */
export function parseCallgrind(text: string, into?: Profile): Profile {
  const p: Profile = into ?? { total: 0, byFunction: new Map(), byLine: new Map() };
  const name = nameCompression();
  let fl = '???';
  let file = '???';
  let fn = '???';
  let last = 0;
  let skipNext = false;
  // With --dump-instr=yes a position is "address line": the line is the second field, the cost the third.
  let fields = 1;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const c = line.charCodeAt(0);
    const isCost = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42; // digit + - *
    if (!isCost) {
      if (line.startsWith('positions:')) fields = line.slice(10).trim().split(/\s+/).length;
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const val = line.slice(eq + 1);
      if (key === 'fl') file = fl = name(val, 'f');
      else if (key === 'fi' || key === 'fe') file = name(val, 'f');
      else if (key === 'fn') {
        fn = name(val, 'n');
        file = fl;
      } else if (key === 'cfi' || key === 'cfl') name(val, 'f');
      else if (key === 'cfn') name(val, 'n');
      else if (key === 'calls') skipNext = true;
      continue;
    }
    const parts = line.split(' ');
    const pos = parts[fields - 1]!;
    if (pos === '*') {
      // same position
    } else if (pos[0] === '+') last += Number(pos.slice(1));
    else if (pos[0] === '-') last -= Number(pos.slice(1));
    else last = Number(pos);
    if (skipNext) {
      skipNext = false;
      continue;
    }
    const ir = Number(parts[fields] ?? 0);
    if (!ir) continue;
    p.total += ir;
    const f = p.byFunction.get(fn);
    if (f) f.ir += ir;
    else p.byFunction.set(fn, { file, ir });
    const lk = `${file}:${last}`;
    p.byLine.set(lk, (p.byLine.get(lk) ?? 0) + ir);
  }
  return p;
}

/**
 * Instructions executed per address of the barrier code the prelude inlines into a program's
 * functions (`<cc-wb prelude>` lines), from a callgrind run with --dump-instr=yes (positions: instr
 * line; absolute addresses in hex, relative ones in decimal). Addresses of a PIE main program are
 * link-time addresses, as addr2line wants them.
 */
export function preludeCosts(text: string, binary: string): Map<number, { ir: number; line: number }> {
  const out = new Map<number, { ir: number; line: number }>();
  const name = nameCompression();
  let ob = '';
  let fl = '';
  let file = '';
  let addr = 0;
  let line = 0;
  let skipNext = false;
  const sub = (tok: string, prev: number): number =>
    tok === '*' ? prev : tok[0] === '+' ? prev + Number(tok.slice(1)) : tok[0] === '-' ? prev - Number(tok.slice(1)) : Number(tok);
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const c = l.charCodeAt(0);
    if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42)) {
      const eq = l.indexOf('=');
      if (eq < 0) continue;
      const key = l.slice(0, eq);
      const val = l.slice(eq + 1);
      if (key === 'ob') ob = name(val, 'o');
      else if (key === 'cob') name(val, 'o');
      else if (key === 'fl') file = fl = name(val, 'f');
      else if (key === 'fi' || key === 'fe') file = name(val, 'f');
      else if (key === 'fn') file = fl;
      else if (key === 'cfi' || key === 'cfl') name(val, 'f');
      else if (key === 'calls') skipNext = true;
      continue;
    }
    const parts = l.split(' ');
    addr = sub(parts[0]!, addr);
    line = sub(parts[1]!, line);
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (ob !== binary || !file.endsWith('<cc-wb prelude>')) continue;
    const ir = Number(parts[2] ?? 0);
    const e = out.get(addr);
    if (e) e.ir += ir;
    else out.set(addr, { ir, line });
  }
  return out;
}

export interface BarrierSite {
  /** The user's source line the barrier code was inlined for, and its function. */
  where: string;
  fn: string;
  ir: number;
  /** Instructions by prelude line (what part of the barrier: shadow test, old-value load...). */
  byPreludeLine: Record<number, number>;
  text: string;
}

/** Attributes prelude instructions to the user's line that each inlined barrier belongs to (addr2line -i). */
export function barrierSites(costs: Map<number, { ir: number; line: number }>, binary: string, tree: string, top = 25): BarrierSite[] {
  const addrs = [...costs.keys()];
  const sites = new Map<string, BarrierSite>();
  for (let i = 0; i < addrs.length; i += 2000) {
    const chunk = addrs.slice(i, i + 2000);
    const r = spawnSync('addr2line', ['-a', '-f', '-i', '-e', binary, ...chunk.map((a) => `0x${a.toString(16)}`)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const lines = (r.stdout ?? '').split('\n');
    let k = 0;
    for (const a of chunk) {
      // "0xaddr", then (function, file:line) pairs from the innermost inline frame outwards.
      while (k < lines.length && !lines[k]!.startsWith('0x')) k++;
      k++;
      let where = '??';
      let fn = '??';
      while (k + 1 < lines.length && !lines[k]!.startsWith('0x')) {
        const f = lines[k]!;
        const loc = lines[k + 1]!.replace(/ \(discriminator \d+\)$/, '');
        k += 2;
        if (where === '??' && !loc.includes('<cc-wb prelude>') && !f.startsWith('__wb_')) {
          where = loc.startsWith(tree + '/') ? loc.slice(tree.length + 1) : loc;
          fn = f;
        }
      }
      const c = costs.get(a)!;
      const key = `${where}\t${fn}`;
      const s = sites.get(key) ?? { where, fn, ir: 0, byPreludeLine: {}, text: '' };
      s.ir += c.ir;
      s.byPreludeLine[c.line] = (s.byPreludeLine[c.line] ?? 0) + c.ir;
      sites.set(key, s);
    }
  }
  const list = [...sites.values()].sort((a, b) => b.ir - a.ir).slice(0, top);
  for (const s of list) s.text = sourceLine(tree, s.where.replace(/:(\d+).*$/, ':$1')).slice(0, 80);
  return list;
}

export interface ProfileDiff {
  base: number;
  wb: number;
  functions: { fn: string; file: string; base: number; wb: number }[];
  lines: { where: string; base: number; wb: number; text: string }[];
  /** Where the inlined barrier code runs: the user's lines, with the instructions it costs there. */
  sites: BarrierSite[];
}

function sourceLine(tree: string, where: string): string {
  const m = /^(.*):(\d+)$/.exec(where);
  if (!m) return '';
  for (const path of [join(tree, m[1]!), m[1]!]) {
    try {
      return (readFileSync(path, 'latin1').split('\n')[Number(m[2]) - 1] ?? '').trim();
    } catch {
      // try the next spelling
    }
  }
  return '';
}

async function profileOne(
  bench: Benchmark,
  config: Config,
  size: Size,
  withSites: boolean,
): Promise<{ profile: Profile; tree: string; digests: Record<string, string>; sites: BarrierSite[] }> {
  const { build } = await buildFor(bench, config);
  const ctx = context(build.dir);
  const dir = benchCache('profile', bench.name, size, config.name);
  const cg = join(dir, '..', `${config.name}.cg`);
  const r = await runWorkload(bench.workload(ctx, size), build.dir, dir, config.runEnv, 3_600_000, (i) => [
    'valgrind',
    '--tool=callgrind',
    '--quiet',
    ...(withSites ? ['--dump-instr=yes'] : []),
    `--callgrind-out-file=${cg}.${i}`,
  ]);
  const raw: Profile = { total: 0, byFunction: new Map(), byLine: new Map() };
  const binary = join(build.dir, bench.program);
  const costs = new Map<number, { ir: number; line: number }>();
  for (const f of readdirSync(join(dir, '..')).filter((x) => x.startsWith(`${config.name}.cg.`))) {
    const text = readFileSync(join(dir, '..', f), 'utf8');
    parseCallgrind(text, raw);
    if (withSites) {
      for (const [a, c] of preludeCosts(text, binary)) {
        const e = costs.get(a);
        if (e) e.ir += c.ir;
        else costs.set(a, { ...c });
      }
    }
  }
  const sites = withSites ? barrierSites(costs, binary, build.dir) : [];
  // The two builds live in different trees and name their sources differently (absolute in one
  // compile, relative in another): key everything by the path inside the tree.
  const norm = (file: string) => (file.startsWith(build.dir + '/') ? file.slice(build.dir.length + 1) : file);
  const profile: Profile = { total: raw.total, byFunction: new Map(), byLine: new Map() };
  for (const [fn, v] of raw.byFunction) profile.byFunction.set(fn, { file: norm(v.file), ir: v.ir });
  for (const [k, v] of raw.byLine) {
    const key = norm(k);
    profile.byLine.set(key, (profile.byLine.get(key) ?? 0) + v);
  }
  return { profile, tree: build.dir, digests: r.digests, sites };
}

/** Profiles base and wb on the same workload and lists where wb executes more instructions. */
export async function profileDiff(bench: Benchmark, base: Config, wb: Config, size: Size, top = 25): Promise<ProfileDiff> {
  const a = await profileOne(bench, base, size, false);
  const b = await profileOne(bench, wb, size, true);
  const diff = compareDigests(a.digests, b.digests);
  if (diff.length) throw new Error(`spec-bench: ${bench.name}: the wb build's output under callgrind differs from base's: ${diff.join('; ')}`);
  const fns = new Set([...a.profile.byFunction.keys(), ...b.profile.byFunction.keys()]);
  const functions = [...fns]
    .map((fn) => ({ fn, file: (b.profile.byFunction.get(fn) ?? a.profile.byFunction.get(fn))!.file, base: a.profile.byFunction.get(fn)?.ir ?? 0, wb: b.profile.byFunction.get(fn)?.ir ?? 0 }))
    .sort((x, y) => Math.abs(y.wb - y.base) - Math.abs(x.wb - x.base))
    .slice(0, top);
  const keys = new Set([...a.profile.byLine.keys(), ...b.profile.byLine.keys()]);
  const lines = [...keys]
    .map((where) => ({ where, base: a.profile.byLine.get(where) ?? 0, wb: b.profile.byLine.get(where) ?? 0, text: '' }))
    .sort((x, y) => Math.abs(y.wb - y.base) - Math.abs(x.wb - x.base))
    .slice(0, top);
  for (const l of lines) l.text = sourceLine(b.tree, l.where).slice(0, 90);
  return { base: a.profile.total, wb: b.profile.total, functions, lines, sites: b.sites };
}

function preludeLegend(sites: BarrierSite[]): string[] {
  const used = [...new Set(sites.flatMap((x) => Object.keys(x.byPreludeLine).map(Number)))].sort((a, b) => a - b);
  let text: string[] = [];
  try {
    text = readFileSync(join(repoRoot, 'runtime-c', 'include', 'wb_prelude.h'), 'utf8').split('\n');
  } catch {
    // no legend then
  }
  return used.map((n) => `  ${n}: ${(text[n - 1] ?? '?').trim()}`);
}

const pct = (d: number, total: number) => `${d >= 0 ? '+' : ''}${((d / total) * 100).toFixed(2)}%`;
const num = (n: number) => n.toLocaleString('en-US');

export function renderProfile(name: string, d: ProfileDiff): string {
  const out = [
    `${name}: ${num(d.base)} instructions in base, ${num(d.wb)} in wb: ${pct(d.wb - d.base, d.base)}`,
    '',
    'functions by |wb - base| self instructions (share of base total):',
    table(
      ['function', 'file', 'base Ir', 'wb Ir', 'delta', 'of total'],
      d.functions.map((f) => [f.fn, f.file, num(f.base), num(f.wb), num(f.wb - f.base), pct(f.wb - f.base, d.base)]),
    ),
    '',
    'source lines by |wb - base| self instructions:',
    table(
      ['line', 'base Ir', 'wb Ir', 'delta', 'of total', 'source'],
      d.lines.map((l) => [l.where, num(l.base), num(l.wb), num(l.wb - l.base), pct(l.wb - l.base, d.base), l.text]),
    ),
    '',
    'inlined barrier code (<cc-wb prelude> lines) by the source line it was inlined for (addr2line -i):',
    table(
      ['line', 'function', 'barrier Ir', 'of total', 'by prelude line', 'source'],
      d.sites.map((x) => [
        x.where,
        x.fn,
        num(x.ir),
        pct(x.ir, d.base),
        Object.entries(x.byPreludeLine)
          .sort(([, p], [, q]) => q - p)
          .map(([l, v]) => `${l}:${((v / x.ir) * 100).toFixed(0)}%`)
          .join(' '),
        x.text,
      ]),
    ),
    '',
    'prelude lines (runtime-c/include/wb_prelude.h, spliced verbatim as <cc-wb prelude>):',
    ...preludeLegend(d.sites),
  ];
  return out.join('\n') + '\n';
}
