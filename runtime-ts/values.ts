// The classes of proxies of native objects: NativeObject and its kinds (records, arrays,
// untyped pointers). A proxy is a small object (address, memory window, offset) whose prototype
// has one accessor per field: reads and writes go straight to native memory. What a proxy needs
// of its library (allocation, bounds, wrapping) it asks through ProxyContext (proxies.ts).
import { inspect } from 'node:util';
import type { MemoryHooks } from './hooks.js';
import type { CType, RecordMeta } from './meta.js';
import { recordName, typeName } from './meta.js';
import { readCString, windowOf, windowOffset } from './memory.js';

/** What proxies need of the library they belong to (implemented by proxies.ts's Proxies). */
export interface ProxyContext {
  readonly hooks: MemoryHooks;
  /** Allocates a zeroed host-owned object for a new proxy of C and sets the fields init names. */
  allocate(C: typeof NativeStruct, obj: NativeStruct, init: Record<string, unknown> | undefined): void;
  /** Elements of `size` bytes from addr to the end of its allocation (or global); null if unknown. */
  elementsAt(addr: number, size: number): number | null;
  /** true when addr is not in a live heap allocation of the runtime. */
  borrowed(addr: number): boolean;
  wrapRecord(rec: RecordMeta, addr: number): NativeStruct;
  cast(p: NativeObject, target: typeof NativeStruct | string): unknown;
  /** Drops a released proxy from the identity caches (the next reach makes a new one). */
  forget(proxy: object): void;
}

/** The library a proxy belongs to. */
function contextOf(p: NativeObject): ProxyContext | undefined {
  return p instanceof NativeStruct ? (p.constructor as typeof NativeStruct).$lib : (p as unknown as { $lib?: ProxyContext }).$lib;
}


/** Marks the internal construction path (wrap an existing address instead of allocating). */
export const WRAP: unique symbol = Symbol('wrap');

export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return `function ${v.name || '(anonymous)'}`;
  if (v instanceof NativeObject) return `${v.constructor.name} at 0x${v.$addr.toString(16)}`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (v === null) return 'null';
  if (typeof v === 'object') return v.constructor && v.constructor !== Object ? v.constructor.name : 'object';
  return String(v);
}

/** The base class of every proxy. */
export class NativeObject {
  /** The object's address. */
  declare $addr: number;
  /** @internal memory window and offset of $addr in it */
  declare $dv: DataView;
  declare $o: number;

  /** @internal */
  $bind(addr: number): void {
    this.$addr = addr;
    this.$dv = windowOf(addr);
    this.$o = windowOffset(addr);
  }

  /**
   * Ends this proxy now instead of when it is garbage-collected. The native object it held (a heap
   * object of the runtime) is released at the next safe point unless native memory still refers to
   * it or C still owns it. One rule for every proxy, of heap or foreign memory (globals, stack,
   * other libraries) alike: afterwards any use of it throws a RangeError naming its type, and
   * reaching the same memory again (a result, a field, a global) gives a new proxy. Returns true if
   * the proxy held a heap object, false if it held nothing (foreign memory, no memory management,
   * already released). A C field named `release` hides this method; `[Symbol.dispose]()` and
   * `release(p)` are the same.
   */
  release(): boolean {
    if (this.$addr === 0) return false;
    const cx = contextOf(this);
    const held = cx?.hooks.release?.(this) ?? false;
    cx?.forget(this);
    markReleased(this);
    return held;
  }

  /** `using p = lib.make()`: released at the end of the block. */
  [Symbol.dispose](): void {
    NativeObject.prototype.release.call(this);
  }
}

export interface Accessor {
  get(dv: DataView, o: number, addr: number): unknown;
  set(dv: DataView, o: number, addr: number, v: unknown, accounted: boolean): void;
}

/** A proxy of a struct or union; `lib.SomeStruct` is a subclass with one accessor per field. */
export class NativeStruct extends NativeObject {
  declare static $rec: RecordMeta;
  declare static $lib: ProxyContext;
  /** The C function that frees objects of this type (destroyWith). */
  declare static $destroy: ((p: unknown) => unknown) | undefined;

