// Memory shared between TypeScript and a cc-wb-built C library (runtime-ts/heap): every test
// states what must be alive and what must be gone through the host's stats() and the runtime's
// own counters (wb_get_stats), as differences from the figures before it.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildLibrary, settleHost, fixtures, requireBuilt } from './helpers.js';
import { adopt, calls, collect, load, scope, stats, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let lib: LibraryModule & Record<string, Any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('lifetime', [join(fixtures, 'lifetime.c')])) as typeof lib;
});

// Each test measures differences from its own start, after what earlier tests left has gone.
beforeEach(() => settleHost(lib, () => lib.safe_point()));

/** Figures now, and their change since `from`. */
function snap() {
  const s = stats(lib);
  return { ...s, rt: s.runtime };
}
type Snap = ReturnType<typeof snap>;
function delta(from: Snap) {
  const now = snap();
  return {
    now,
    live: now.live - from.live,
    freed: now.freed - from.freed,
    returnedToC: now.returnedToC - from.returnedToC,
    hostObjects: now.rt.host_objects - from.rt.host_objects,
    deferred: now.rt.deferred - from.rt.deferred,
    releases: now.rt.releases - from.rt.releases,
    cycleObjects: now.cycleObjects - from.cycleObjects,
    cyclesFound: now.cyclesFound - from.cyclesFound,
    references: now.references - from.references,
    destroyed: now.destroyed - from.destroyed,
  };
}

const MAGIC = 0x5ca1ab1e;

