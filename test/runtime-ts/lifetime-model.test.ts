// Randomized model-based test of memory shared between TypeScript and C: fast-check generates
// operation sequences (allocate in C or TypeScript, link and unlink from either side, copy and
// clear pointer fields in C, free from C, drop from TypeScript, reach through fields and roots,
// collect) and a reference model of reachability says, after each operation, what must still be
// alive (else: use after free) and what must be gone (else: a leak).
//
// Two instrumented libraries built from the same source take part, and each operation's C side
// runs in one of them: a node one library made is linked, copied, stored in a global, and freed by
// the other, and TypeScript holds nodes through either library's proxies (a node may have one of
// each). They share the process's one runtime and one memory manager.
//
// Reachable = held by a TypeScript proxy, owned by C (allocated by C and not freed), or referred
// to from a C global, or from a reachable node. Unreachable nodes must be freed at the end of the
// operation (a safe point), except those only a garbage cycle reaches, which must be freed by
// the next collect(). Every run ends by dropping everything and checks that the host and the
// runtime are back where they started.
//
// Size: LIFETIME_MODEL_OPS (default 20,000 operations; the full run is 1,000,000). Under
// AddressSanitizer: a reduced run in a child vitest with the fixture built -fsanitize=address and
// libasan preloaded (the C side's accesses to freed memory abort the child).
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildLibrary, fixtures, requireBuilt, root } from './helpers.js';
import { collect, load, MemoryManager, stats, type LibraryModule } from '../../runtime-ts/index.js';
import { readPointerAt, windowOf, windowOffset } from '../../runtime-ts/memory.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const ASAN_CHILD = process.env.LIFETIME_MODEL_ASAN === '1';
const TOTAL = Number(process.env.LIFETIME_MODEL_OPS ?? (ASAN_CHILD ? 4000 : 40000));
const RUN_LENGTH = Number(process.env.LIFETIME_MODEL_RUN ?? 500);
const MAGIC = 0x6d6f64656c;
const MAX_NODES = 48;

type Lib = LibraryModule & Record<string, Any>;
let libs: [Lib, Lib];
let lib: Lib;

beforeAll(async () => {
  await requireBuilt();
  const asan = ASAN_CHILD ? ['-fsanitize=address', '-fno-omit-frame-pointer'] : [];
  const build = (name: string) => buildLibrary(ASAN_CHILD ? `${name}-asan` : name, [join(fixtures, 'model.c')], asan);
  libs = [load(await build('model')) as Lib, load(await build('model-b')) as Lib];
  lib = libs[0];
});

interface Node {
  id: number;
  addr: number;
  cOwned: boolean;
  /** TypeScript's proxies of it, at most one per library (each keeps its identity while held). */
  proxies: Any[];
  out: Array<Node | null>;
}

/** l: the library whose functions (and proxy class) the operation uses. */
type Op = [kind: number, x: number, y: number, k: number, l: number];

const OPS = ['allocC', 'allocTS', 'allocCRoot', 'linkC', 'linkTS', 'copy', 'clear', 'cfree', 'rootSet', 'drop', 'reachField', 'reachRoot', 'collect'] as const;
/** Operations after which nothing is left waiting: they end with a call-out or a release at depth 0. */
const SETTLES = new Set(['allocC', 'allocCRoot', 'linkC', 'copy', 'clear', 'cfree', 'rootSet', 'drop', 'reachRoot', 'collect']);

let nextId = 1;
let opsDone = 0;
const counts = new Map<string, number>();

/** Whether the node's memory is a live allocation that still is this node. */
function isLive(n: Node): boolean {
  const q = lib.$lib.runtime.query(n.addr);
  if (q === null || q.base !== n.addr) return false;
  const dv = windowOf(n.addr);
  const o = windowOffset(n.addr);
  return readPointerAt(n.addr) === MAGIC && dv.getUint32(o + 8, true) === n.id;
}

