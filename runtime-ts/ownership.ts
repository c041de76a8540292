// What a function's pointers are, borrowed from C or the caller's to release: its pointer result,
// and the pointers C stores through its out-parameters (`T **`). C APIs mix both for one type
// (`x_get` borrows, `x_new` returns a new object or reference; `char *x_dumps()` returns a buffer
// the caller frees; `sqlite3_exec(..., char **errmsg)` stores one), so the declaration is per
// function (and per parameter), made once and applied to every later call:
//
//   lib.cJSON_Print.returns({ owned: lib.cJSON_free });      // string copied, buffer freed at once
//   lib.cJSON_CreateObject.returns({ owned: lib.cJSON_Delete });
//   lib.cJSON_GetObjectItem.returns({ borrowed: true });      // even if cJSON has a destroyWith
//   lib.sqlite3_exec.param('errmsg', { owned: lib.sqlite3_free });  // or param(4, ...)
//   lib.sqlite3_prepare_v2.param('ppStmt', { handle: lib.sqlite3_finalize });
//   load(path, { results: { cJSON_Print: { owned: 'cJSON_free' } },
//                params: { sqlite3_exec: { errmsg: { owned: 'sqlite3_free' } } } });   // by name
//
// An owned proxy is the host's from then on: it is released with the given function once
// neither TypeScript nor C reaches it (like a type's destroyWith, but per function and per value:
// a reference-counted object returned owned twice is released twice). A handle is released as
// soon as TypeScript lets go of its proxy, whatever C refers to it (C may keep it in a registry
// of its own, as sqlite keeps a connection's statements). An owned `char *` is copied to a string
// and released right away. An out-parameter is received in a JS array (marshal.ts);
// only the pointers C stored there during the call (not those the caller passed in) are owned.
// cc-wb-dts writes the declarations given to it into the .d.ts (dts.ts); `fn.$returns` and
// `fn.$params` say what is declared.
import type { CType } from './meta.js';
import { typeName } from './meta.js';

/**
 * A declaration by value: `{ owned: lib.x_free }`, `{ owned: 'free' }`, `{ handle: lib.x_close }`,
 * `{ borrowed: true }`, or null (the default).
 */
export type ResultDeclaration = { owned: Function | string } | { handle: Function | string } | { borrowed: true } | null;

/** A declaration by name, as load()'s `results` option and the .d.ts writer take it. */
export type ResultSpec = { owned: string } | { handle: string } | { borrowed: true };

/** A declaration by value, as param() takes it: the same forms as returns(). */
export type ParamDeclaration = ResultDeclaration;

/** One declaration in force (a result's or an out-parameter's), shared by the function's wrapper and its `$raw` variant. */
export class Ownership {
  /** Called with the pointer's address once the host lets go of an owned value; null when not owned. */
  owner: ((p: bigint) => unknown) | null = null;
  /** A handle: owner is called once TypeScript lets go of the proxy, whatever C still refers to it. */
  handle = false;
  borrowed = false;
  /** The declaration as given (for `fn.$returns`, `fn.$params`). */
  declared: ResultDeclaration = null;
}

/** A function's declarations: its result's, and its out-parameters' by position (only T ** parameters have one). */
export interface FunctionOwnership {
  readonly result: Ownership;
  readonly params: ReadonlyArray<Ownership | undefined>;
}

/** Where a declaration's function names are looked up. */
export interface OwnerResolver {
  /** The library's function called name, or null. */
  functionNamed(name: string): ((...args: unknown[]) => unknown) | null;
  /** C's free as the library calls it (the runtime's, in a library built by cc-wb). */
  free(): (p: bigint) => unknown;
}

/** What returns() accepts for a function whose C result type is described by `result` (null: not a pointer). */
export function declareResult(own: Ownership, decl: unknown, fnName: string, result: string | null, names: OwnerResolver): void {
  const where = `${fnName}.returns()`;
  if (result === null) throw new TypeError(`${where}: its result is not a pointer: there is nothing to own or borrow`);
  declareOwnership(own, decl, where, `${result} results`, names);
}

type FuncType = Extract<CType, { k: 'func' }>;

/**
 * Why parameter i of ft cannot be declared (owned or borrowed), or null if it can: it must be a
 * pointer through which C can store a pointer to data (`char **errmsg`, `struct thing **out`,
 * `void **`), not a function pointer and not const (`char *const *` is read, never written).
 */
export function outParamProblem(ft: FuncType, i: number, name: string): string | null {
  const p = ft.params[i]!;
  const what = `parameter ${i}${name ? ` '${name}'` : ''} (${typeName(p, name)})`;
  if (p.k !== 'ptr' || p.to.k !== 'ptr') return `${what} is not a pointer to a pointer: only an out-parameter through which C stores a pointer (T **) is owned or borrowed`;
  if (p.constTo) return `${what} points to a const pointer: C cannot store through it`;
  if (p.to.to.k === 'func') return `${what} receives a function pointer: there is nothing to own or borrow`;
  return null;
}

