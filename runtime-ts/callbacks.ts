// C function pointers both ways. A TypeScript function passed to C becomes a koffi trampoline
// (registered once per function and C type, until `$unregister`); a pointer C hands out becomes a
// callable wrapper (the original TypeScript function for our own trampolines, the library's own
// wrapper for its functions). A callback converts its arguments like results (a pointer to bytes
// followed by a size_t, or by a declared length, as one Uint8Array view: bytes.ts) and its result
// like an argument; if it throws, C sees 0 and the call-out C returns to rethrows (callstate.ts).
import koffi from 'koffi';
import { byteSpanProblem, spanParams, type SpanKind } from './bytes.js';
import { calls } from './callstate.js';
import type { FunctionPointerCodec } from './conversions.js';
import type { CTypes } from './ctypes.js';
import { isCharPointer, koffiProto, makeCallOut, signatureOf, type CallSupport } from './marshal.js';
import type { CType } from './meta.js';
import { typeName } from './meta.js';
import { bytesAt, readText } from './memory.js';
import { ArgumentError, toFloat, toInteger } from './scalars.js';

type FuncType = Extract<CType, { k: 'func' }>;
type KoffiType = ReturnType<typeof koffi.type>;

export class FunctionPointers implements FunctionPointerCodec {
  private readonly protos = new Map<string, KoffiType>();
  private readonly byFunction = new WeakMap<Function, Map<string, number>>();
  private readonly byAddress = new Map<number, { fn: Function; handle: bigint }>();
  private readonly wrappers = new Map<string, Function>();
  /** Declared byte spans by function-pointer typedef name, and the names already used for callbacks. */
  private readonly spansByName = new Map<string, Map<number, SpanKind>>();
  private readonly namesUsed = new Set<string>();

  constructor(
    private readonly types: Pick<CTypes, 'key' | 'byName'>,
    private readonly support: CallSupport,
    /** The library's own function at addr, wrapped; null if addr is not one of them. */
    private readonly ownFunction: (addr: number) => Function | null,
  ) {}

  private proto(ft: FuncType, role: 'call' | 'callback', spans: readonly number[] = []): KoffiType {
    const key = `${role}:${this.types.key(ft)}|${spans.join(',')}`;
    let p = this.protos.get(key);
    if (!p) {
      p = koffiProto(this.support, ft, role, new Set(spans));
      this.protos.set(key, p);
    }
    return p;
  }

  /**
   * In callbacks of the function-pointer type called `name` (a typedef), parameters `params` are
   * spans of `kind` whose length is the parameter after each (bytes.ts). Declared before a
   * callback of the type is passed to C; declaring the same again is harmless.
   */
  declareSpans(name: string, params: readonly number[], kind: SpanKind): void {
    const helper = kind === 'text' ? '$textSpans' : '$byteSpans';
    const t = this.types.byName(name);
    const ft = t.k === 'ptr' && t.to.k === 'func' ? t.to : t.k === 'func' ? t : null;
    if (!ft) throw new TypeError(`${helper}('${name}'): not a function-pointer type (it is ${typeName(t)})`);
    for (const i of params) {
      const why = byteSpanProblem(ft, i);
      if (why !== null) throw new TypeError(`${helper}('${name}'): ${why} (C: ${typeName(t, name)})`);
    }
    const before = this.spansByName.get(name) ?? new Map<number, SpanKind>();
    if (params.every((i) => before.get(i) === kind)) return;
    if (this.namesUsed.has(name)) throw new Error(`${helper}('${name}'): declare spans before a callback of this type is passed to C`);
    const after = new Map(before);
    for (const i of params) after.set(i, kind);
    this.spansByName.set(name, after);
  }

  toC(fn: (...args: unknown[]) => unknown, ft: FuncType, name?: string): number {
    const declared = name === undefined ? undefined : this.spansByName.get(name);
    if (name !== undefined) this.namesUsed.add(name);
    const spans = spanParams(ft, declared);
    // Two typedefs of one signature may differ in their declared spans: one trampoline each.
    const key = `${this.types.key(ft)}|${[...spans].map(([i, k]) => `${i}${k}`).join(',')}`;
    let byType = this.byFunction.get(fn);
    if (!byType) this.byFunction.set(fn, (byType = new Map()));
    const known = byType.get(key);
    if (known !== undefined) return known;
    const handle = koffi.register(makeCallback(this.support, fn, ft, spans), koffi.pointer(this.proto(ft, 'callback', [...spans.keys()])));
    const addr = Number(handle);
    byType.set(key, addr);
    this.byAddress.set(addr, { fn, handle });
    return addr;
  }

  /** Releases the trampolines of a TypeScript function passed to C: C must not call it any more. */
  unregister(fn: Function): number {
    const byType = this.byFunction.get(fn);
    if (!byType) return 0;
    for (const addr of byType.values()) {
      const entry = this.byAddress.get(addr);
      if (entry) koffi.unregister(entry.handle);
      this.byAddress.delete(addr);
    }
    this.byFunction.delete(fn);
    return byType.size;
  }

