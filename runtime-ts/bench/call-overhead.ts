// Micro-benchmark: a call of `int add(int, int)` through the host (load()) against a raw koffi
// call of the same function in the same library. Rounds alternate the two and the median of
// the per-round ratios is reported, which keeps a shared machine's noise out of the ratio.
//
//   npx tsc -p . && node dist/runtime-ts/bench/call-overhead.js [--rounds 31] [--calls 1000000] [--json]
import { load } from '../index.js';
import { buildLibrary, jsonRequested, numberOption, median } from './common.js';

const SOURCE =
  'int add(int a, int b) { return a + b; }\n' +
  'struct node { int value; struct node *next; };\n' +
  'int node_value(const struct node *n) { return n->value; }\n';

/** A timing loop of its own per function, so each call site stays monomorphic. */
function timer(): (f: (a: number, b: number) => unknown, n: number) => number {
  return new Function(
    'f',
    'n',
    `let sink = 0;
     const t0 = process.hrtime.bigint();
     for (let i = 0; i < n; i++) sink += f(i & 0xffff, 1);
     const t1 = process.hrtime.bigint();
     if (sink === -1) console.log(sink);
     return Number(t1 - t0) / n;`,
  ) as (f: (a: number, b: number) => unknown, n: number) => number;
}

const rounds = numberOption('--rounds', 31);
const n = numberOption('--calls', 1_000_000);
const lib = load(buildLibrary('add', SOURCE));
const host = lib.add as (a: number, b: number) => number;
const raw = lib.$lib.handle.func('int add(int, int)') as unknown as (a: number, b: number) => number;
if (host(2, 3) !== 5 || raw(2, 3) !== 5) throw new Error('add is broken');
const timeHost = timer();
const timeRaw = timer();
timeHost(host, n);
timeRaw(raw, n);
const ratios: number[] = [];
const hostNs: number[] = [];
const rawNs: number[] = [];
for (let r = 0; r < rounds; r++) {
  let rawT: number;
  let hostT: number;
  if (r % 2 === 0) {
    rawT = timeRaw(raw, n);
    hostT = timeHost(host, n);
  } else {
    hostT = timeHost(host, n);
    rawT = timeRaw(raw, n);
  }
  rawNs.push(rawT);
  hostNs.push(hostT);
  ratios.push(hostT / rawT);
}
const result = { rounds, calls: n, rawNs: median(rawNs), hostNs: median(hostNs), medianRatio: median(ratios), minRatio: Math.min(...ratios), maxRatio: Math.max(...ratios) };
// Secondary figures (not part of the bar): a struct pointer argument, field reads and writes.
const perOp = (f: () => void, m: number): number => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < m; i++) f();
  return Number(process.hrtime.bigint() - t0) / m;
};
const Node = lib.node as new (init?: object) => { value: number; next: unknown; $addr: number };
const a = new Node({ value: 1 });
const b = new Node({ value: 2, next: a });
const nodeValue = lib.node_value as (n: unknown) => number;
const rawNodeValue = lib.$lib.handle.func('int node_value(uintptr_t)') as unknown as (n: number) => number;
let acc = 0;
const secondary = {
  structPointerCallNs: median([0, 1, 2].map(() => perOp(() => (acc += nodeValue(b)), n / 4))),
  rawStructPointerCallNs: median([0, 1, 2].map(() => perOp(() => (acc += rawNodeValue(b.$addr)), n / 4))),
  fieldReadNs: median([0, 1, 2].map(() => perOp(() => (acc += b.value), n))),
  fieldWriteNs: median([0, 1, 2].map(() => perOp(() => (b.value = acc & 0xffff), n))),
  pointerFieldReadNs: median([0, 1, 2].map(() => perOp(() => (acc += b.next === a ? 1 : 0), n))),
};
if (acc === -1) console.log(acc);
Object.assign(result, secondary);
if (jsonRequested()) console.log(JSON.stringify(result));
else
  console.log(
    `int add(int,int): raw koffi ${result.rawNs.toFixed(1)} ns/call, host ${result.hostNs.toFixed(1)} ns/call, ` +
      `median ratio ${result.medianRatio.toFixed(3)} (min ${result.minRatio.toFixed(3)}, max ${result.maxRatio.toFixed(3)}, ${rounds} rounds × ${n} calls)\n` +
      `int node_value(const struct node *): host ${secondary.structPointerCallNs.toFixed(1)} ns/call, raw koffi (address) ${secondary.rawStructPointerCallNs.toFixed(1)} ns/call\n` +
      `proxy field: read ${secondary.fieldReadNs.toFixed(1)} ns, write ${secondary.fieldWriteNs.toFixed(1)} ns, pointer field read (cached proxy) ${secondary.pointerFieldReadNs.toFixed(1)} ns`,
  );
