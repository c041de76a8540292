// One loaded library: its metadata, koffi handle, runtime and memory management, and the parts
// that serve it, made and connected here so that each gets only what it uses:
//
//   Proxies           CTypes; Conversions as a FieldCodec
//   Conversions       CTypes, Proxies; FunctionPointers as a FunctionPointerCodec
//   RecordsByValue    CTypes, Proxies, Conversions
//   call wrappers     a CallSupport: CTypes, Conversions, RecordsByValue (marshal.ts)
//   FunctionPointers  CTypes, the call wrappers, the library's own functions by address
//
// Records hold pointers to records and function pointers take records, so the two codecs are
// connected after the parts exist (the constructor below).
import koffi from 'koffi';
import { RecordsByValue } from './byvalue.js';
import { FunctionPointers } from './callbacks.js';
import { Conversions } from './conversions.js';
import { CTypes } from './ctypes.js';
import type { MemoryHooks } from './hooks.js';
import { bindFunction, signatureOf, type CallSupport } from './marshal.js';
import { symbolOf, typeName, type CType, type FunctionMeta, type LibraryMeta } from './meta.js';
import { readPointerAt } from './memory.js';
import type { NativeRuntime } from './native.js';
import { declareOwnership, declareResult, Ownership, outParamProblem, paramIndex, type FunctionOwnership, type OwnerResolver, type ParamDeclaration, type ResultDeclaration } from './ownership.js';
import { Proxies } from './proxies.js';

export type { MemoryHooks } from './hooks.js';

type KoffiLib = ReturnType<typeof koffi.load>;
type FuncType = Extract<CType, { k: 'func' }>;

export class Lib {
  readonly types: CTypes;
  readonly proxies: Proxies;
  readonly values: Conversions;
  readonly byValue: RecordsByValue;
  readonly pointers: FunctionPointers;
  /** The wrappers of the library's functions, by name (made on first use). */
  readonly functions = new Map<string, (...args: unknown[]) => unknown>();
  private readonly calls: CallSupport;
  private byAddress: Map<number, FunctionMeta> | null = null;
  /** Each function's declarations (returns(), param()), shared by its wrapper and its $raw variant. */
  private readonly owners = new Map<string, FunctionOwnership>();
  private freeFn: ((p: bigint) => unknown) | null = null;

  constructor(
    readonly path: string,
    readonly handle: KoffiLib,
    readonly meta: LibraryMeta,
    readonly runtime: NativeRuntime,
    /** Memory management (heap/'s MemoryManager unless load()'s options chose otherwise). */
    readonly hooks: MemoryHooks,
  ) {
    if (hooks.storePointer) runtime.storePointer = hooks.storePointer.bind(hooks);
    this.types = new CTypes(meta, path);
    this.proxies = new Proxies(this.types, runtime, hooks);
    this.values = new Conversions(this.types, this.proxies, runtime, hooks);
    this.proxies.connect(this.values);
    this.byValue = new RecordsByValue(this.types, this.proxies, this.values, runtime);
    this.calls = { types: this.types, values: this.values, byValue: this.byValue };
    this.pointers = new FunctionPointers(this.types, this.calls, (addr) => this.functionAt(addr));
    this.values.connect(this.pointers);
  }

  /** The library's function f, wrapped (once): a ReferenceError names it if the library lacks it. */
  bind(f: FunctionMeta): (...args: unknown[]) => unknown {
    let fn = this.functions.get(f.name);
    if (fn) return fn;
    let addr: number;
    try {
      addr = this.addressOf(f);
    } catch {
      throw new ReferenceError(`${f.name}: declared at ${f.loc} but not found in ${this.path} (C: ${signatureOf(f.name, f.type, f.paramNames)})`);
    }
    const own = this.ownershipOf(f);
    const bound = bindFunction(this.calls, this.handle, f, f.inline ? addr : undefined, own);
    Object.defineProperty(bound, '$addr', { value: addr });
    Object.defineProperty(bound, 'returns', {
      value: (decl: ResultDeclaration) => {
        this.declareResult(f, decl);
        return bound;
      },
    });
    Object.defineProperty(bound, '$returns', { get: () => own.result.declared });
    Object.defineProperty(bound, 'param', {
      value: (which: number | string, decl: ParamDeclaration) => {
        this.declareParam(f, which, decl);
        return bound;
      },
    });
    Object.defineProperty(bound, '$params', { get: () => own.params.map((p) => p?.declared ?? null) });
    this.functions.set(f.name, bound);
    return bound;
  }

