// tree-sitter-c knows ISO C and a little GNU C; real preprocessed units are full of GNU C.
// Instead of forking the grammar, we parse a *copy* of the text in which each GNU construct the
// grammar rejects is replaced by something of exactly the same length that it accepts and that
// means the same to the analysis. Offsets stay valid, so every edit computed on the copy applies
// to the original text, which the compiler sees unchanged. Comments (the unit may be preprocessed
// with -C) are blanked in the copy first.
import { blankComments, scanLayout } from './comments.js';

export interface Normalized {
  text: string;
  /** Ends of blanked `__real__`/`__imag__` keywords: an lvalue starting right after one is part of a complex number. */
  complexPartEnds: Set<number>;
  /** Start offsets of `typeof(...)` specifiers replaced by a placeholder type name. */
  typeofStarts: Set<number>;
}

export const TYPEOF_PLACEHOLDER_PREFIX = '__wbty';

const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
const isIdentChar = (c: number) => isIdentStart(c) || (c >= 48 && c <= 57);

const renameTo: ReadonlyMap<string, string> = new Map(Object.entries({
  __inline: 'inline',
  __inline__: 'inline',
  __const: 'const',
  __const__: 'const',
  __volatile: 'volatile',
  __volatile__: 'volatile',
  __signed: 'signed',
  __signed__: 'signed',
  __restrict: 'restrict',
  __restrict__: 'restrict',
  _Thread_local: 'static',
  __thread: 'static',
  __int128: 'long',
  _Noreturn: '',
  __extension__: '',
  _Complex: '',
  __complex__: '',
  __complex: '',
}));

const asmWords = new Set(['asm', '__asm', '__asm__']);
const asmQualifiers = new Set(['volatile', '__volatile', '__volatile__', 'inline', '__inline', '__inline__', 'goto']);
const complexPart = new Set(['__real__', '__imag__', '__real', '__imag']);
const blankWithParens = new Set(['__attribute__', '__attribute', '__declspec']);
const typeofWords = new Set(['typeof', '__typeof__', '__typeof', 'typeof_unqual', '__typeof_unqual__']);
const alignofWords = new Set(['__alignof__', '__alignof', '_Alignof', 'alignof']);
const blankArgsWords = new Set(['__builtin_offsetof', '__builtin_types_compatible_p', '__builtin_convertvector', '__builtin_bit_cast']);

/** The parse copy, edited in place. The text is Latin-1 (one char per byte), so bytes suffice. */
class Buffer {
  private readonly bytes: Uint8Array;
  constructor(text: string) {
    this.bytes = globalThis.Buffer.from(text, 'latin1');
  }
  blank(start: number, end: number): void {
    for (let i = start; i < end; i++) if (this.bytes[i] !== 10) this.bytes[i] = 32;
  }
  /** Whitespace in the parse copy (directive lines are blank there). */
  isBlank(i: number): boolean {
    const c = this.bytes[i]!;
    return c === 32 || c === 10 || c === 9 || c === 13;
  }
  put(start: number, end: number, replacement: string): void {
    // Same length by construction: pad with spaces.
    for (let i = start; i < end; i++) this.bytes[i] = i - start < replacement.length ? replacement.charCodeAt(i - start) : 32;
  }
  toString(): string {
    return globalThis.Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length).toString('latin1');
  }
}

/** Skips a string or character literal starting at `i` (which holds the quote); returns the index after it. */
export function skipQuoted(text: string, i: number): number {
  const quote = text.charCodeAt(i);
  i++;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i += 2;
    else if (c === quote || c === 10) return i + 1;
    else i++;
  }
  return i;
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Given `open` at a '(' , returns the index of the matching ')' (or text.length). */
function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      i = skipQuoted(text, i) - 1;
    } else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return text.length;
}

