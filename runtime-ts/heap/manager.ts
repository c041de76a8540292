// The host side of memory shared with one runtime (docs/lifetimes.md): which objects
// the host holds (HOST), their counted native references from the event log (the remembered set,
// keyed by slot), their live proxies, the zero-count table, release at safe points, and cycle
// collection. One manager per runtime instance, shared by every load() of the same library.
import koffi from 'koffi';
import { calls, onSafePoint } from '../callstate.js';
import type { MemoryHooks } from '../hooks.js';
import { deref, rebindProxy, weakenProxy, type ProxyRef } from '../proxies.js';
import { NativeObject, type NativeStruct } from '../values.js';
import { AddrMap } from './addrmap.js';
import { findGarbage } from './cycles.js';
import { clock, EV_CFREE, EV_MOVE, EV_REF, EventLog, registerHost } from './log.js';
import { ALIVE, C_FREED, C_OWNED, HostObjects, IN_ZCT } from './objects.js';

type KoffiLib = ReturnType<typeof koffi.load>;

const TWO32 = 4294967296;
const WB_KIND_HEAP = 1;
const WB_EXPLICIT = 1;
/** Collect once this many objects were attached or created since the last collection, or as many as live then. */
const MIN_THRESHOLD = 10_000;

/**
 * One live proxy's hold on an object. A proxy made inside a scope() is held strongly, with no
 * WeakRef and no finalizer, until the scope releases it: a WeakRef would keep it alive until the
 * current job ends whatever the scope does.
 */
interface Hold {
  id: number;
  gen: number;
  ref: ProxyRef;
  live: boolean;
  /** The scope that will release the proxy (null: the finalizer backstop, through a WeakRef). */
  scope: Scope | null;
  manager: MemoryManager;
  /** Releases owed when this proxy is let go of (handles: returns({ handle })), called with the object's base. */
  owes?: Array<(base: bigint) => unknown>;
}

/** Memory-management figures of one runtime (see stats()). */
export interface ManagerStats {
  /** HOST objects the host holds (proxied, referenced from native memory, or waiting). */
  live: number;
  /** Of these, objects with at least one live proxy. */
  proxied: number;
  /** Counted native references (remembered-set entries). */
  references: number;
  /** Objects waiting in the zero-count table for a safe point. */
  zeroCount: number;
  attached: number;
  created: number;
  /** Objects whose memory the host's detach released. */
  freed: number;
  /** Objects the host let go of while C still owned them (C's free releases them). */
  returnedToC: number;
  /** Destructors (destroyWith) called. */
  destroyed: number;
  proxiesReleased: number;
  proxiesFinalized: number;
  /**
   * Proxies made outside any scope (or kept as a scope's result): each has a WeakRef, which keeps
   * it alive at least until the current job ends. Proxies made inside a scope are not counted.
   */
  proxiesWeak: number;
  eventsDrained: number;
  /** REF events whose old base differed from what the host had counted for that slot. */
  refMismatches: number;
  collections: number;
  cyclesFound: number;
  cycleObjects: number;
  drainMs: number;
  collectMs: number;
  releaseMs: number;
}

/** The runtime's own counters (wb_stats, runtime-c/include/wb_host.h). */
export type RuntimeStats = Record<(typeof RUNTIME_FIELDS)[number], number>;

const RUNTIME_FIELDS = ['version', 'mallocs', 'frees', 'foreign_frees', 'tracked', 'host_objects', 'deferred', 'attaches', 'detaches', 'adopts', 'host_allocs', 'releases', 'moves', 'slow_stores', 'counted_stores', 'range_ops', 'range_words', 'events', 'events_drained', 'flushes', 'log_chunks', 'events_lost', 'misuse', 'double_frees', 'invalid_frees', 'frees_after_release', 'reallocs_after_free', 'quarantined', 'stress_refs', 'stress_released'] as const;