  fromC(addr: number, ft: FuncType): Function {
    const back = this.byAddress.get(addr);
    if (back) return back.fn;
    const own = this.ownFunction(addr);
    if (own) return own;
    const key = `${addr}:${this.types.key(ft)}`;
    let fn = this.wrappers.get(key);
    if (!fn) {
      const native = koffi.decode(BigInt(addr), this.proto(ft, 'call')) as (...a: unknown[]) => unknown;
      fn = makeCallOut(this.support, `(*0x${addr.toString(16)})`, ft, [], native);
      Object.defineProperty(fn, '$addr', { value: addr });
      this.wrappers.set(key, fn);
    }
    return fn;
  }
}

/**
 * The function koffi calls when C calls fn through a pointer of type ft, generated for ft's
 * arity (no rest parameters, no argument array, no spread): each pointer argument is converted
 * by the converter made for its type once, a span (bytes.ts) becomes a view or its text; `spans`:
 * the spans by parameter index (spanParams, declared ones included).
 */
function makeCallback(cx: CallSupport, fn: (...args: unknown[]) => unknown, ft: FuncType, spans: ReadonlyMap<number, SpanKind>): (...args: unknown[]) => unknown {
  const label = fn.name || 'callback';
  const signature = signatureOf(`(*${label})`, ft, []);
  const where = () => `result of ${label}() (C: ${signature})`;
  // Strings (plain char *) come decoded by koffi (koffiProto); other pointers come as addresses.
  const converters = ft.params.map((p, i) => (spans.has(i) || isCharPointer(p) ? null : p.k === 'ptr' ? addressConverter(cx.values.pointerFromC(p)) : p.k === 'record' ? cx.byValue.fromKoffi(p.rec) : null));
  const zero = ft.ret.k === 'void' ? undefined : ft.ret.k === 'int' && ft.ret.bool ? false : ft.ret.k === 'record' ? {} : 0;
  const ret = ft.ret;
  const retConv: (v: unknown) => unknown =
    ret.k === 'void'
      ? () => undefined
      : ret.k === 'int' || ret.k === 'enum'
      ? (v) => (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? toInteger(ret, Math.trunc(v), where) : toInteger(ret, v, where))
      : ret.k === 'float'
      ? (v) => toFloat(ret, v, where)
      : ret.k === 'ptr'
      ? ((toC) => (v: unknown) => toC(v))(cx.values.pointerToC(ret, where))
      : ret.k === 'record'
      ? cx.byValue.toKoffi(ret.rec, where)
      : () => {
          throw new ArgumentError(`${where()}: cannot return ${typeName(ret)}`);
        };
  const spanOf =
    (read: (addr: number, n: number) => unknown) =>
    (p: unknown, length: unknown, i: number): unknown => {
      const addr = typeof p === 'number' ? p : Number(p ?? 0);
      if (addr === 0) return null;
      const n = typeof length === 'number' ? length : Number(length);
      if (!(n >= 0 && n <= MAX_SPAN)) throw new RangeError(`${label}(): argument ${i + 1} is a byte buffer of length ${String(length)} (C: ${signature})`);
      return read(addr, n);
    };
  const bytes = spanOf(bytesAt);
  const text = spanOf(readText);
  const args = ft.params.map((_, i) => `a${i}`);
  const body: string[] = ['if (H.errDepth !== 0) return zero;', 'try {'];
  for (const [i, kind] of spans) body.push(`  a${i} = ${kind}(a${i}, a${i + 1}, ${i});`);
  converters.forEach((c, i) => {
    if (c) body.push(`  a${i} = c${i}(a${i});`);
  });
  body.push(ret.k === 'void' ? `  fn(${args.join(', ')}); return;` : `  return rc(fn(${args.join(', ')}));`);
  // An exception with no native frame below has nowhere to wait: it propagates as it is.
  body.push('} catch (e) {', '  if (H.depth === 0) throw e;', '  H.err = e;', '  H.errDepth = H.depth;', '  return zero;', '}');
  const src = `return function callback(${args.join(', ')}) {\n  ${body.join('\n  ')}\n};`;
  const factory = new Function('H', 'fn', 'zero', 'rc', 'bytes', 'text', ...converters.map((_, i) => `c${i}`), src);
  return factory(calls, fn, zero, retConv, bytes, text, ...converters) as (...args: unknown[]) => unknown;
}

/** The longest span a callback is given (a window of native memory has 2 GiB ahead of any start). */
const MAX_SPAN = 2 ** 31;

/** A pointer argument as koffi gives it (a number, or a bigint) through a converter of addresses. */
function addressConverter(fromC: (addr: number) => unknown): (v: unknown) => unknown {
  return (v) => fromC(typeof v === 'number' ? v : Number(v ?? 0));
}