/** Whether the parentheses at `open` hold exactly one struct or union definition: `(struct t { ... })`. */
function isRecordDefinitionInParens(text: string, open: number): boolean {
  const close = matchParen(text, open);
  const inner = text.slice(open + 1, close);
  const head = /^\s*(?:struct|union)\b[^{};()]*\{/.exec(inner);
  if (!head) return false;
  let depth = 0;
  for (let k = head[0].length - 1; k < inner.length; k++) {
    const ch = inner[k]!;
    if (ch === '"' || ch === "'") k = skipQuoted(inner, k) - 1;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return inner.slice(k + 1).trim() === '';
  }
  return false;
}

/** First top-level ',' between open '(' and its close, or -1. */
function topLevelComma(text: string, open: number, close: number): number {
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") i = skipQuoted(text, i) - 1;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) return i;
  }
  return -1;
}

/** Keywords that may start a file-scope declaration without being its type. */
const declarationPrefixes = new Set(['static', 'extern', 'inline', '__inline', '__inline__', 'const', '__const', 'volatile', '__volatile__', 'register', '_Noreturn', '_Thread_local', '__thread', 'auto']);
const notImplicitInt = new Set(['__asm__', '__asm', 'asm', '_Static_assert', 'static_assert', 'sizeof', 'typeof', '__typeof__', '__typeof', '__attribute__', '__attribute', '__extension__', '__declspec']);

const typeKeywords = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool', 'struct', 'union', 'enum', '__int128', '__signed__', '__signed', '_Complex', '__complex__', '_Atomic']);

const tagKeywords = new Set(['struct', 'union', 'enum']);

const transparentWords = new Set(['__attribute__', '__attribute', '__extension__', '__declspec', '_Noreturn']);

/** Tracks whether the scan is at the start of a file-scope declaration, before any type. */
class FileScope {
  private braces = 0;
  private parens = 0;
  private start = true;
  /** True right after a ')' that closed the outermost parenthesis at file scope. */
  atFileScopeParenEnd(): boolean {
    return this.braces === 0 && this.parens === 0;
  }
  atDeclarationStart(): boolean {
    return this.start && this.braces === 0 && this.parens === 0;
  }
  private lastToken = '';
  /** The token before the '(' of the current (or last) outermost parenthesis group at file scope. */
  opener = '';
  /** Where the last storage-class/inline keyword of the current declaration starts, or -1. */
  prefixAt = -1;
  prefixWord = '';
  /** The same for a declaration at the start of a statement inside a function (`static n = 0;`). */
  private blockStart = false;
  blockPrefixAt = -1;
  blockPrefixWord = '';
  atBlockDeclarationStart(): boolean {
    return this.blockStart && this.braces > 0 && this.parens === 0;
  }
  /** The token before lastToken, and for each open brace whether it opened a type body or an initializer. */
  private beforeLast = '';
  private readonly braceKinds: boolean[] = [];
  word(w: string, at: number): void {
    if (!transparentWords.has(w)) {
      this.beforeLast = this.lastToken;
      this.lastToken = w;
    }
    if (this.braces > 0 && this.parens === 0 && !transparentWords.has(w)) {
      if (this.blockStart && declarationPrefixes.has(w)) {
        this.blockPrefixAt = at;
        this.blockPrefixWord = w;
      } else this.blockStart = false;
    }
    if (this.braces !== 0 || this.parens !== 0) return;
    if (transparentWords.has(w)) return; // attributes say nothing about where the type is
    if (declarationPrefixes.has(w)) {
      if (this.start) {
        this.prefixAt = at;
        this.prefixWord = w;
      }
    } else this.start = false;
  }
  punct(c: string): void {
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') return;
    if (c === '(' && this.braces === 0 && this.parens === 0) this.opener = this.lastToken;
    // `struct a {...} static g;`: the storage class may follow the type, so the end of a type's
    // body (or of an initializer) is not the start of a declaration; the end of a function body is.
    let endsTypeBody = false;
    if (c === '{') {
      const last = this.lastToken;
      this.braceKinds.push(tagKeywords.has(last) || (tagKeywords.has(this.beforeLast) && /^[A-Za-z_$]/.test(last)) || last === '=');
      this.braces++;
    } else if (c === '}') {
      this.braces--;
      endsTypeBody = this.braceKinds.pop() ?? false;
      if (this.braces === 0 && this.parens === 0 && !endsTypeBody) this.start = true;
    } else if (c === '(') this.parens++;
    else if (c === ')') this.parens--;
    else if (c === ';' && this.braces === 0 && this.parens === 0) this.start = true;
    if (this.start) this.prefixAt = -1;
    this.beforeLast = this.lastToken;
    this.lastToken = c;
    if (endsTypeBody) this.blockStart = false; // `struct b {...} static h;` in a block, as above
    else if (this.parens === 0 && (c === ';' || c === '{' || c === '}')) {
      this.blockStart = true;
      this.blockPrefixAt = -1;
    }
  }
}

