// load(path): a library built by cc-wb, as a module object. Everything comes from the metadata
// linked into the library (meta.ts); koffi does the calls. The module's names (names.ts) are
// functions (wrapped on first use), globals (accessors over native memory), enum constants,
// macros and record classes, plus `$`-prefixed helpers.
import koffi from 'koffi';
import { defaultMemory } from './heap/index.js';
import { noMemory, type MemoryHooks } from './hooks.js';
import { Lib } from './library.js';
import { bytesAt, readCString, windowOf, windowOffset } from './memory.js';
import type { CType, GlobalMeta, LibraryMeta } from './meta.js';
import { readLibraryMeta, typeName } from './meta.js';
import { elfExportedSymbols } from './elf.js';
import { NativeRuntime } from './native.js';
import type { ResultSpec } from './ownership.js';
import { exportedNames } from './names.js';
import { describeValue, isReleased, NativeObject, releasedError, type NativeStruct } from './values.js';

type KoffiLib = ReturnType<typeof koffi.load>;

export interface LoadOptions {
  /**
   * Memory management: default, the runtime's memory manager (heap/'s MemoryManager, one per
   * runtime, made on first load); a MemoryManager or other hooks given here are used instead.
   */
  hooks?: MemoryHooks;
  /** false: no memory management (nothing the host allocates is released, nothing is attached). */
  memory?: boolean;
  /**
   * What functions' pointer results are, by function name: `{ cJSON_Print: { owned: 'cJSON_free' },
   * cJSON_GetObjectItem: { borrowed: true } }` (the same as `lib.fn.returns(...)`; ownership.ts).
   */
  results?: Record<string, ResultSpec>;
  /**
   * What functions' out-parameters receive, by function name and then parameter name (or
   * position from 0): `{ sqlite3_exec: { errmsg: { owned: 'sqlite3_free' } } }` (the same as
   * `lib.sqlite3_exec.param('errmsg', ...)`; ownership.ts).
   */
  params?: Record<string, Record<string, ResultSpec>>;
  /**
   * Byte buffers with an integer length in callbacks, by function-pointer typedef name: the
   * indices of the parameters that are buffers, each followed by its length
   * (`{ XML_CharacterDataHandler: [1] }`; the same as `lib.$byteSpans(...)`, bytes.ts).
   */
  byteSpans?: Record<string, number[]>;
  /** The same for text: the callback gets the span's bytes decoded as UTF-8 (`lib.$textSpans(...)`). */
  textSpans?: Record<string, number[]>;
  /**
   * Open the library with RTLD_DEEPBIND: its own calls to functions it defines (and those of its
   * dependencies) bind to its own definitions before the process's. Node exports the symbols of
   * its bundled zlib, OpenSSL, libuv... (crc32, deflate, ...): a library that defines one of those
   * names would otherwise call node's. Linking the library with -Wl,-Bsymbolic does the same for
   * its own definitions and needs no option. Applies to the first load of a path; it does not mix
   * with a malloc interposed by LD_PRELOAD (the library would call libc's).
   */
  deepBind?: boolean;
}

export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
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
  $cast(p: Address, type: string | typeof NativeStruct): unknown;
  $sizeof(type: string | typeof NativeStruct): number;
  /** A host-owned array of n elements of a type, zeroed (a NativeArray, or a record proxy with $at()). */
  $alloc(type: string | typeof NativeStruct, n: number): unknown;
  /**
   * The text at p (any proxy: a `char` or `unsigned char` array, a pointer; or an address), decoded
   * as UTF-8: up to its NUL (and within its allocation when the runtime knows it), or exactly
   * `length` bytes, NULs included. null for a null pointer.
   */
  $string(p: Address, length?: number): string | null;
  /**
   * The bytes at p as a Uint8Array view of native memory (not a copy: valid while the memory is,
   * writes go to C; slice() copies): `length` bytes, or up to the end of p's allocation (or
   * global) when omitted. null for a null pointer.
   */
  $bytes(p: Address, length?: number): Uint8Array | null;
  /** Frees the trampolines of a function passed to C as a callback. */
  $unregister(fn: Function): number;
  /**
   * In callbacks of the function-pointer type `type` (a typedef name), parameters `params` (from 0)
   * are byte buffers whose length is the parameter after each: the callback gets a Uint8Array view
   * of that many bytes. A `size_t` length needs no declaration; an `int` one does (bytes.ts).
   */
  $byteSpans(type: string, ...params: number[]): void;
  /** As $byteSpans, but the callback gets the span's bytes decoded as UTF-8 (NULs included): a string. */
  $textSpans(type: string, ...params: number[]): void;
  /** The functions again, with `char *` results as char arrays (address kept, for freeing) instead of strings. */
  readonly $raw: Record<string, (...args: never[]) => unknown>;
  /** The call-time state of one library (for tools and the memory manager). */
  readonly $lib: Lib;
  [name: string]: unknown;
}

