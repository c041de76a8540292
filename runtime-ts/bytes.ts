// Byte buffers in callback signatures. A callback that receives a chunk (a writer, a reader, a
// parser's text) gets a pointer and its length in two parameters; decoded as a NUL-terminated
// string, the chunk would lose its length and any byte that is not UTF-8, and a chunk with no NUL
// after it would be read past its end. The metadata has no parameter names for function-pointer
// types, so pairs are found from parameter types alone:
//
// - Recognised by type: a pointer to bytes (`char *`, `signed char *`, `unsigned char *`, any of
//   them const, or `const void *`) immediately followed by a `size_t`. A size_t after a buffer is
//   a size in every API we know of. A plain `void *` is left alone: followed by a size it is as
//   often user data or a block an allocator hook reallocates as it is bytes.
// - Declared: a byte pointer followed by an `int`, `unsigned` or any other integer (`lib.$byteSpans`,
//   load()'s `byteSpans`; `$textSpans`/`textSpans` for text, decoded as UTF-8). Types alone cannot tell `(const char *s, int len)` (expat's text, libxml2's
//   characters) from `(const char *name, int type)` (libxml2's attributeDecl) or
//   `(const char *msg, int level)` (a logger): the second kind would become a view of `type` bytes,
//   wrong and possibly past the end of the string. So an int length is taken only where the user
//   says so, per function-pointer type (its typedef name).
//
// A callback gets the pointer of a pair as a Uint8Array of that length, a view of C's memory valid
// while the callback runs (copy it with slice() to keep it), or for a text span the string those
// bytes hold (UTF-8, NULs included), and the length as usual.
import type { CType } from './meta.js';

type FuncType = Extract<CType, { k: 'func' }>;

/** `char *`, `signed char *`, `unsigned char *` (const or not), or `const void *`. */
export function isBytePointer(t: CType): boolean {
  if (t.k !== 'ptr') return false;
  const to = t.to;
  if (to.k === 'int') return to.size === 1 && !to.bool;
  return to.k === 'void' && t.constTo;
}

function isSizeT(t: CType): boolean {
  // A system typedef keeps its name ('size_t'); a user's typedef of it is an alias.
  return t.k === 'int' && (t.name === 'size_t' || t.alias === 'size_t');
}

/** An integer type a declared length may have (not _Bool, not a character type). */
function isLengthType(t: CType): boolean {
  return t.k === 'int' && !t.bool && !t.char && t.size >= 2;
}

/**
 * Why parameter i of ft cannot be a declared byte span (a byte pointer followed by an integer
 * length), or null if it can.
 */
export function byteSpanProblem(ft: FuncType, i: number): string | null {
  if (!Number.isInteger(i) || i < 0 || i + 1 >= ft.params.length) return `parameter ${i} must be followed by a length parameter (the function has ${ft.params.length})`;
  if (!isBytePointer(ft.params[i]!)) return `parameter ${i} is not a pointer to bytes (char, signed char, unsigned char or const void)`;
  if (!isLengthType(ft.params[i + 1]!)) return `parameter ${i + 1} is not an integer length`;
  return null;
}

/** How a callback receives a span: a Uint8Array view, or its bytes decoded as UTF-8. */
export type SpanKind = 'bytes' | 'text';

/**
 * The parameters of ft that a callback receives as spans (each followed by its length), by
 * index: the (bytes, size_t) pairs as bytes unless declared otherwise, and the declared ones
 * (checked with byteSpanProblem).
 */
export function spanParams(ft: FuncType, declared: ReadonlyMap<number, SpanKind> = new Map()): Map<number, SpanKind> {
  const out = new Map<number, SpanKind>();
  for (let i = 0; i < ft.params.length; i++) {
    const kind = declared.get(i) ?? (i + 1 < ft.params.length && isBytePointer(ft.params[i]!) && isSizeT(ft.params[i + 1]!) ? 'bytes' : undefined);
    if (kind) out.set(i, kind);
  }
  return out;
}

/** Indices of the parameters of ft that a callback receives as Uint8Array with no declaration. */
export function byteSpanParams(ft: FuncType): number[] {
  return [...spanParams(ft).keys()];
}
