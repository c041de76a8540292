// Values between JavaScript and native memory, in one place: the accessor that reads and writes
// each C type (fields, array elements, globals), bit-fields, pointers both ways (proxies, owned
// copies of strings and arrays, callbacks), and record assignment with its pointer accounting.
// Call arguments and results use the same pointer conversions (marshal.ts).
import type { CTypes } from './ctypes.js';
import type { MemoryHooks } from './hooks.js';
import type { CType, RecordMeta } from './meta.js';
import { recordName, typeName } from './meta.js';
import { bytesAt, intReader, intWriter, readCString, readPointer, windowOf, windowOffset, writePointerRaw } from './memory.js';
import type { NativeRuntime } from './native.js';
import type { Ownership } from './ownership.js';
import type { FieldCodec, FieldEntry, Proxies } from './proxies.js';
import { ArgumentError, integerConverter, toFloat, toInteger } from './scalars.js';
import { describeValue, isReleased, NativeArray, NativeObject, NativeStruct, releasedError, type Accessor } from './values.js';

type FuncType = Extract<CType, { k: 'func' }>;
export type PtrType = Extract<CType, { k: 'ptr' }>;

/** C function pointers both ways (callbacks.ts). */
export interface FunctionPointerCodec {
  /** A TypeScript function as a C function pointer of type ft; name: the pointer type's typedef name. */
  toC(fn: (...args: unknown[]) => unknown, ft: FuncType, name?: string): number;
  /** A C function pointer as a callable TypeScript function. */
  fromC(addr: number, ft: FuncType): Function;
}

/** What conversions make proxies with. */
export type ProxyFactory = Pick<Proxies, 'recordClass' | 'recordWrapper' | 'wrapRecord' | 'arrayView' | 'arrayViewer' | 'pointerObject'>;

export class Conversions implements FieldCodec {
  private readonly accessors = new Map<string, Accessor>();
  private readonly fieldTables = new Map<RecordMeta, Map<string, FieldEntry>>();
  private readonly pointerSlots = new Map<RecordMeta, number[]>();
  private functions: FunctionPointerCodec | null = null;

  constructor(
    private readonly types: CTypes,
    private readonly proxies: ProxyFactory,
    private readonly runtime: NativeRuntime,
    private readonly hooks: MemoryHooks,
  ) {}

  /**
   * The function-pointer codec, given once it exists: callbacks convert their arguments here and
   * function-pointer fields convert through callbacks, so the library connects the two (library.ts).
   */
  connect(functions: FunctionPointerCodec): void {
    this.functions = functions;
  }

  private fnCodec(): FunctionPointerCodec {
    if (!this.functions) throw new Error('conversions used before their function-pointer codec was connected');
    return this.functions;
  }

  // ---- accessors of native memory -----------------------------------------------------------

  accessor(t: CType): Accessor {
    const key = this.types.key(t);
    let acc = this.accessors.get(key);
    if (!acc) {
      acc = this.makeAccessor(t, () => typeName(t));
      this.accessors.set(key, acc);
    }
    return acc;
  }

  fieldTable(rec: RecordMeta): Map<string, FieldEntry> {
    let table = this.fieldTables.get(rec);
    if (table) return table;
    table = new Map();
    this.fieldTables.set(rec, table);
    const add = (r: RecordMeta, base: number, depth: number): void => {
      for (const f of r.fields) {
        if (table!.has(f.name) || f.name.startsWith('$')) continue;
        const where = () => `${recordName(rec)}.${f.name}`;
        const acc = f.bits ? bitfieldAccessor(f.type, f.bits.offset - f.offset * 8, f.bits.width, where) : this.accessor(f.type);
        table!.set(f.name, { name: f.name, offset: base + f.offset, acc });
      }
      const first = r.fields[0];
      if (depth < 16 && first && first.offset === 0 && !first.bits && first.type.k === 'record' && first.type.rec.complete) add(first.type.rec, base, depth + 1);
    };
    add(rec, 0, 0);
    return table;
  }

