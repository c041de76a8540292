// What a function's pointer result is: borrowed from C, or the caller's to release. C APIs mix
// both for one type (`x_get` borrows, `x_new` returns a new object or reference; `char *x_dumps()`
// returns a buffer the caller frees), so the declaration is per function, made once and applied
// to every later call:
//
//   lib.cJSON_Print.returns({ owned: lib.cJSON_free });      // string copied, buffer freed at once
//   lib.cJSON_CreateObject.returns({ owned: lib.cJSON_Delete });
//   lib.cJSON_GetObjectItem.returns({ borrowed: true });      // even if cJSON has a destroyWith
//   load(path, { results: { cJSON_Print: { owned: 'cJSON_free' } } });   // the same, by name
//
// An owned proxy result is the host's from then on: it is released with the given function once
// neither TypeScript nor C reaches it (like a type's destroyWith, but per function and per result:
// a reference-counted object returned owned twice is released twice). An owned `char *` result
// is copied to a string and released right away. cc-wb-dts writes the declarations given to it
// into the .d.ts (dts.ts), and `fn.$returns` says what is declared.

/** A declaration by value: `{ owned: lib.x_free }`, `{ owned: 'free' }`, `{ borrowed: true }`, or null (the default). */
export type ResultDeclaration = { owned: Function | string } | { borrowed: true } | null;

/** A declaration by name, as load()'s `results` option and the .d.ts writer take it. */
export type ResultSpec = { owned: string } | { borrowed: true };

/** One function's current declaration, shared by its wrapper and its `$raw` variant. */
export class ResultOwnership {
  /** Called with the result's address once the host lets go of an owned result; null when not owned. */
  owner: ((p: bigint) => unknown) | null = null;
  borrowed = false;
  /** The declaration as given (for `fn.$returns`). */
  declared: ResultDeclaration = null;
}

/** Where a declaration's function names are looked up. */
export interface OwnerResolver {
  /** The library's function called name, or null. */
  functionNamed(name: string): ((...args: unknown[]) => unknown) | null;
  /** C's free as the library calls it (the runtime's, in a library built by cc-wb). */
  free(): (p: bigint) => unknown;
}

/** What returns() accepts for a function whose C result type is described by `result` (null: not a pointer). */
export function declareResult(own: ResultOwnership, decl: unknown, fnName: string, result: string | null, names: OwnerResolver): void {
  const where = `${fnName}.returns()`;
  if (result === null) throw new TypeError(`${where}: its result is not a pointer: there is nothing to own or borrow`);
  if (decl === null || decl === undefined) {
    own.owner = null;
    own.borrowed = false;
    own.declared = null;
    return;
  }
  if (typeof decl !== 'object') throw new TypeError(`${where}: expected { owned: fn }, { owned: 'name' }, { borrowed: true } or null, got ${typeof decl}`);
  const d = decl as { owned?: unknown; borrowed?: unknown };
  if ('owned' in d && 'borrowed' in d) throw new TypeError(`${where}: a result is either owned or borrowed, not both`);
  if ('borrowed' in d) {
    if (d.borrowed !== true) throw new TypeError(`${where}: borrowed must be true (use null for the default)`);
    own.owner = null;
    own.borrowed = true;
    own.declared = { borrowed: true };
    return;
  }
  if (!('owned' in d)) throw new TypeError(`${where}: expected { owned: fn } or { borrowed: true }`);
  const o = d.owned;
  let fn: ((p: bigint) => unknown) | null;
  if (typeof o === 'function') fn = o as (p: bigint) => unknown;
  else if (typeof o === 'string') {
    fn = o === 'free' ? names.free() : (names.functionNamed(o) as ((p: bigint) => unknown) | null);
    if (!fn) throw new TypeError(`${where}: the library has no function named '${o}' to release ${result} results with`);
  } else throw new TypeError(`${where}: owned must be a function (lib.x_free), a function's name, or 'free', got ${o === null ? 'null' : typeof o}`);
  own.owner = fn;
  own.borrowed = false;
  own.declared = { owned: o as Function | string };
}

/** A declaration by name as the .d.ts says it. */
export function describeSpec(spec: ResultSpec): string {
  return 'owned' in spec ? `owned: the caller's, released with ${spec.owned === 'free' ? "C's free" : `${spec.owned}()`} once unreachable` : "borrowed: C's, never released by the host";
}

/** A function of a library as TypeScript sees it: callable, with its C signature and address. */
export type CFunction<F extends (...args: never[]) => unknown> = F & {
  /** The C prototype: `char *cJSON_Print(const cJSON *item)`. */
  readonly signature: string;
  readonly $addr: number;
};

/** A function with a pointer result: what the result is can be declared (returns()). */
export type PointerFunction<F extends (...args: never[]) => unknown> = CFunction<F> & {
  /**
   * Declares, for every later call, what the result is: `{ owned: lib.x_free }` (the caller's:
   * released with that function, or `'free'`, once neither side reaches it; a string result is
   * copied and released at once), `{ borrowed: true }` (C's, even if its type has a destroyWith),
   * or null (the default). Returns the function.
   */
  returns(decl: ResultDeclaration): PointerFunction<F>;
  /** The declaration in force. */
  readonly $returns: ResultDeclaration;
};
