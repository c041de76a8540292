// The proxies of one library: a class per record with one accessor per field, views of arrays,
// untyped pointers, and the caches that keep one live proxy per (address, type), so
// `lib.get() === lib.get()` while anyone holds the first proxy. A cache holds a proxy through a
// WeakRef, except a proxy a scope() will release: that one it holds strongly until the release
// (ECMAScript keeps every WeakRef's target alive until the current job ends, so a synchronous
// loop of scopes would otherwise keep every proxy it made).
import type { CTypes } from './ctypes.js';
import type { MemoryHooks } from './hooks.js';
import type { CType, RecordMeta } from './meta.js';
import type { NativeRuntime } from './native.js';
import { indexable, NativeArray, NativeObject, NativePointer, NativeStruct, WRAP, type Accessor, type ProxyContext } from './values.js';

/**
 * A cache's hold on a proxy: a WeakRef, or the proxy itself for one a scope will release (no
 * wrapper object: scopes make proxies by the million).
 */
export type ProxyRef = WeakRef<object> | object;
type Cache = Map<number, ProxyRef>;

/** The proxy a ProxyRef refers to, if it is still alive. */
export function deref(r: ProxyRef | undefined): object | undefined {
  return r instanceof WeakRef ? r.deref() : r;
}

export type RecordClass = typeof NativeStruct & { $cache: Cache };

/** A field of a record as the proxy class sees it (the first member's fields included). */
export interface FieldEntry {
  name: string;
  offset: number;
  acc: Accessor;
}

/** How values of a type are read and written in native memory (conversions.ts). */
export interface FieldCodec {
  accessor(t: CType): Accessor;
  /** Fields by name, with the members of the first member's record (the first-element idiom). */
  fieldTable(rec: RecordMeta): Map<string, FieldEntry>;
  /** Sets fields from a plain object or copies a proxy of the same type. */
  assignFields(rec: RecordMeta, dv: DataView, o: number, addr: number, init: unknown, accounted: boolean, where: () => string): void;
}

// ---- identity caches (shared by every library: an entry lives on its proxy) ---------------------

interface CacheEntry {
  cache: Cache;
  addr: number;
  ref: ProxyRef;
}

const registry = new FinalizationRegistry<CacheEntry>((h) => {
  if (h.cache.get(h.addr) === h.ref) h.cache.delete(h.addr);
});

/** A proxy's cache entry (to forget or rebind it): a property of the proxy, cheaper than a WeakMap. */
const CACHE: unique symbol = Symbol('cc-wb proxy cache');
type Cached = { [CACHE]?: CacheEntry };
const cacheOf = (obj: object) => (obj as Cached)[CACHE];

/** Caches a new proxy: strongly if a scope holds it (scoped: what the memory hooks said), else weakly. */
function remember(cache: Cache, addr: number, obj: object, scoped: boolean | void): void {
  const ref = scoped === true ? obj : new WeakRef(obj);
  cache.set(addr, ref);
  const entry: CacheEntry = { cache, addr, ref };
  (obj as Cached)[CACHE] = entry;
  if (scoped !== true) registry.register(obj, entry, entry);
}

/** A proxy that outlives its scope (the scope's result) is cached weakly from now on. */
export function weakenProxy(proxy: object): void {
  const e = cacheOf(proxy);
  if (!e || e.ref instanceof WeakRef) return;
  const ref = new WeakRef(proxy);
  if (e.cache.get(e.addr) === e.ref) e.cache.set(e.addr, ref);
  e.ref = ref;
  registry.register(proxy, e, e);
}

/** A released proxy leaves its cache: the next time the object is reached it gets a new one. */
export function forgetProxy(proxy: object): void {
  const e = cacheOf(proxy);
  if (!e) return;
  // Unregistered now rather than finalized later: a program that releases millions of proxies
  // between two turns of the event loop would otherwise keep every entry until then.
  registry.unregister(e);
  if (e.cache.get(e.addr) === e.ref) e.cache.delete(e.addr);
}

/** The object behind proxy moved (realloc by C): the proxy follows it. */
export function rebindProxy(proxy: NativeObject, addr: number): void {
  proxy.$bind(addr);
  const e = cacheOf(proxy);
  if (!e) return;
  if (e.cache.get(e.addr) === e.ref) {
    e.cache.delete(e.addr);
    e.cache.set(addr, e.ref);
  }
  e.addr = addr;
}

// ---- one library's proxies ----------------------------------------------------------------------

interface Extent {
  addr: number;
  size: number;
}

export class Proxies implements ProxyContext {
  private readonly classes = new Map<RecordMeta, RecordClass>();
  private readonly arrays = new Map<string, Cache>();
  private readonly pointers = new Map<string, Cache>();
  /** Globals: the extents that give pointers into them a length. */
  private readonly extents: Extent[] = [];
  private fields: FieldCodec | null = null;

  constructor(
    private readonly types: CTypes,
    private readonly runtime: NativeRuntime,
    readonly hooks: MemoryHooks,
  ) {}

  /**
   * The field codec, given once it exists: fields hold proxies and proxies have fields, so the
   * library makes the two and then connects them (library.ts).
   */
  connect(fields: FieldCodec): void {
    this.fields = fields;
  }

  private codec(): FieldCodec {
    if (!this.fields) throw new Error('proxies used before their field codec was connected');
    return this.fields;
  }