export class MemoryManager implements MemoryHooks {
  readonly objs = new HostObjects();
  /** Counted slot → id of the object the host counted for it. */
  readonly slots = new AddrMap(4096);
  private zct: number[] = [];
  private readonly log: EventLog;
  /** Live holds by object id (to move proxies with their object). */
  private readonly holdsOf: Array<Hold[] | undefined> = [];
  private readonly registry = new FinalizationRegistry<Hold>((h) => this.finalized(h));
  private readonly attachInfoFn: (p: number, out: Buffer) => number;
  private readonly detachManyFn: (bases: Float64Array, n: number, results: Int32Array) => number | bigint;
  private readonly resolveManyFn: (addrs: Float64Array, bases: Float64Array, n: number) => void;
  private readonly adoptFn: (p: number) => number | bigint;
  private readonly statsFn: (out: Buffer, size: number) => void;
  private readonly info = Buffer.alloc(32);
  private readonly scratchBases = new Float64Array(64);
  private readonly scratchResults = new Int32Array(64);
  private inSafePoint = false;
  /** Proxies of handles let go of since the last safe point (payHandles). */
  private handleDebts: Hold[] = [];
  private collectDue = false;
  private sinceCollect = 0;
  private threshold = MIN_THRESHOLD;
  /** Fixed threshold set by configure(); null: adaptive. */
  private fixedThreshold: number | null = null;
  private readonly counters = { attached: 0, created: 0, freed: 0, returnedToC: 0, destroyed: 0, proxiesReleased: 0, proxiesFinalized: 0, proxiesWeak: 0, refMismatches: 0, collections: 0, cyclesFound: 0, cycleObjects: 0, collectNs: 0, releaseNs: 0 };
  private readonly sink = (u32: Uint32Array, n: number) => this.account(u32, n);

  constructor(handle: KoffiLib) {
    this.attachInfoFn = handle.func('int wb_attach_info(uintptr_t p, void *out)') as unknown as typeof this.attachInfoFn;
    this.detachManyFn = handle.func('size_t wb_detach_many(void *bases, size_t n, void *results)') as unknown as typeof this.detachManyFn;
    this.resolveManyFn = handle.func('void wb_resolve_many(void *addrs, void *bases, size_t n)') as unknown as typeof this.resolveManyFn;
    this.adoptFn = handle.func('intptr_t wb_adopt(uintptr_t p)') as unknown as typeof this.adoptFn;
    this.statsFn = handle.func('void wb_get_stats(void *out, size_t size)') as unknown as typeof this.statsFn;
    this.log = new EventLog(handle);
    registerHost(handle, () => this.drain());
    onSafePoint(() => this.atSafePoint());
    // Every outermost call-out ends with a look at the log's hint word (see atSafePoint).
    calls.safePointDue = true;
  }

  // ---- hooks (hooks.ts) ------------------------------------------------------------------------

  reached(addr: number, proxy: object): boolean {
    // Pending events may move or release what lies at addr: account them before looking it up.
    if (this.log.pending()) this.drain();
    const objs = this.objs;
    let id = objs.byBase.get(addr);
    if (id < 0) {
      if (this.attachInfoFn(addr, this.info) !== WB_KIND_HEAP) return false; // foreign memory: never attached
      const b = this.info;
      const base = b.readUInt32LE(0) + b.readUInt32LE(4) * TWO32;
      id = objs.byBase.get(base);
      if (id < 0) {
        id = objs.add(base, b.readUInt32LE(8) + b.readUInt32LE(12) * TWO32, b.readUInt32LE(16) & WB_EXPLICIT ? C_OWNED : 0);
        this.counters.attached++;
        this.allocated();
      }
    }
    return this.hold(id, proxy);
  }

  created(addr: number, proxy: object | null, size = 0): boolean {
    const id = this.objs.add(addr, size, 0);
    this.counters.created++;
    this.allocated();
    if (proxy) return this.hold(id, proxy);
    this.zero(id); // an argument temporary: kept only if C stores it during the call
    return false;
  }

  /** A record-pointer result whose type has a destructor: the host owns it from now on. */
  returned(proxy: object): void {
    const h = holdOf(proxy);
    const C = proxy.constructor as typeof NativeStruct;
    if (!h || !h.live || !C.$destroy) return;
    const objs = this.objs;
    if ((objs.flags[h.id]! & C_OWNED) === 0 || objs.destructors.has(h.id)) return;
    objs.flags[h.id]! &= ~C_OWNED;
    objs.destructors.set(h.id, [this.releaser(h.id, proxy as NativeObject, C.$destroy as (p: bigint) => unknown)]);
  }