/**
 * @param directiveLines the unit's directive lines (LineMap has them), blanked in the copy
 * @param comments its comments (LineMap has them; found here when not given), blanked in the copy
 *   before anything else looks at it, so no rule below ever sees a word or quote inside a comment
 */
export function normalize(original: string, directiveLines: Array<[number, number]>, comments?: Array<[number, number]>): Normalized {
  const text = blankComments(original, comments ?? scanLayout(original).comments);
  const out = new Buffer(text);
  const top = new FileScope();
  const complexPartEnds = new Set<number>();
  const typeofStarts = new Set<number>();
  for (const [s, e] of directiveLines) out.blank(s, e);
  const directiveStart = new Map(directiveLines.map(([s, e]) => [s, e]));

  let i = 0;
  let atLineStart = true;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (atLineStart && c === 35) {
      const end = directiveStart.get(i);
      if (end !== undefined) {
        i = end;
        continue;
      }
    }
    atLineStart = c === 10;
    if (c === 34 || c === 39) {
      i = skipQuoted(text, i);
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < text.length && isIdentChar(text.charCodeAt(j))) j++;
      const word = text.slice(i, j);
      const next = skipSpace(text, j);
      // `f (x)` at the start of a declaration is an implicit-int function unless `f` is a type
      // (a keyword, or a typedef name before a parenthesised declarator such as `T (*fp)(void)`).
      const afterParen = text[skipSpace(text, next + 1)];
      const inBlock = top.atBlockDeclarationStart();
      const prefixAt = inBlock ? top.blockPrefixAt : top.prefixAt;
      const prefixWord = inBlock ? top.blockPrefixWord : top.prefixWord;
      const afterWord = text[next];
      const implicitIntVariable =
        (top.atDeclarationStart() || inBlock) && prefixAt >= 0 && (afterWord === '=' || afterWord === ';' || afterWord === ',' || afterWord === '[') && !typeKeywords.has(word) && !declarationPrefixes.has(word) && !notImplicitInt.has(word) && !renameTo.has(word);
      const implicitInt =
        implicitIntVariable || top.atDeclarationStart() && text[next] === '(' && !notImplicitInt.has(word) && !typeKeywords.has(word) && !renameTo.has(word) && afterParen !== '*' && afterParen !== '(' && afterParen !== '^';
      top.word(word, i);
      if (renameTo.has(word)) {
        out.put(i, j, renameTo.get(word)!);
      } else if (asmWords.has(word)) {
        // asm statements, asm labels on declarations and register-variable asm: the analysis
        // needs none of them (the operands are not stores it can barrier), so they vanish.
        let k = next;
        for (;;) {
          const m = /^[A-Za-z_]\w*/.exec(text.slice(k, k + 16));
          if (!m || !asmQualifiers.has(m[0])) break;
          k = skipSpace(text, k + m[0].length);
        }
        if (text[k] === '(') {
          const close = matchParen(text, k);
          out.blank(i, close + 1);
          i = close + 1;
          continue;
        }
      } else if (complexPart.has(word)) {
        out.blank(i, j);
        complexPartEnds.add(next);
      } else if (blankWithParens.has(word)) {
        if (text[next] === '(') {
          const close = matchParen(text, next);
          out.blank(i, close + 1);
          i = close + 1;
          continue;
        }
      } else if (typeofWords.has(word) && text[next] === '(' && isRecordDefinitionInParens(text, next)) {
        // `__typeof__(struct { ... })` is that record: it stays visible, fields and bit-fields with it.
        out.blank(i, next + 1);
        out.blank(matchParen(text, next), matchParen(text, next) + 1);
      } else if (typeofWords.has(word) && text[next] === '(') {
        const close = matchParen(text, next);
        const len = close + 1 - i;
        out.put(i, close + 1, (TYPEOF_PLACEHOLDER_PREFIX + '_'.repeat(len)).slice(0, len));
        typeofStarts.add(i);
        i = close + 1;
        continue;
      } else if (word === '_Atomic' && text[next] === '(') {
        const close = matchParen(text, next);
        out.blank(i, next + 1);
        out.blank(close, close + 1);
      } else if (alignofWords.has(word) && text[next] === '(') {
        out.put(i, j, 'sizeof');
      } else if (blankArgsWords.has(word) && text[next] === '(') {
        const close = matchParen(text, next);
        out.blank(next + 1, close);
        i = close + 1;
        continue;
      } else if (word === '__builtin_va_arg' && text[next] === '(') {
        // The second argument is a type: keep `__builtin_va_arg(ap)`, a call the grammar accepts.
        const close = matchParen(text, next);
        const comma = topLevelComma(text, next, close);
        if (comma >= 0) {
          out.blank(comma, close);
          i = close + 1;
          continue;
        }
      } else if (word === 'switch' && text[next] === '(') {
        // The grammar wants a block after `switch (e)`; C takes any statement, and Duff's-device
        // style code uses that (xz's LZMA decoder: `switch (coder->sequence) while (true) { ...
        // case SEQ_X: ... }`). To the analysis it is a loop like any other: `while ` (same length).
        const after = skipSpace(text, matchParen(text, next) + 1);
        if (after < text.length && text[after] !== '{') out.put(i, j, 'while ');
      } else if (word === 'goto' && text[next] === '*') {
        // Computed goto: `goto *e;` becomes the expression statement `*e;`.
        out.blank(i, j);
      } else if (implicitInt) {
        // K&R implicit int: `main () {` or `static f(x) int x; {`. Give it a type name taken
        // from the space before it, or from the name itself (the name matters little here).
        if (prefixAt >= 0 && prefixWord.length >= 3) out.put(prefixAt, prefixAt + prefixWord.length, 'int');
        else if (i >= 2 && out.isBlank(i - 1) && out.isBlank(i - 2)) out.put(i - 2, i, 'T');
        else if (i >= 1 && out.isBlank(i - 1) && j < next) out.put(i - 1, j + 1, 'T ' + word);
        else if (j - i >= 3) out.put(i, j, 'T ' + word.slice(2));
        // No room for a type before a short name (`}\nf2(float x) {`): keep only the parameter
        // names, `f2(      x) {`, the shape the rewriter knows as an implicit-int definition.
        else if (!implicitIntVariable) keepParameterNames(text, next, out);
      }
      i = j;
      continue;
    }
    top.punct(text[i]!);
    if (text[i] === ')' && top.atFileScopeParenEnd() && (top.opener === ')' || (/^[A-Za-z_]/.test(top.opener) && !notImplicitInt.has(top.opener) && !alignofWords.has(top.opener)))) {
      // `f(a, b) int a; char *b; {` — tree-sitter-c cannot parse every K&R declaration list
      // (pointer returns in particular). The parameters are locals either way: drop the list.
      const k = skipSpace(text, i + 1);
      if (isIdentStart(text.charCodeAt(k)) && !/^(?:__attribute__|__attribute|__asm__|__asm|asm)\b/.test(text.slice(k, k + 14))) {
        const brace = text.indexOf('{', k);
        const between = brace < 0 ? '' : text.slice(k, brace);
        if (brace > 0 && between.includes(';') && !/[{}()=]/.test(between.replace(/\(\s*\*\s*\w+\s*\)\s*\([^()]*\)/g, ''))) {
          out.blank(k, brace);
          i = brace;
          continue;
        }
      }
    }
    if ((c >= 48 && c <= 57) || (c === 46 && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57)) {
      // A pp-number. GNU imaginary constants (`2i`, `1.0iF`) are not in the grammar: the
      // imaginary suffix letter becomes a digit, which changes nothing the analysis looks at.
      let j = i + 1;
      let imaginary = false;
      while (j < text.length) {
        const ch = text.charCodeAt(j);
        if (isIdentChar(ch) || ch === 46) {
          if (ch === 105 || ch === 106 || ch === 73 || ch === 74) imaginary = true; // i j I J
          j++;
        } else if ((ch === 43 || ch === 45) && /[eEpP]/.test(text[j - 1]!)) j++;
        else break;
      }
      if (imaginary) {
        for (let k = i; k < j; k++) if (/[ijIJ]/.test(text[k]!)) out.put(k, k + 1, '0');
      }
      i = j;
      continue;
    }
    if (c === 46 && text.startsWith('...', i)) {
      // `case 1 ... 5:` and `[0 ... 9] =`: keep the low bound only. A variadic `...` is followed by ')'.
      const next = skipSpace(text, i + 3);
      if (text[next] !== ')') {
        let k = next;
        let depth = 0;
        while (k < text.length) {
          const ch = text[k]!;
          if (ch === '"' || ch === "'") {
            k = skipQuoted(text, k);
            continue;
          }
          if (ch === '(') depth++;
          else if (ch === ')') depth--;
          else if (depth === 0 && (ch === ':' || ch === ']')) break;
          k++;
        }
        out.blank(i, k);
        i = k;
        continue;
      }
      i += 3;
      continue;
    }
    i++;
  }
  return { text: out.toString(), complexPartEnds, typeofStarts };
}