  /**
   * For C APIs whose caller owns the result: an object of this type that a function returns while
   * C still owns it (not freed, not adopted) becomes the host's, and is freed with fn once neither
   * side reaches it, so a TypeScript user never calls it: `lib.Foo.destroyWith(lib.foo_free)`.
   */
  static destroyWith<T extends typeof NativeStruct>(this: T, fn: (p: never) => unknown): T {
    if (typeof fn !== 'function') throw new TypeError(`${this.name}.destroyWith(): expected a function of the library, got ${describeValue(fn)}`);
    this.$destroy = fn as (p: unknown) => unknown;
    return this;
  }

  /** Allocates a zeroed object owned by the host and sets the given fields. */
  constructor(init?: Record<string, unknown> | typeof WRAP, addr?: number) {
    super();
    const C = new.target as unknown as typeof NativeStruct;
    const lib = C.$lib;
    if (init === WRAP) {
      this.$bind(addr!);
      return;
    }
    const rec = C.$rec;
    if (!rec.complete) throw new TypeError(`cannot allocate ${recordName(rec)}: its definition is not known (incomplete type)`);
    lib.allocate(C, this, init ?? undefined);
  }

  /** The number of elements of this type the allocation holds from this address (null: unknown, foreign memory). */
  get $length(): number | null {
    const C = this.constructor as typeof NativeStruct;
    return C.$lib.elementsAt(this.$addr, C.$rec.size);
  }

  /** The i-th element of the array this object starts (bounds-checked when the extent is known). */
  $at(i: number): NativeStruct {
    const C = this.constructor as typeof NativeStruct;
    const n = this.$length;
    if (!Number.isInteger(i) || i < 0 || (n !== null && i >= n)) throw new RangeError(`${C.name}.$at(${i}): index out of bounds (length ${n ?? 'unknown'})`);
    return C.$lib.wrapRecord(C.$rec, this.$addr + i * C.$rec.size);
  }

  /** true when the object is not in a live heap allocation of the runtime (global, stack, foreign library). */
  get $borrowed(): boolean {
    const C = this.constructor as typeof NativeStruct;
    return C.$lib.borrowed(this.$addr);
  }

  /** The fields as a plain object (nested records as plain objects too; pointers as proxies). */
  toJSON(): Record<string, unknown> {
    const C = this.constructor as typeof NativeStruct;
    const out: Record<string, unknown> = {};
    for (const f of C.$rec.fields) {
      const v = (this as unknown as Record<string, unknown>)[f.name];
      out[f.name] = v instanceof NativeStruct && f.type.k === 'record' ? v.toJSON() : v instanceof NativeArray && f.type.k === 'array' ? v.toArray() : v;
    }
    return out;
  }

  [inspect.custom](): string {
    const C = this.constructor as typeof NativeStruct;
    const parts = C.$rec.fields.map((f) => {
      let v: unknown;
      try {
        v = (this as unknown as Record<string, unknown>)[f.name];
      } catch {
        v = '?';
      }
      return `${f.name}: ${v instanceof NativeObject ? `<${v.constructor.name} 0x${v.$addr.toString(16)}>` : inspect(v, { depth: 0 })}`;
    });
    return `${C.name} @0x${this.$addr.toString(16)} { ${parts.join(', ')} }`;
  }
}

/** A pointer to something with no proxy of its own (void *, opaque types). */
export class NativePointer extends NativeObject {
  declare $to: CType;
  declare $lib: ProxyContext;

  /** A typed proxy of the memory this points at: `p.$as(lib.hw)` or `p.$as('int')`. */
  $as(target: typeof NativeStruct | string): unknown {
    return this.$lib.cast(this, target);
  }

