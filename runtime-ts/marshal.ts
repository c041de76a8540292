// Calls from TypeScript into C: the wrapper around each koffi function (argument checks and
// conversions, call depth, exceptions from callbacks, results), koffi prototypes, and varargs.
// Values convert through conversions.ts and byvalue.ts, given as a CallSupport.
//
// A wrapper is generated per function with `new Function`, specialised to its parameter types:
// an `int` argument costs one inline test (`(a | 0) === a`) on the fast path, which keeps a
// call within a few percent of a raw koffi call.
import koffi from 'koffi';
import type { CType, FunctionMeta } from './meta.js';
import { typeName } from './meta.js';
import { calls, takePendingError } from './callstate.js';
import type { Conversions } from './conversions.js';
import type { CTypes } from './ctypes.js';
import type { RecordsByValue } from './byvalue.js';
import { bytesAt, readPointerAt } from './memory.js';
import type { FunctionOwnership, Ownership } from './ownership.js';
import { ArgumentError, toFloat, toInteger } from './scalars.js';
import { describeValue, NativeObject } from './values.js';

/** What call wrappers need of their library: types by name, value conversions, records by value. */
export interface CallSupport {
  readonly types: Pick<CTypes, 'byName'>;
  readonly values: Pick<Conversions, 'pointerFromC' | 'pointerResult' | 'pointerToC' | 'ownedArray' | 'elementReader' | 'ownedString' | 'ownedBytes'>;
  readonly byValue: Pick<RecordsByValue, 'koffiType' | 'toKoffi' | 'fromKoffi'>;
}

type FuncType = Extract<CType, { k: 'func' }>;
type KoffiType = ReturnType<typeof koffi.type>;
type TypeSpec = string | KoffiType;
type KoffiLib = ReturnType<typeof koffi.load>;

