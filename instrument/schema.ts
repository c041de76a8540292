// The metadata format cc-wb links into every library (section `wb_meta`): written by the pass
// (instrument/metadata.ts), read by the host (runtime-ts/meta.ts), which imports it from here.
//
// Each translation unit contributes one blob to the section:
//
//   u64 magic ("WBMETA01" little-endian), u64 size (sizeof the blob, a multiple of 8)
//   u64 nwords, words_off, json_len, json_off, ndoubles, doubles_off
//   u64 w[nwords]       constants the compiler evaluated (sizeof, offsetof, enum values, kinds)
//   double d[ndoubles]  floating macro values
//   char json[json_len] the unit's description (RawUnit), whose numbers index w[]
//   ...                 bit-field images and string-macro bytes, located through w[]
//
// Blobs are 8-aligned; the linker may leave zero padding between them.

/** Index into the unit's word table. */
export type W = number;

/**
 * A type as written in the source, with leaves the compiler classified:
 * ['v'] void · ['p', kindWord, spelling] arithmetic (or unknown, kind 0) · ['t', typedefName] ·
 * ['r', recordKey] · ['e', enumKey] · ['*', pointee, pointeeIsConst] ·
 * ['[', element, lengthWord | null] · ['f', ret, params, variadic, unprototyped] · ['o', spelling] opaque.
 */
export type RawType =
  | ['v']
  | ['p', W, string]
  | ['t', string]
  | ['r', string]
  | ['e', string]
  | ['*', RawType, 0 | 1]
  | ['[', RawType, W | null]
  | ['f', RawType, RawType[], 0 | 1, 0 | 1]
  | ['o', string];

export interface RawField {
  n: string;
  t: RawType;
  /** offsetof word; null for bit-fields (see `bits`) and fields the compiler could not place. */
  off: W | null;
  /** Bit-field: word holding the offset of an image of the record with only this field set to ones. */
  img?: W;
}

export interface RawRecord {
  key: string; // 'struct tag', 'union tag', or 'anon <file>:<line>:<col>' for untagged records
  union: 0 | 1;
  tag?: string;
  names?: string[]; // typedef names that denote this record directly
  complete: 0 | 1;
  size?: W;
  align?: W;
  fields?: RawField[];
  /** The record's last member is a flexible array (its length is not in `size`). */
  fam?: 0 | 1;
  loc: string;
  sys: 0 | 1;
}

export interface RawEnum {
  key: string;
  tag?: string;
  names?: string[];
  kind: W; // kind code of the enum's compatible integer type
  values: Array<[string, W, W]>; // name, value (u64 bits), negative flag
  loc: string;
  sys: 0 | 1;
}

export interface RawTypedef {
  n: string;
  t: RawType;
  sys: 0 | 1;
}

export interface RawFunction {
  n: string;
  t: RawType; // ['f', ...]
  pn: string[]; // parameter names ('' when unnamed)
  def: 0 | 1; // defined in this unit (1) or only declared (0)
  loc: string;
  /** A `static inline` function of one of the library's own headers: callable through INLINE_SYMBOL_PREFIX + n. */
  inl?: 1;
}

/**
 * A `static inline` function `f` of a library's own header has no symbol of its own; a unit compiled
 * for a shared object that defines it also defines `const` function pointer `__wb_inline_f` (weak,
 * default visibility: one per library whichever units define it) holding the address of its
 * out-of-line instance. The host calls `f` through it.
 */
export const INLINE_SYMBOL_PREFIX = '__wb_inline_';

export interface RawGlobal {
  n: string;
  t: RawType;
  def: 0 | 1;
  ro: 0 | 1; // const-qualified
  loc: string;
}

export interface RawMacro {
  n: string;
  /** Arithmetic: value bits, negative flag, float flag words, and the index of its double. */
  i?: [W, W, W, number];
  /** String: offset word and size word (including the terminating NUL) of its bytes in the blob. */
  s?: [W, W];
  loc: string;
}

export interface RawUnit {
  v: 1;
  file: string;
  env: { long: W; ldouble: W; ptr: W; charSigned: W };
  records: RawRecord[];
  enums: RawEnum[];
  typedefs: RawTypedef[];
  functions: RawFunction[];
  globals: RawGlobal[];
  macros: RawMacro[];
}

/**
 * The arithmetic kinds, in code order (a kind's code is its index): each with the C type the
 * writer's _Generic tests for it (kindGeneric), or null for a code the writer does not assign.
 */
const KIND_TABLE = [
  ['other', null], // not an arithmetic type (the _Generic's default)
  ['char', 'char'],
  ['schar', 'signed char'],
  ['uchar', 'unsigned char'],
  ['short', 'short'],
  ['ushort', 'unsigned short'],
  ['int', 'int'],
  ['uint', 'unsigned int'],
  ['long', 'long'],
  ['ulong', 'unsigned long'],
  ['llong', 'long long'],
  ['ullong', 'unsigned long long'],
  ['float', 'float'],
  ['double', 'double'],
  ['ldouble', 'long double'],
  ['bool', '_Bool'],
  ['int128', null],
  ['uint128', null],
] as const;

export type KindName = (typeof KIND_TABLE)[number][0];

/** Kind codes the compiler assigns through _Generic (0 = not an arithmetic type). */
export const KIND = Object.freeze(Object.fromEntries(KIND_TABLE.map(([name], code) => [name, code]))) as { readonly [K in KindName]: number };

/** The C expression (evaluated by the compiler) giving the kind code of an lvalue's type. */
export function kindGeneric(lvalue: string): string {
  const cases = KIND_TABLE.flatMap(([, type], code) => (type === null ? [] : [`${type}: ${code}`]));
  return `__extension__ _Generic(${lvalue}, ${cases.join(', ')}, default: ${KIND.other})`;
}

export const META_MAGIC = 0x3130_4154_454d_4257n; // "WBMETA01" read as a little-endian u64
export const META_SECTION = 'wb_meta';