  /**
   * A result its function declares owned (returns({ owned: fn })): the host owes one call of fn
   * for it, made once neither side reaches the object (one per owned result: a reference-counted
   * object returned twice with a new reference each time gets two). Nothing is owed for an object
   * C has already freed, nor for memory outside the runtime's heap. A handle ({ handle: fn }) is
   * owed by the proxy instead: fn is called at the safe point after the proxy is let go of
   * (release, scope, finalizer), unless C freed the object first.
   */
  owned(proxy: object, fn: (p: bigint) => unknown, handle = false): void {
    const h = holdOf(proxy);
    if (!h || !h.live) return;
    const objs = this.objs;
    if (objs.gen[h.id] !== h.gen || (objs.flags[h.id]! & C_FREED) !== 0) return;
    if (handle) {
      // Owed by this proxy, not by the object: C may keep the handle in a registry of its own
      // (sqlite's list of a connection's statements) that would keep it reachable for ever.
      (h.owes ??= []).push(this.releaser(h.id, proxy as NativeObject, fn));
      return;
    }
    objs.flags[h.id]! &= ~C_OWNED;
    const call = this.releaser(h.id, proxy as NativeObject, fn);
    const owed = objs.destructors.get(h.id);
    if (owed) owed.push(call);
    else objs.destructors.set(h.id, [call]);
  }

  /**
   * fn as destroy() calls it (with the object's base): given the address the owned value had.
   * Allocators with a header (sqlite's, most pools) hand out pointers past the start of the
   * block the runtime knows, and an object may live inside a larger one (sqlite's lookaside):
   * the release function wants that pointer, not the block's start. The offset is kept, so a
   * block C moves (realloc) is released at its new place.
   */
  private releaser(id: number, proxy: NativeObject, fn: (p: bigint) => unknown): (base: bigint) => unknown {
    const offset = proxy.$addr - this.objs.base[id]!;
    return offset === 0 ? fn : (base) => fn(base + BigInt(offset));
  }

  // ---- proxies --------------------------------------------------------------------------------

  /** A new proxy holds object id; true if the innermost scope holds the proxy (held strongly). */
  private hold(id: number, proxy: object): boolean {
    const known = holdOf(proxy);
    if (known) return known.scope !== null;
    const scope = scopes.length > 0 ? scopes[scopes.length - 1]! : null;
    const h: Hold = { id, gen: this.objs.gen[id]!, ref: scope ? proxy : new WeakRef(proxy), live: true, scope, manager: this };
    (proxy as Held)[HOLD] = h;
    if (scope) scope.add(proxy);
    else {
      this.registry.register(proxy, h, h);
      this.counters.proxiesWeak++;
    }
    const list = this.holdsOf[id];
    if (list) list.push(h);
    else this.holdsOf[id] = [h];
    this.objs.proxies[id]!++;
    return scope !== null;
  }

  /**
   * The proxy lets go of its object now (the proxy itself is ended by its release()). Returns
   * false if it held nothing.
   */
  release(proxy: object): boolean {
    const h = holdOf(proxy);
    if (!h || !h.live) return false;
    if (h.scope) h.scope.delete(proxy);
    else if (h.ref instanceof WeakRef) this.registry.unregister(h); // held weakly: registered
    this.counters.proxiesReleased++;
    this.unhold(h);
    return true;
  }

  /** A scope's result outlives it: it joins the enclosing scope, or is held weakly (finalizer backstop). */
  /** @internal (endScope) */
  outlive(proxy: object, h: Hold, outer: Scope | null): void {
    h.scope = outer;
    if (outer) {
      outer.add(proxy);
      return;
    }
    h.ref = new WeakRef(proxy);
    this.registry.register(proxy, h, h);
    this.counters.proxiesWeak++;
    weakenProxy(proxy);
  }

  private finalized(h: Hold): void {
    if (!h.live) return;
    this.counters.proxiesFinalized++;
    this.unhold(h);
  }

