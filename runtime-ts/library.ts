// load(path): a library built by cc-wb, as a module object. Everything comes from the metadata
// linked into the library (runtime-ts/meta.ts); koffi does the calls.
import koffi from 'koffi';
import type { CType, FunctionMeta, GlobalMeta, LibraryMeta, RecordMeta } from './meta.js';
import { readLibraryMeta, recordName, typeName } from './meta.js';
import { bytesAt, readCString, readPointer, windowOf, windowOffset } from './memory.js';
import { NativeRuntime } from './native.js';
import { ArgumentError, bindFunction, koffiProto, makeCallback, makeCallOut, signatureOf } from './marshal.js';
import { describeValue, indexable, makeAccessor, NativeArray, NativeObject, NativePointer, NativeStruct, toInteger, WRAP, type Accessor } from './values.js';
import { exportedNames } from './names.js';

type KoffiLib = ReturnType<typeof koffi.load>;
type KoffiType = ReturnType<typeof koffi.type>;
type FuncType = Extract<CType, { k: 'func' }>;
type PtrType = Extract<CType, { k: 'ptr' }>;

/**
 * Where issue-5 memory management plugs in. `reached` is called once per new proxy of native
 * memory (the place to attach HOST to heap objects), `created` for memory the host allocated
 * itself (proxy or null for strings and arrays made for arguments).
 */
export interface MemoryHooks {
  reached(addr: number, proxy: object): void;
  created(addr: number, proxy: object | null, size?: number): void;
  /**
   * A pointer store from TypeScript into native memory (a field, an array element, a global).
   * Default: the runtime's wb_store_ptr, which accounts it like an instrumented C store.
   */
  storePointer?(slot: number, value: number): void;
  /** A record-pointer result of a function whose record type has a destructor (destroyWith). */
  returned?(proxy: object): void;
  /** The proxy's `release()` / `[Symbol.dispose]()`; false if it held nothing. */
  release?(proxy: object): boolean;
}

const noHooks: MemoryHooks = { reached() {}, created() {} };

export interface LoadOptions {
  /** Memory-management hooks; default: the runtime's memory manager (runtime-ts/heap/). */
  hooks?: MemoryHooks;
  /** false: no memory management (nothing the host allocates is released, nothing is attached). */
  memory?: boolean;
}

/** Makes the default hooks for a library with a runtime (set by heap/index.ts, which imports this module). */
let defaultHooks: ((lib: Lib) => MemoryHooks) | null = null;
export function setDefaultHooks(make: (lib: Lib) => MemoryHooks): void {
  defaultHooks = make;
}

export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

type RecordClass = typeof NativeStruct & { $cache: Map<number, WeakRef<NativeStruct>> };

interface FieldEntry {
  name: string;
  offset: number;
  acc: Accessor;
}

interface Extent {
  addr: number;
  size: number;
}

interface CacheEntry {
  cache: Map<number, WeakRef<object>>;
  addr: number;
  ref: WeakRef<object>;
}

const registry = new FinalizationRegistry<CacheEntry>((h) => {
  if (h.cache.get(h.addr) === h.ref) h.cache.delete(h.addr);
});

/** A proxy's cache entry (to forget or rebind it): a property of the proxy, cheaper than a WeakMap. */
const CACHE: unique symbol = Symbol('cc-wb proxy cache');
type Cached = { [CACHE]?: CacheEntry };
const cacheOf = (obj: object) => (obj as Cached)[CACHE];

function remember(cache: Map<number, WeakRef<object>>, addr: number, obj: object): void {
  const ref = new WeakRef(obj);
  cache.set(addr, ref);
  const entry: CacheEntry = { cache, addr, ref };
  (obj as Cached)[CACHE] = entry;
  registry.register(obj, entry, entry);
}

const PRIMITIVES: Record<string, CType> = (() => {
  const int = (name: string, size: number, signed: boolean, extra: { char?: boolean; bool?: boolean } = {}): CType => ({ k: 'int', name, size, signed, char: extra.char ?? false, bool: extra.bool ?? false });
  const out: Record<string, CType> = {
    char: int('char', 1, true, { char: true }),
    'signed char': int('signed char', 1, true),
    'unsigned char': int('unsigned char', 1, false),
    short: int('short', 2, true),
    'unsigned short': int('unsigned short', 2, false),
    int: int('int', 4, true),
    unsigned: int('unsigned int', 4, false),
    'unsigned int': int('unsigned int', 4, false),
    long: int('long', 8, true),
    'unsigned long': int('unsigned long', 8, false),
    'long long': int('long long', 8, true),
    'unsigned long long': int('unsigned long long', 8, false),
    _Bool: int('_Bool', 1, false, { bool: true }),
    bool: int('_Bool', 1, false, { bool: true }),
    float: { k: 'float', name: 'float', size: 4 },
    double: { k: 'float', name: 'double', size: 8 },
    void: { k: 'void' },
    size_t: int('size_t', 8, false),
    ssize_t: int('ssize_t', 8, true),
    intptr_t: int('intptr_t', 8, true),
    uintptr_t: int('uintptr_t', 8, false),
    ptrdiff_t: int('ptrdiff_t', 8, true),
  };
  for (const bits of [8, 16, 32, 64]) {
    out[`int${bits}_t`] = int(`int${bits}_t`, bits / 8, true);
    out[`uint${bits}_t`] = int(`uint${bits}_t`, bits / 8, false);
  }
  return out;
})();

