// The HOST objects one memory manager knows, as parallel typed arrays indexed by a small id (the
// collector walks millions of them; an object per entry would cost a pointer chase and a header
// each). Ids are recycled through a free list once the object is gone and nothing refers to it.
import { AddrMap } from './addrmap.js';

export const ALIVE = 1;
/** C has not freed it (EXPLICIT): a root for the collector, released by the host only as far as HOST goes. */
export const C_OWNED = 2;
export const IN_ZCT = 4;
/** C has freed it (its release waits for the host): nothing may free it again. */
export const C_FREED = 64;
/** Collector scratch bits. */
export const CAND = 8;
export const REACH = 16;
export const GARBAGE = 32;

/** The tables' initial and smallest size. */
const MIN_CAPACITY = 1024;

export class HostObjects {
  base = new Float64Array(MIN_CAPACITY);
  size = new Float64Array(MIN_CAPACITY);
  rc = new Int32Array(MIN_CAPACITY);
  proxies = new Int32Array(MIN_CAPACITY);
  gcRefs = new Int32Array(MIN_CAPACITY);
  flags = new Uint8Array(MIN_CAPACITY);
  /**
   * The generation of the object an id holds, unique over the manager's life (0: none), so a late
   * finalizer of an old proxy cannot touch a new object with a recycled id, even after the tables
   * shrank and grew again.
   */
  gen = new Float64Array(MIN_CAPACITY);
  private generations = 0;
  /** Ids in use are below top. */
  top = 0;
  live = 0;
  byBase = new AddrMap(MIN_CAPACITY);
  /**
   * What the host owes C for objects it owns: the releases to call once neither side reaches the
   * object, one per owned result (a type's destroyWith, a function's returns({ owned })); sparse.
   */
  readonly destructors = new Map<number, Array<(p: bigint) => unknown>>();
  private free: number[] = [];

  add(base: number, size: number, flags: number): number {
    let id = this.free.pop();
    if (id === undefined) {
      if (this.top === this.base.length) this.grow();
      id = this.top++;
    }
    this.base[id] = base;
    this.size[id] = size;
    this.rc[id] = 0;
    this.proxies[id] = 0;
    this.gcRefs[id] = 0;
    this.flags[id] = ALIVE | flags;
    this.gen[id] = ++this.generations;
    this.byBase.set(base, id);
    this.live++;
    return id;
  }

  /** Forgets the object (it was detached); the id is reused later. */
  remove(id: number): void {
    // An alive object owns its base's entry (a base is reused only after the object is gone).
    if ((this.flags[id]! & ALIVE) !== 0) this.byBase.delete(this.base[id]!);
    this.flags[id] = 0;
    this.gen[id] = 0;
    if (this.destructors.size !== 0) this.destructors.delete(id);
    this.free.push(id);
    this.live--;
  }

  /** remove() of many: when most objects go, rebuilding the base index from the survivors is cheaper. */
  removeMany(ids: ArrayLike<number>): void {
    const n = ids.length;
    // Rebuilding costs a new table and a pass over every id: worth it for a large batch only (a
    // safe point that releases the one object of a loop iteration must not pay it).
    if (n * 2 <= this.live || n < 4096) {
      for (let i = 0; i < n; i++) this.remove(ids[i]!);
      return;
    }
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      this.flags[id] = 0;
      this.gen[id] = 0;
      if (this.destructors.size !== 0) this.destructors.delete(id);
      this.free.push(id);
    }
    this.live -= n;
    this.byBase = new AddrMap(Math.max(MIN_CAPACITY, this.live * 2));
    for (let id = 0; id < this.top; id++) if ((this.flags[id]! & ALIVE) !== 0) this.byBase.set(this.base[id]!, id);
  }

  move(id: number, to: number, size: number): void {
    if (this.byBase.get(this.base[id]!) === id) this.byBase.delete(this.base[id]!);
    this.base[id] = to;
    this.size[id] = size;
    this.byBase.set(to, id);
  }

  /**
   * Gives memory back once most objects are gone (typed arrays are malloc'd outside the JS heap,
   * and a table sized for a million objects would otherwise stay so): drops the free ids at the
   * end of the id range, and shrinks the tables to twice what is in use when that is a quarter of
   * their size or less. Cheap when there is nothing to do. Returns the new end of the id range.
   */
  compact(): number {
    const cap = this.base.length;
    if (cap > MIN_CAPACITY && this.live * 8 <= cap) {
      let top = this.top;
      while (top > 0 && this.flags[top - 1] === 0) top--;
      if (top < this.top) {
        this.top = top;
        this.free = this.free.filter((id) => id < top);
      }
      let want = MIN_CAPACITY;
      while (want < top * 2) want *= 2;
      if (want * 4 <= cap) this.resize(want);
    }
    if (this.byBase.keys.length > MIN_CAPACITY * 2 && this.byBase.size * 8 <= this.byBase.keys.length) {
      const map = new AddrMap(Math.max(MIN_CAPACITY, this.live * 2));
      for (let id = 0; id < this.top; id++) if ((this.flags[id]! & ALIVE) !== 0) map.set(this.base[id]!, id);
      this.byBase = map;
    }
    return this.top;
  }

  private grow(): void {
    this.resize(this.base.length * 2);
  }

  /** Tables of n entries holding ids below top. */
  private resize(n: number): void {
    const keep = Math.min(n, this.base.length);
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a.subarray(0, keep));
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a.subarray(0, keep));
      return b;
    };
    this.base = f64(this.base);
    this.size = f64(this.size);
    this.rc = i32(this.rc);
    this.proxies = i32(this.proxies);
    this.gcRefs = i32(this.gcRefs);
    this.gen = f64(this.gen);
    const fl = new Uint8Array(n);
    fl.set(this.flags.subarray(0, keep));
    this.flags = fl;
  }
}