  private unhold(h: Hold): void {
    h.live = false;
    const objs = this.objs;
    if (objs.gen[h.id] !== h.gen) return;
    if (h.owes) this.handleDebts.push(h); // paid at the safe point below
    const list = this.holdsOf[h.id];
    if (list) {
      const i = list.indexOf(h);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.holdsOf[h.id] = undefined;
    }
    if (--objs.proxies[h.id]! === 0 && objs.rc[h.id] === 0) this.zero(h.id);
    this.safePointSoon();
  }

  /** adopt(): the host takes over C's duty to free the object. */
  adopt(proxy: object): void {
    const h = holdOf(proxy);
    if (!h || !h.live) throw new TypeError('adopt(): not a live proxy of a heap object this host holds');
    const r = Number(this.adoptFn(this.objs.base[h.id]!));
    if (r < 0) throw new Error(`adopt(): wb_adopt failed (${r})`);
    this.objs.flags[h.id]! &= ~C_OWNED;
  }

  // ---- counts -----------------------------------------------------------------------------------

  /** Accounts every pending event (any time: it never releases memory). */
  drain(): void {
    this.log.drainAll(this.sink);
  }

  private account(u: Uint32Array, n: number): void {
    const objs = this.objs;
    const slots = this.slots;
    for (let i = 0, o = 0; i < n; i++, o += 8) {
      const kind = u[o]!;
      const a = u[o + 2]! + u[o + 3]! * TWO32;
      if (kind === EV_REF) {
        const old = u[o + 4]! + u[o + 5]! * TWO32;
        const now = u[o + 6]! + u[o + 7]! * TWO32;
        // Keyed by slot: what the host counted for it goes, whatever the runtime saw there.
        const t = now === 0 ? -1 : objs.byBase.get(now);
        const prev = t >= 0 ? slots.set(a, t) : slots.delete(a);
        if (t >= 0) objs.rc[t]!++;
        if (prev >= 0) {
          if (objs.base[prev] !== old) this.counters.refMismatches++;
          if (--objs.rc[prev]! === 0 && objs.proxies[prev] === 0) this.zero(prev);
        }
      } else if (kind === EV_MOVE) {
        const id = objs.byBase.get(a);
        if (id >= 0) this.moved(id, u[o + 4]! + u[o + 5]! * TWO32, u[o + 6]! + u[o + 7]! * TWO32);
      } else if (kind === EV_CFREE) {
        const id = objs.byBase.get(a);
        if (id >= 0) {
          // C freed it: what the host owed for it is void (calling it would free it twice).
          objs.flags[id] = (objs.flags[id]! & ~C_OWNED) | C_FREED;
          if (objs.destructors.size !== 0) objs.destructors.delete(id);
          if (objs.rc[id] === 0 && objs.proxies[id] === 0) this.zero(id);
        }
      }
    }
  }

  private moved(id: number, to: number, size: number): void {
    const from = this.objs.base[id]!;
    this.objs.move(id, to, size);
    for (const h of this.holdsOf[id] ?? []) {
      const p = deref(h.ref) as NativeObject | undefined;
      if (p && h.live) rebindProxy(p, p.$addr - from + to);
    }
  }

  private zero(id: number): void {
    const f = this.objs.flags[id]!;
    if ((f & (ALIVE | IN_ZCT)) !== ALIVE) return;
    this.objs.flags[id] = f | IN_ZCT;
    this.zct.push(id);
    calls.safePointDue = true;
  }

  private allocated(): void {
    if (++this.sinceCollect >= this.threshold) {
      this.collectDue = true;
      calls.safePointDue = true;
    }
  }

  // ---- safe points -------------------------------------------------------------------------------

  /** A safe point now if at depth 0 and no batch of releases is under way, else at the next one. */
  safePointSoon(): void {
    if (calls.depth === 0 && releasing === 0) this.atSafePoint();
    else calls.safePointDue = true;
  }

