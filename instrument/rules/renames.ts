// Uses of libc's memory functions (and their GCC builtins) in user code go through the
// runtime's versions (`memcpy` -> `__wb_memcpy`): they copy, free or allocate memory that may hold
// pointers. Every use does, not only calls: a library with a pluggable allocator keeps `malloc`
// and `free` as values (`static void (*do_free)(void *) = free;`), and what it later calls through
// them must be the runtime's too. A unit's own function of that name, one it declares with a
// return type unlike libc's, a variable of that name, and a name the unit never declared are
// something else and keep their names: an undeclared `strdup` must stay an implicit declaration,
// as it is for gcc, or configure's declaration checks would answer differently under cc-wb.
import type { Node } from '../parse.js';
import { kindOf, resolved, type CType } from '../ctype.js';
import type { VarInfo } from './store-decision.js';
import { textMarks, type TextMarks } from '../text-marks.js';

/** libc (and GCC builtin) names whose uses in user code go through the runtime. */
export const RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map(
  [
    ['memcpy', '__wb_memcpy'],
    ['memmove', '__wb_memmove'],
    ['mempcpy', '__wb_mempcpy'],
    ['memset', '__wb_memset'],
    ['bzero', '__wb_bzero'],
    ['explicit_bzero', '__wb_explicit_bzero'],
    ['bcopy', '__wb_bcopy'],
    ['qsort', '__wb_qsort'],
    ['malloc', '__wb_malloc'],
    ['calloc', '__wb_calloc'],
    ['realloc', '__wb_realloc'],
    ['reallocarray', '__wb_reallocarray'],
    ['aligned_alloc', '__wb_aligned_alloc'],
    ['memalign', '__wb_memalign'],
    ['posix_memalign', '__wb_posix_memalign'],
    ['valloc', '__wb_valloc'],
    ['strdup', '__wb_strdup'],
    ['strndup', '__wb_strndup'],
    ['free', '__wb_free'],
    ['getline', '__wb_getline'],
    ['getdelim', '__wb_getdelim'],
  ].flatMap(([name, abi]) => [
    [name!, abi!],
    ['__builtin_' + name!, abi!],
  ]),
);

const renamedNames = [...RENAMED_FUNCTIONS.keys()].filter((n) => !n.startsWith('__builtin_'));
// An assignment operator (not ==, <=, >=, !=), ++, --, or a name the pass renames.
/** Cheap text test for a statement: can it contain a store or a renamed name at all? */
export const mayStoreOrCall = new RegExp(`(?:^|[^=!<>])=(?!=)|\\+\\+|--|\\b(?:__builtin_)?(?:${renamedNames.join('|')})\\b`);
/**
 * Where walking an expression, a declaration or a condition can find something: a store of any
 * operator, `++`/`--`, a renamed name, a statement expression's block.
 */
export function storeCallOrBlockMarks(text: string, start: number, end: number): TextMarks {
  return textMarks(text, { chars: '={', doubled: '+-', words: RENAMED_FUNCTIONS.keys() }, start, end);
}
/** Cheap text test for a stretch of code: can it hold anything to rewrite (a store of any operator, `++`/`--`, a renamed name)? */
export const mayRewrite = new RegExp(`=|\\+\\+|--|\\b(?:__builtin_)?(?:${renamedNames.join('|')})\\b`);
/** Cheap text test for an initializer: can it name a renamed function at all? */
export const mayNameRenamed = new RegExp(`\\b(?:__builtin_)?(?:${renamedNames.join('|')})\\b`);

/**
 * Whether a use of `name` (a key of RENAMED_FUNCTIONS) means libc's function, given what the
 * name's innermost declaration in scope is (`declared`, undefined when it has none). A `__builtin_`
 * spelling always does. A plain name does only where the unit has declared it as a function (a libc
 * header's prototype or the user's own) and not as an object: a file-scope `static void (*free)(void
 * *)` is the program's own. The caller has already excluded functions the unit defines itself.
 */
export function meansLibcFunction(name: string, declared: VarInfo | undefined): boolean {
  if (name.startsWith('__builtin_')) return true;
  if (!declared || declared.local) return false;
  // 'unknown': declared through something the type model does not read (`__typeof__(free) free;`).
  const kind = kindOf(declared.type);
  return kind === 'func' || kind === 'unknown';
}

