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

export class HostObjects {
  base = new Float64Array(1024);
  size = new Float64Array(1024);
  rc = new Int32Array(1024);
  proxies = new Int32Array(1024);
  gcRefs = new Int32Array(1024);
  flags = new Uint8Array(1024);
  /** Bumped when an id is recycled, so a late finalizer of an old proxy cannot touch the new object. */
  gen = new Int32Array(1024);
  /** Ids in use are below top. */
  top = 0;
  live = 0;
  byBase = new AddrMap(1024);
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
    this.byBase.set(base, id);
    this.live++;
    return id;
  }

  /** Forgets the object (it was detached); the id is reused later. */
  remove(id: number): void {
    // An alive object owns its base's entry (a base is reused only after the object is gone).
    if ((this.flags[id]! & ALIVE) !== 0) this.byBase.delete(this.base[id]!);
    this.flags[id] = 0;
    this.gen[id]!++;
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
      this.gen[id]!++;
      if (this.destructors.size !== 0) this.destructors.delete(id);
      this.free.push(id);
    }
    this.live -= n;
    this.byBase = new AddrMap(Math.max(1024, this.live * 2));
    for (let id = 0; id < this.top; id++) if ((this.flags[id]! & ALIVE) !== 0) this.byBase.set(this.base[id]!, id);
  }

  move(id: number, to: number, size: number): void {
    if (this.byBase.get(this.base[id]!) === id) this.byBase.delete(this.base[id]!);
    this.base[id] = to;
    this.size[id] = size;
    this.byBase.set(to, id);
  }

  private grow(): void {
    const n = this.base.length * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.base = f64(this.base);
    this.size = f64(this.size);
    this.rc = i32(this.rc);
    this.proxies = i32(this.proxies);
    this.gcRefs = i32(this.gcRefs);
    this.gen = i32(this.gen);
    const fl = new Uint8Array(n);
    fl.set(this.flags);
    this.flags = fl;
  }
}