/** One loaded library: its metadata, koffi handle, runtime, proxy classes and caches. */
export class Lib {
  readonly runtime: NativeRuntime;
  readonly hooks: MemoryHooks;
  private readonly classes = new Map<RecordMeta, RecordClass>();
  private readonly fieldTables = new Map<RecordMeta, Map<string, FieldEntry>>();
  private readonly accessors = new Map<string, Accessor>();
  private readonly arrays = new Map<string, Map<number, WeakRef<object>>>();
  private readonly pointers = new Map<string, Map<number, WeakRef<object>>>();
  private readonly koffiRecords = new Map<RecordMeta, KoffiType | null>();
  private readonly scratch = new Map<RecordMeta, number>();
  private readonly pointerSlots = new Map<RecordMeta, number[]>();
  private readonly callbacks = new WeakMap<Function, Map<string, number>>();
  private readonly callbackByAddr = new Map<number, { fn: Function; handle: bigint }>();
  private readonly fnPointers = new Map<string, Function>();
  private readonly protos = new Map<string, KoffiType>();
  readonly extents: Extent[] = [];
  readonly functions = new Map<string, (...args: unknown[]) => unknown>();

  constructor(
    readonly path: string,
    readonly handle: KoffiLib,
    readonly meta: LibraryMeta,
    options: LoadOptions,
  ) {
    this.runtime = new NativeRuntime(handle);
    this.hooks = options.hooks ?? (this.runtime.present && options.memory !== false && defaultHooks ? defaultHooks(this) : noHooks);
    if (this.hooks.storePointer) {
      const store = this.hooks.storePointer.bind(this.hooks);
      this.runtime.storePointer = store;
    }
  }

  // ---- types ------------------------------------------------------------------------------

  typeKey(t: CType): string {
    switch (t.k) {
      case 'void':
        return 'v';
      case 'int':
        return `i${t.size}${t.signed ? 's' : 'u'}${t.char ? 'c' : ''}${t.bool ? 'b' : ''}`;
      case 'float':
        return `f${t.size}`;
      case 'enum':
        return `e:${t.en.key}`;
      case 'record':
        return `r:${t.rec.key}`;
      case 'ptr':
        return `*${this.typeKey(t.to)}`;
      case 'array':
        return `[${t.length ?? ''}]${this.typeKey(t.of)}`;
      case 'func':
        return `(${t.params.map((p) => this.typeKey(p)).join(',')}${t.variadic ? ',...' : ''})${this.typeKey(t.ret)}`;
      case 'opaque':
        return `o:${t.name}`;
    }
  }

  sizeOf(t: CType): number {
    switch (t.k) {
      case 'int':
      case 'float':
        return t.size;
      case 'enum':
        return t.en.type.size;
      case 'ptr':
        return 8;
      case 'record':
        if (!t.rec.complete) throw new TypeError(`sizeof ${recordName(t.rec)}: incomplete type`);
        return t.rec.size;
      case 'array':
        if (t.length === null) throw new TypeError(`sizeof ${typeName(t)}: unknown length`);
        return t.length * this.sizeOf(t.of);
      default:
        throw new TypeError(`sizeof ${typeName(t)}: not known`);
    }
  }

  alignOf(t: CType): number {
    if (t.k === 'record') return t.rec.align;
    if (t.k === 'array') return this.alignOf(t.of);
    return Math.min(this.sizeOf(t), 16);
  }

  /** A type from a name: 'int', 'unsigned long', 'struct hw', 'hw_t', 'char *'. */
  typeByName(name: string): CType {
    const s = name.trim().replace(/\s+/g, ' ');
    const star = s.match(/^(.*?)\s*\*$/);
    if (star) return { k: 'ptr', to: this.typeByName(star[1]!), constTo: false };
    const noConst = s.replace(/^const /, '');
    if (noConst !== s) return this.typeByName(noConst);
    const prim = PRIMITIVES[s];
    if (prim) return prim;
    const td = this.meta.typedefs.get(s);
    if (td) return td;
    const rec = this.meta.records.get(s) ?? this.findRecord(s);
    if (rec) return { k: 'record', rec };
    const en = this.meta.enums.get(s);
    if (en) return { k: 'enum', en };
    throw new TypeError(`unknown C type '${name}' in ${this.path}`);
  }

  private findRecord(name: string): RecordMeta | undefined {
    for (const r of this.meta.recordList) if (r.tag === name || r.names.includes(name)) return r;
    return undefined;
  }