  /** Called when the outermost call-out returns (and on release, scope end, collect()). */
  atSafePoint(): void {
    calls.safePointDue = true;
    if (this.inSafePoint || calls.depth !== 0) return;
    if (this.zct.length === 0 && !this.collectDue && !this.log.pending() && this.handleDebts.length === 0) return;
    this.inSafePoint = true;
    try {
      for (;;) {
        this.drain();
        // Handles first: their objects are still in the tables (a release would forget them).
        if (this.handleDebts.length !== 0) {
          this.payHandles();
          continue;
        }
        if (this.collectDue) {
          this.collectDue = false;
          this.collectNow();
          continue;
        }
        if (this.zct.length === 0) break;
        this.releaseZeroCount();
      }
    } finally {
      this.inSafePoint = false;
    }
  }

  /** Objects attached or created between automatic collections; null restores the adaptive default. */
  setCollectThreshold(n: number | null): void {
    this.fixedThreshold = n;
    this.threshold = n ?? Math.max(MIN_THRESHOLD, this.objs.live);
  }

  /** Runs the cycle collector now if at a safe point, else at the next one. */
  collect(): void {
    this.collectDue = true;
    this.safePointSoon();
  }

  private releaseZeroCount(): void {
    const t0 = clock.now();
    const objs = this.objs;
    const list = this.zct;
    this.zct = [];
    const ids: number[] = [];
    for (const id of list) {
      const f = objs.flags[id]!;
      objs.flags[id] = f & ~IN_ZCT;
      if ((f & ALIVE) !== 0 && objs.rc[id] === 0 && objs.proxies[id] === 0) ids.push(id);
    }
    this.destroy(ids);
    this.detach(ids.filter((id) => objs.rc[id] === 0 && objs.proxies[id] === 0));
    this.counters.releaseNs += clock.now() - t0;
  }

