// Micro-benchmarks of the host's memory management (runtime-ts/heap):
//   store    amortized cost of a managed pointer store: a barriered C store that changes which
//            HOST object a slot refers to (slow path, event), plus the host's accounting of the
//            event (drain, remembered set, counts); also a pointer-field write from TypeScript
//   drain    events accounted per second (wb_drain through a zero-copy view + accounting)
//   cycles   cycle collection of N three-object garbage cycles (default 10^6), objects per second
//
//   npx tsc -p . && node dist/runtime-ts/bench/lifetime.js [--stores 2000000] [--cycles 1000000] [--rounds 5] [--json]
//
// Times are CPU time of the process (user + system), which a loaded machine inflates far less than wall time.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { collect, configure, load, scope, stats } from '../index.js';
import { clock } from '../heap/log.js';
import { buildLibrary, jsonRequested, numberOption, median } from './common.js';

const SOURCE = `
#include <stdlib.h>
struct box { long value; struct box *next; };
/* n stores into nslots C-owned slots, each changing the HOST object the slot refers to. */
void store_loop(struct box **slots, int nslots, struct box **objs, int nobjs, long n) {
  for (long i = 0; i < n; i++) slots[i % nslots] = objs[(i * 7) % nobjs];
}
/* The same loop over objects the host does not hold: the barrier's fast path only. */
struct box **make_plain(int n) {
  struct box **a = malloc(n * sizeof *a);
  for (int i = 0; i < n; i++) a[i] = malloc(sizeof **a);
  return a;
}
struct box **slots_new(int n) { return calloc(n, sizeof(struct box *)); }
void slots_clear(struct box **s, int n) { for (int i = 0; i < n; i++) s[i] = 0; }
void link3(struct box *a, struct box *b, struct box *c) { a->next = b; b->next = c; c->next = a; }
`;
// CPU time of this (single-threaded) process, not wall time: the figures must survive a shared, loaded machine.
const now = () => process.cpuUsage();
const ns = (t0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) * 1000;
};
// The log's drain timer too (it runs once per 4096-event chunk here, so getrusage costs nothing).
clock.now = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const lib = load(buildLibrary('lifetime', SOURCE)) as Any;
const rounds = numberOption('--rounds', 5);
const nStores = numberOption('--stores', 2_000_000);
const nCycles = numberOption('--cycles', 1_000_000);

// ---- managed stores -------------------------------------------------------------------------
const NSLOTS = 1024;
const NOBJS = 1000;
const objs = lib.$alloc('struct box *', NOBJS);
const held: Any[] = [];
for (let i = 0; i < NOBJS; i++) {
  const b = new lib.box({ value: i });
  held.push(b);
  objs[i] = b;
}
const slots = lib.slots_new(NSLOTS);
const plainObjs = lib.make_plain(NOBJS);
const plainSlots = lib.slots_new(NSLOTS);
lib.store_loop(slots, NSLOTS, objs, NOBJS, 100_000); // warm-up: the slots hold HOST objects from here on
const managed: number[] = [];
const plain: number[] = [];
const drainShare: number[] = [];
const perEvent: number[] = [];
for (let r = 0; r < rounds; r++) {
  const s0 = stats(lib);
  let t0 = now();
  lib.store_loop(slots, NSLOTS, objs, NOBJS, nStores); // the call returns at a safe point: all accounted
  const t = ns(t0);
  const s1 = stats(lib);
  const events = s1.eventsDrained - s0.eventsDrained;
  if (events < nStores) throw new Error(`expected ${nStores} events, got ${events}`);
  managed.push(t / nStores);
  drainShare.push(((s1.drainMs - s0.drainMs) * 1e6) / nStores);
  perEvent.push(((s1.drainMs - s0.drainMs) * 1e6) / events);
  t0 = now();
  lib.store_loop(plainSlots, NSLOTS, plainObjs, NOBJS, nStores);
  plain.push(ns(t0) / nStores);
}
// A pointer-field write from TypeScript (wb_store_ptr through koffi, accounted at the next safe point).
const a = held[0];
const b1 = held[1];
const b2 = held[2];
const tsStore: number[] = [];
const nTs = Math.min(nStores, 1_000_000);
for (let r = 0; r < rounds; r++) {
  const t0 = now();
  for (let i = 0; i < nTs; i += 2) {
    a.next = b1;
    a.next = b2;
  }
  lib.slots_clear(plainSlots, 1); // a call-out, to end at a safe point (all accounted)
  tsStore.push(ns(t0) / nTs);
}
a.next = null;
lib.slots_clear(slots, NSLOTS);
const st = stats(lib);
const storeResult = {
  stores: nStores,
  managedStoreNs: median(managed),
  hostAccountingNsPerStore: median(drainShare),
  drainNsPerEvent: median(perEvent),
  drainEventsPerSec: 1e9 / median(perEvent),
  unmanagedStoreNs: median(plain),
  tsFieldStoreNs: median(tsStore),
  refMismatches: st.refMismatches,
};