  // ---- proxies ----------------------------------------------------------------------------

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
    for (const f of this.fieldTable(rec).values()) {
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

  /** Fields by name, with the members of the first member's record (the first-element idiom, transitively). */
  fieldTable(rec: RecordMeta): Map<string, FieldEntry> {
    let table = this.fieldTables.get(rec);
    if (table) return table;
    table = new Map();
    this.fieldTables.set(rec, table);
    const add = (r: RecordMeta, base: number, depth: number): void => {
      for (const f of r.fields) {
        if (table!.has(f.name) || f.name.startsWith('$')) continue;
        const where = () => `${recordName(rec)}.${f.name}`;
        const acc = f.bits ? this.bitfieldAccessor(f.type, f.bits.offset - f.offset * 8, f.bits.width, where) : this.accessor(f.type);
        table!.set(f.name, { name: f.name, offset: base + f.offset, acc });
      }
      const first = r.fields[0];
      if (depth < 16 && first && first.offset === 0 && !first.bits && first.type.k === 'record' && first.type.rec.complete) add(first.type.rec, base, depth + 1);
    };
    add(rec, 0, 0);
    return table;
  }

  /** Records whose objects start with an object of this record (rec itself first). */
  private prefixChain(rec: RecordMeta): RecordMeta[] {
    const out = [rec];
    let r = rec;
    while (out.length < 16) {
      const first = r.fields[0];
      if (!first || first.offset !== 0 || first.bits || first.type.k !== 'record') break;
      r = first.type.rec;
      out.push(r);
    }
    return out;
  }

  /** Whether an object of record `actual` may be passed where a `expected *` is wanted. */
  compatible(expected: RecordMeta, actual: RecordMeta): boolean {
    if (expected === actual) return true;
    if (this.prefixChain(actual).includes(expected)) return true;
    // The same type seen complete in one unit and incomplete in another, or by a typedef name.
    return expected.tag !== null && expected.tag === actual.tag && expected.union === actual.union && (!expected.complete || !actual.complete);
  }

  accessor(t: CType): Accessor {
    const key = this.typeKey(t);
    let acc = this.accessors.get(key);
    if (!acc) {
      acc = makeAccessor(this, t, () => typeName(t));
      this.accessors.set(key, acc);
    }
    return acc;
  }

  private bitfieldAccessor(t: CType, shift: number, width: number, where: () => string): Accessor {
    const it = t.k === 'enum' ? t.en.type : t;
    const signed = it.k === 'int' && it.signed && !it.bool;
    const nbytes = Math.ceil((shift + width) / 8);
    const big = shift + width > 48;
    const read = (dv: DataView, o: number): bigint => {
      let raw = 0n;
      for (let i = nbytes - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(dv.getUint8(o + i));
      return raw;
    };
    const write = (dv: DataView, o: number, raw: bigint): void => {
      for (let i = 0; i < nbytes; i++) {
        dv.setUint8(o + i, Number(raw & 0xffn));
        raw >>= 8n;
      }
    };
    const mask = (1n << BigInt(width)) - 1n;
    return {
      get: (dv, o) => {
        let v = (read(dv, o) >> BigInt(shift)) & mask;
        if (signed && v >> BigInt(width - 1)) v -= 1n << BigInt(width);
        if (it.k === 'int' && it.bool) return v !== 0n;
        return big && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) ? v : Number(v);
      },
      set: (dv, o, _addr, value) => {
        const n = BigInt(toInteger(t, value, where));
        const lo = signed ? -(1n << BigInt(width - 1)) : 0n;
        const hi = signed ? (1n << BigInt(width - 1)) - 1n : mask;
        if (n < lo || n > hi) throw new RangeError(`${where()}: ${n} does not fit in a ${width}-bit ${signed ? 'signed' : 'unsigned'} bit-field`);
        const raw = read(dv, o);
        write(dv, o, (raw & ~(mask << BigInt(shift))) | ((BigInt.asUintN(width, n) & mask) << BigInt(shift)));
      },
    };
  }

  /** The proxy of a `rec` object at addr: the same proxy as long as one is alive. */
  wrapRecord(rec: RecordMeta, addr: number): NativeStruct {
    return this.wrapWith(this.recordClass(rec), addr);
  }

  private wrapWith(C: RecordClass, addr: number): NativeStruct {
    const hit = C.$cache.get(addr)?.deref();
    if (hit) return hit;
    const obj = new C(WRAP, addr);
    remember(C.$cache as Map<number, WeakRef<object>>, addr, obj);
    this.hooks.reached(addr, obj);
    return obj;
  }

  /** A released proxy leaves its cache: the next time the object is reached it gets a new one. */
  forget(proxy: object): void {
    const e = cacheOf(proxy);
    if (!e) return;
    // Unregistered now rather than finalized later: a program that releases millions of proxies
    // between two turns of the event loop would otherwise keep every entry until then.
    registry.unregister(e);
    if (e.cache.get(e.addr) === e.ref) e.cache.delete(e.addr);
  }

  /** The object behind proxy moved (realloc by C): the proxy follows it. */
  rebind(proxy: NativeObject, addr: number): void {
    proxy.$bind(addr);
    const e = cacheOf(proxy);
    if (!e) return;
    if (e.cache.get(e.addr) === e.ref) {
      e.cache.delete(e.addr);
      e.cache.set(addr, e.ref);
    }
    e.addr = addr;
  }

  /** @internal called by the NativeStruct constructor for objects it allocated */
  remember(C: typeof NativeStruct, obj: NativeStruct): void {
    remember((C as RecordClass).$cache as Map<number, WeakRef<object>>, obj.$addr, obj);
  }

  arrayView(elem: CType, addr: number, length: number | null): NativeArray {
    const key = `${this.typeKey(elem)}/${length ?? ''}`;
    let cache = this.arrays.get(key);
    if (!cache) this.arrays.set(key, (cache = new Map()));
    const hit = cache.get(addr)?.deref() as NativeArray | undefined;
    if (hit) return hit;
    const arr = new NativeArray();
    arr.$bind(addr);
    arr.$elem = elem;
    arr.$size = this.sizeOf(elem);
    arr.$acc = this.accessor(elem);
    arr.$lib = this;
    arr.$len = length === null ? undefined : length;
    const view = indexable(arr);
    remember(cache, addr, view);
    this.hooks.reached(addr, view);
    return view;
  }

  pointerObject(addr: number, to: CType): NativePointer {
    const key = this.typeKey(to);
    let cache = this.pointers.get(key);
    if (!cache) this.pointers.set(key, (cache = new Map()));
    const hit = cache.get(addr)?.deref() as NativePointer | undefined;
    if (hit) return hit;
    const p = new NativePointer();
    p.$bind(addr);
    p.$to = to;
    p.$lib = this;
    remember(cache, addr, p);
    this.hooks.reached(addr, p);
    return p;
  }

  /** Elements of `size` bytes from addr to the end of its allocation (or global); null if unknown. */
  elementsAt(addr: number, size: number): number | null {
    const info = this.runtime.query(addr);
    if (info) return Math.floor((info.base + info.size - addr) / size);
    for (const e of this.extents) if (addr >= e.addr && addr < e.addr + e.size) return Math.floor((e.addr + e.size - addr) / size);
    return null;
  }

  /** A typed view of what p points at. */
  cast(p: NativeObject | bigint | number, target: typeof NativeStruct | string | CType): unknown {
    const addr = typeof p === 'bigint' ? Number(p) : typeof p === 'number' ? p : p.$addr;
    const t: CType = typeof target === 'string' ? this.typeByName(target) : typeof target === 'function' ? { k: 'record', rec: target.$rec } : target;
    if (addr === 0) return null;
    if (t.k === 'record') return this.wrapRecord(t.rec, addr);
    if (t.k === 'void' || t.k === 'opaque') return this.pointerObject(addr, t);
    return this.arrayView(t, addr, null);
  }

  // ---- conversions ------------------------------------------------------------------------

  /** How a pointer read from C (a field, a result, a callback argument) appears in TypeScript. */
  pointerFromC(t: PtrType): (addr: number) => unknown {
    const to = t.to;
    switch (to.k) {
      case 'record': {
        const rec = to.rec;
        let C: RecordClass | undefined;
        return (addr) => (addr === 0 ? null : this.wrapWith((C ??= this.recordClass(rec)), addr));
      }
      case 'int':
        if (to.char) return (addr) => (addr === 0 ? null : readCString(addr));
        return (addr) => (addr === 0 ? null : this.arrayView(to, addr, null));
      case 'float':
      case 'enum':
      case 'ptr':
        return (addr) => (addr === 0 ? null : this.arrayView(to, addr, null));
      case 'array':
        return to.length !== null ? (addr) => (addr === 0 ? null : this.arrayView(to, addr, null)) : (addr) => (addr === 0 ? null : this.pointerObject(addr, to));
      case 'func':
        return (addr) => (addr === 0 ? null : this.functionFromPointer(addr, to));
      default:
        return (addr) => (addr === 0 ? null : this.pointerObject(addr, to));
    }
  }

  /** A JS value as a pointer of type t (an address); `where` names the destination for errors. */
  pointerToC(t: PtrType, where: () => string): (v: unknown) => number {
    const to = t.to;
    const bytes = to.k === 'void' || to.k === 'opaque' || (to.k === 'int' && to.size === 1);
    const describe = typeName(t);
    const fail = (v: unknown, why = ''): never => {
      throw new ArgumentError(`${where()}: expected ${describe}${why}, got ${describeValue(v)}`);
    };
    const released = (v: unknown): never => fail(v, ' (this proxy was released)');
    return (v) => {
      if (v === null || v === undefined) return 0;
      if (v instanceof NativeStruct) {
        const actual = (v.constructor as typeof NativeStruct).$rec;
        if (to.k === 'record' ? !this.compatible(to.rec, actual) : !bytes) fail(v);
        if (v.$addr === 0) released(v);
        return v.$addr;
      }
      if (v instanceof NativeArray) {
        if (v.$addr === 0) released(v);
        const elem = v.$elem;
        if (!bytes && to.k !== elem.k && !(to.k === 'enum' && elem.k === 'int') && !(to.k === 'int' && elem.k === 'enum')) fail(v);
        if (to.k === 'record' && elem.k === 'record' && !this.compatible(to.rec, elem.rec)) fail(v);
        return v.$addr;
      }
      if (v instanceof NativeObject) return v.$addr === 0 ? released(v) : v.$addr; // void * and opaque pointers convert like C's void *
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'function') {
        const addr = (v as { $addr?: number }).$addr;
        if (typeof addr === 'number') return addr;
        if (to.k === 'func') return this.functionPointer(v as (...a: unknown[]) => unknown, to);
        fail(v);
      }
      if (typeof v === 'string') {
        if (to.k === 'int' && to.size === 1) return this.ownedString(v);
        if (to.k === 'void') return this.ownedString(v);
        fail(v);
      }
      if (Array.isArray(v)) {
        if (to.k === 'void' || to.k === 'func' || to.k === 'opaque' || (to.k === 'record' && !to.rec.complete)) fail(v);
        return this.ownedArray(to, v, where).$addr;
      }
      if (typeof v === 'object' && to.k === 'record' && to.rec.complete) {
        return new (this.recordClass(to.rec))(v as Record<string, unknown>).$addr;
      }
      return fail(v, to.k === 'record' ? ` (a ${this.recordClass(to.rec).name} proxy, a plain object with its fields, or null)` : '');
    };
  }