/** Whether `id` is what a call calls, through parentheses: `free(p)`, `(free)(p)`. */
export function isCallee(id: Node): boolean {
  let n = id;
  while (n.parent?.type === 'parenthesized_expression') n = n.parent;
  const call = n.parent;
  return call?.type === 'call_expression' && call.childForFieldName('function')?.id === n.id;
}

/**
 * The text that replaces `name` used as a value (an initializer, an argument, `&free`, a table
 * entry) rather than called: the runtime's function seen through the type of the unit's own
 * declaration of `name`. The types may differ (the runtime's `__wb_getline` takes `void *` for the
 * stream, a K&R `char *malloc();` returns `char *`), and the conversion keeps the expression's type
 * exactly what it was, so initializers, comparisons and `_Generic` read as in the original. It is
 * an address constant, valid in static initializers. `__builtin_` names have no address and stay
 * plain.
 */
export function routedValue(name: string, abi: string): string {
  if (name.startsWith('__builtin_')) return abi;
  return `(*(__typeof__(&${name}))&${abi})`;
}

/** libc's return type shape for a renamed function: 'ptr', 'void' or 'int'. */
function libcReturnKind(name: string): 'ptr' | 'void' | 'int' {
  const base = name.replace(/^__builtin_/, '');
  if (base === 'posix_memalign' || base === 'getline' || base === 'getdelim') return 'int';
  if (base === 'free' || base === 'bzero' || base === 'explicit_bzero' || base === 'bcopy' || base === 'qsort') return 'void';
  return 'ptr';
}

/** Whether a declaration of a renamed name can be libc's (its return type, where known, has libc's shape). */
export function returnKindMatchesLibc(name: string, declared: CType): boolean {
  const fn = resolved(declared);
  if (fn.k !== 'func') return false;
  const ret = kindOf(fn.ret);
  const kind = ret === 'ptr' ? 'ptr' : ret === 'void' ? 'void' : ret === 'arith' ? 'int' : 'unknown';
  return kind === 'unknown' || kind === libcReturnKind(name);
}

/** The copies and fills that keep a barriered builtin form when they write into one scalar object. */
const scalarCopyFunctions = new Set(['memcpy', '__builtin_memcpy', 'memmove', '__builtin_memmove', 'memset', '__builtin_memset']);

/**
 * `memcpy(&x, p, sizeof x)` with `x` of arithmetic type is how C does unaligned and type-punned
 * loads. Within x's own size it cannot overwrite or create a pointer any more than `x = ...` can,
 * and the builtin keeps it a single load in the hot loops of compressors; but the size is what
 * decides (`memcpy(&n->v, src, sizeof *n)` also overwrites n's pointer fields), so the call keeps
 * a barrier form that the compiler reduces to the builtin only for a constant size within x.
 * Returns x and the argument list, or null; `isArithmeticObject` tells whether x has arithmetic type.
 */
export function copyIntoScalar(id: Node, isArithmeticObject: (object: Node) => boolean): { object: Node; args: Node } | null {
  const call = id.parent;
  if (call?.type !== 'call_expression' || call.childForFieldName('function')?.id !== id.id) return null;
  if (!scalarCopyFunctions.has(id.text)) return null;
  const args = call.childForFieldName('arguments');
  if (!args || args.namedChildren.length !== 3) return null;
  let dst: Node | null = args.namedChildren[0] ?? null;
  while (dst && (dst.type === 'parenthesized_expression' || dst.type === 'cast_expression')) {
    dst = dst.type === 'cast_expression' ? dst.childForFieldName('value') : (dst.namedChildren[0] ?? null);
  }
  if (dst?.type !== 'pointer_expression' || dst.child(0)?.type !== '&') return null;
  const object = dst.childForFieldName('argument');
  // Its text is repeated in a sizeof: one line, no comment, so nothing moves or gets swallowed.
  if (!object || /[\n/]/.test(object.text)) return null;
  return isArithmeticObject(object) ? { object, args } : null;
}