  recordClass(rec: RecordMeta): RecordClass {
    let C = this.classes.get(rec);
    if (C) return C;
    const name = (rec.tag ?? rec.names[0] ?? 'anonymous').replace(/[^\w$]/g, '_');
    C = { [name]: class extends NativeStruct {} }[name] as unknown as RecordClass;
    C.$rec = rec;
    C.$lib = this;
    C.$cache = new Map();
    Object.defineProperty(C, 'size', { value: rec.size });
    Object.defineProperty(C, 'align', { value: rec.align });
    this.classes.set(rec, C);
    for (const f of this.codec().fieldTable(rec).values()) {
      const { offset, acc } = f;
      Object.defineProperty(C.prototype, f.name, {
        get(this: NativeObject) {
          return acc.get(this.$dv, this.$o + offset, this.$addr + offset);
        },
        set(this: NativeObject, v: unknown) {
          acc.set(this.$dv, this.$o + offset, this.$addr + offset, v, true);
        },
        enumerable: true,
        configurable: true,
      });
    }
    return C;
  }

  /** The proxy of a `rec` object at addr: the same proxy as long as one is alive. */
  wrapRecord(rec: RecordMeta, addr: number): NativeStruct {
    return this.wrapWith(this.recordClass(rec), addr);
  }

  /** wrapRecord for one record type, with its class looked up once (pointer fields, results). */
  recordWrapper(rec: RecordMeta): (addr: number) => NativeStruct {
    let C: RecordClass | undefined;
    return (addr) => this.wrapWith((C ??= this.recordClass(rec)), addr);
  }

  private wrapWith(C: RecordClass, addr: number): NativeStruct {
    const hit = deref(C.$cache.get(addr)) as NativeStruct | undefined;
    if (hit) return hit;
    const obj = new C(WRAP, addr);
    remember(C.$cache, addr, obj, this.hooks.reached(addr, obj));
    return obj;
  }

  allocate(C: typeof NativeStruct, obj: NativeStruct, init: Record<string, unknown> | undefined): void {
    const rec = C.$rec;
    obj.$bind(this.runtime.alloc(rec.size, rec.align, rec.id));
    remember((C as RecordClass).$cache, obj.$addr, obj, this.hooks.created(obj.$addr, obj, rec.size));
    if (init !== undefined) this.codec().assignFields(rec, obj.$dv, obj.$o, obj.$addr, init, true, () => `new ${C.name}()`);
  }

  arrayView(elem: CType, addr: number, length: number | null): NativeArray {
    return this.arrayViewer(elem, length)(addr);
  }

  /**
   * arrayView for one element type and length, with its cache, size and accessor looked up once
   * (pointer fields, results and callback arguments convert many addresses of one type).
   */
  arrayViewer(elem: CType, length: number | null): (addr: number) => NativeArray {
    const key = `${this.types.key(elem)}/${length ?? ''}`;
    let cache = this.arrays.get(key);
    if (!cache) this.arrays.set(key, (cache = new Map()));
    const c = cache;
    let size: number | undefined;
    let acc: Accessor | undefined;
    return (addr) => {
      const hit = deref(c.get(addr)) as NativeArray | undefined;
      if (hit) return hit;
      const arr = new NativeArray();
      arr.$bind(addr);
      arr.$elem = elem;
      arr.$size = size ??= this.types.sizeOf(elem);
      arr.$acc = acc ??= this.codec().accessor(elem);
      arr.$lib = this;
      arr.$len = length === null ? undefined : length;
      const view = indexable(arr);
      remember(c, addr, view, this.hooks.reached(addr, view));
      return view;
    };
  }

  pointerObject(addr: number, to: CType): NativePointer {
    const key = this.types.key(to);
    let cache = this.pointers.get(key);
    if (!cache) this.pointers.set(key, (cache = new Map()));
    const hit = deref(cache.get(addr)) as NativePointer | undefined;
    if (hit) return hit;
    const p = new NativePointer();
    p.$bind(addr);
    p.$to = to;
    p.$lib = this;
    remember(cache, addr, p, this.hooks.reached(addr, p));
    return p;
  }

  /** A global of `size` bytes at addr: pointers into it get a length. */
  addExtent(addr: number, size: number): void {
    this.extents.push({ addr, size });
  }

  elementsAt(addr: number, size: number): number | null {
    const info = this.runtime.query(addr);
    if (info) return Math.floor((info.base + info.size - addr) / size);
    for (const e of this.extents) if (addr >= e.addr && addr < e.addr + e.size) return Math.floor((e.addr + e.size - addr) / size);
    return null;
  }

  forget(proxy: object): void {
    forgetProxy(proxy);
  }

  borrowed(addr: number): boolean {
    return this.runtime.query(addr) === null;
  }

  /** A typed view of what p points at. */
  cast(p: NativeObject | bigint | number, target: typeof NativeStruct | string | CType): unknown {
    const addr = typeof p === 'bigint' ? Number(p) : typeof p === 'number' ? p : p.$addr;
    const t: CType = typeof target === 'string' ? this.types.byName(target) : typeof target === 'function' ? { k: 'record', rec: target.$rec } : target;
    if (addr === 0) return null;
    if (t.k === 'record') return this.wrapRecord(t.rec, addr);
    if (t.k === 'void' || t.k === 'opaque') return this.pointerObject(addr, t);
    return this.arrayView(t, addr, null);
  }
}