  /** A NUL-terminated UTF-8 copy of s the host owns; it lives as long as C can reach it (issue 5). */
  ownedString(s: string): number {
    const bytes = Buffer.from(s, 'utf8');
    const p = this.runtime.alloc(bytes.length + 1, 1, 0);
    bytesAt(p, bytes.length).set(bytes);
    this.hooks.created(p, null, bytes.length + 1);
    return p;
  }

  /** A host-owned array of elem holding values. */
  ownedArray(elem: CType, values: ArrayLike<unknown>, where: () => string): NativeArray {
    const size = this.sizeOf(elem);
    const p = this.runtime.alloc(size * Math.max(values.length, 1), this.alignOf(elem), elem.k === 'record' ? elem.rec.id : 0);
    this.hooks.created(p, null, size * Math.max(values.length, 1));
    const arr = this.arrayView(elem, p, values.length);
    const acc = this.accessor(elem);
    for (let i = 0; i < values.length; i++) {
      const a = p + i * size;
      try {
        acc.set(windowOf(a), windowOffset(a), a, values[i], true);
      } catch (e) {
        if (e instanceof TypeError) throw new ArgumentError(`${where()}: element ${i}: ${e.message}`);
        throw e;
      }
    }
    return arr;
  }

  /** Sets fields from a plain object (only those it names) or copies a proxy of the same type. */
  assignFields(rec: RecordMeta, dv: DataView, o: number, addr: number, init: unknown, accounted: boolean, where: () => string): void {
    if (init instanceof NativeStruct) {
      const actual = (init.constructor as typeof NativeStruct).$rec;
      if (actual !== rec) throw new ArgumentError(`${where()}: expected ${recordName(rec)}, got ${describeValue(init)}`);
      this.copyRecord(rec, addr, init.$addr, accounted);
      return;
    }
    if (typeof init !== 'object' || init === null || Array.isArray(init)) throw new ArgumentError(`${where()}: expected ${recordName(rec)} (a proxy or a plain object with its fields), got ${describeValue(init)}`);
    const table = this.fieldTable(rec);
    for (const [k, v] of Object.entries(init)) {
      const f = table.get(k);
      if (!f) throw new ArgumentError(`${where()}: ${recordName(rec)} has no field '${k}' (fields: ${[...table.keys()].join(', ')})`);
      f.acc.set(dv, o + f.offset, addr + f.offset, v, accounted);
    }
  }

