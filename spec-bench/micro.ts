// Micro-benchmarks of the parts the program suite cannot isolate, each measured by the part's own
// benchmark where one exists: runtime-c/bench (barrier fast path and slow path, counted with
// callgrind and timed) and runtime-ts/bench (host call against a raw koffi call). A part that does
// not exist yet is reported as "not available" with the reason, never with a made-up number.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchCache, repoRoot } from './paths.js';

export interface MicroResult {
  name: string;
  available: boolean;
  /** One line for the table (or the reason it is not available). */
  text: string;
  /** The numbers, for the JSON. */
  values?: Record<string, number>;
  /** DESIGN.md's bar for this figure, and whether it is met. */
  bar?: string;
  met?: boolean;
}

const N = 1_000_000; // operations per benchmark function in runtime-c/bench/bench.c

function run(cmd: string, args: string[], timeoutMs = 300_000): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, cwd: repoRoot });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Instructions executed inside `fn` (inclusive), as runtime-c/bench/run.sh counts them. */
function callgrind(binary: string, fn: string, mode: string): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'spec-bench-cg-'));
  try {
    const out = join(dir, 'cg.out');
    const r = run('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, `--toggle-collect=${fn}`, binary, mode]);
    if (!r.ok || !existsSync(out)) return null;
    const m = /^totals: (\d+)/m.exec(readFileSync(out, 'utf8'));
    return m ? Number(m[1]) : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Best of `n` runs of bench.c's own timing ("mode: 1.23 ns/op" on stderr). */
function nsPerOp(binary: string, mode: string, n: number): number | null {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const r = run(binary, [mode]);
    const m = /: ([\d.]+) ns\/op/.exec(r.stderr);
    if (!r.ok || !m) return null;
    best = Math.min(best, Number(m[1]));
  }
  return best;
}

function runtimeC(quick: boolean): MicroResult[] {
  const benchDir = join(repoRoot, 'runtime-c', 'bench');
  const lib = join(repoRoot, 'runtime-c', 'build', 'libwbrt.a');
  const fast = 'barrier fast path (pointer store, no host)';
  const slow = 'managed store, C slow path (store counted, event appended)';
  if (!existsSync(join(benchDir, 'bench.c')) || !existsSync(lib)) {
    const why = `${existsSync(lib) ? 'runtime-c/bench/bench.c' : 'runtime-c/build/libwbrt.a'} does not exist (make -C runtime-c)`;
    return [fast, slow].map((name) => ({ name, available: false, text: why }));
  }
  // runtime-c's own Makefile, with the binaries in our cache: writing into runtime-c/build would
  // change cc-wb's fingerprint (harness/compilers.ts) and invalidate every cached wb build.
  const out = benchCache('micro');
  const mk = run('make', ['-s', '-C', benchDir, `B=${out}`]);
  if (!mk.ok) return [fast, slow].map((name) => ({ name, available: false, text: `make -C runtime-c/bench failed: ${mk.stderr.trim().split('\n').pop()}` }));
  const plain = join(out, 'bench-plain');
  const wb = join(out, 'bench-wb');
  const results: MicroResult[] = [];
  const valgrind = run('valgrind', ['--version']).ok;
  const reps = quick ? 3 : 5;
  const ip = valgrind ? callgrind(plain, 'bench_store', 'store') : null;
  const iw = valgrind ? callgrind(wb, 'bench_store', 'store') : null;
  const tp = nsPerOp(plain, 'store', reps);
  const tw = nsPerOp(wb, 'store', reps);
  if (ip !== null && iw !== null && tp !== null && tw !== null) {
    const extra = (iw - ip) / N;
    results.push({
      name: fast,
      available: true,
      text: `+${extra.toFixed(1)} instructions/store (callgrind; plain ${(ip / N).toFixed(1)}, cc-wb ${(iw / N).toFixed(1)} per loop iteration), ${tp.toFixed(2)} vs ${tw.toFixed(2)} ns/store (best of ${reps})`,
      values: { extraInstructionsPerStore: extra, plainInstructions: ip / N, wbInstructions: iw / N, plainNs: tp, wbNs: tw },
      bar: 'inline, no call, <= 8 instructions',
      met: extra <= 8,
    });
  } else {
    results.push({ name: fast, available: false, text: valgrind ? 'runtime-c/bench did not run' : 'valgrind is not installed' });
  }
  const is = valgrind ? callgrind(wb, 'bench_slow', 'slow') : null;
  const ts = nsPerOp(wb, 'slow', reps);
  if (is !== null && ts !== null) {
    results.push({
      name: slow,
      available: true,
      text: `${(is / N).toFixed(1)} instructions/store, ${ts.toFixed(1)} ns/store (C runtime only: the host's accounting of the events is not part of this figure)`,
      values: { instructionsPerStore: is / N, ns: ts },
      bar: '<= 100 ns amortized including host accounting',
    });
  } else results.push({ name: slow, available: false, text: 'runtime-c/bench slow mode did not run' });
  return results;
}

interface LifetimeJson {
  store: { managedStoreNs: number; hostAccountingNsPerStore: number; drainEventsPerSec: number; unmanagedStoreNs: number; tsFieldStoreNs: number };
  cycles: { cycles: number; objects: number; collectMs: number; objectsPerSec: number };
}

/** runtime-ts/bench/lifetime: the host's side (event accounting, counts, cycle collection). */
function hostLifetime(quick: boolean): MicroResult[] {
  const storeName = 'managed store with host accounting (C store, event, drain, counts)';
  const cycleName = 'cycle collection rate (three-object garbage cycles through C memory)';
  const script = join(repoRoot, 'dist', 'runtime-ts', 'bench', 'lifetime.js');
  if (!existsSync(script)) {
    const text = 'dist/runtime-ts/bench/lifetime.js is not built (npx tsc -p .)';
    return [{ name: storeName, available: false, text }, { name: cycleName, available: false, text }];
  }
  const args = [script, '--json', '--rounds', quick ? '2' : '5', '--stores', quick ? '500000' : '2000000', '--cycles', quick ? '100000' : '1000000'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repoRoot, timeout: 1_200_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let j: LifetimeJson;
  try {
    j = JSON.parse(line) as LifetimeJson;
  } catch {
    const text = `runtime-ts/bench/lifetime failed: ${(r.stderr || line || String(r.error)).trim().split('\n').slice(-3).join(' ')}`;
    return [{ name: storeName, available: false, text }, { name: cycleName, available: false, text }];
  }
  return [
    {
      name: storeName,
      available: true,
      text: `${j.store.managedStoreNs.toFixed(1)} ns/store amortized (host accounting ${j.store.hostAccountingNsPerStore.toFixed(1)} ns; drain ${(j.store.drainEventsPerSec / 1e6).toFixed(1)} M events/s; the same store to no HOST object ${j.store.unmanagedStoreNs.toFixed(1)} ns; a pointer-field write from TypeScript ${j.store.tsFieldStoreNs.toFixed(1)} ns), CPU time`,
      values: { ns: j.store.managedStoreNs, hostNs: j.store.hostAccountingNsPerStore, drainPerSec: j.store.drainEventsPerSec, unmanagedNs: j.store.unmanagedStoreNs, tsFieldNs: j.store.tsFieldStoreNs },
      bar: '<= 100 ns amortized including host accounting',
      met: j.store.managedStoreNs <= 100,
    },
    {
      name: cycleName,
      available: true,
      text: `${(j.cycles.objectsPerSec / 1e6).toFixed(2)} M objects/s (one collect() of ${j.cycles.cycles} cycles, ${j.cycles.objects} objects, ${j.cycles.collectMs.toFixed(0)} ms CPU)`,
      values: { objectsPerSec: j.cycles.objectsPerSec, cycles: j.cycles.cycles, collectMs: j.cycles.collectMs },
      bar: '>= 1 M objects/s on 10^6 three-object cycles',
      met: j.cycles.objectsPerSec >= 1e6,
    },
  ];
}

function hostCall(quick: boolean): MicroResult {
  const name = 'host call vs raw koffi (int add(int, int))';
  const script = join(repoRoot, 'dist', 'runtime-ts', 'bench', 'call-overhead.js');
  if (!existsSync(script)) return { name, available: false, text: 'dist/runtime-ts/bench/call-overhead.js is not built (npx tsc -p .)' };
  const args = [script, '--json', '--rounds', quick ? '7' : '31', '--calls', quick ? '200000' : '1000000'];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repoRoot, timeout: 600_000 });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let j: { rawNs: number; hostNs: number; medianRatio: number; minRatio: number; maxRatio: number; rounds: number; calls: number };
  try {
    j = JSON.parse(line);
  } catch {
    return { name, available: false, text: `runtime-ts/bench/call-overhead failed: ${(r.stderr || line || String(r.error)).trim().split('\n').slice(-3).join(' ')}` };
  }
  return {
    name,
    available: true,
    text: `${j.medianRatio.toFixed(3)}x a raw koffi call (median of ${j.rounds} rounds, ${j.minRatio.toFixed(3)}..${j.maxRatio.toFixed(3)}); host ${j.hostNs.toFixed(1)} ns, koffi ${j.rawNs.toFixed(1)} ns`,
    values: { ratio: j.medianRatio, minRatio: j.minRatio, maxRatio: j.maxRatio, hostNs: j.hostNs, rawNs: j.rawNs },
    bar: '<= 1.25x a raw koffi call',
    met: j.medianRatio <= 1.25,
  };
}

export function runMicro(quick: boolean, say: (msg: string) => void): MicroResult[] {
  say('micro-benchmarks: runtime-c/bench (callgrind)');
  const out = runtimeC(quick);
  say('micro-benchmarks: runtime-ts/bench/call-overhead');
  out.push(hostCall(quick));
  say('micro-benchmarks: runtime-ts/bench/lifetime');
  out.push(...hostLifetime(quick));
  return out;
}