/** A value with an explicit C type, for varargs: `va('double', 1)`, `va('long', 5n)`. */
export class VarArg {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

export function va(type: string, value: unknown): VarArg {
  return new VarArg(type, value);
}

/**
 * After-call actions (copying arrays back into JS arrays, taking what C stored in owned
 * out-parameters) registered by argument conversions. A call runs those past its mark once C
 * returns, even when a callback's exception is rethrown (C may have stored an owned pointer
 * before it failed); a call whose arguments fail to convert drops them (C never ran).
 */
const post: Array<() => void> = [];

function runPost(mark: number): void {
  const actions = post.splice(mark);
  for (const a of actions) a();
}

/** `int add(int a, int b)` */
export function signatureOf(name: string, ft: FuncType, paramNames: readonly string[]): string {
  const params = ft.params.map((p, i) => typeName(p, paramNames[i] ?? '')).join(', ');
  const list = ft.unproto && ft.params.length === 0 ? '' : params + (ft.variadic ? (params ? ', ...' : '...') : params ? '' : 'void');
  return typeName(ft.ret, `${name}(${list})`);
}

/** The koffi type of a value of type t passed in a register or on the stack; null if koffi cannot. */
export function koffiScalar(cx: CallSupport, t: CType, role: 'param' | 'result'): TypeSpec | null {
  switch (t.k) {
    case 'void':
      return role === 'result' ? 'void' : null;
    case 'int':
      if (t.bool) return 'bool';
      return (t.signed ? 'int' : 'uint') + String(t.size * 8);
    case 'enum':
      return koffiScalar(cx, t.en.type, role);
    case 'float':
      return t.size === 4 ? 'float' : t.size === 8 ? 'double' : null;
    case 'ptr':
      return 'uintptr_t'; // addresses as numbers: koffi's fastest path
    case 'record':
      return cx.byValue.koffiType(t.rec);
    default:
      return null;
  }
}

interface ParamPlan {
  /** JS expression that is true when the value needs no conversion (a0 is the argument). */
  fast: string | null;
  convert: (v: unknown) => unknown;
}

/** How to check and convert one argument; `where` names it for messages, `own` is its out-parameter declaration. */
function paramPlan(cx: CallSupport, t: CType, where: () => string, own?: Ownership): ParamPlan {
  switch (t.k) {
    case 'int':
    case 'enum': {
      const it = t.k === 'enum' ? t.en.type : t;
      if (it.bool) return { fast: 'typeof A === "boolean"', convert: (v) => toInteger(t, v, where) !== 0 };
      const fast =
        it.size === 4 ? (it.signed ? '(A | 0) === A' : '(A >>> 0) === A') : it.size === 2 ? (it.signed ? '(A << 16 >> 16) === A' : '(A & 0xffff) === A') : it.size === 1 ? (it.signed ? '(A << 24 >> 24) === A' : '(A & 0xff) === A') : it.signed ? 'Number.isSafeInteger(A)' : '(Number.isSafeInteger(A) && A >= 0)';
      return { fast, convert: (v) => toInteger(t, v, where) };
    }
    case 'float':
      return { fast: 'typeof A === "number"', convert: (v) => toFloat(t, v, where) };
    case 'ptr':
      return { fast: null, convert: pointerArgument(cx, t, where, own) };
    case 'record': {
      const toKoffi = cx.byValue.toKoffi(t.rec, where);
      return { fast: null, convert: toKoffi };
    }
    default:
      return { fast: null, convert: () => { throw new ArgumentError(`${where()}: values of type ${typeName(t)} cannot be passed`); } };
  }
}

function isBufferLike(v: unknown): boolean {
  return ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
}

/**
 * Bytes of a typed array, Buffer or ArrayBuffer copied into host memory (C may keep the pointer,
 * and a GC may move small on-heap arrays); copied back after the call unless the pointee is const.
 */
function bufferArgument(cx: CallSupport, v: ArrayBufferView | ArrayBuffer, copyBack: boolean): number {
  const bytes = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const p = cx.values.ownedBytes(bytes);
  if (copyBack) post.push(() => bytes.set(bytesAt(p, bytes.length)));
  return p;
}

type PtrType = Extract<CType, { k: 'ptr' }>;

/** Pointer arguments: proxies, null, strings (owned copies), callbacks, arrays, buffers... */
function pointerArgument(cx: CallSupport, t: PtrType, where: () => string, own?: Ownership): (v: unknown) => unknown {
  const toC = cx.values.pointerToC(t, where);
  const to = t.to;
  const scalar = to.k === 'int' || to.k === 'float' || to.k === 'enum' || to.k === 'ptr';
  const receiveOwned = own && to.k === 'ptr' ? ownedOutArgument(cx, to, own, where) : null;
  let readBack: ((base: number, i: number) => unknown) | undefined;
  return (v) => {
    if (v === null || v === undefined) return 0;
    if (receiveOwned && own!.owner) {
      // What C stores is released by the host: only a JS array can receive it (a native array or
      // an address would keep the pointer where the host cannot see it being used).
      if (!Array.isArray(v)) throw new ArgumentError(`${where()}: an owned out-parameter (param()) is received in a JS array ([null]) or not at all (null), got ${describeValue(v)}`);
      return receiveOwned(v);
    }
    if (isBufferLike(v)) return bufferArgument(cx, v as ArrayBufferView | ArrayBuffer, !t.constTo);
    if (Array.isArray(v) && scalar && !t.constTo) {
      // Copied in, and back out after the call (the C function may write through the pointer).
      const base = cx.values.ownedArray(to, v, where);
      const read = (readBack ??= cx.values.elementReader(to));
      post.push(() => {
        for (let i = 0; i < v.length; i++) v[i] = read(base, i);
      });
      return base;
    }
    return toC(v);
  };
}

/**
 * An out-parameter declared owned, given a JS array: a host array of its pointers (at least one,
 * so `[]` receives too) goes to C; after the call each element C changed is taken as an owned
 * result would be (a string copied and its buffer released at once, a proxy the host releases
 * once unreachable), and every other element is read back as for any array argument. A pointer
 * the caller passed in and C left in place is not C's to give away. What goes in is null or a
 * proxy: a host copy of a string or an object is not memory of the allocator C would grow or
 * free it with (getline reallocates `*lineptr`), and the string a previous call received was
 * released already.
 */
function ownedOutArgument(cx: CallSupport, elem: PtrType, own: Ownership, where: () => string): (v: unknown[]) => number {
  const take = cx.values.pointerResult(elem, own);
  const read = cx.values.pointerFromC(elem);
  return (v) => {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== null && x !== undefined && !(x instanceof NativeObject)) {
        throw new ArgumentError(`${where()}: element ${i} is ${describeValue(x)}: an owned out-parameter (param()) goes in as null (or a proxy of C's memory); what a previous call received was released already, so reset the array (and any size that goes with it) before calling again`);
      }
    }
    const base = cx.values.ownedArray(elem, v, where);
    const n = Math.max(v.length, 1);
    const given = new Array<number>(n);
    for (let i = 0; i < n; i++) given[i] = readPointerAt(base + i * POINTER_SIZE);
    post.push(() => {
      // Releasing calls C: no safe point until the call has copied back its other arguments and
      // wrapped its result (the call-out's own safe point follows).
      const d = ++calls.depth;
      try {
        for (let i = 0; i < n; i++) {
          const p = readPointerAt(base + i * POINTER_SIZE);
          v[i] = p !== 0 && p !== given[i] ? take(p) : read(p);
        }
      } finally {
        calls.depth = d - 1;
      }
    });
    return base;
  };
}

