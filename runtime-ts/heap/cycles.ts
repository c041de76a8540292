// Cycle collection by trial deletion (Bacon & Rajan's synchronous collector, as CPython's gc does
// it with gc_refs): among the HOST objects no proxy holds and C does not own, subtract from each
// object's count the references that come from slots inside other such objects. What keeps a
// positive count is referenced from outside (C memory, globals, objects C owns or TypeScript
// holds); everything reachable from those through candidate-internal references stays; the rest
// is garbage that nothing outside can reach, released together.
//
// The host knows each counted slot and its target (the remembered set); which object a slot lies
// in is asked of the runtime in one batch (wb_resolve_many) per collection.
import type { AddrMap } from './addrmap.js';
import { ALIVE, C_OWNED, CAND, GARBAGE, REACH, type HostObjects } from './objects.js';

export interface Garbage {
  /** Ids of the objects to release. */
  ids: Int32Array;
  /** Weakly connected groups among them (each holds at least one cycle). */
  groups: number;
  /** Candidate objects examined. */
  candidates: number;
}

export type Resolver = (addrs: Float64Array, bases: Float64Array, n: number) => void;

/** How far back from a slot the host looks for the start of the object holding it. */
const NEAR = 64;

/**
 * Finds the garbage among objs. Also removes the remembered-set entries of slots inside the
 * garbage that point to candidates (the runtime does not report a slot whose target it already
 * released, so the host drops these references itself), adjusting counts accordingly.
 */
export function findGarbage(objs: HostObjects, slots: AddrMap, resolve: Resolver, onZero: (id: number) => void): Garbage {
  const flags = objs.flags;
  const rc = objs.rc;
  const gcRefs = objs.gcRefs;
  const top = objs.top;
  let candidates = 0;
  for (let id = 0; id < top; id++) {
    const f = flags[id]!;
    if ((f & (ALIVE | C_OWNED)) === ALIVE && objs.proxies[id] === 0 && rc[id]! > 0) {
      flags[id] = f | CAND;
      gcRefs[id] = rc[id]!;
      candidates++;
    }
  }
  if (candidates === 0) return { ids: new Int32Array(0), groups: 0, candidates };

  // Slots whose target is a candidate, and the objects holding them.
  const keys = slots.keys;
  const vals = slots.vals;
  let n = 0;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== 0 && (flags[vals[i]!]! & CAND) !== 0) n++;
  const slotAddr = new Float64Array(n);
  const target = new Int32Array(n);
  n = 0;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== 0 && (flags[vals[i]!]! & CAND) !== 0) {
      slotAddr[n] = keys[i]!;
      target[n++] = vals[i]!;
    }
  }
  // Which object holds each slot: most slots lie in the first words of a small HOST object the
  // host knows (base and size), found by looking a few words back; the rest are asked of the
  // runtime in one batch (each answer there costs a lookup in its tables, usually a cache miss).
  const holder = new Int32Array(n);
  const ask = new Int32Array(n);
  let nAsk = 0;
  const byBase = objs.byBase;
  const size = objs.size;
  for (let j = 0; j < n; j++) {
    const s = slotAddr[j]!;
    let h = -1;
    // Allocations start on 16-byte boundaries (the runtime's start map has one entry per 16 bytes).
    const s16 = s - (s % 16);
    for (let back = 0; back < NEAR; back += 16) {
      const b = s16 - back;
      const id = byBase.get(b);
      if (id >= 0) {
        if (b + size[id]! > s) h = id;
        break;
      }
    }
    if (h >= 0) holder[j] = h;
    else ask[nAsk++] = j;
  }
  if (nAsk > 0) {
    const addrs = new Float64Array(nAsk);
    for (let i = 0; i < nAsk; i++) addrs[i] = slotAddr[ask[i]!]!;
    const bases = new Float64Array(nAsk);
    resolve(addrs, bases, nAsk);
    for (let i = 0; i < nAsk; i++) holder[ask[i]!] = bases[i] === 0 ? -1 : byBase.get(bases[i]!);
  }
  const outDegree = new Int32Array(top + 1);
  for (let j = 0; j < n; j++) {
    const h = holder[j]!;
    if (h >= 0 && (flags[h]! & CAND) !== 0) {
      holder[j] = h;
      gcRefs[target[j]!]!--;
      outDegree[h]!++;
    } else {
      holder[j] = -1;
    }
  }

  // Candidate → candidate edges as a compressed adjacency list.
  const start = new Int32Array(top + 1);
  for (let id = 0, acc = 0; id <= top; id++) {
    start[id] = acc;
    acc += outDegree[id]!;
  }
  const fill = start.slice();
  const edgeTo = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const h = holder[j]!;
    if (h >= 0) edgeTo[fill[h]!++] = target[j]!;
  }

  // Externally referenced candidates and everything they reach stay.
  const stack = new Int32Array(candidates);
  let sp = 0;
  for (let id = 0; id < top; id++) {
    if ((flags[id]! & CAND) !== 0 && gcRefs[id]! > 0) {
      flags[id]! |= REACH;
      stack[sp++] = id;
    }
  }
  while (sp > 0) {
    const id = stack[--sp]!;
    for (let e = start[id]!, end = start[id + 1]!; e < end; e++) {
      const t = edgeTo[e]!;
      if ((flags[t]! & REACH) === 0) {
        flags[t]! |= REACH;
        stack[sp++] = t;
      }
    }
  }

  let g = 0;
  for (let id = 0; id < top; id++) if ((flags[id]! & (CAND | REACH)) === CAND) g++;
  const ids = new Int32Array(g);
  g = 0;
  for (let id = 0; id < top; id++) {
    const f = flags[id]!;
    if ((f & (CAND | REACH)) === CAND) {
      ids[g++] = id;
      flags[id] = (f & ~CAND) | GARBAGE;
    } else {
      flags[id] = f & ~(CAND | REACH);
    }
  }

  // Groups (union-find over garbage-internal edges), and the garbage's slots leave the remembered set.
  const parent = new Int32Array(top);
  for (let i = 0; i < g; i++) parent[ids[i]!] = ids[i]!;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  let groups = g;
  for (let j = 0; j < n; j++) {
    const h = holder[j]!;
    if (h < 0 || (flags[h]! & GARBAGE) === 0) continue;
    const t = target[j]!;
    slots.delete(slotAddr[j]!);
    rc[t]!--;
    if ((flags[t]! & GARBAGE) !== 0) {
      const a = find(h);
      const b = find(t);
      if (a !== b) {
        parent[a] = b;
        groups--;
      }
    } else if (rc[t] === 0) {
      onZero(t);
    }
  }
  return { ids, groups, candidates };
}