  /** Which accessor reads and writes a value of type t in native memory. */
  private makeAccessor(t: CType, where: () => string): Accessor {
    switch (t.k) {
      case 'int':
      case 'enum': {
        const it = t.k === 'enum' ? t.en.type : t;
        const read = intReader(it.size, it.signed);
        const write = intWriter(it.size);
        const check = integerConverter(t, where);
        if (it.bool) {
          return {
            get: (dv, o) => dv.getUint8(o) !== 0,
            set: (dv, o, _a, v) => dv.setUint8(o, typeof v === 'boolean' ? (v ? 1 : 0) : Number(toInteger(t, v, where)) !== 0 ? 1 : 0),
          };
        }
        return { get: read, set: (dv, o, _a, v) => write(dv, o, check(v)) };
      }
      case 'float':
        if (t.size === 4) return { get: (dv, o) => dv.getFloat32(o, true), set: (dv, o, _a, v) => dv.setFloat32(o, toFloat(t, v, where), true) };
        if (t.size === 8) return { get: (dv, o) => dv.getFloat64(o, true), set: (dv, o, _a, v) => dv.setFloat64(o, toFloat(t, v, where), true) };
        return unsupported(t, where);
      case 'ptr': {
        const fromC = this.pointerFromC(t);
        const toC = this.pointerToC(t, where);
        const runtime = this.runtime;
        return {
          get: (dv, o) => fromC(readPointer(dv, o)),
          set: (dv, o, addr, v, accounted) => {
            const p = toC(v);
            if (accounted) runtime.storePointer(addr, p);
            else writePointerRaw(dv, o, p);
          },
        };
      }
      case 'record': {
        const rec = t.rec;
        return {
          get: (_dv, _o, addr) => this.proxies.wrapRecord(rec, addr),
          set: (dv, o, addr, v, accounted) => this.assignFields(rec, dv, o, addr, v, accounted, where),
        };
      }
      case 'array': {
        const elem = t.of;
        const length = t.length;
        return {
          get: (_dv, _o, addr) => this.proxies.arrayView(elem, addr, length),
          set: (_dv, _o, addr, v, accounted) => this.assignArray(t, addr, v, accounted, where),
        };
      }
      default:
        return unsupported(t, where);
    }
  }

  // ---- pointers -----------------------------------------------------------------------------

  /** How a pointer read from C (a field, a result, a callback argument) appears in TypeScript. */
  pointerFromC(t: PtrType): (addr: number) => unknown {
    const to = t.to;
    const proxies = this.proxies;
    switch (to.k) {
      case 'record': {
        const wrap = proxies.recordWrapper(to.rec);
        return (addr) => (addr === 0 ? null : wrap(addr));
      }
      case 'int':
      case 'float':
      case 'enum':
      case 'ptr': {
        if (to.k === 'int' && to.char) return (addr) => (addr === 0 ? null : readCString(addr));
        const view = proxies.arrayViewer(to, null);
        return (addr) => (addr === 0 ? null : view(addr));
      }
      case 'array': {
        if (to.length === null) return (addr) => (addr === 0 ? null : proxies.pointerObject(addr, to));
        const view = proxies.arrayViewer(to, null);
        return (addr) => (addr === 0 ? null : view(addr));
      }
      case 'func':
        return (addr) => (addr === 0 ? null : this.fnCodec().fromC(addr, to));
      default:
        return (addr) => (addr === 0 ? null : proxies.pointerObject(addr, to));
    }
  }

  /**
   * A pointer result of a call: as pointerFromC, then what the function's declaration says
   * (ownership.ts): an owned result is the host's to release with the declared function (a
   * string is copied and released at once); a borrowed one is left to C; with no declaration, a
   * record whose type has a destructor (destroyWith) is the caller's to free, so the host's.
   */
  pointerResult(t: PtrType, own?: Ownership): (addr: number) => unknown {
    const fromC = this.pointerFromC(t);
    const hooks = this.hooks;
    if (t.to.k === 'int' && t.to.char) {
      if (!own) return fromC;
      return (addr) => {
        if (addr === 0) return null;
        const s = readCString(addr);
        if (own.owner) own.owner(BigInt(addr));
        return s;
      };
    }
    const rec = t.to.k === 'record' ? t.to.rec : null;
    if (!own && (!rec || !hooks.returned)) return fromC;
    let C: typeof NativeStruct | undefined;
    return (addr) => {
      const p = fromC(addr);
      if (p === null || typeof p !== 'object') return p;
      if (own?.owner) hooks.owned?.(p, own.owner, own.handle);
      else if (!own?.borrowed && rec && hooks.returned && (C ??= this.proxies.recordClass(rec)).$destroy) hooks.returned(p);
      return p;
    };
  }