/** The index a param() declaration names: a position from 0, or a parameter's name in the metadata. */
export function paramIndex(which: unknown, ft: FuncType, paramNames: readonly string[], where: string): number {
  const n = ft.params.length;
  const list = n === 0 ? 'it has no parameters' : `its parameters are ${ft.params.map((_, i) => `${i}${paramNames[i] ? ` '${paramNames[i]}'` : ''}`).join(', ')}`;
  if (typeof which === 'string') {
    const i = which === '' ? -1 : paramNames.indexOf(which);
    if (i < 0) throw new TypeError(`${where}: no parameter named '${which}' (${list})`);
    return i;
  }
  if (typeof which !== 'number' || !Number.isInteger(which)) throw new TypeError(`${where}: expected a parameter's position (from 0) or its name, got ${typeof which}`);
  if (which < 0 || which >= n) throw new RangeError(`${where}: no parameter ${which} (${list}${ft.variadic || ft.unproto ? '; variadic arguments cannot be declared' : ''})`);
  return which;
}

/**
 * Sets own from a declaration (`where` names the call for messages, `what` the values it
 * releases): shared by returns() and param() (the latter checks its parameter with
 * outParamProblem first).
 */
export function declareOwnership(own: Ownership, decl: unknown, where: string, what: string, names: OwnerResolver): void {
  if (decl === null || decl === undefined) {
    own.owner = null;
    own.handle = false;
    own.borrowed = false;
    own.declared = null;
    return;
  }
  if (typeof decl !== 'object') throw new TypeError(`${where}: expected { owned: fn }, { handle: fn }, { borrowed: true } or null, got ${typeof decl}`);
  const d = decl as { owned?: unknown; handle?: unknown; borrowed?: unknown };
  const forms = (['owned', 'handle', 'borrowed'] as const).filter((k) => k in d);
  if (forms.length > 1) throw new TypeError(`${where}: a pointer is either owned, a handle or borrowed, not ${forms.join(' and ')}`);
  if ('borrowed' in d) {
    if (d.borrowed !== true) throw new TypeError(`${where}: borrowed must be true (use null for the default)`);
    own.owner = null;
    own.handle = false;
    own.borrowed = true;
    own.declared = { borrowed: true };
    return;
  }
  if (forms.length === 0) throw new TypeError(`${where}: expected { owned: fn }, { handle: fn } or { borrowed: true }`);
  const key = forms[0] as 'owned' | 'handle';
  const o = d[key];
  let fn: ((p: bigint) => unknown) | null;
  if (typeof o === 'function') fn = o as (p: bigint) => unknown;
  else if (typeof o === 'string') {
    fn = o === 'free' ? names.free() : (names.functionNamed(o) as ((p: bigint) => unknown) | null);
    if (!fn) throw new TypeError(`${where}: the library has no function named '${o}' to release ${what} with`);
  } else throw new TypeError(`${where}: ${key} must be a function (lib.x_free), a function's name, or 'free', got ${o === null ? 'null' : typeof o}`);
  own.owner = fn;
  own.handle = key === 'handle';
  own.borrowed = false;
  own.declared = (key === 'handle' ? { handle: o } : { owned: o }) as ResultDeclaration;
}

/** A declaration by name as the .d.ts says it. */
export function describeSpec(spec: ResultSpec): string {
  const by = (name: string) => (name === 'free' ? "C's free" : `${name}()`);
  if ('owned' in spec) return `owned: the caller's, released with ${by(spec.owned)} once unreachable`;
  if ('handle' in spec) return `handle: the caller's, released with ${by(spec.handle)} once TypeScript lets go of it`;
  return "borrowed: C's, never released by the host";
}

/** What every function of a library has besides being callable; Self is the function's own type (for chaining). */
export interface FunctionInfo<Self> {
  /** The C prototype: `char *cJSON_Print(const cJSON *item)`. */
  readonly signature: string;
  readonly $addr: number;
  /**
   * Declares, for every later call, what C stores through an out-parameter (`T **`, received in
   * a JS array: `const err = [null]`), named by position from 0 or by name:
   * `{ owned: lib.x_free }` (the caller's: a string is copied and released at once, a proxy is
   * released with that function, or `'free'`, once neither side reaches it), `{ handle: lib.x_close }`
   * (released once TypeScript lets go of the proxy), `{ borrowed: true }` (C's), or null (the
   * default: C's). Returns the function.
   */
  param(which: number | string, decl: ParamDeclaration): Self;
  /** The declarations in force, by parameter position (null: none). */
  readonly $params: readonly ParamDeclaration[];
}

/** A function of a library as TypeScript sees it: callable, with its C signature and address. */
export type CFunction<F extends (...args: never[]) => unknown> = F & FunctionInfo<CFunction<F>>;

/** A function with a pointer result: what the result is can be declared (returns()). */
export type PointerFunction<F extends (...args: never[]) => unknown> = F &
  FunctionInfo<PointerFunction<F>> & {
    /**
     * Declares, for every later call, what the result is: `{ owned: lib.x_free }` (the caller's:
     * released with that function, or `'free'`, once neither side reaches it; a string result is
     * copied and released at once), `{ handle: lib.x_close }` (released once TypeScript lets go of
     * the proxy, whatever C refers to it), `{ borrowed: true }` (C's, even if its type has a
     * destroyWith), or null (the default). Returns the function.
     */
    returns(decl: ResultDeclaration): PointerFunction<F>;
    /** The declaration in force. */
    readonly $returns: ResultDeclaration;
  };