const notParameterNames = new Set([...typeKeywords, ...declarationPrefixes, 'restrict', '__restrict', '__restrict__', 'short', 'long']);

/**
 * `f(float x, char *p) {` → `f(      x,       p) {` in the parse copy: the parameter list of a
 * definition reduced to its names. Only plain declarators (pointers, arrays, no parentheses); false
 * (and nothing changed) otherwise.
 */
function keepParameterNames(text: string, open: number, out: Buffer): boolean {
  const close = matchParen(text, open);
  if (close >= text.length || text[skipSpace(text, close + 1)] !== '{') return false;
  const inner = text.slice(open + 1, close);
  if (/[()]|\.\.\./.test(inner)) return false;
  if (/^\s*void\s*$/.test(inner)) {
    out.blank(open + 1, close);
    return true;
  }
  const keep: Array<[number, number, number, number]> = [];
  let from = open + 1;
  for (const seg of inner.split(',')) {
    let depth = 0;
    let name: [number, number] | null = null;
    for (const m of seg.matchAll(/[A-Za-z_$][\w$]*|\[|\]/g)) {
      if (m[0] === '[') depth++;
      else if (m[0] === ']') depth--;
      else if (depth === 0) name = [from + m.index!, from + m.index! + m[0].length];
    }
    if (!name || notParameterNames.has(text.slice(name[0], name[1]))) return false;
    keep.push([from, name[0], name[1], from + seg.length]);
    from += seg.length + 1;
  }
  for (const [s, ns, ne, e] of keep) {
    out.blank(s, ns);
    out.blank(ne, e);
  }
  return true;
}

/**
 * Unnamed bit-fields (`int :3;`) leave the grammar without a field name. Given the offsets of
 * such ':' tokens, give each a one-character name, taken from the space before it or from the
 * end of the type (the analysis only needs to know it is a bit-field).
 */
export function nameUnnamedBitfields(text: string, colonOffsets: number[]): string {
  const chars = text.split('');
  for (const colon of colonOffsets) {
    // `int :3` becomes `in _:3`: the type name is spoilt, which is harmless for a bit-field.
    if (colon > 1) {
      chars[colon - 2] = ' ';
      chars[colon - 1] = '_';
    }
  }
  return chars.join('');
}
