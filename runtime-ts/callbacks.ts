// C function pointers both ways. A TypeScript function passed to C becomes a koffi trampoline
// (registered once per function and C type, until `$unregister`); a pointer C hands out becomes a
// callable wrapper (the original TypeScript function for our own trampolines, the library's own
// wrapper for its functions). A callback converts its arguments like results (a pointer to bytes
// followed by a size_t, or by a declared length, as one Uint8Array view: bytes.ts) and its result
// like an argument; if it throws, C sees 0 and the call-out C returns to rethrows (callstate.ts).
import koffi from 'koffi';
import { byteSpanParams, byteSpanProblem } from './bytes.js';
import { calls } from './callstate.js';
import type { FunctionPointerCodec } from './conversions.js';
import type { CTypes } from './ctypes.js';
import { isCharPointer, koffiProto, makeCallOut, signatureOf, type CallSupport } from './marshal.js';
import type { CType } from './meta.js';
import { typeName } from './meta.js';
import { bytesAt } from './memory.js';
import { ArgumentError, toFloat, toInteger } from './scalars.js';

type FuncType = Extract<CType, { k: 'func' }>;
type KoffiType = ReturnType<typeof koffi.type>;

export class FunctionPointers implements FunctionPointerCodec {
  private readonly protos = new Map<string, KoffiType>();
  private readonly byFunction = new WeakMap<Function, Map<string, number>>();
  private readonly byAddress = new Map<number, { fn: Function; handle: bigint }>();
  private readonly wrappers = new Map<string, Function>();
  /** Declared byte spans by function-pointer typedef name, and the names already used for callbacks. */
  private readonly spansByName = new Map<string, number[]>();
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
   * byte buffers whose length is the parameter after each (bytes.ts). Declared before a callback
   * of the type is passed to C; declaring the same again is harmless.
   */
  declareByteSpans(name: string, params: readonly number[]): void {
    const t = this.types.byName(name);
    const ft = t.k === 'ptr' && t.to.k === 'func' ? t.to : t.k === 'func' ? t : null;
    if (!ft) throw new TypeError(`$byteSpans('${name}'): not a function-pointer type (it is ${typeName(t)})`);
    for (const i of params) {
      const why = byteSpanProblem(ft, i);
      if (why !== null) throw new TypeError(`$byteSpans('${name}'): ${why} (C: ${typeName(t, name)})`);
    }
    const before = this.spansByName.get(name) ?? [];
    const after = [...new Set([...before, ...params])].sort((a, b) => a - b);
    if (after.length === before.length) return;
    if (this.namesUsed.has(name)) throw new Error(`$byteSpans('${name}'): declare byte buffers before a callback of this type is passed to C`);
    this.spansByName.set(name, after);
  }

  toC(fn: (...args: unknown[]) => unknown, ft: FuncType, name?: string): number {
    const declared = name === undefined ? undefined : this.spansByName.get(name);
    if (name !== undefined) this.namesUsed.add(name);
    // Two typedefs of one signature may differ in their declared spans: one trampoline each.
    const key = declared ? `${this.types.key(ft)}|${declared.join(',')}` : this.types.key(ft);
    let byType = this.byFunction.get(fn);
    if (!byType) this.byFunction.set(fn, (byType = new Map()));
    const known = byType.get(key);
    if (known !== undefined) return known;
    const spans = byteSpanParams(ft, declared);
    const handle = koffi.register(makeCallback(this.support, fn, ft, spans), koffi.pointer(this.proto(ft, 'callback', spans)));
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
 * by the converter made for its type once, a byte span (bytes.ts) becomes a view; `byteSpans`:
 * the indices of the spans (byteSpanParams, declared ones included).
 */
function makeCallback(cx: CallSupport, fn: (...args: unknown[]) => unknown, ft: FuncType, byteSpans: readonly number[]): (...args: unknown[]) => unknown {
  const label = fn.name || 'callback';
  const signature = signatureOf(`(*${label})`, ft, []);
  const where = () => `result of ${label}() (C: ${signature})`;
  const spans = new Set(byteSpans);
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
  const span = (p: unknown, length: unknown, i: number): Uint8Array | null => {
    const addr = typeof p === 'number' ? p : Number(p ?? 0);
    if (addr === 0) return null;
    const n = typeof length === 'number' ? length : Number(length);
    if (!(n >= 0)) throw new RangeError(`${label}(): argument ${i + 1} is a byte buffer of length ${String(length)} (C: ${signature})`);
    return bytesAt(addr, n);
  };
  const args = ft.params.map((_, i) => `a${i}`);
  const body: string[] = ['if (H.errDepth !== 0) return zero;', 'try {'];
  for (const i of spans) body.push(`  a${i} = span(a${i}, a${i + 1}, ${i});`);
  converters.forEach((c, i) => {
    if (c) body.push(`  a${i} = c${i}(a${i});`);
  });
  body.push(ret.k === 'void' ? `  fn(${args.join(', ')}); return;` : `  return rc(fn(${args.join(', ')}));`);
  // An exception with no native frame below has nowhere to wait: it propagates as it is.
  body.push('} catch (e) {', '  if (H.depth === 0) throw e;', '  H.err = e;', '  H.errDepth = H.depth;', '  return zero;', '}');
  const src = `return function callback(${args.join(', ')}) {\n  ${body.join('\n  ')}\n};`;
  const factory = new Function('H', 'fn', 'zero', 'rc', 'span', ...converters.map((_, i) => `c${i}`), src);
  return factory(calls, fn, zero, retConv, span, ...converters) as (...args: unknown[]) => unknown;
}

/** A pointer argument as koffi gives it (a number, or a bigint) through a converter of addresses. */
function addressConverter(fromC: (addr: number) => unknown): (v: unknown) => unknown {
  return (v) => fromC(typeof v === 'number' ? v : Number(v ?? 0));
}