/** What the `$` helpers take as a pointer: a proxy, an address, or null. */
export type Address = NativeObject | bigint | number | null;

const cache = new Map<string, LibraryModule>();
const utf8 = new TextDecoder('utf-8');

/** The address p stands for; a released proxy throws. */
function addressOf(p: Address, where: string): number {
  if (p === null || p === undefined) return 0;
  if (typeof p === 'bigint') return Number(p);
  if (typeof p === 'number') {
    if (!Number.isSafeInteger(p) || p < 0) throw new TypeError(`${where}: ${p} is not an address`);
    return p;
  }
  if (!(p instanceof NativeObject)) throw new TypeError(`${where}: expected a proxy, an address (bigint) or null, got ${describeValue(p)}`);
  if (isReleased(p)) throw releasedError(p, where);
  return p.$addr;
}

function byteCount(n: unknown, where: string): number {
  if (typeof n === 'bigint') n = Number(n);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > 2 ** 31) throw new RangeError(`${where}: bad length ${describeValue(n)}`);
  return n;
}

/** Bytes from addr to the end of its heap allocation or global; null if unknown. */
function extentOf(lib: Lib, addr: number): number | null {
  return lib.proxies.elementsAt(addr, 1);
}

/** Loads a library built with cc-wb: functions, struct classes, enums, macros and globals by name. */
export function load<T extends LibraryModule = LibraryModule>(path: string, options: LoadOptions = {}): T {
  const known = cache.get(path);
  const plain = !options.hooks && options.memory !== false;
  if (known && plain) return declareSpans(declareResults(known, options), options) as T;
  const meta = readLibraryMeta(path);
  if (!meta) throw new LoadError(`${path}: no cc-wb metadata (section wb_meta): build the library with cc-wb`);
  if (meta.units.length === 0) throw new LoadError(`${path}: empty cc-wb metadata`);
  let handle: KoffiLib;
  try {
    handle = options.deepBind ? koffi.load(path, { deep: true }) : koffi.load(path);
  } catch (e) {
    const why = (e as Error).message;
    const hint = /libwbrt\.so/.test(why) ? ` (the cc-wb runtime the library was linked against is not where its runpath says: relink the library with the cc-wb in use, or put that folder on LD_LIBRARY_PATH)` : '';
    throw new LoadError(`${path}: ${why}${hint}`);
  }
  const runtime = new NativeRuntime(handle);
  if (!options.hooks && options.memory !== false) checkManageable(path, runtime, handle);
  const hooks = options.hooks ?? (options.memory !== false ? defaultMemory(path, handle) : noMemory);
  const lib = new Lib(path, handle, meta, runtime, hooks);
  const mod = moduleOf(lib);
  if (plain) cache.set(path, mod);
  return declareSpans(declareResults(mod, options), options) as T;
}

function declareSpans(mod: LibraryModule, options: LoadOptions): LibraryModule {
  for (const [type, params] of Object.entries(options.byteSpans ?? {})) mod.$byteSpans(type, ...params);
  for (const [type, params] of Object.entries(options.textSpans ?? {})) mod.$textSpans(type, ...params);
  return mod;
}

/** load()'s `results` and `params` declarations, made on the library's functions. */
function declareResults(mod: LibraryModule, options: LoadOptions): LibraryModule {
  const named = (option: string, name: string) => {
    const f = mod.$meta.functions.get(name);
    if (!f) throw new LoadError(`${mod.$path}: ${option}: the library has no function named '${name}'`);
    return f;
  };
  for (const [name, spec] of Object.entries(options.results ?? {})) mod.$lib.declareResult(named('results', name), spec);
  for (const [name, specs] of Object.entries(options.params ?? {})) {
    const f = named('params', name);
    for (const [which, spec] of Object.entries(specs)) mod.$lib.declareParam(f, /^[0-9]+$/.test(which) ? Number(which) : which, spec);
  }
  return mod;
}

/**
 * A library load() manages reaches the process's one runtime, libwbrt.so, through its dependency
 * (runtime-c/README.md, "Linking"): then the host API is there whatever the library exports, and
 * every library shares one runtime and one memory manager. Anything else fails here, saying what
 * to do, rather than running unmanaged.
 */
/** The first managed library and its runtime (wb_log_hint's address tells runtimes apart). */
let processRuntime: { path: string; key: number } | null = null;

