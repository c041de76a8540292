// One timed run of a workload: its commands run in sequence under bash, which reports the wall time of
// exactly the commands (EPOCHREALTIME before and after) and their user + system CPU time (`times`,
// the rusage of every waited-for child). No perf, no /usr/bin/time: bash is everywhere.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { shellWord } from '../harness/compilers.js';
import { run } from '../harness/proc.js';
import { sha256 } from './corpus.js';
import type { Command, RunOutput } from './suite.js';

export interface Timing {
  /** Wall clock of the commands, seconds. */
  wall: number;
  /** User + system CPU time of the commands, seconds. */
  cpu: number;
  user: number;
  sys: number;
  /** 1-minute load average when the run started. */
  load: number;
}

export interface RunResult {
  timing: Timing;
  /** sha256 of every file the run left in its directory, by relative path. */
  digests: Record<string, string>;
  output: RunOutput;
}

export class RunFailed extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

function script(commands: Command[], tree: string, timesFile: string, wrap: (i: number) => string[]): string {
  const path = (p: string) => (isAbsolute(p) ? p : join(tree, p));
  const lines = [
    'set -u',
    // fd 3 carries the measurements back; the commands' own output goes to files.
    `exec 3>${shellWord(timesFile)}`,
    ...commands.filter((c) => c.outDir).map((c) => `mkdir -p ${shellWord(c.outDir!)}`),
    't0=$EPOCHREALTIME',
    ...commands.map((c, i) => {
      const stdin = c.stdin === undefined ? '/dev/null' : c.stdin;
      const argv = [...wrap(i), path(c.program), ...c.args].map(shellWord).join(' ');
      return `${argv} <${shellWord(stdin)} >${shellWord(c.stdout)} || { s=$?; echo "spec-bench: command ${i + 1} (${c.program}) exited $s" >&2; exit 100; }`;
    }),
    't1=$EPOCHREALTIME',
    'times >&3',
    'echo "$t0 $t1" >&3',
  ];
  return lines.join('\n') + '\n';
}

/** Parses bash's `times` (second line: the children's "XmY.YYYs XmY.YYYs") and the two time stamps. */
export function parseTimes(text: string): { wall: number; user: number; sys: number } {
  const lines = text.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[1] ?? '');
  const stamps = /^([\d.]+) ([\d.]+)$/.exec(lines[2] ?? '');
  if (!m || !stamps) throw new Error(`spec-bench: cannot read the timing of a run from ${JSON.stringify(text)}`);
  return {
    wall: Number(stamps[2]) - Number(stamps[1]),
    user: Number(m[1]) * 60 + Number(m[2]),
    sys: Number(m[3]) * 60 + Number(m[4]),
  };
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

/**
 * Runs `commands` once in a fresh directory `dir` (cleared first) with `env` added to a clean
 * environment, and returns the timing and the digest of every file the run produced.
 */
export async function runWorkload(
  commands: Command[],
  tree: string,
  dir: string,
  env: Record<string, string>,
  timeoutMs: number,
  /** A prefix for command i (e.g. valgrind), for profiling. */
  wrap: (i: number) => string[] = () => [],
): Promise<RunResult> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const meta = join(dir, '..', `${dir.split('/').pop()}.times`);
  const sh = join(dir, '..', `${dir.split('/').pop()}.sh`);
  writeFileSync(sh, script(commands, tree, meta, wrap));
  const load = loadavg()[0]!;
  const r = await run(['bash', sh], {
    cwd: dir,
    // A fixed, small environment: locale and the configuration's switches only, so runs differ in
    // nothing but the binary (and WB_STRESS).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: process.env.HOME ?? '/', ...env },
    timeoutMs,
  });
  if (r.spawnError) throw new Error(`spec-bench: cannot start bash: ${r.spawnError}`);
  const err = r.stderr;
  const code = r.code;
  if (code !== 0) throw new RunFailed(`spec-bench: the run in ${dir} ${code === null ? 'was killed (timeout?)' : `failed (exit ${code})`}${err ? `:\n${err.trim().split('\n').slice(-20).join('\n')}` : ''}`, err);
  const t = parseTimes(existsSync(meta) ? readFileSync(meta, 'utf8') : '');
  const digests: Record<string, string> = {};
  for (const f of walk(dir)) digests[f] = sha256(readFileSync(join(dir, f)));
  const output: RunOutput = { dir, read: (name) => readFileSync(isAbsolute(name) ? name : join(dir, name)) };
  return { timing: { wall: t.wall, cpu: t.user + t.sys, user: t.user, sys: t.sys, load }, digests, output };
}

/** Differences between two runs' outputs, as lines a person can act on. */
export function compareDigests(want: Record<string, string>, got: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [f, d] of Object.entries(want)) {
    if (!(f in got)) problems.push(`${f}: missing`);
    else if (got[f] !== d) problems.push(`${f}: sha256 ${got[f]!.slice(0, 16)}… instead of ${d.slice(0, 16)}…`);
  }
  for (const f of Object.keys(got)) if (!(f in want)) problems.push(`${f}: not produced by the reference`);
  return problems;
}

/** The first byte offset where two files differ (for a mismatch report), or -1. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