  assignRecord(rec: RecordMeta, dv: DataView, o: number, addr: number, v: unknown, accounted: boolean, where: () => string): void {
    this.assignFields(rec, dv, o, addr, v, accounted, where);
  }

  assignArray(t: Extract<CType, { k: 'array' }>, addr: number, v: unknown, accounted: boolean, where: () => string): void {
    const n = t.length;
    const size = this.sizeOf(t.of);
    if (typeof v === 'string' && t.of.k === 'int' && size === 1) {
      const bytes = Buffer.from(v, 'utf8');
      if (n !== null && bytes.length >= n) throw new RangeError(`${where()}: string of ${bytes.length} bytes does not fit in char[${n}]`);
      const dst = bytesAt(addr, bytes.length + 1);
      dst.set(bytes);
      dst[bytes.length] = 0;
      return;
    }
    const src = v instanceof NativeArray ? v.toArray() : (v as ArrayLike<unknown>);
    if (src === null || typeof src !== 'object' || typeof src.length !== 'number') throw new ArgumentError(`${where()}: expected an array for ${typeName(t)}, got ${describeValue(v)}`);
    if (n !== null && src.length > n) throw new RangeError(`${where()}: ${src.length} elements do not fit in ${typeName(t)}`);
    const acc = this.accessor(t.of);
    for (let i = 0; i < src.length; i++) {
      const a = addr + i * size;
      acc.set(windowOf(a), windowOffset(a), a, src[i], accounted);
    }
  }

  /** Offsets of every pointer slot of a record (nested records and fixed arrays expanded). */
  private pointerOffsets(rec: RecordMeta): number[] {
    let out = this.pointerSlots.get(rec);
    if (out) return out;
    out = [];
    const visit = (t: CType, off: number, depth: number): void => {
      if (depth > 32 || out!.length > 65536) return;
      if (t.k === 'ptr') out!.push(off);
      else if (t.k === 'record') {
        for (const f of t.rec.fields) if (!f.bits) visit(f.type, off + f.offset, depth + 1);
      } else if (t.k === 'array' && t.length !== null) {
        const size = this.sizeOf(t.of);
        for (let i = 0; i < t.length; i++) visit(t.of, off + i * size, depth + 1);
      }
    };
    visit({ k: 'record', rec }, 0, 0);
    this.pointerSlots.set(rec, out);
    return out;
  }

  /** Struct assignment: pointer slots go through the accounting, then the bytes are copied. */
  copyRecord(rec: RecordMeta, dst: number, src: number, accounted: boolean): void {
    if (dst === src) return;
    if (accounted) for (const off of this.pointerOffsets(rec)) this.runtime.storePointer(dst + off, readPointer(windowOf(src + off), windowOffset(src + off)));
    bytesAt(dst, rec.size).set(bytesAt(src, rec.size).slice());
  }

  // ---- records by value ---------------------------------------------------------------------