  override toString(): string {
    return `[${typeName({ k: 'ptr', to: this.$to, constTo: false })} 0x${this.$addr.toString(16)}]`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Canonical numeric property keys ('0', '-1', '1.5'): all are element accesses (and bounds-checked). */
const INDEX = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** INDEX.test(key), with names ('get', '$self') answered by their first character. */
function isIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  return (c === 45 || (c >= 48 && c <= 57)) && INDEX.test(key);
}

/** A view of consecutive elements of one C type (a pointer to scalars, an array field, a global array). */
export class NativeArray<T = unknown> extends NativeObject {
  /** Element i (bounds-checked when the length is known). */
  [index: number]: T;
  declare $elem: CType;
  declare $size: number;
  declare $acc: Accessor;
  declare $lib: ProxyContext;
  /** Known length (fixed arrays, or computed from the allocation); undefined until computed, null when unknown. */
  declare $len: number | null | undefined;
  declare $self: NativeArray<T>; // the proxy-free object, for methods called through the Proxy
  /** @internal methods bound to the view, by name (indexable) */
  declare $bound: Map<string | symbol, { fn: Function; bound: Function }> | undefined;

  get length(): number {
    const n = this.$knownLength();
    if (n === null) throw new RangeError(`length of ${typeName(this.$elem)} array at 0x${this.$addr.toString(16)} is unknown (foreign memory)`);
    return n;
  }

  $knownLength(): number | null {
    const self = this.$self;
    if (self.$len === undefined) self.$len = self.$lib.elementsAt(self.$addr, self.$size);
    return self.$len;
  }

  private $check(i: number): number {
    const self = this.$self;
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0) throw new RangeError(`index ${describeValue(i)} out of bounds`);
    const n = self.$knownLength();
    if (n !== null && i >= n) throw new RangeError(`index ${i} out of bounds (length ${n})`);
    return self.$o + i * self.$size;
  }

  get(i: number): T {
    const self = this.$self;
    const o = self.$check(i);
    const addr = self.$addr + i * self.$size;
    if (o + self.$size <= self.$dv.byteLength) return self.$acc.get(self.$dv, o, addr) as T;
    return self.$acc.get(windowOf(addr), windowOffset(addr), addr) as T;
  }

  set(i: number, v: T | unknown): void {
    const self = this.$self;
    const o = self.$check(i);
    const addr = self.$addr + i * self.$size;
    if (o + self.$size <= self.$dv.byteLength) self.$acc.set(self.$dv, o, addr, v, true);
    else self.$acc.set(windowOf(addr), windowOffset(addr), addr, v, true);
  }

  /** The value pointed at (element 0). */
  get value(): T {
    return this.get(0);
  }
  set value(v: T) {
    this.set(0, v);
  }

  toArray(): T[] {
    const n = this.length;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.get(i);
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    const n = this.length;
    for (let i = 0; i < n; i++) yield this.get(i);
  }

  /** For char arrays: the NUL-terminated string they hold. */
  override toString(): string {
    const self = this.$self;
    if (self.$elem.k === 'int' && self.$size === 1) return readCString(self.$addr, self.$knownLength() ?? Infinity);
    return `[${typeName(self.$elem)} array 0x${self.$addr.toString(16)}]`;
  }

  [inspect.custom](): string {
    const self = this.$self;
    const n = self.$knownLength();
    if (n === null || n > 64) return `${typeName(self.$elem)}[${n ?? '?'}] @0x${self.$addr.toString(16)}`;
    return `${typeName(self.$elem)}[${n}] ${inspect(self.toArray(), { depth: 0 })}`;
  }
}