class Model {
  nodes: Node[] = [];
  /** Library l's C global mroots[i] is roots[4 * l + i]. */
  roots: Array<Node | null> = Array<Node | null>(8).fill(null);

  reachable(): Set<Node> {
    const seen = new Set<Node>();
    const work: Node[] = [];
    const add = (n: Node | null) => {
      if (n && !seen.has(n)) (seen.add(n), work.push(n));
    };
    for (const n of this.nodes) if (n.proxies.length > 0 || n.cOwned) add(n);
    for (const r of this.roots) add(r);
    while (work.length) for (const t of work.pop()!.out) add(t);
    return seen;
  }

  /** Unreachable nodes that a garbage cycle reaches: only the collector frees them. */
  cyclic(live: Set<Node>): Set<Node> {
    const garbage = this.nodes.filter((n) => !live.has(n));
    const onCycle = garbage.filter((g) => {
      const seen = new Set<Node>();
      const work = g.out.filter((t): t is Node => t !== null);
      while (work.length) {
        const t = work.pop()!;
        if (t === g) return true;
        if (seen.has(t)) continue;
        seen.add(t);
        for (const u of t.out) if (u) work.push(u);
      }
      return false;
    });
    const kept = new Set<Node>();
    const work = [...onCycle];
    while (work.length) {
      const t = work.pop()!;
      if (kept.has(t)) continue;
      kept.add(t);
      for (const u of t.out) if (u) work.push(u);
    }
    return kept;
  }

  held(): Node[] {
    return this.nodes.filter((n) => n.proxies.length > 0);
  }

  /** Checks every node against the model and forgets the dead. */
  check(settled: boolean, collected: boolean): void {
    const live = this.reachable();
    const waiting = collected ? new Set<Node>() : this.cyclic(live);
    const keep: Node[] = [];
    for (const n of this.nodes) {
      const alive = isLive(n);
      if (live.has(n)) {
        if (!alive) throw new Error(`use after free: node ${n.id} is reachable but its memory was released`);
        if (libs[n.id % 2]!.mnode_check(BigInt(n.addr)) !== n.id) throw new Error(`node ${n.id}: C reads a different node`);
        keep.push(n);
      } else if (waiting.has(n) || !settled) {
        keep.push(n);
      } else if (alive) {
        throw new Error(`leak: node ${n.id} is unreachable${collected ? ' after collect()' : ' and on no cycle'} but still allocated`);
      }
    }
    this.nodes = keep;
  }
}

function pick<T>(xs: T[], i: number): T | undefined {
  return xs.length ? xs[i % xs.length] : undefined;
}

/** One of n's proxies (n is held). */
function proxyOf(n: Node, y: number): Any {
  return n.proxies[(y >> 2) % n.proxies.length];
}

/** p is a proxy of t, reached from C or a field: the one TypeScript holds through p's library, or a new one. */
function reached(t: Node, p: Any, where: string): void {
  if (p === null || p.$addr !== t.addr || p.id !== t.id) throw new Error(`${where} is not node ${t.id}`);
  const same = t.proxies.find((q) => q.constructor === p.constructor);
  if (same && same !== p) throw new Error(`${where}: a second proxy of node ${t.id} for the same library`);
  if (!same) t.proxies.push(p);
}

