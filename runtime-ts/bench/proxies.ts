// Micro-benchmark: proxies made and released in one synchronous run (one job), the way a loop
// over a C API makes them. Two ways of releasing them:
//   scoped    each iteration in scope(): the proxy has no WeakRef, and is garbage once released
//   released  each proxy released by hand outside any scope: it has a WeakRef (the finalizer
//             backstop), which ECMAScript keeps alive until the job ends whatever release() does
// For each: the JS heap after a full GC at the end of the loop (same job), RSS, CPU time per
// proxy, and the host's live counts.
//
//   npx tsc -p . && node dist/runtime-ts/bench/proxies.js [--proxies 600000] [--json]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { load, scope, stats } from '../index.js';
import { buildLibrary, jsonRequested, numberOption } from './common.js';

const SOURCE = `
#include <stdlib.h>
struct item { long value; struct item *next; };
struct item *item_new(long v) { struct item *p = malloc(sizeof *p); p->value = v; p->next = 0; return p; }
void item_free(struct item *p) { free(p); }
`;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MiB = 2 ** 20;
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const lib = load(buildLibrary('items', SOURCE)) as any;
lib.item_new.returns({ owned: lib.item_free });
const n = numberOption('--proxies', 600_000);

interface Result {
  proxies: number;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  heapPerProxyBytes: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  nsPerProxy: number;
  weakRefs: number;
  liveAfter: number;
  proxiedAfter: number;
}

function measure(loop: () => number): Result {
  gc();
  const s0 = stats(lib);
  const m0 = process.memoryUsage();
  const t0 = cpuNs();
  const sum = loop();
  const ns = (cpuNs() - t0) / n;
  gc(); // the same job: what a WeakRef made in it points at survives this collection
  const m1 = process.memoryUsage();
  const s1 = stats(lib);
  if (sum !== (n * (n - 1)) / 2) throw new Error(`wrong sum ${sum}`);
  return {
    proxies: n,
    heapBeforeMiB: m0.heapUsed / MiB,
    heapAfterMiB: m1.heapUsed / MiB,
    heapPerProxyBytes: (m1.heapUsed - m0.heapUsed) / n,
    rssBeforeMiB: m0.rss / MiB,
    rssAfterMiB: m1.rss / MiB,
    nsPerProxy: ns,
    weakRefs: s1.proxiesWeak - s0.proxiesWeak,
    liveAfter: s1.live - s0.live,
    proxiedAfter: s1.proxied - s0.proxied,
  };
}

const scoped = measure(() => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += scope(() => lib.item_new(i).value as number);
  return sum;
});
// Between the two, the job ends: the first loop's WeakRefs (none) and finalizers settle.
await new Promise((r) => setImmediate(r));
const released = measure(() => {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = lib.item_new(i);
    sum += p.value as number;
    p.release();
  }
  return sum;
});

const result = { scoped, released };
if (jsonRequested()) console.log(JSON.stringify(result));
else {
  const line = (name: string, r: Result) =>
    `${name}: ${r.proxies} proxies in one job: heap ${r.heapBeforeMiB.toFixed(1)} → ${r.heapAfterMiB.toFixed(1)} MiB after a full GC ` +
    `(${r.heapPerProxyBytes.toFixed(1)} B/proxy), RSS ${r.rssBeforeMiB.toFixed(0)} → ${r.rssAfterMiB.toFixed(0)} MiB, ${r.nsPerProxy.toFixed(0)} ns CPU/proxy ` +
    `(call, proxy, release, free); WeakRefs ${r.weakRefs}, live objects after ${r.liveAfter}, proxied ${r.proxiedAfter}`;
  console.log(line('scope() per iteration', scoped));
  console.log(line('release() outside a scope', released));
}