// ---- cycles ------------------------------------------------------------------------------------
for (const h of held) h.release();
collect(lib);
// Amortized: the collector runs on its own allocation threshold while the cycles are made.
const auto0 = stats(lib);
const BATCH = 10_000;
// Between batches the event loop turns, as in a program: until a job ends, every object a WeakRef
// was made for in it stays alive (ECMAScript's KeepDuringJob), and finalizers cannot run.
const makeCycles = async (count: number) => {
  for (let done = 0; done < count; done += BATCH) {
    scope(() => {
      const k = Math.min(BATCH, count - done);
      for (let i = 0; i < k; i++) lib.link3(new lib.box({ value: 1 }), new lib.box({ value: 2 }), new lib.box({ value: 3 }));
    });
    await new Promise((r) => setImmediate(r));
  }
};
await makeCycles(nCycles);
collect(lib);
const auto1 = stats(lib);
const amortized = {
  collections: auto1.collections - auto0.collections,
  objects: auto1.cycleObjects - auto0.cycleObjects,
  collectMs: auto1.collectMs - auto0.collectMs,
  objectsPerSec: (auto1.cycleObjects - auto0.cycleObjects) / ((auto1.collectMs - auto0.collectMs) / 1000),
};
// (live is no measure here: between batches finalizers also release earlier, unrelated proxies)
if (amortized.objects !== 3 * nCycles || auto1.freed - auto0.freed < 3 * nCycles) throw new Error(`amortized collection incomplete: ${JSON.stringify(amortized)}`);
// One collection of all of them.
configure(lib, { collectThreshold: Infinity });
const before = stats(lib);
const tb = now();
await makeCycles(nCycles);
const buildMs = ns(tb) / 1e6;
const mid = stats(lib);
if (mid.live - before.live < 3 * nCycles) throw new Error(`expected ${3 * nCycles} live objects before collecting, got ${mid.live - before.live}`);
// V8's own collector, busy after making millions of proxies, would bill its helper threads' CPU
// time to the measurement: let it finish first.
setFlagsFromString('--expose-gc');
(runInNewContext('gc') as () => void)();
const tc = now();
collect(lib);
const collectMs = ns(tc) / 1e6;
const after = stats(lib);
const cycleResult = {
  cycles: nCycles,
  objects: 3 * nCycles,
  buildMs,
  collectMs,
  objectsPerSec: (3 * nCycles) / (collectMs / 1000),
  cyclesFound: after.cyclesFound - mid.cyclesFound,
  freed: after.freed - mid.freed,
  liveAfter: after.live - before.live,
  hostObjectsAfter: after.runtime.host_objects - before.runtime.host_objects,
};
if (cycleResult.cyclesFound !== nCycles || cycleResult.freed < 3 * nCycles || cycleResult.liveAfter > 0) throw new Error(`collection incomplete: ${JSON.stringify(cycleResult)}`);

configure(lib, { collectThreshold: null });
const result = { store: storeResult, cycles: cycleResult, cyclesAmortized: amortized };
if (jsonRequested()) console.log(JSON.stringify(result));
else
  console.log(
    `managed pointer store (C barrier slow path + event + host accounting): ${storeResult.managedStoreNs.toFixed(1)} ns/store ` +
      `(of which host drain+accounting ${storeResult.hostAccountingNsPerStore.toFixed(1)} ns; unmanaged store ${storeResult.unmanagedStoreNs.toFixed(1)} ns; median of ${rounds} × ${nStores})\n` +
      `TypeScript pointer-field write (wb_store_ptr + accounting): ${storeResult.tsFieldStoreNs.toFixed(1)} ns\n` +
      `drain: ${storeResult.drainNsPerEvent.toFixed(1)} ns/event = ${(storeResult.drainEventsPerSec / 1e6).toFixed(1)} M events/s\n` +
      `cycle collection: ${nCycles} three-object cycles (${3 * nCycles} objects) in ${collectMs.toFixed(0)} ms = ${(cycleResult.objectsPerSec / 1e6).toFixed(2)} M objects/s ` +
      `(${cycleResult.cyclesFound} cycles found, ${cycleResult.freed} freed; building them took ${buildMs.toFixed(0)} ms)\n` +
      `cycle collection on its allocation threshold while the same cycles are made: ${amortized.collections} collections, ${(amortized.objectsPerSec / 1e6).toFixed(2)} M objects/s`,
  );