  /** A koffi struct/union with the record's exact layout, for passing it by value; null if koffi cannot express it. */
  koffiRecord(rec: RecordMeta): KoffiType | null {
    if (this.koffiRecords.has(rec)) return this.koffiRecords.get(rec)!;
    this.koffiRecords.set(rec, null);
    const t = this.buildKoffiRecord(rec);
    this.koffiRecords.set(rec, t);
    return t;
  }

  private koffiMember(t: CType): KoffiType | string | null {
    switch (t.k) {
      case 'int':
        return t.bool ? 'bool' : (t.signed ? 'int' : 'uint') + String(t.size * 8);
      case 'enum':
        return this.koffiMember(t.en.type);
      case 'float':
        return t.size === 4 ? 'float' : t.size === 8 ? 'double' : null;
      case 'ptr':
        return 'void *';
      case 'record':
        return this.koffiRecord(t.rec);
      case 'array': {
        if (t.length === null) return null;
        const e = this.koffiMember(t.of);
        return e === null ? null : koffi.array(e, t.length, 'Array');
      }
      default:
        return null;
    }
  }

  private buildKoffiRecord(rec: RecordMeta): KoffiType | null {
    if (!rec.complete || rec.fam) return null;
    // The x86-64 ABI passes records with unaligned fields (packed) in memory; koffi would use
    // registers, so such records cannot go by value.
    for (const f of rec.fields) if (!f.bits && f.offset % this.alignOf(f.type) !== 0) return null;
    const members: Array<{ name: string; type: KoffiType | string; offset: number; size: number }> = [];
    let bitStart = -1;
    let bitEnd = -1;
    const flushBits = () => {
      if (bitStart < 0) return;
      members.push({ name: `__wb_bits${bitStart}`, type: koffi.array('uint8', bitEnd - bitStart, 'Array'), offset: bitStart, size: bitEnd - bitStart });
      bitStart = bitEnd = -1;
    };
    const fields = [...rec.fields].sort((a, b) => a.offset - b.offset);
    for (const f of fields) {
      if (f.bits) {
        const s = f.bits.offset >> 3;
        const e = (f.bits.offset + f.bits.width + 7) >> 3;
        if (bitStart < 0) {
          bitStart = s;
          bitEnd = e;
        } else {
          bitStart = Math.min(bitStart, s);
          bitEnd = Math.max(bitEnd, e);
        }
        continue;
      }
      flushBits();
      const m = this.koffiMember(f.type);
      if (m === null) return null;
      members.push({ name: f.name, type: m, offset: f.offset, size: this.sizeOf(f.type) });
    }
    flushBits();
    const def: Record<string, KoffiType | string> = {};
    for (const m of members) def[m.name] = m.type;
    try {
      if (rec.union) {
        const u = koffi.union(def);
        return koffi.sizeof(u) === rec.size ? u : null;
      }
      const s = koffi.struct(def);
      if (koffi.sizeof(s) === rec.size && members.every((m) => koffi.offsetof(s, m.name) === m.offset)) return s;
      const p = koffi.pack(this.paddedMembers(members, rec.size));
      return koffi.sizeof(p) === rec.size ? p : null;
    } catch {
      return null;
    }
  }

  private paddedMembers(members: Array<{ name: string; type: KoffiType | string; offset: number; size: number }>, size: number): Record<string, KoffiType | string> {
    const def: Record<string, KoffiType | string> = {};
    let cursor = 0;
    for (const m of members) {
      if (m.offset > cursor) def[`__wb_pad${cursor}`] = koffi.array('uint8', m.offset - cursor, 'Array');
      def[m.name] = m.type;
      cursor = m.offset + m.size;
    }
    if (size > cursor) def[`__wb_pad${cursor}`] = koffi.array('uint8', size - cursor, 'Array');
    return def;
  }

  /** Converter of a struct argument passed by value: a proxy or a plain object → koffi's object. */
  recordToKoffi(rec: RecordMeta, where: () => string): (v: unknown) => unknown {
    return (v) => {
      const kt = this.koffiRecord(rec);
      if (!kt) throw new ArgumentError(`${where()}: ${recordName(rec)} cannot be passed by value`);
      if (v instanceof NativeStruct && (v.constructor as typeof NativeStruct).$rec === rec) return koffi.decode(v.$addr, kt);
      let s = this.scratch.get(rec);
      if (s === undefined) {
        s = this.runtime.allocForeign(rec.size, rec.align);
        this.scratch.set(rec, s);
      }
      bytesAt(s, rec.size).fill(0);
      this.assignFields(rec, windowOf(s), windowOffset(s), s, v, false, where);
      return koffi.decode(s, kt);
    };
  }

  /** Converter of a struct result by value: koffi's object → a proxy of a host-owned copy. */
  recordFromKoffi(rec: RecordMeta): (v: unknown) => unknown {
    return (v) => {
      const kt = this.koffiRecord(rec)!;
      let s = this.scratch.get(rec);
      if (s === undefined) {
        s = this.runtime.allocForeign(rec.size, rec.align);
        this.scratch.set(rec, s);
      }
      koffi.encode(s, kt, v);
      const C = this.recordClass(rec);
      const obj = new C();
      this.copyRecord(rec, obj.$addr, s, true);
      return obj;
    };
  }

  // ---- functions and callbacks --------------------------------------------------------------

