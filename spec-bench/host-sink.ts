// The wb-hosted configuration's host: host-sink.c built into a shared object (in the cache, rebuilt
// when the source changes) that each program of the wb build is run with (LD_PRELOAD, through
// `env` so that only the program and not the timing shell loads it), and what it reports back.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchCache, repoRoot } from './paths.js';

export const sinkSource = join(repoRoot, 'spec-bench', 'host-sink.c');

/** The sink's shared object, compiled on first use (keyed by the source's hash). */
export function hostSink(): string {
  const key = createHash('sha256').update(readFileSync(sinkSource)).digest('hex').slice(0, 16);
  const out = join(benchCache('host-sink'), `host-sink-${key}.so`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', tmp, sinkSource], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`spec-bench: cannot build the host sink (${sinkSource}):\n${r.stderr ?? r.error}`);
  spawnSync('mv', ['-f', tmp, out]);
  return out;
}

/** A command prefix that runs a program with the sink attached. */
export function hostedPrefix(): string[] {
  return ['env', `LD_PRELOAD=${hostSink()}`];
}

/** One process's report (WB_HOST_SINK_REPORT): the events it drained and the runtime's counters. */
export interface SinkReport {
  pid: number;
  held: number;
  drained: number;
  refs: number;
  cfrees: number;
  flushes: number;
  runtime: Record<string, number>;
}

/** The reports of one run, oldest first (the file is removed: each run starts a new one). */
export function takeSinkReports(path: string): SinkReport[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  rmSync(path, { force: true });
  return lines.map((l) => JSON.parse(l) as SinkReport);
}

/** What the sink's reports of a run add up to: the evidence the active path ran, and how much of it. */
export interface HostedFacts {
  processes: number;
  /** Host-created objects held through each process. */
  held: number;
  /** Stores that passed the shadow filter (went into the C filter), range operations that looked at their range. */
  slowStores: number;
  countedStores: number;
  rangeOps: number;
  rangeWords: number;
  events: number;
  drained: number;
}

export function sumSinkReports(rs: SinkReport[]): HostedFacts {
  const f: HostedFacts = { processes: rs.length, held: 0, slowStores: 0, countedStores: 0, rangeOps: 0, rangeWords: 0, events: 0, drained: 0 };
  for (const r of rs) {
    f.held = Math.max(f.held, r.held);
    f.slowStores += r.runtime.slow_stores ?? 0;
    f.countedStores += r.runtime.counted_stores ?? 0;
    f.rangeOps += r.runtime.range_ops ?? 0;
    f.rangeWords += r.runtime.range_words ?? 0;
    f.events += r.runtime.events ?? 0;
    f.drained += r.drained;
  }
  return f;
}