  /** Calls what the handles let go of since the last safe point owe, for objects C has not freed meanwhile. */
  private payHandles(): void {
    const holds = this.handleDebts;
    this.handleDebts = [];
    const objs = this.objs;
    let failure: { error: unknown } | null = null;
    for (const h of holds) {
      const owes = h.owes!;
      h.owes = undefined;
      if (objs.gen[h.id] !== h.gen || (objs.flags[h.id]! & (ALIVE | C_FREED)) !== ALIVE) continue;
      for (const fn of owes) {
        this.counters.destroyed++;
        try {
          fn(BigInt(objs.base[h.id]!));
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    if (failure) process.emitWarning(`a release function (returns/param { handle }) threw: ${String((failure.error as Error)?.stack ?? failure.error)}`, 'CcWbMemoryWarning');
  }

  /** Calls the destructors of those that have one (C frees them; the detach then releases the memory). */
  private destroy(ids: ArrayLike<number>): void {
    const d = this.objs.destructors;
    if (d.size === 0) return;
    // A destructor that throws must not strand the others (nor the release that follows).
    let failure: { error: unknown } | null = null;
    for (let i = 0; i < ids.length; i++) {
      const fns = d.get(ids[i]!);
      if (!fns) continue;
      d.delete(ids[i]!);
      for (const fn of fns) {
        this.counters.destroyed++;
        try {
          fn(BigInt(this.objs.base[ids[i]!]!));
        } catch (error) {
          failure ??= { error };
        }
      }
    }
    this.drain();
    if (failure) process.emitWarning(`a destructor (destroyWith) threw while releasing memory: ${String((failure.error as Error)?.stack ?? failure.error)}`, 'CcWbMemoryWarning');
  }

  /** Forgets the objects and clears HOST on them, in one call. */
  private detach(ids: ArrayLike<number>): void {
    const n = ids.length;
    if (n === 0) return;
    const objs = this.objs;
    // Small batches (a safe point per loop iteration) reuse two scratch arrays: a typed array
    // costs more to make than the detach itself.
    const small = n <= this.scratchBases.length;
    const bases = small ? this.scratchBases : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      bases[i] = objs.base[id]!;
      if (this.holdsOf[id] !== undefined) this.holdsOf[id] = undefined;
    }
    objs.removeMany(ids);
    const results = small ? this.scratchResults : new Int32Array(n);
    this.detachManyFn(bases, n, results);
    for (let i = 0; i < n; i++) {
      if (results[i] === 1) this.counters.freed++;
      else if (results[i] === 0) this.counters.returnedToC++;
    }
    // After a mass release, the tables sized for it give their memory back.
    const top = objs.compact();
    if (this.holdsOf.length > top) this.holdsOf.length = top;
    this.slots.shrinkIfSparse(4096);
  }

  private collectNow(): void {
    const t0 = clock.now();
    this.drain();
    const g = findGarbage(this.objs, this.slots, (a, b, n) => this.resolveManyFn(a, b, n), (id) => this.zero(id));
    this.counters.collections++;
    this.counters.cyclesFound += g.groups;
    this.counters.cycleObjects += g.ids.length;
    this.destroy(g.ids);
    this.detach(g.ids);
    this.sinceCollect = 0;
    this.threshold = this.fixedThreshold ?? Math.max(MIN_THRESHOLD, this.objs.live);
    this.counters.collectNs += clock.now() - t0;
  }

  // ---- figures ------------------------------------------------------------------------------------

  stats(): ManagerStats {
    this.drain();
    const c = this.counters;
    let proxied = 0;
    for (let id = 0; id < this.objs.top; id++) if (this.objs.flags[id]! & ALIVE && this.objs.proxies[id]! > 0) proxied++;
    return {
      live: this.objs.live,
      proxied,
      references: this.slots.size,
      zeroCount: this.zct.length,
      attached: c.attached,
      created: c.created,
      freed: c.freed,
      returnedToC: c.returnedToC,
      destroyed: c.destroyed,
      proxiesReleased: c.proxiesReleased,
      proxiesFinalized: c.proxiesFinalized,
      proxiesWeak: c.proxiesWeak,
      eventsDrained: this.log.drained,
      refMismatches: c.refMismatches,
      collections: c.collections,
      cyclesFound: c.cyclesFound,
      cycleObjects: c.cycleObjects,
      drainMs: this.log.drainNs / 1e6,
      collectMs: c.collectNs / 1e6,
      releaseMs: c.releaseNs / 1e6,
    };
  }

  runtimeStats(): RuntimeStats {
    const b = Buffer.alloc(RUNTIME_FIELDS.length * 8);
    this.statsFn(b, b.length);
    const out = {} as RuntimeStats;
    RUNTIME_FIELDS.forEach((f, i) => (out[f] = b.readUInt32LE(8 * i) + b.readUInt32LE(8 * i + 4) * TWO32));
    return out;
  }
}

/** A proxy's hold on its object, kept on the proxy itself (cheaper than a WeakMap per proxy). */
const HOLD: unique symbol = Symbol('cc-wb hold');
type Held = { [HOLD]?: Hold };
function holdOf(p: object): Hold | undefined {
  return (p as Held)[HOLD];
}

/** The proxies of heap objects made inside one scope() and not yet released. */
export type Scope = Set<object>;

/** The active scope()s, innermost last. */
export const scopes: Scope[] = [];

/**
 * The end of a scope: every proxy it holds is released except its result (`keep`: a proxy, or
 * the proxies of an array), which joins the enclosing scope or, outside any, is held weakly from
 * now on.
 */
export function endScope(mine: Scope, result: unknown): void {
  const outer = scopes.length > 0 ? scopes[scopes.length - 1]! : null;
  const kept = Array.isArray(result) ? new Set<unknown>(result) : null;
  const keeps = (p: object) => p === result || (kept !== null && kept.has(p));
  // One safe point for the whole scope (one detach of every object it let go), not one per proxy.
  const managers = new Set<MemoryManager>();
  releasing++;
  try {
    for (const p of mine) {
      const h = holdOf(p);
      if (keeps(p)) {
        if (h && h.live) h.manager.outlive(p, h, outer);
        continue;
      }
      if (h) {
        managers.add(h.manager);
        h.scope = null; // the scope is cleared below, not proxy by proxy
      }
      (p as NativeObject).release();
    }
  } finally {
    releasing--;
    mine.clear();
  }
  for (const m of managers) m.safePointSoon();
}

/** Batches of releases under way (endScope): safe points wait for the end of the batch. */
let releasing = 0;