  /** f's declarations: one for its result, one for each parameter that can be declared (outParamProblem). */
  private ownershipOf(f: FunctionMeta): FunctionOwnership {
    let own = this.owners.get(f.name);
    if (!own) {
      const params = f.type.params.map((_, i) => (outParamProblem(f.type, i, '') === null ? new Ownership() : undefined));
      this.owners.set(f.name, (own = { result: new Ownership(), params }));
    }
    return own;
  }

  /** Where declarations find the functions they name. */
  private readonly resolver: OwnerResolver = {
    functionNamed: (name) => {
      const g = this.meta.functions.get(name);
      return g ? this.bind(g) : null;
    },
    free: () => this.cFree(),
  };

  /** What f's pointer result is, from now on (ownership.ts). */
  declareResult(f: FunctionMeta, decl: unknown): void {
    const ret = f.type.ret;
    const described = ret.k === 'ptr' && ret.to.k !== 'func' ? typeName(ret) : null;
    declareResult(this.ownershipOf(f).result, decl, f.name, described, this.resolver);
  }

  /** What C stores through f's out-parameter `which` (a position from 0 or a name) is, from now on (ownership.ts). */
  declareParam(f: FunctionMeta, which: unknown, decl: unknown): void {
    const where = `${f.name}.param(${typeof which === 'string' ? `'${which}'` : String(which)})`;
    const i = paramIndex(which, f.type, f.paramNames, where);
    const name = f.paramNames[i] ?? '';
    const why = outParamProblem(f.type, i, name);
    if (why !== null) throw new TypeError(`${where}: ${why} (C: ${signatureOf(f.name, f.type, f.paramNames)})`);
    declareOwnership(this.ownershipOf(f).params[i]!, decl, where, `what ${name || `parameter ${i}`} receives`, this.resolver);
  }

  /** C's free as the library's code calls it: the runtime's (cc-wb renames free), else libc's. */
  private cFree(): (p: bigint) => unknown {
    if (!this.freeFn) {
      let native: (p: number) => unknown;
      try {
        native = this.handle.func('void __wb_free(uintptr_t p)') as unknown as typeof native;
      } catch {
        native = koffi.load('libc.so.6').func('void free(uintptr_t p)') as unknown as typeof native;
      }
      this.freeFn = (p) => native(Number(p));
    }
    return this.freeFn;
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
    return bindFunction(this.calls, this.handle, { ...f, type: ft, name: f.name }, addr, this.ownershipOf(f));
  }

  /** The address of f: its symbol's, or for a header's inline function the instance its pointer holds. */
  private addressOf(f: FunctionMeta): number {
    const at = Number(this.handle.symbol(symbolOf(f)));
    return f.inline ? readPointerAt(at) : at;
  }

  /** The library's own function at addr, wrapped (so a pointer to it is that very function). */
  private functionAt(addr: number): ((...args: unknown[]) => unknown) | null {
    if (!this.byAddress) {
      this.byAddress = new Map();
      for (const f of this.meta.functions.values()) {
        if (!f.def) continue;
        try {
          this.byAddress.set(this.addressOf(f), f);
        } catch {
          // not exported (hidden visibility)
        }
      }
    }
    const f = this.byAddress.get(addr);
    return f ? this.bind(f) : null;
  }
}
