// Barrier completeness: the pointer stores clang's AST shows (oracle.ts) against the sites cc-wb says
// it barriered (its CC_WB_REPORT JSON lines), translation unit by translation unit.
//
// Matching rule: per (file, line) the pass must report at least as many sites as the oracle finds
// stores. Columns are useless through macros, and a line is exact enough: clang's expansion location
// and gcc -E's output both put a macro's whole expansion on the line of the macro's name, also for
// invocations that span several lines. `match: 'function'` (counts per enclosing function) exists for
// code where that ever stops holding; the tests use 'line'.
import { createHash } from 'node:crypto';
import { run } from '../proc.js';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { runOracle, type OracleResult, type OracleStore } from './oracle.js';
import { oracleFlags, type CompileCommand } from '../compile-log.js';

export interface ReportSite {
  file: string;
  line: number;
  col?: number;
  kind: string;
  detail?: string;
}

export interface ReportEntry {
  source: string;
  output?: string;
  instrumented: boolean;
  stats?: Record<string, number>;
  sites: ReportSite[];
  diagnostics?: unknown[];
}

export function readReport(path: string): ReportEntry[] {
  if (!existsSync(path)) return [];
  const out: ReportEntry[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const e = JSON.parse(line) as ReportEntry;
        out.push({ ...e, sites: Array.isArray(e.sites) ? e.sites : [] });
      } catch (err) {
        throw new Error(`${path}:${i + 1}: not a JSON line: ${(err as Error).message}`);
      }
    });
  return out;
}

export interface MissedStore extends OracleStore {
  /** The source line, trimmed, for people reading the table. */
  text: string;
  /** The translation unit it was found in. */
  tu: string;
}

export interface TuResult {
  source: string;
  output: string | null;
  /** False when no report line matched this compile (the pass never saw it). */
  reported: boolean;
  instrumented: boolean;
  oracleStores: number;
  passSites: number;
  /** `file:line:n` keys, n counting stores on the same line, for distinct totals. */
  oracleKeys: string[];
  passKeys: string[];
  missed: MissedStore[];
  /** Pass sites no oracle store accounts for: the pass's over-approximation (stores the compiler then
   *  found not to be pointers, and rewritten calls the oracle does not count, such as malloc). */
  extra: number;
  unknownTypes: string[];
  oracleMs: number;
}

export interface ProjectCompleteness {
  project: string;
  tus: TuResult[];
  totals: {
    tus: number;
    oracleStores: number;
    passSites: number;
    missed: number;
    extra: number;
    notInstrumented: number;
    unreported: number;
    /** Counted once per source location, however many units compile it (bzip2's .o and .sho, headers). */
    distinctOracleStores: number;
    distinctPassSites: number;
  };
  byKind: Record<string, number>;
}

export interface CompareOptions {
  match?: 'line' | 'function';
  clang?: string;
  /** Oracle runs in parallel (the machine has 2 cores). */
  jobs?: number;
  onProgress?: (done: number, total: number, tu: string) => void;
}

function lineText(file: string, line: number, cache: Map<string, string[]>): string {
  let lines = cache.get(file);
  if (!lines) {
    try {
      lines = readFileSync(file, 'utf8').split('\n');
    } catch {
      lines = [];
    }
    cache.set(file, lines);
  }
  return (lines[line - 1] ?? '').trim();
}

export interface Unit {
  cmd: CompileCommand;
  source: string;
  absSource: string;
  entry: ReportEntry | null;
}