/** Every target the metadata reader accepts has 8-byte pointers (meta.ts). */
const POINTER_SIZE = 8;

function resultConverter(cx: CallSupport, t: CType, own?: Ownership): ((r: unknown) => unknown) | null {
  switch (t.k) {
    case 'ptr': {
      const fromC = cx.values.pointerResult(t, own);
      return (r) => fromC(Number(r));
    }
    case 'record':
      return cx.byValue.fromKoffi(t.rec);
    default:
      return null;
  }
}

const unsupportedReason = (cx: CallSupport, ft: FuncType): string | null => {
  if (koffiScalar(cx, ft.ret, 'result') === null) return `its result type ${typeName(ft.ret)} cannot be converted`;
  for (const p of ft.params) if (koffiScalar(cx, p, 'param') === null) return `its parameter type ${typeName(p)} cannot be converted`;
  return null;
};

/**
 * The koffi prototype of a function type (pointers as addresses). A callback's plain `char *`
 * parameters, except those in `raw` (byte spans), are decoded by koffi itself (`const char *`:
 * a UTF-8 string up to the NUL, or null), which is how they reach TypeScript anyway.
 */
export function koffiProto(cx: CallSupport, ft: FuncType, role: 'call' | 'callback', raw: ReadonlySet<number> = new Set()): KoffiType {
  const ret = koffiScalar(cx, ft.ret, 'result');
  const params = ft.params.map((p, i) => (role === 'callback' && p.k === 'ptr' ? (isCharPointer(p) && !raw.has(i) ? 'const char *' : 'uintptr_t') : koffiScalar(cx, p, 'param')));
  if (ret === null || params.some((p) => p === null)) throw new ArgumentError(`cannot call or implement ${typeName(ft)}: ${unsupportedReason(cx, ft)}`);
  return koffi.proto(ret, (ft.variadic || ft.unproto ? [...params, '...'] : params) as TypeSpec[]);
}

/** A pointer to plain `char` (the type read as a string). */
export function isCharPointer(t: CType): boolean {
  return t.k === 'ptr' && t.to.k === 'int' && t.to.char;
}

/**
 * Wraps a koffi function. `native` takes koffi-level arguments. The wrapper checks and converts
 * each argument, counts the native frame, rethrows an exception a callback threw during the
 * call, and converts the result.
 */