function checkManageable(path: string, runtime: NativeRuntime, handle: KoffiLib): void {
  const unmanaged = 'or load it with { memory: false } to use it without memory management';
  if (!runtime.present) {
    throw new LoadError(
      `${path}: built by cc-wb but its runtime is unreachable (no wb_host_alloc through the library or its dependencies): ` +
        `it was linked without cc-wb, or by an older cc-wb whose runtime the library's export control hides. Link it with cc-wb (which adds libwbrt.so), ${unmanaged}`,
    );
  }
  if (elfExportedSymbols(path)?.has('wb_host_alloc')) {
    throw new LoadError(
      `${path}: carries a copy of the cc-wb runtime of its own (linked with libwbrt_pic.a, or by an older cc-wb), so its objects could not pass to ` +
        `other instrumented libraries nor theirs to it. Relink it with cc-wb, which links the process-wide libwbrt.so, ${unmanaged}`,
    );
  }
  const key = Number(handle.func('uintptr_t wb_log_hint(void)')() as number | bigint);
  processRuntime ??= { path, key };
  if (processRuntime.key !== key) {
    throw new LoadError(
      `${path}: uses another cc-wb runtime than ${processRuntime.path} (a libwbrt.so of another ABI version, or another copy): ` +
        `one process has one runtime. Relink both libraries with the same cc-wb, ${unmanaged}`,
    );
  }
}

function moduleOf(lib: Lib): LibraryModule {
  const { meta, types: ctypes, proxies } = lib;
  const mod = Object.create(null) as LibraryModule;
  const fixed = (name: string, value: unknown) => Object.defineProperty(mod, name, { value, enumerable: false });
  fixed('$path', lib.path);
  fixed('$meta', meta);
  fixed('$lib', lib);
  const types: Record<string, typeof NativeStruct> = {};
  for (const rec of meta.recordList) {
    const C = proxies.recordClass(rec);
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
  const toType = (t: string | typeof NativeStruct): CType => (typeof t === 'string' ? ctypes.byName(t) : { k: 'record', rec: t.$rec });
  fixed('$cast', (p: Address, t: string | typeof NativeStruct) => proxies.cast(addressOf(p, '$cast'), toType(t)));
  fixed('$sizeof', (t: string | typeof NativeStruct) => ctypes.sizeOf(toType(t)));
  fixed('$alloc', (t: string | typeof NativeStruct, n: number) => {
    const ty = toType(t);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`$alloc: bad element count ${n}`);
    const p = lib.runtime.alloc(ctypes.sizeOf(ty) * n, ctypes.alignOf(ty), ty.k === 'record' ? ty.rec.id : 0);
    lib.hooks.created(p, null, ctypes.sizeOf(ty) * n);
    return ty.k === 'record' ? proxies.wrapRecord(ty.rec, p) : proxies.arrayView(ty, p, n);
  });
  fixed('$string', (p: Address, length?: number) => {
    const addr = addressOf(p, '$string');
    if (addr === 0) return null;
    if (length === undefined) return readCString(addr, extentOf(lib, addr) ?? Infinity);
    return utf8.decode(bytesAt(addr, byteCount(length, '$string')));
  });
  fixed('$bytes', (p: Address, length?: number) => {
    const addr = addressOf(p, '$bytes');
    if (addr === 0) return null;
    const n = length === undefined ? extentOf(lib, addr) : byteCount(length, '$bytes');
    if (n === null) throw new RangeError(`$bytes: the length of the memory at 0x${addr.toString(16)} is unknown (foreign memory): give it`);
    return bytesAt(addr, n);
  });
  fixed('$unregister', (fn: Function) => lib.pointers.unregister(fn));
  fixed('$byteSpans', (type: string, ...params: number[]) => lib.pointers.declareSpans(type, params, 'bytes'));
  fixed('$textSpans', (type: string, ...params: number[]) => lib.pointers.declareSpans(type, params, 'text'));
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
        Object.defineProperty(mod, name, { value: proxies.recordClass(entry.rec), enumerable: true });
        break;
      case 'enum':
        Object.defineProperty(mod, name, { value: enums[name], enumerable: true });
        break;
    }
  }
  Object.freeze(types);
  return mod;
}

/** A global as an accessor property reading and writing its native memory. */
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
  let size: number | null = null;
  try {
    size = lib.types.sizeOf(g.type);
  } catch {
    // unknown size (extern T x[]): no bounds
  }
  if (size !== null) lib.proxies.addExtent(addr, size);
  const acc = lib.values.accessor(g.type);
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