/** Pairs each C compile of a build with the report line the pass wrote for it. */
export function pairUnits(commands: CompileCommand[], report: ReportEntry[]): Unit[] {
  const used = new Set<number>();
  const units: Unit[] = [];
  for (const cmd of commands) {
    if (cmd.mode !== 'compile' && cmd.mode !== 'link') continue;
    for (const source of cmd.sources) {
      const absSource = resolve(cmd.cwd, source);
      if (!existsSync(absSource)) continue; // a configure probe, long deleted
      const absOut = cmd.output ? resolve(cmd.cwd, cmd.output) : null;
      let best = -1;
      for (let i = 0; i < report.length; i++) {
        if (used.has(i) || resolve(cmd.cwd, report[i]!.source) !== absSource) continue;
        const out = report[i]!.output;
        if (absOut !== null && out !== undefined && resolve(cmd.cwd, out) === absOut) {
          best = i;
          break;
        }
        if (best < 0) best = i;
      }
      if (best >= 0) used.add(best);
      units.push({ cmd, source, absSource, entry: best >= 0 ? report[best]! : null });
    }
  }
  return units;
}

/** `file:line:n` for the n-th store on each line: equal across units that compile the same code. */
function numbered(items: { file: string; line: number }[]): string[] {
  const seen = new Map<string, number>();
  return items.map((s) => {
    const k = `${s.file}:${s.line}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return `${k}:${n}`;
  });
}

/** sha256 of `clang -E` output for the unit (cheap next to the AST dump). */
async function preprocessedDigest(source: string, cwd: string, flags: string[], clang = 'clang'): Promise<string> {
  const h = createHash('sha256');
  const r = await run([clang, '-E', '-w', ...flags, source], { cwd, maxOutput: 10_000, onStdout: (c) => h.update(c) });
  if (r.spawnError) throw new Error(`clang -E ${source}: cannot start ${clang}: ${r.spawnError}`);
  if (r.code !== 0) throw new Error(`clang -E ${source} (in ${cwd}) exited ${r.code}:\n${r.stderr}`);
  return h.digest('hex');
}

async function pool<T, R>(items: T[], jobs: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // After a failure the other workers take no new items: the caller has its answer (the error).
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return out;
}

export async function compareProject(
  project: string,
  commands: CompileCommand[],
  report: ReportEntry[],
  opts: CompareOptions = {},
): Promise<ProjectCompleteness> {
  const units = pairUnits(commands, report);
  const oracleCache = new Map<string, Promise<OracleResult>>();
  const texts = new Map<string, string[]>();
  const byKind: Record<string, number> = {};
  let done = 0;
  const tus = await pool(units, opts.jobs ?? 2, (u) =>
    compareUnit(u).catch((e: unknown) => {
      throw new Error(`${u.absSource} (compiled in ${u.cmd.cwd}): ${e instanceof Error ? e.message : String(e)}`);
    }),
  );
  async function compareUnit(u: Unit): Promise<TuResult> {
    const flags = oracleFlags(u.cmd);
    // Units whose preprocessed text is identical (bzip2's .o and -fPIC .sho, zlib's static and shared
    // objects) are one AST: ask clang once.
    const key = `${u.cmd.cwd}\0${await preprocessedDigest(u.absSource, u.cmd.cwd, flags, opts.clang)}`;
    let pending = oracleCache.get(key);
    if (!pending) {
      pending = runOracle({ source: u.absSource, cwd: u.cmd.cwd, flags, clang: opts.clang });
      oracleCache.set(key, pending);
    }
    const o = await pending;
    opts.onProgress?.(++done, units.length, u.source);
    for (const s of o.stores) byKind[`${s.kind} ${s.detail}`] = (byKind[`${s.kind} ${s.detail}`] ?? 0) + 1;

    const sites = (u.entry?.instrumented ? u.entry.sites : []).map((s) => ({ ...s, file: isAbsolute(s.file) ? resolve(s.file) : resolve(u.cmd.cwd, s.file) }));
    const missed: MissedStore[] = [];
    if (opts.match === 'function') {
      const fnOf = (file: string, line: number): string => o.functions.find((f) => f.file === file && f.begin <= line && line <= f.end)?.name ?? `${file}:${line}`;
      const have = new Map<string, number>();
      for (const s of sites) {
        const k = `${s.file}\0${fnOf(s.file, s.line)}`;
        have.set(k, (have.get(k) ?? 0) + 1);
      }
      const need = new Map<string, OracleStore[]>();
      for (const s of o.stores) {
        const k = `${s.file}\0${s.func}`;
        need.set(k, [...(need.get(k) ?? []), s]);
      }
      for (const [k, stores] of need) {
        const short = stores.length - (have.get(k) ?? 0);
        for (const s of stores.slice(stores.length - Math.max(0, short))) missed.push({ ...s, text: lineText(s.file, s.line, texts), tu: u.source });
      }
    } else {
      const have = new Map<string, number>();
      for (const s of sites) have.set(`${s.file}:${s.line}`, (have.get(`${s.file}:${s.line}`) ?? 0) + 1);
      const seen = new Map<string, number>();
      for (const s of o.stores) {
        const k = `${s.file}:${s.line}`;
        const n = (seen.get(k) ?? 0) + 1;
        seen.set(k, n);
        if (n > (have.get(k) ?? 0)) missed.push({ ...s, text: lineText(s.file, s.line, texts), tu: u.source });
      }
    }
    return {
      source: relative(u.cmd.cwd, u.absSource) || u.source,
      output: u.cmd.output,
      reported: u.entry !== null,
      instrumented: u.entry?.instrumented ?? false,
      oracleStores: o.stores.length,
      passSites: sites.length,
      oracleKeys: numbered(o.stores),
      passKeys: numbered(sites),
      missed,
      // Matching takes at most one site per store, so every site beyond the matched stores is extra.
      extra: sites.length - (o.stores.length - missed.length),
      unknownTypes: o.unknownTypes,
      oracleMs: o.ms,
    };
  }
  const totals = {
    tus: tus.length,
    oracleStores: tus.reduce((a, t) => a + t.oracleStores, 0),
    passSites: tus.reduce((a, t) => a + t.passSites, 0),
    missed: tus.reduce((a, t) => a + t.missed.length, 0),
    extra: tus.reduce((a, t) => a + t.extra, 0),
    notInstrumented: tus.filter((t) => t.reported && !t.instrumented).length,
    unreported: tus.filter((t) => !t.reported).length,
    distinctOracleStores: new Set(tus.flatMap((t) => t.oracleKeys)).size,
    distinctPassSites: new Set(tus.flatMap((t) => t.passKeys)).size,
  };
  return { project, tus, totals, byKind };
}

/** The table the tests print: one row per project, then every missed store with its source line. */
export function formatCompleteness(results: ProjectCompleteness[], root?: string): string {
  const rows = [['project', 'TUs', 'oracle pointer stores', 'pass sites', 'missed', 'extra sites', 'not instrumented', 'no report', 'distinct: stores/sites']];
  for (const r of results) {
    const t = r.totals;
    rows.push([
      r.project,
      String(t.tus),
      String(t.oracleStores),
      String(t.passSites),
      String(t.missed),
      String(t.extra),
      String(t.notInstrumented),
      String(t.unreported),
      `${t.distinctOracleStores}/${t.distinctPassSites}`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of results) {
    const missed = r.tus.flatMap((t) => t.missed);
    if (missed.length === 0) continue;
    lines.push('', `${r.project}: ${missed.length} missed pointer store(s):`);
    for (const m of missed.slice(0, 200)) {
      const where = root ? relative(root, m.file) : m.file;
      lines.push(`  ${where}:${m.line}: ${m.kind} ${m.detail} [${m.type || m.detail}] in ${m.func}(): ${m.text}`);
    }
    if (missed.length > 200) lines.push(`  … and ${missed.length - 200} more`);
    const unknown = [...new Set(r.tus.flatMap((t) => t.unknownTypes))];
    if (unknown.length) lines.push(`  (types the oracle could not read, demanded as pointers: ${unknown.join('; ')})`);
  }
  return lines.join('\n');
}
