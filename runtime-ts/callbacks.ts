// C function pointers both ways. A TypeScript function passed to C becomes a koffi trampoline
// (registered once per function and C type, until `$unregister`); a pointer C hands out becomes a
// callable wrapper (the original TypeScript function for our own trampolines, the library's own
// wrapper for its functions). A callback converts its arguments like results (a pointer to bytes
// followed by a size_t as one Uint8Array view: bytes.ts) and its result like an argument; if it
// throws, C sees 0 and the call-out C returns to rethrows (callstate.ts).
import koffi from 'koffi';
import { byteSpanParams } from './bytes.js';
import { calls } from './callstate.js';
import type { FunctionPointerCodec } from './conversions.js';
import type { CTypes } from './ctypes.js';
import { koffiProto, makeCallOut, signatureOf, type CallSupport } from './marshal.js';
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

  constructor(
    private readonly types: Pick<CTypes, 'key'>,
    private readonly support: CallSupport,
    /** The library's own function at addr, wrapped; null if addr is not one of them. */
    private readonly ownFunction: (addr: number) => Function | null,
  ) {}

  private proto(ft: FuncType, role: 'call' | 'callback'): KoffiType {
    const key = `${role}:${this.types.key(ft)}`;
    let p = this.protos.get(key);
    if (!p) {
      p = koffiProto(this.support, ft, role);
      this.protos.set(key, p);
    }
    return p;
  }

  toC(fn: (...args: unknown[]) => unknown, ft: FuncType): number {
    const key = this.types.key(ft);
    let byType = this.byFunction.get(fn);
    if (!byType) this.byFunction.set(fn, (byType = new Map()));
    const known = byType.get(key);
    if (known !== undefined) return known;
    const handle = koffi.register(makeCallback(this.support, fn, ft), koffi.pointer(this.proto(ft, 'callback')));
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

/** The function koffi calls when C calls fn through a pointer of type ft. */
function makeCallback(cx: CallSupport, fn: (...args: unknown[]) => unknown, ft: FuncType): (...args: unknown[]) => unknown {
  const label = fn.name || 'callback';
  const signature = signatureOf(`(*${label})`, ft, []);
  const where = () => `result of ${label}() (C: ${signature})`;
  const spans = byteSpanParams(ft);
  const argConv = ft.params.map((p, i) => (spans.has(i) ? null : p.k === 'ptr' ? ((fromC) => (v: unknown) => fromC(Number(v ?? 0)))(cx.values.pointerFromC(p)) : p.k === 'record' ? cx.byValue.fromKoffi(p.rec) : null));
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
  return function (...args: unknown[]): unknown {
    if (calls.errDepth !== 0) return zero;
    try {
      // A (bytes, size_t) pair: the pointer as a view of that many bytes (bytes.ts).
      for (const i of spans) {
        const p = Number(args[i] ?? 0);
        args[i] = p === 0 ? null : bytesAt(p, Number(args[i + 1]));
      }
      for (let i = 0; i < args.length; i++) {
        const c = argConv[i];
        if (c) args[i] = c(args[i]);
      }
      return retConv(fn(...args));
    } catch (e) {
      if (calls.depth === 0) throw e;
      calls.err = e;
      calls.errDepth = calls.depth;
      return zero;
    }
  };
}