function apply(m: Model, [kind, x, y, k, l]: Op): string {
  const lib = libs[l]!;
  let name: string = OPS[kind % OPS.length]!;
  const live = [...m.reachable()];
  const held = m.held();
  if (name.startsWith('alloc') && live.length >= MAX_NODES) name = 'drop';
  switch (name) {
    case 'allocC': {
      const id = nextId++;
      const p = lib.mnode_new(id);
      m.nodes.push({ id, addr: p.$addr, cOwned: true, proxies: [p], out: [null, null, null] });
      break;
    }
    case 'allocTS': {
      const id = nextId++;
      const p = new lib.mnode({ magic: MAGIC, id });
      m.nodes.push({ id, addr: p.$addr, cOwned: false, proxies: [p], out: [null, null, null] });
      break;
    }
    case 'allocCRoot': {
      const id = nextId++;
      const i = k % 4;
      const addr = lib.mnode_new_root(i, id) as number;
      const n: Node = { id, addr, cOwned: true, proxies: [], out: [null, null, null] };
      m.nodes.push(n);
      m.roots[4 * l + i] = n;
      break;
    }
    case 'linkC': {
      // C stores into any node it can reach; the target is one TypeScript passes (or NULL).
      const a = pick(live, x);
      const b = y % 4 === 0 ? null : pick(held, y);
      if (!a) return 'skip';
      const r = lib.mnode_link(BigInt(a.addr), k, b ? proxyOf(b, y) : null);
      if (r !== a.id + (b ? b.id : 0)) throw new Error(`mnode_link read ${r}`);
      a.out[k] = b ?? null;
      break;
    }
    case 'linkTS': {
      const a = pick(held, x);
      const b = y % 4 === 0 ? null : pick(held, y);
      if (!a) return 'skip';
      proxyOf(a, x)[`n${k}`] = b ? proxyOf(b, y) : null;
      a.out[k] = b ?? null;
      break;
    }
    case 'copy': {
      const dst = pick(live, x);
      const src = pick(live, y);
      if (!dst || !src) return 'skip';
      lib.mnode_copy(BigInt(dst.addr), BigInt(src.addr));
      dst.out = [...src.out];
      break;
    }
    case 'clear': {
      const a = pick(live, x);
      if (!a) return 'skip';
      lib.mnode_clear(BigInt(a.addr));
      a.out = [null, null, null];
      break;
    }
    case 'cfree': {
      const a = pick(live.filter((n) => n.cOwned), x);
      if (!a) return 'skip';
      // C drops every global reference first (the other library's too), then frees
      for (let i = 0; i < 4; i++) if (m.roots[4 * (1 - l) + i] === a) libs[1 - l]!.mroot_set(i, null);
      lib.mnode_free(BigInt(a.addr));
      a.cOwned = false;
      m.roots = m.roots.map((r) => (r === a ? null : r));
      break;
    }
    case 'rootSet': {
      const i = k % 4;
      const b = y % 3 === 0 ? null : pick(held, y);
      lib.mroot_set(i, b ? proxyOf(b, y) : null);
      m.roots[4 * l + i] = b ?? null;
      break;
    }
    case 'drop': {
      const a = pick(held, x);
      if (!a) return 'skip';
      const p = proxyOf(a, y);
      if (!p.release()) throw new Error(`node ${a.id}: release() held nothing`);
      a.proxies = a.proxies.filter((q) => q !== p);
      break;
    }
    case 'reachField': {
      const a = pick(held.filter((n) => n.out.some((t) => t)), x);
      if (!a) return 'skip';
      const kk = [k, (k + 1) % 3, (k + 2) % 3].find((j) => a.out[j])!;
      const t = a.out[kk]!;
      reached(t, proxyOf(a, y)[`n${kk}`], `field n${kk} of node ${a.id}`);
      break;
    }
    case 'reachRoot': {
      const i = k % 4;
      const t = m.roots[4 * l + i];
      const p = lib.mroot_get(i);
      if (!t) {
        if (p !== null) throw new Error(`root ${i} of library ${l} should be NULL`);
        return name;
      }
      reached(t, p, `root ${i} of library ${l}`);
      break;
    }
    case 'collect':
      collect(lib);
      break;
  }
  return name;
}

