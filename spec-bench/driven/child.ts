// One timed run of a TypeScript-driven benchmark, in a process of its own (so that CPU time, RSS
// and the host's memory statistics belong to that run alone):
//   node --expose-gc dist/spec-bench/driven/child.js <benchmark> <ccwb|koffi> <library.so> <input> [--again]
// Prints one JSON line: load and job CPU/wall time, the outcome, RSS, and for the cc-wb version the
// host's statistics after the job's objects became unreachable (gc, a turn of the event loop, collect).
// --again runs the job a second time after that (untimed) and reports how much more memory malloc
// has out after it than after the first, node's own Buffers aside: what a run leaves behind grows
// with every run, while tables kept at their high-water mark and bounded caches (the runtime's
// quarantine) do not.
import koffi from 'koffi';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { collect, stats } from '../../runtime-ts/index.js';
import { DRIVERS } from './drivers.js';
import type { Variant } from './workload.js';

export interface ChildReport {
  loadCpu: number;
  cpu: number;
  wall: number;
  user: number;
  sys: number;
  digest: string;
  facts: Record<string, number>;
  /** RSS after the job and the clean-up, and the peak, bytes. */
  rss: number;
  maxRss: number;
  /** Bytes malloc has handed out and not had back (glibc's mallinfo2().uordblks) after the clean-up: a leak shows here whichever side leaked. */
  heapInUse: number;
  /**
   * With --again: heapInUse after a second run of the job minus after the first, less what node's
   * ArrayBuffers and Buffers grew by (bytes): the job's input Buffer is malloc'd too, and node
   * frees it after a garbage collection of its own choosing.
   */
  heapGrowth?: number;
  /** With --again: what node's ArrayBuffers and Buffers grew by over the second run (bytes). */
  bufferGrowth?: number;
  /** cc-wb version: host objects still live, and the runtime's counters that say what is left. */
  memory?: { live: number; proxied: number; references: number; hostObjects: number; deferred: number; freed: number; destroyed: number; attached: number; created: number; eventsDrained: number; collections: number };
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** glibc's malloc statistics: the bytes in use, whoever allocated them (node, the library, the runtime). */
function mallocInUse(): number {
  if (!mallinfo2) {
    const libc = koffi.load('libc.so.6');
    const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'];
    const Mallinfo2 = koffi.struct('mallinfo2_t', Object.fromEntries(fields.map((f) => [f, 'size_t'])));
    mallinfo2 = libc.func('mallinfo2', Mallinfo2, []) as unknown as () => Record<string, number>;
  }
  const info = mallinfo2();
  return Number(info.uordblks) + Number(info.hblkhd);
}
let mallinfo2: (() => Record<string, number>) | undefined;

async function main(): Promise<void> {
  const [name, variant, path, input, flag] = process.argv.slice(2) as [string, Variant, string, string, string | undefined];
  const driver = DRIVERS.find((d) => d.library === name);
  if (!driver || (variant !== 'ccwb' && variant !== 'koffi') || !path || !input || (flag !== undefined && flag !== '--again')) {
    throw new Error(`usage: child.js <${DRIVERS.map((d) => d.library).join('|')}> <ccwb|koffi> <library.so> <input> [--again]`);
  }
  const c0 = process.cpuUsage();
  const opened = driver[variant](path);
  const c1 = process.cpuUsage();
  const w1 = performance.now();
  const outcome = opened.run(input);
  const w2 = performance.now();
  const job = process.cpuUsage(c1);
  const report: ChildReport = {
    loadCpu: cpuSeconds({ user: c1.user - c0.user, system: c1.system - c0.system }),
    cpu: cpuSeconds(job),
    wall: (w2 - w1) / 1000,
    user: job.user / 1e6,
    sys: job.system / 1e6,
    digest: outcome.digest,
    facts: outcome.facts,
    rss: 0,
    maxRss: 0,
    heapInUse: 0,
  };
  // The job's objects are unreachable now: let the collector and the finalizers run, then count.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('child.js needs node --expose-gc');
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) {
      gc();
      await sleep(20);
    }
    if (opened.lib) {
      collect(opened.lib);
      await tick();
    }
  };
  await settle();
  if (flag === '--again') {
    const first = mallocInUse();
    const firstBuffers = process.memoryUsage().arrayBuffers;
    const again = opened.run(input);
    if (again.digest !== outcome.digest) throw new Error(`the second run's result differs from the first's (${again.digest} vs ${outcome.digest})`);
    await settle();
    report.bufferGrowth = process.memoryUsage().arrayBuffers - firstBuffers;
    report.heapGrowth = mallocInUse() - first - report.bufferGrowth;
  }
  if (opened.lib) {
    const s = stats(opened.lib);
    report.memory = {
      live: s.live,
      proxied: s.proxied,
      references: s.references,
      hostObjects: Number(s.runtime.host_objects),
      deferred: Number(s.runtime.deferred),
      freed: s.freed,
      destroyed: s.destroyed,
      attached: s.attached,
      created: s.created,
      eventsDrained: s.eventsDrained,
      collections: s.collections,
    };
  }
  report.heapInUse = mallocInUse();
  report.rss = process.memoryUsage().rss;
  report.maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