  /** A JS value as a pointer of type t (an address); `where` names the destination for errors. */
  pointerToC(t: PtrType, where: () => string): (v: unknown) => number {
    const to = t.to;
    const bytes = to.k === 'void' || to.k === 'opaque' || (to.k === 'int' && to.size === 1);
    const describe = typeName(t);
    const fail = (v: unknown, why = ''): never => {
      throw new ArgumentError(`${where()}: expected ${describe}${why}, got ${describeValue(v)}`);
    };
    const released = (v: NativeObject): never => {
      throw releasedError(v, where());
    };
    return (v) => {
      if (v === null || v === undefined) return 0;
      if (v instanceof NativeStruct) {
        const actual = (v.constructor as typeof NativeStruct).$rec;
        if (to.k === 'record' ? !this.types.compatible(to.rec, actual) : !bytes) fail(v);
        if (v.$addr === 0) released(v);
        return v.$addr;
      }
      if (v instanceof NativeArray) {
        if (v.$addr === 0) released(v);
        const elem = v.$elem;
        if (!bytes && to.k !== elem.k && !(to.k === 'enum' && elem.k === 'int') && !(to.k === 'int' && elem.k === 'enum')) fail(v);
        if (to.k === 'record' && elem.k === 'record' && !this.types.compatible(to.rec, elem.rec)) fail(v);
        return v.$addr;
      }
      if (v instanceof NativeObject) return v.$addr === 0 ? released(v) : v.$addr; // void * and opaque pointers convert like C's void *
      if (typeof v === 'bigint') return Number(v);
      if (typeof v === 'function') {
        const addr = (v as { $addr?: number }).$addr;
        if (typeof addr === 'number') return addr;
        if (to.k === 'func') return this.fnCodec().toC(v as (...a: unknown[]) => unknown, to, t.alias ?? to.alias);
        fail(v);
      }
      if (typeof v === 'string') {
        if (to.k === 'int' && to.size === 1) return this.ownedString(v);
        if (to.k === 'void') return this.ownedString(v);
        fail(v);
      }
      if (Array.isArray(v)) {
        if (to.k === 'void' || to.k === 'func' || to.k === 'opaque' || (to.k === 'record' && !to.rec.complete)) fail(v);
        return this.ownedArray(to, v, where);
      }
      if (typeof v === 'object' && to.k === 'record' && to.rec.complete) {
        return new (this.proxies.recordClass(to.rec))(v as Record<string, unknown>).$addr;
      }
      return fail(v, to.k === 'record' ? ` (a ${this.proxies.recordClass(to.rec).name} proxy, a plain object with its fields, or null)` : '');
    };
  }

  // ---- host-owned copies --------------------------------------------------------------------

  /** A NUL-terminated UTF-8 copy of s the host owns; it lives as long as C can reach it. */
  ownedString(s: string): number {
    const bytes = Buffer.from(s, 'utf8');
    const p = this.runtime.alloc(bytes.length + 1, 1, 0);
    bytesAt(p, bytes.length).set(bytes);
    this.hooks.created(p, null, bytes.length + 1);
    return p;
  }

  /** A host-owned copy of bytes, 16-aligned (typed arrays and buffers passed to C). */
  ownedBytes(bytes: Uint8Array): number {
    const p = this.runtime.alloc(bytes.length, 16, 0);
    this.hooks.created(p, null, bytes.length);
    bytesAt(p, bytes.length).set(bytes);
    return p;
  }

  /**
   * A host-owned array of elem holding values, by address. No proxy is made for it: an argument's
   * temporary is kept only if C stores its address during the call, and is released at the safe
   * point that ends the call otherwise (a proxy would keep it until the garbage collector runs
   * the proxy's finalizer, which a long synchronous loop of calls never lets happen).
   */
  ownedArray(elem: CType, values: ArrayLike<unknown>, where: () => string): number {
    const size = this.types.sizeOf(elem);
    const p = this.runtime.alloc(size * Math.max(values.length, 1), this.types.alignOf(elem), elem.k === 'record' ? elem.rec.id : 0);
    this.hooks.created(p, null, size * Math.max(values.length, 1));
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
    return p;
  }

  /** Reads element i of an array of elem at base, as a field of that type reads (copy-back of array arguments). */
  elementReader(elem: CType): (base: number, i: number) => unknown {
    const size = this.types.sizeOf(elem);
    const acc = this.accessor(elem);
    return (base, i) => {
      const a = base + i * size;
      return acc.get(windowOf(a), windowOffset(a), a);
    };
  }

  // ---- records and arrays as a whole --------------------------------------------------------

  assignFields(rec: RecordMeta, dv: DataView, o: number, addr: number, init: unknown, accounted: boolean, where: () => string): void {
    if (init instanceof NativeStruct) {
      if (isReleased(init)) throw releasedError(init, where());
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

  private assignArray(t: Extract<CType, { k: 'array' }>, addr: number, v: unknown, accounted: boolean, where: () => string): void {
    const n = t.length;
    const size = this.types.sizeOf(t.of);
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
        const size = this.types.sizeOf(t.of);
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
}

/** A bit-field read and written in place; `shift` counts from the byte at the field's offset. */
function bitfieldAccessor(t: CType, shift: number, width: number, where: () => string): Accessor {
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

function unsupported(t: CType, where: () => string): Accessor {
  const fail = (): never => {
    throw new TypeError(`${where()}: values of type ${typeName(t)} cannot be converted`);
  };
  return { get: fail, set: fail };
}