export function makeCallOut(cx: CallSupport, name: string, ft: FuncType, paramNames: readonly string[], native: (...args: unknown[]) => unknown, own?: FunctionOwnership): (...args: unknown[]) => unknown {
  const signature = signatureOf(name, ft, paramNames);
  const reason = unsupportedReason(cx, ft);
  if (reason !== null) {
    const fail = () => {
      throw new ArgumentError(`${name}(): cannot be called from TypeScript: ${reason} (C: ${signature})`);
    };
    Object.defineProperty(fail, 'name', { value: name });
    return fail;
  }
  if (ft.variadic || ft.unproto) return makeVariadicCallOut(cx, name, ft, paramNames, native, signature, own);
  const n = ft.params.length;
  const plans = ft.params.map((p, i) => paramPlan(cx, p, () => `${name}(): argument ${i + 1}${paramNames[i] ? ` '${paramNames[i]}'` : ''} (C: ${signature})`, own?.params[i]));
  const rc = resultConverter(cx, ft.ret, own?.result);
  const usesPost = ft.params.some((p) => p.k === 'ptr');
  const args = Array.from({ length: n }, (_, i) => `a${i}`);
  const body: string[] = [];
  body.push(`if (arguments.length !== ${n}) arity(arguments.length);`);
  const conversions = plans.map((p, i) => (p.fast ? `if (!(${p.fast.replace(/A/g, `a${i}`)})) a${i} = c${i}(a${i});` : `a${i} = c${i}(a${i});`));
  if (usesPost) {
    body.push('const mark = post.length;');
    body.push(`try { ${conversions.join(' ')} } catch (e) { post.length = mark; throw e; }`);
  } else body.push(...conversions);
  body.push('const d = ++H.depth;');
  body.push('let r;');
  body.push(`try { r = f(${args.join(', ')}); } finally { H.depth = d - 1; }`);
  // The safe point comes after the copy-back of arguments and the wrapping of the result: both
  // may read memory that only the argument's temporary or the result's new proxy keeps alive.
  // A callback's exception is rethrown after the after-call actions (which may release what C stored).
  if (usesPost) body.push('if (H.errDepth === d) { const e = take(); try { if (post.length !== mark) runPost(mark); } finally { if (d === 1 && H.safePointDue) H.safePoint(); throw e; } }');
  else body.push('if (H.errDepth === d) { if (d === 1 && H.safePointDue) H.safePoint(); throw take(); }');
  if (usesPost) body.push('if (post.length !== mark) runPost(mark);');
  if (rc) body.push('r = rc(r);');
  body.push('if (d === 1 && H.safePointDue) H.safePoint();');
  body.push(ft.ret.k === 'void' ? 'return;' : 'return r;');
  const safeName = /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) ? name : 'cfunction';
  const src = `return function ${safeName}(${args.join(', ')}) {\n  ${body.join('\n  ')}\n};`;
  const arity = (got: number) => {
    throw new ArgumentError(`${name}(): expected ${n} argument${n === 1 ? '' : 's'}, got ${got} (C: ${signature})`);
  };
  const factory = new Function('H', 'f', 'take', 'post', 'runPost', 'arity', 'rc', ...plans.map((_, i) => `c${i}`), src);
  const fn = factory(calls, native, takePendingError, post, runPost, arity, rc, ...plans.map((p) => p.convert)) as (...a: unknown[]) => unknown;
  Object.defineProperty(fn, 'signature', { value: signature });
  return fn;
}

const RESERVED = new Set(['arguments', 'eval', 'await', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'enum', 'class', 'const', 'delete', 'do', 'else', 'export', 'extends', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'return', 'super', 'switch', 'this', 'throw', 'try', 'typeof', 'var', 'void', 'while', 'with', 'case', 'catch', 'continue', 'debugger', 'default', 'break', 'null', 'true', 'false']);

