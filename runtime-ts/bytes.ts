// Byte buffers in C signatures. A callback that receives a chunk (a writer, a reader) gets a
// pointer and its length in two parameters; decoded as a NUL-terminated string, the chunk would
// lose its length and any byte that is not UTF-8. The pair is recognised by type, because the
// metadata has no parameter names for function-pointer types: a pointer to bytes (`char *`,
// `signed char *`, `unsigned char *`, any of them const, or `const void *`) immediately followed
// by a `size_t`. A callback then gets that pointer as a Uint8Array of that length, a view of C's
// memory valid while the callback runs (copy it with slice() to keep it), and the length as usual.
// A plain `void *` is left alone: followed by a size it is as often a user-data pointer or a block
// to reallocate (allocator hooks) as it is bytes.
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

/** Indices of the parameters of ft that a callback receives as Uint8Array (each followed by its length). */
export function byteSpanParams(ft: FuncType): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i + 1 < ft.params.length; i++) if (isBytePointer(ft.params[i]!) && isSizeT(ft.params[i + 1]!)) out.add(i);
  return out;
}