  proto(ft: FuncType, role: 'call' | 'callback'): KoffiType {
    const key = `${role}:${this.typeKey(ft)}`;
    let p = this.protos.get(key);
    if (!p) {
      p = koffiProto(this, ft, role);
      this.protos.set(key, p);
    }
    return p;
  }

  /** A TypeScript function as a C function pointer (registered once per function and type). */
  functionPointer(fn: (...args: unknown[]) => unknown, ft: FuncType): number {
    const key = this.typeKey(ft);
    let byType = this.callbacks.get(fn);
    if (!byType) this.callbacks.set(fn, (byType = new Map()));
    const known = byType.get(key);
    if (known !== undefined) return known;
    const handle = koffi.register(makeCallback(this, fn, ft), koffi.pointer(this.proto(ft, 'callback')));
    const addr = Number(handle);
    byType.set(key, addr);
    this.callbackByAddr.set(addr, { fn, handle });
    return addr;
  }

  /** Releases the trampolines of a TypeScript function passed to C: C must not call it any more. */
  unregister(fn: Function): number {
    const byType = this.callbacks.get(fn);
    if (!byType) return 0;
    for (const addr of byType.values()) {
      const entry = this.callbackByAddr.get(addr);
      if (entry) koffi.unregister(entry.handle);
      this.callbackByAddr.delete(addr);
    }
    this.callbacks.delete(fn);
    return byType.size;
  }

  /** A C function pointer as a callable TypeScript function (the original one for callbacks). */
  functionFromPointer(addr: number, ft: FuncType): Function {
    const back = this.callbackByAddr.get(addr);
    if (back) return back.fn;
    const own = this.functionAt(addr);
    if (own) return own;
    const key = `${addr}:${this.typeKey(ft)}`;
    let fn = this.fnPointers.get(key);
    if (!fn) {
      const native = koffi.decode(BigInt(addr), this.proto(ft, 'call')) as (...a: unknown[]) => unknown;
      fn = makeCallOut(this, `(*0x${addr.toString(16)})`, ft, [], native);
      Object.defineProperty(fn, '$addr', { value: addr });
      this.fnPointers.set(key, fn);
    }
    return fn;
  }

  private byAddress: Map<number, FunctionMeta> | null = null;

  /** The library's own function at addr, wrapped (so a pointer to it is that very function). */
  private functionAt(addr: number): ((...args: unknown[]) => unknown) | null {
    if (!this.byAddress) {
      this.byAddress = new Map();
      for (const f of this.meta.functions.values()) {
        if (!f.def) continue;
        try {
          this.byAddress.set(Number(this.handle.symbol(f.name)), f);
        } catch {
          // not exported (hidden visibility)
        }
      }
    }
    const f = this.byAddress.get(addr);
    return f ? this.bind(f) : null;
  }

  /**
   * The function with a `char *` result given as a char array (its address kept) instead of a
   * string copy: for C APIs whose caller must free the string (`lib.cJSON_free(lib.$raw.cJSON_Print(x))`).
   */
  bindRaw(f: FunctionMeta): (...args: unknown[]) => unknown {
    const ret = f.type.ret;
    if (ret.k !== 'ptr' || ret.to.k !== 'int' || !ret.to.char) return this.bind(f);
    const addr = (this.bind(f) as { $addr?: number }).$addr;
    const to = { ...ret.to, char: false, alias: undefined };
    const ft: FuncType = { ...f.type, ret: { k: 'ptr', to, constTo: ret.constTo } };
    return bindFunction(this, { ...f, type: ft, name: f.name }, addr);
  }

  bind(f: FunctionMeta): (...args: unknown[]) => unknown {
    let fn = this.functions.get(f.name);
    if (fn) return fn;
    let addr: number;
    try {
      addr = Number(this.handle.symbol(f.name));
    } catch {
      throw new ReferenceError(`${f.name}: declared at ${f.loc} but not found in ${this.path} (C: ${signatureOf(f.name, f.type, f.paramNames)})`);
    }
    fn = bindFunction(this, f);
    Object.defineProperty(fn, '$addr', { value: addr });
    this.functions.set(f.name, fn);
    return fn;
  }
}

/** What `load()` returns: the library's names, plus `$`-prefixed helpers. */
export interface LibraryModule {
  readonly $path: string;
  readonly $meta: LibraryMeta;
  /** Proxy classes of every struct/union, by tag ('hw', 'struct hw') and typedef name. */
  readonly $types: Record<string, typeof NativeStruct>;
  /** Enumerations by tag or typedef name: name → value. */
  readonly $enums: Record<string, Record<string, number | bigint>>;
  /** A typed view of the memory at p: `lib.$cast(p, 'int')`, `lib.$cast(p, lib.hw)`. */
  $cast(p: NativeObject | bigint | number, type: string | typeof NativeStruct): unknown;
  $sizeof(type: string | typeof NativeStruct): number;
  /** A host-owned array of n elements of a type, zeroed (a NativeArray, or a record proxy with $at()). */
  $alloc(type: string | typeof NativeStruct, n: number): unknown;
  /** The string at p (a char pointer proxy, a pointer, or an address). */
  $string(p: NativeObject | bigint | number): string | null;
  /** Frees the trampolines of a function passed to C as a callback. */
  $unregister(fn: Function): number;
  /** The functions again, with `char *` results as char arrays (address kept, for freeing) instead of strings. */
  readonly $raw: Record<string, (...args: never[]) => unknown>;
  /** The call-time state of one library (for tools and the memory manager). */
  readonly $lib: Lib;
  [name: string]: unknown;
}