function runSequence(ops: Op[]): void {
  const before = stats(lib);
  const m = new Model();
  for (const op of ops) {
    const name = apply(m, op);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    m.check(SETTLES.has(name), name === 'collect');
    opsDone++;
  }
  // Teardown: TypeScript drops everything, C frees what it owns and clears its roots.
  for (const n of m.nodes) for (const p of n.proxies) p.release();
  for (let i = 0; i < 4; i++) libs[0].mroot_set(i, null), libs[1].mroot_set(i, null);
  for (const n of m.nodes) if (n.cOwned && isLive(n)) libs[n.id % 2]!.mnode_free(BigInt(n.addr));
  for (const n of m.nodes) (n.proxies = []), (n.cOwned = false);
  m.roots = m.roots.map(() => null);
  collect(lib);
  m.check(true, true);
  expect(m.nodes.length).toBe(0);
  const after = stats(lib);
  expect(after.live).toBe(before.live);
  expect(after.references).toBe(before.references);
  expect(after.zeroCount).toBe(0);
  expect(after.refMismatches).toBe(before.refMismatches);
  expect(after.runtime.host_objects).toBe(before.runtime.host_objects);
  expect(after.runtime.deferred).toBe(before.runtime.deferred);
  expect(after.runtime.misuse).toBe(0);
  expect(after.runtime.events_lost).toBe(0);
}

/** Percent of operations of each kind (OPS order): mostly linking, enough allocation and dropping to churn. */
const WEIGHTS = [8, 8, 4, 14, 14, 5, 3, 6, 5, 12, 10, 6, 5];
const KIND_OF = WEIGHTS.flatMap((w, kind) => Array<number>(w).fill(kind));
const opArb = fc.tuple(fc.noBias(fc.nat(KIND_OF.length - 1)).map((i) => KIND_OF[i]!), fc.nat(255), fc.nat(255), fc.nat(2), fc.nat(1)) as fc.Arbitrary<Op>;

describe('memory model', () => {
  it('the two libraries share one runtime and one memory manager', () => {
    expect(libs[0].$lib.hooks).toBeInstanceOf(MemoryManager);
    expect(libs[1].$lib.hooks).toBe(libs[0].$lib.hooks);
    const p = libs[0].mnode_new(-1);
    const q = libs[1].$lib.runtime.query(p.$addr);
    expect(q?.base).toBe(p.$addr); // made by the first, known to the second's runtime
    libs[1].mnode_free(p);
    p.release();
  });

  it(`${TOTAL} random operations against a model of reachability${ASAN_CHILD ? ' (AddressSanitizer)' : ''}: no leak, no use after free`, () => {
    const runs = Math.max(1, Math.round(TOTAL / RUN_LENGTH));
    const t0 = process.hrtime.bigint();
    fc.assert(fc.property(fc.array(opArb, { minLength: RUN_LENGTH, maxLength: RUN_LENGTH }), (ops) => runSequence(ops)), {
      numRuns: runs,
      seed: Number(process.env.LIFETIME_MODEL_SEED ?? 20261204),
      endOnFailure: process.env.LIFETIME_MODEL_SHRINK !== '1',
    });
    const s = stats(lib);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(
      `model: ${opsDone} operations in ${runs} runs, ${secs.toFixed(1)} s; ${JSON.stringify(Object.fromEntries(counts))}; ` +
        `host: freed ${s.freed}, returned to C ${s.returnedToC}, cycles ${s.cyclesFound} (${s.cycleObjects} objects), events ${s.eventsDrained}`,
    );
    expect(opsDone).toBeGreaterThanOrEqual(runs * RUN_LENGTH);
    expect(s.cycleObjects).toBeGreaterThan(0);
    expect(s.freed).toBeGreaterThan(0);
  });

  if (!ASAN_CHILD) {
    it('runs a reduced model under AddressSanitizer (libasan preloaded, the C side built -fsanitize=address)', async () => {
      const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
      const r = await execa('npx', ['vitest', 'run', 'test/runtime-ts/lifetime-model.test.ts'], {
        cwd: root,
        reject: false,
        all: true,
        env: { LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1', LIFETIME_MODEL_ASAN: '1', LIFETIME_MODEL_OPS: process.env.LIFETIME_MODEL_ASAN_OPS ?? '4000' },
      });
      const out = r.all ?? '';
      expect(out).not.toMatch(/ERROR: AddressSanitizer/);
      expect(r.exitCode, out.slice(-3000)).toBe(0);
      expect(out).toMatch(/model: \d+ operations/);
    });
  }
});