/** The C type (as koffi spells it) a variadic argument is passed as, and its value. */
function varArg(cx: CallSupport, v: unknown, where: () => string): [TypeSpec, unknown] {
  if (v instanceof VarArg) {
    const t = cx.types.byName(v.type);
    const spec = koffiScalar(cx, t, 'param');
    if (spec === null) throw new ArgumentError(`${where()}: cannot pass a variadic ${v.type}`);
    // Default argument promotions: what the callee reads with va_arg.
    if (t.k === 'float' && t.size === 4) return ['double', toFloat(t, v.value, where)];
    if ((t.k === 'int' || t.k === 'enum') && (t.k === 'enum' ? t.en.type : t).size < 4) return ['int', Number(toInteger(t, v.value, where))];
    return [spec, paramPlan(cx, t, where).convert(v.value)];
  }
  switch (typeof v) {
    case 'number':
      if (Number.isInteger(v)) return v >= -0x80000000 && v <= 0x7fffffff ? ['int', v] : ['int64', v];
      return ['double', v];
    case 'bigint':
      return v >= -(2n ** 63n) && v < 2n ** 63n ? ['int64', v] : ['uint64', v];
    case 'boolean':
      return ['int', v ? 1 : 0];
    case 'string':
      return ['uintptr_t', cx.values.ownedString(v)];
    default:
      if (v === null || v === undefined) return ['uintptr_t', 0];
      if (isBufferLike(v)) return ['uintptr_t', bufferArgument(cx, v as ArrayBufferView | ArrayBuffer, true)];
      return ['uintptr_t', cx.values.pointerToC({ k: 'ptr', to: { k: 'void' }, constTo: false }, where)(v)];
  }
}

function makeVariadicCallOut(cx: CallSupport, name: string, ft: FuncType, paramNames: readonly string[], native: (...args: unknown[]) => unknown, signature: string, own?: FunctionOwnership): (...args: unknown[]) => unknown {
  const n = ft.params.length;
  const where = (i: number) => () => `${name}(): argument ${i + 1}${paramNames[i] ? ` '${paramNames[i]}'` : ''} (C: ${signature})`;
  const plans = ft.params.map((p, i) => paramPlan(cx, p, where(i), own?.params[i]));
  const rc = resultConverter(cx, ft.ret, own?.result);
  const fn = function (...args: unknown[]): unknown {
    if (args.length < n) throw new ArgumentError(`${name}(): expected at least ${n} argument${n === 1 ? '' : 's'}, got ${args.length} (C: ${signature})`);
    const mark = post.length;
    const out: unknown[] = [];
    try {
      for (let i = 0; i < n; i++) out.push(plans[i]!.convert(args[i]));
      for (let i = n; i < args.length; i++) out.push(...varArg(cx, args[i], where(i)));
    } catch (e) {
      post.length = mark;
      throw e;
    }
    const d = ++calls.depth;
    let r: unknown;
    try {
      r = native(...out);
    } finally {
      calls.depth = d - 1;
    }
    if (calls.errDepth === d) {
      const e = takePendingError();
      try {
        if (post.length !== mark) runPost(mark);
      } finally {
        if (d === 1 && calls.safePointDue) calls.safePoint();
        throw e;
      }
    }
    if (post.length !== mark) runPost(mark);
    if (rc) r = rc(r);
    if (d === 1 && calls.safePointDue) calls.safePoint();
    return ft.ret.k === 'void' ? undefined : r;
  };
  Object.defineProperty(fn, 'name', { value: name });
  Object.defineProperty(fn, 'signature', { value: signature });
  return fn;
}

/** A native function of the library (by name in handle, or at addr), wrapped; own: its declarations (returns(), param()). */
export function bindFunction(cx: CallSupport, handle: KoffiLib, f: FunctionMeta, addr?: number, own?: FunctionOwnership): (...args: unknown[]) => unknown {
  const ft = f.type;
  const reason = unsupportedReason(cx, ft);
  let native: (...args: unknown[]) => unknown;
  if (reason === null) {
    const ret = koffiScalar(cx, ft.ret, 'result')!;
    const params = ft.params.map((p) => koffiScalar(cx, p, 'param')!);
    const proto = ft.variadic || ft.unproto ? [...params, '...'] : params;
    native = (addr === undefined ? handle.func(f.name, ret, proto) : koffi.decode(BigInt(addr), koffi.proto(ret, proto))) as unknown as (...args: unknown[]) => unknown;
  } else {
    native = () => undefined;
  }
  return makeCallOut(cx, f.name, ft, f.paramNames, native, own);
}