const cache = new Map<string, LibraryModule>();

/** Loads a library built with cc-wb: functions, struct classes, enums, macros and globals by name. */
export function load<T extends LibraryModule = LibraryModule>(path: string, options: LoadOptions = {}): T {
  const known = cache.get(path);
  const plain = !options.hooks && options.memory !== false;
  if (known && plain) return known as T;
  const meta = readLibraryMeta(path);
  if (!meta) throw new LoadError(`${path}: no cc-wb metadata (section wb_meta): build the library with cc-wb`);
  if (meta.units.length === 0) throw new LoadError(`${path}: empty cc-wb metadata`);
  let handle: KoffiLib;
  try {
    handle = koffi.load(path);
  } catch (e) {
    throw new LoadError(`${path}: ${(e as Error).message}`);
  }
  const lib = new Lib(path, handle, meta, options);
  const mod = Object.create(null) as LibraryModule;
  const fixed = (name: string, value: unknown) => Object.defineProperty(mod, name, { value, enumerable: false });
  fixed('$path', path);
  fixed('$meta', meta);
  fixed('$lib', lib);
  const types: Record<string, typeof NativeStruct> = {};
  for (const rec of meta.recordList) {
    const C = lib.recordClass(rec);
    if (rec.tag) {
      types[`${rec.union ? 'union' : 'struct'} ${rec.tag}`] ??= C;
      types[rec.tag] ??= C;
    }
    for (const n of rec.names) types[n] ??= C;
  }
  fixed('$types', types);
  const enums: Record<string, Record<string, number | bigint>> = {};
  for (const en of meta.enums.values()) {
    const values = Object.fromEntries(en.values);
    if (en.tag) enums[en.tag] ??= values;
    for (const n of en.names) enums[n] ??= values;
  }
  fixed('$enums', enums);
  const toType = (t: string | typeof NativeStruct): CType => (typeof t === 'string' ? lib.typeByName(t) : { k: 'record', rec: t.$rec });
  fixed('$cast', (p: NativeObject | bigint | number, t: string | typeof NativeStruct) => lib.cast(p, toType(t)));
  fixed('$sizeof', (t: string | typeof NativeStruct) => lib.sizeOf(toType(t)));
  fixed('$alloc', (t: string | typeof NativeStruct, n: number) => {
    const ty = toType(t);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`$alloc: bad element count ${n}`);
    const p = lib.runtime.alloc(lib.sizeOf(ty) * n, lib.alignOf(ty), ty.k === 'record' ? ty.rec.id : 0);
    lib.hooks.created(p, null, lib.sizeOf(ty) * n);
    return ty.k === 'record' ? lib.wrapRecord(ty.rec, p) : lib.arrayView(ty, p, n);
  });
  fixed('$string', (p: NativeObject | bigint | number) => {
    const addr = typeof p === 'bigint' ? Number(p) : typeof p === 'number' ? p : p === null ? 0 : p.$addr;
    return addr === 0 ? null : readCString(addr);
  });
  fixed('$unregister', (fn: Function) => lib.unregister(fn));
  const raw = Object.create(null) as Record<string, unknown>;
  for (const f of meta.functions.values()) {
    Object.defineProperty(raw, f.name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = lib.bindRaw(f);
        Object.defineProperty(raw, f.name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  fixed('$raw', raw);

  for (const [name, entry] of exportedNames(meta)) {
    switch (entry.kind) {
      case 'function': {
        const f = entry.fn;
        Object.defineProperty(mod, name, {
          configurable: true,
          enumerable: true,
          get() {
            const fn = lib.bind(f);
            Object.defineProperty(mod, name, { value: fn, enumerable: true });
            return fn;
          },
        });
        break;
      }
      case 'global':
        defineGlobal(lib, mod, name, entry.global);
        break;
      case 'constant':
      case 'macro':
        Object.defineProperty(mod, name, { value: entry.value, enumerable: true });
        break;
      case 'record':
        Object.defineProperty(mod, name, { value: lib.recordClass(entry.rec), enumerable: true });
        break;
      case 'enum':
        Object.defineProperty(mod, name, { value: enums[name], enumerable: true });
        break;
    }
  }
  Object.freeze(types);
  if (plain) cache.set(path, mod);
  return mod as T;
}

function defineGlobal(lib: Lib, mod: LibraryModule, name: string, g: GlobalMeta): void {
  let addr: number;
  try {
    addr = Number(lib.handle.symbol(name));
  } catch {
    Object.defineProperty(mod, name, {
      enumerable: true,
      get() {
        throw new ReferenceError(`${name}: declared at ${g.loc} but not found in ${lib.path}`);
      },
    });
    return;
  }
  try {
    lib.extents.push({ addr, size: lib.sizeOf(g.type) });
  } catch {
    // unknown size (extern T x[]): no bounds
  }
  const acc = lib.accessor(g.type);
  const dv = windowOf(addr);
  const o = windowOffset(addr);
  const where = `global ${typeName(g.type, name)}`;
  Object.defineProperty(mod, name, {
    enumerable: true,
    get: () => acc.get(dv, o, addr),
    set: g.readonly
      ? () => {
          throw new TypeError(`${where} is const`);
        }
      : (v: unknown) => acc.set(dv, o, addr, v, true),
  });
}