describe('lifetimes across the boundary', () => {
  it('C frees while TypeScript holds: deferred, contents intact, freed when the proxy goes', () => {
    const s0 = snap();
    const b = lib.box_new(41);
    let d = delta(s0);
    expect(d.live).toBe(1);
    expect(d.hostObjects).toBe(1);
    lib.box_free(b);
    d = delta(s0);
    expect(d.deferred).toBe(1);
    expect(d.freed).toBe(0);
    expect(b.value).toBe(41);
    expect(lib.box_value(b)).toBe(41); // C still reads a live box
    expect(b.release()).toBe(true);
    d = delta(s0);
    expect(d.deferred).toBe(0);
    expect(d.releases).toBe(1);
    expect(d.freed).toBe(1);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
    expect(() => b.value).toThrow(RangeError);
    expect(() => lib.box_value(b)).toThrow(/released/);
    expect(b.release()).toBe(false);
  });

  it('TypeScript drops while C holds: kept, freed when C drops it', () => {
    const s0 = snap();
    const b = new lib.box({ value: 5 });
    lib.hold(0, b);
    b.release();
    let d = delta(s0);
    expect(d.live).toBe(1);
    expect(d.references).toBe(1);
    expect(d.freed).toBe(0);
    expect(scope(() => lib.held_get(0).value)).toBe(5); // a new proxy, the same memory
    lib.hold(0, null);
    d = delta(s0);
    expect(d.freed).toBe(1);
    expect(d.live).toBe(0);
    expect(d.references).toBe(0);
    expect(d.hostObjects).toBe(0);

    // A C-made object: C's free is deferred while a C global still refers to it.
    const c = lib.box_new(6);
    lib.hold(1, c);
    c.release();
    d = delta(s0);
    expect(d.live).toBe(1);
    scope(() => lib.box_free(lib.held_get(1)));
    d = delta(s0);
    expect(d.deferred).toBe(1);
    expect(scope(() => lib.box_value(lib.held_get(1)))).toBe(6);
    lib.hold(1, null);
    d = delta(s0);
    expect(d.deferred).toBe(0);
    expect(d.freed).toBe(2);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('gives back to C what C still owns when TypeScript lets go', () => {
    const s0 = snap();
    const b = lib.box_new(7);
    const addr = BigInt(b.$addr);
    b.release();
    const d = delta(s0);
    expect(d.returnedToC).toBe(1);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
    expect(d.freed).toBe(0);
    expect(lib.box_value(addr)).toBe(7);
    // C's free is an ordinary one now: no deferral, no host release.
    lib.box_free(addr);
    const e = delta(s0);
    expect(e.releases).toBe(0);
    expect(e.deferred).toBe(0);
    expect(e.live).toBe(0);
  });

  it('never attaches foreign memory', () => {
    const s0 = snap();
    const held = lib.held;
    expect(held.length).toBe(8);
    const p = lib.pairs[1];
    expect(p.tag).toBe(0);
    const d = delta(s0);
    expect(d.live).toBe(0);
    expect(snap().attached - s0.attached).toBe(0);
  });

  it('collects a doubly linked list whose cycles run through C stores', () => {
    const s0 = snap();
    const n = 200;
    scope(() => {
      const nodes: Any[] = [];
      for (let i = 0; i < n; i++) nodes.push(i % 2 ? new lib.box({ value: i }) : lib.box_new(i));
      for (let i = 0; i < n; i++) lib.dl_link(nodes[i], nodes[(i + 1) % n]);
      for (let i = 0; i < n; i += 2) lib.box_free(nodes[i]); // C gives up its half
    });
    let d = delta(s0);
    expect(d.live).toBe(n);
    expect(d.deferred).toBe(n / 2);
    expect(d.freed).toBe(0);
    expect(d.references).toBe(2 * n);
    collect(lib);
    d = delta(s0);
    expect(d.cycleObjects).toBe(n);
    expect(d.cyclesFound).toBe(1);
    expect(d.freed).toBe(n);
    expect(d.live).toBe(0);
    expect(d.references).toBe(0);
    expect(d.deferred).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('collects the unreachable part of a graph of C nodes, and keeps what a C global reaches', () => {
    const s0 = snap();
    const n = 120;
    let seed = 12345;
    const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % k;
    const adj: number[][] = Array.from({ length: n }, () => []);
    scope(() => {
      const nodes: Any[] = [];
      for (let i = 0; i < n; i++) nodes.push(lib.gnode_new(i));
      for (let i = 0; i < 3 * n; i++) {
        const a = rnd(n);
        const b = rnd(n);
        if (lib.gnode_connect(nodes[a], nodes[b])) adj[a]!.push(b);
      }
      lib.set_groot(nodes[0]);
      for (const g of nodes) lib.gnode_free(g);
    });
    const reach = new Set<number>([0]);
    const work = [0];
    while (work.length) for (const b of adj[work.pop()!]!) if (!reach.has(b)) (reach.add(b), work.push(b));
    // Reference counting alone frees what nothing refers to, and what only that referred to;
    // the rest (the root's part and whatever hangs on a cycle) waits for the collector.
    const indegree = new Array<number>(n).fill(0);
    for (const l of adj) for (const b of l) indegree[b]!++;
    const peel = [...indegree.keys()].filter((i) => i !== 0 && indegree[i] === 0);
    let survivors = n;
    while (peel.length) {
      survivors--;
      for (const b of adj[peel.pop()!]!) if (--indegree[b]! === 0 && b !== 0) peel.push(b);
    }
    let d = delta(s0);
    expect(d.live).toBe(survivors);
    expect(d.deferred).toBe(survivors);
    expect(d.freed).toBe(n - survivors);
    expect(survivors).toBeGreaterThan(reach.size); // some garbage is cyclic
    collect(lib);
    d = delta(s0);
    expect(d.freed).toBe(n - reach.size);
    expect(d.live).toBe(reach.size);
    expect(d.deferred).toBe(reach.size);
    // What is kept is intact: walk it from C's root.
    const seen = new Set<number>();
    scope(() => {
      const walk = [lib.groot];
      while (walk.length) {
        const g = walk.pop();
        if (seen.has(g.id)) continue;
        seen.add(g.id);
        for (let k = 0; k < g.n; k++) walk.push(g.adj[k]);
      }
    });
    expect(seen).toEqual(reach);
    lib.set_groot(null);
    collect(lib);
    d = delta(s0);
    expect(d.freed).toBe(n);
    expect(d.live).toBe(0);
    expect(d.deferred).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('follows pointers moved by realloc and memcpy, and cleared by memset and free', () => {
    const s0 = snap();
    const bag = lib.bag_new(2);
    const bag2 = lib.bag_new(16);
    scope(() => {
      for (let i = 0; i < 10; i++) lib.bag_put(bag, new lib.box({ value: 100 + i })); // 3 reallocs
    });
    let d = delta(s0);
    expect(d.live).toBe(10 + 2); // the boxes and the two bags (proxies alive)
    expect(d.references).toBe(10);
    expect(scope(() => Array.from({ length: 10 }, (_, i) => lib.bag_get(bag, i).value))).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    lib.bag_copy(bag2, bag);
    expect(delta(s0).references).toBe(20);
    lib.bag_clear(bag);
    d = delta(s0);
    expect(d.references).toBe(10);
    expect(d.freed).toBe(0);
    expect(scope(() => lib.bag_get(bag2, 9).value)).toBe(109);
    lib.bag_free(bag2); // bag2 itself is deferred (its proxy is alive), its item array is not
    d = delta(s0);
    expect(d.references).toBe(0);
    expect(d.freed).toBe(10);
    expect(d.deferred).toBe(1);
    bag2.release();
    lib.bag_free(bag);
    bag.release();
    d = delta(s0);
    expect(d.freed).toBe(12);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
    expect(d.deferred).toBe(0);
  });

  it('moves a proxy with the HOST array C reallocates', () => {
    const s0 = snap();
    const bag = lib.bag_new(1);
    const items = lib.bag_items(bag); // the pointer array itself reaches TypeScript: HOST
    const b0 = new lib.box({ value: 1 });
    lib.bag_put(bag, b0);
    const addr = items.$addr;
    scope(() => {
      for (let i = 1; i < 40; i++) lib.bag_put(bag, new lib.box({ value: 1 + i }));
    });
    expect(snap().rt.moves - s0.rt.moves).toBeGreaterThan(0);
    expect(items.$addr).not.toBe(addr);
    expect(items.$addr).toBe(lib.bag_items(bag).$addr);
    expect(items[0]).toBe(b0);
    expect(scope(() => items[39].value)).toBe(40);
    expect(items.length).toBe(64);
    b0.release();
    items.release();
    expect(delta(s0).references).toBe(41); // the boxes, and the bag's (moved) pointer to the array
    lib.bag_free(bag);
    bag.release();
    const d = delta(s0);
    expect(d.freed).toBe(42); // the boxes, the array C freed while counted, the bag
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('counts pointers copied by struct assignment, in static and heap memory', () => {
    const s0 = snap();
    scope(() => {
      lib.pair_set(0, new lib.box({ value: 1 }), new lib.box({ value: 2 }));
    });
    lib.pair_copy(1, 0);
    let d = delta(s0);
    expect(d.live).toBe(2);
    expect(d.references).toBe(4);
    const hp = lib.pair_new();
    lib.pair_assign(hp, lib.pairs[1]);
    expect(delta(s0).references).toBe(6);
    lib.pair_clear(0);
    lib.pair_clear(1);
    d = delta(s0);
    expect(d.references).toBe(2);
    expect(d.freed).toBe(0);
    expect(scope(() => hp.a.value + hp.b.value)).toBe(3);
    lib.pair_free(hp); // deferred: its proxy is alive, and so are the references in it
    d = delta(s0);
    expect(d.deferred).toBe(1);
    expect(d.freed).toBe(0);
    hp.release();
    d = delta(s0);
    expect(d.freed).toBe(3);
    expect(d.references).toBe(0);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('counts pointers copied by one-word union assignment, from the stack, static and heap memory', () => {
    const s0 = snap();
    scope(() => {
      lib.word_set_box(0, new lib.box({ magic: MAGIC, value: 7 }));
    });
    let d = delta(s0);
    expect(d.live).toBe(1);
    expect(d.references).toBe(1);
    lib.word_copy(1, 0);
    const hw = lib.word_new();
    lib.word_assign(hw, lib.words[1]);
    expect(delta(s0).references).toBe(3);
    lib.word_set_number(0, 12345);                // the pointer overwritten by a number
    lib.word_set_number(1, 0);
    d = delta(s0);
    expect(d.references).toBe(1);
    expect(d.freed).toBe(0);
    lib.safe_point();
    collect(lib);
    expect(delta(s0).freed).toBe(0);              // the heap union still refers to the box
    lib.word_copy(2, 0);                          // a number copied: nothing counted
    expect(delta(s0).references).toBe(1);
    expect(scope(() => hw.box.value)).toBe(7);
    lib.word_assign(lib.words[3], hw);
    expect(lib.word_box_value(3)).toBe(7);
    lib.word_set_number(3, 1);
    lib.word_free(hw); // deferred: its proxy is alive, and so is the reference in it
    d = delta(s0);
    expect(d.deferred).toBe(1);
    expect(d.references).toBe(1);
    hw.release();
    d = delta(s0);
    expect(d.references).toBe(0);
    expect(d.freed).toBe(2);
    expect(d.live).toBe(0);
  });

  it('keeps an object a callback creates and C stores', () => {
    const s0 = snap();
    scope(() => lib.keep_made(3, (v: number) => new lib.box({ value: v }), 9));
    let d = delta(s0);
    expect(d.live).toBe(1);
    expect(d.freed).toBe(0);
    expect(scope(() => lib.held_get(3).value)).toBe(9);
    // A callback's object C does not keep goes at the end of the outermost call.
    lib.keep_made(4, (v: number) => {
      const b = new lib.box({ value: v });
      b.release();
      return null;
    }, 1);
    d = delta(s0);
    expect(d.freed).toBe(1);
    lib.hold(3, null);
    d = delta(s0);
    expect(d.freed).toBe(2);
    expect(d.live).toBe(0);
  });

  it('frees nothing inside nested call-outs, even when counts reach zero there', () => {
    const s0 = snap();
    const a = new lib.box({ magic: MAGIC, value: 11 });
    const b = new lib.box({ value: 12 });
    lib.hold(5, b);
    b.release();
    const addrs = [a.$addr, scope(() => lib.held_get(5).$addr)];
    const inside: Array<{ depth: number; freed: number; zero: number; live: number }> = [];
    const step = (depth: number): void => {
      if (depth === 3) a.release(); // no proxy, no reference: zero count at depth 3
      if (depth === 2) lib.hold(5, null); // C drops b at depth 2 (a call-out from a callback)
      const s = snap();
      inside.push({ depth: calls.depth, freed: s.freed - s0.freed, zero: s.zeroCount, live: s.live - s0.live });
      // The memory is intact for C while it runs.
      expect(lib.box_value(BigInt(addrs[0]!))).toBe(11);
      if (depth > 1) lib.nested(depth - 1, step);
    };
    lib.nested(3, step);
    expect(inside.map((x) => x.depth)).toEqual([1, 2, 3]);
    expect(inside.every((x) => x.freed === 0)).toBe(true);
    expect(inside[0]!.zero).toBeGreaterThanOrEqual(1);
    expect(inside[2]!.zero).toBeGreaterThanOrEqual(2);
    expect(inside[2]!.live).toBe(2);
    const d = delta(s0);
    expect(d.freed).toBe(2);
    expect(d.live).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('frees with a per-type destructor, and adopts what C hands over', () => {
    const s0 = snap();
    lib.bag.destroyWith(lib.bag_free);
    try {
      const g = lib.bag_new(2);
      scope(() => {
        for (let i = 0; i < 5; i++) lib.bag_put(g, new lib.box({ value: i }));
      });
      expect(delta(s0).live).toBe(6);
      g.release();
      const d = delta(s0);
      expect(d.destroyed).toBe(1);
      expect(d.freed).toBe(6);
      expect(d.live).toBe(0);
      expect(d.hostObjects).toBe(0);
    } finally {
      lib.bag.$destroy = undefined;
    }
    const s1 = snap();
    const b = adopt(lib.box_new(3));
    b.release();
    const d = delta(s1);
    expect(d.freed).toBe(1);
    expect(d.returnedToC).toBe(0);
    expect(d.hostObjects).toBe(0);
  });

  it('releases at the end of a using block', () => {
    const s0 = snap();
    {
      using b = new lib.box({ value: 1 });
      expect(b.value).toBe(1);
      expect(delta(s0).live).toBe(1);
    }
    expect(delta(s0).freed).toBe(1);
    expect(delta(s0).live).toBe(0);
  });

  it('lets the garbage collector release what nobody released (backstop)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const s0 = snap();
    const addrs = (() => {
      const out: number[] = [];
      for (let i = 0; i < 50; i++) out.push(new lib.box({ value: i }).$addr);
      return out;
    })();
    expect(delta(s0).live).toBe(50);
    const alive = () => addrs.filter((a) => lib.$lib.runtime.query(a) !== null).length;
    for (let round = 0; round < 100 && alive() > 0; round++) {
      gc();
      await new Promise((r) => setImmediate(r));
      lib.held_get(7); // any call-out ends at a safe point
    }
    expect(alive()).toBe(0);
    const d = delta(s0);
    expect(d.freed).toBeGreaterThanOrEqual(50);
    expect(d.now.proxiesFinalized - s0.proxiesFinalized).toBeGreaterThanOrEqual(50);
  });
});