/** Wraps an array so that `a[i]` reads and writes element i. */
export function indexable<T>(arr: NativeArray<T>): NativeArray<T> {
  arr.$self = arr;
  return new Proxy(arr, {
    get(target, key, receiver) {
      if (typeof key === 'string' && isIndex(key)) return target.get(Number(key));
      const v = Reflect.get(target, key, target);
      if (typeof v !== 'function' || key === 'constructor') return v;
      // Methods come bound (so `const get = a.get` works), one bound function per method and
      // view: a bound function made per access would be garbage on every `a.get(i)`. The
      // element methods are bound to the array itself, which spares them the Proxy on every
      // `this` access; the rest (release()...) see the view, the object the caller holds.
      const bound = (target.$bound ??= new Map());
      const known = bound.get(key);
      if (known !== undefined && known.fn === v) return known.bound;
      const b = v.bind(Object.prototype.hasOwnProperty.call(NativeArray.prototype, key) ? target : receiver);
      bound.set(key, { fn: v, bound: b });
      return b;
    },
    set(target, key, value) {
      if (typeof key === 'string' && isIndex(key)) {
        target.set(Number(key), value);
        return true;
      }
      return Reflect.set(target, key, value, target);
    },
    has(target, key) {
      if (typeof key === 'string' && isIndex(key)) {
        const n = target.$knownLength();
        return n === null || Number(key) < n;
      }
      return Reflect.has(target, key);
    },
  });
}

// ---- released proxies ---------------------------------------------------------------------------

const DEAD_VIEW = new DataView(new ArrayBuffer(0));

/** What a proxy is a proxy of, for messages: 'struct hw', 'int array', 'void *'. */
export function proxyKind(p: NativeObject): string {
  if (p instanceof NativeStruct) return recordName((p.constructor as typeof NativeStruct).$rec);
  if (p instanceof NativeArray) return `${typeName(p.$elem)} array`;
  if (p instanceof NativePointer) return typeName({ k: 'ptr', to: p.$to, constTo: false });
  return 'native object';
}

export function isReleased(p: NativeObject): boolean {
  return p.$addr === 0;
}

/** The error every use of a released proxy throws (`where` says which use, for arguments). */
export function releasedError(p: NativeObject, where?: string): RangeError {
  return new RangeError(`${where ? `${where}: ` : ''}${proxyKind(p)}: this proxy was released (release(), using or scope()) and no longer refers to native memory; reach the object again for a new proxy`);
}

/** Prototypes of released proxies, by the live prototype they replace. */
const releasedPrototypes = new WeakMap<object, object>();

/**
 * The prototype a released proxy takes: every field, element and method of the live one throws
 * releasedError; release() returns false, toString() and inspection say "released". Swapping
 * the prototype keeps the checks off the live proxies' field accessors.
 */
function releasedPrototype(proto: object): object {
  let r = releasedPrototypes.get(proto);
  if (r) return r;
  r = Object.create(proto) as object;
  // release() of a released proxy returns false; a C field named release hides it (and fails).
  const base = new Set<PropertyKey>(['release', Symbol.dispose, '$bind']);
  const fail = function (this: NativeObject): never {
    throw releasedError(this);
  };
  for (let o: object | null = proto; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor' || (o === NativeObject.prototype && base.has(key)) || Object.prototype.hasOwnProperty.call(r, key)) continue;
      const d = Object.getOwnPropertyDescriptor(o, key)!;
      if (d.get || d.set) Object.defineProperty(r, key, { get: fail, set: fail, enumerable: d.enumerable, configurable: true });
      else if (typeof d.value === 'function') Object.defineProperty(r, key, { value: fail, writable: true, configurable: true });
    }
  }
  const describe = function (this: NativeObject): string {
    return `[released ${proxyKind(this)} proxy]`;
  };
  Object.defineProperty(r, 'toString', { value: describe, writable: true, configurable: true });
  Object.defineProperty(r, inspect.custom, { value: describe, writable: true, configurable: true });
  releasedPrototypes.set(proto, r);
  return r;
}

/** Ends a proxy (release()): it no longer refers to memory, and every use throws. */
function markReleased(p: NativeObject): void {
  const target = p instanceof NativeArray ? p.$self : p;
  target.$addr = 0;
  target.$dv = DEAD_VIEW;
  target.$o = 0;
  Object.setPrototypeOf(target, releasedPrototype(Object.getPrototypeOf(target) as object));
}
