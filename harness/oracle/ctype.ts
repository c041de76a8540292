// C type names as clang prints them in -ast-dump=json ("qualType": "struct Table *[9]",
// "void *(*)(void *, size_t)", "union (unnamed union at ./lstate.h:176:3)") parsed back into structure,
// so the oracle can ask "is this a pointer, or a struct/union/array that holds one?" without trusting
// the pass's own notion of types.

export type CType =
  | { k: 'ptr'; to: CType }
  | { k: 'arr'; of: CType }
  | { k: 'fn'; ret: CType }
  | { k: 'record'; key: string } // "struct foo", "union bar" or "anon:<file>:<line>:<col>"
  | { k: 'typedef'; name: string }
  | { k: 'scalar' }
  | { k: 'unknown'; text: string };

const QUALIFIERS = new Set([
  'const', 'volatile', 'restrict', '__restrict', '__restrict__', '__const', '__volatile__', '_Nonnull', '_Nullable',
  '_Null_unspecified', '__unaligned', '__ptr32', '__ptr64', '__sptr', '__uptr',
]);
const BUILTIN_WORDS = new Set([
  'void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool', '_Complex',
  '__complex__', '_Imaginary', '__int128', '__int128_t', '__uint128_t', '_Float16', '__fp16', '__bf16', '_Float32',
  '_Float64', '_Float128', '_Float32x', '_Float64x', '__float128', '__ibm128', '_Decimal32', '_Decimal64',
  '_Decimal128', '__signed', '__signed__', '__unsigned', 'auto', '__auto_type', '_Sat', '_Fract', '_Accum',
]);

/** Anonymous records print their definition's location; both clang spellings (unnamed/anonymous) occur. */
const ANON_RE = /\((?:unnamed|anonymous)(?: (?:struct|union|enum))? at ([^)]*?):(\d+):(\d+)\)/g;

export function anonKey(file: string, line: number, col: number): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return `anon:${base}:${line}:${col}`;
}

/** Removes `__attribute__((...))` with balanced parentheses (noreturn, vector_size, address spaces). */
function stripAttributes(s: string): string {
  let out = s;
  for (;;) {
    const i = out.indexOf('__attribute__');
    if (i < 0) return out;
    let j = out.indexOf('(', i);
    if (j < 0) return out.slice(0, i);
    let depth = 0;
    for (; j < out.length; j++) {
      if (out[j] === '(') depth++;
      else if (out[j] === ')' && --depth === 0) break;
    }
    out = out.slice(0, i) + out.slice(j + 1);
  }
}

function tokenize(text: string, anons: string[]): string[] {
  // Records nested in others print qualified ("union outer::(unnamed at f.c:3:5)"); C has one tag scope.
  const s = stripAttributes(text).replace(/\b[A-Za-z_$][\w$]*::/g, '').replace(ANON_RE, (_m, file: string, line: string, col: string) => {
    anons.push(anonKey(file, Number(line), Number(col)));
    return ` @anon${anons.length - 1} `;
  });
  const toks: string[] = [];
  const re = /\s*(?:(@anon\d+|[A-Za-z_$][A-Za-z0-9_$]*|\d[\w.]*)|(\.\.\.|[*()[\],^&:<>{}=+\-/%|~!?.;]))/y;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) break;
    toks.push(m[1] ?? m[2]!);
    pos = re.lastIndex;
  }
  // Anything left that is not whitespace is a spelling this parser does not know.
  if (s.slice(pos).trim() !== '') toks.push(`?${s.slice(pos).trim()}`);
  return toks;
}

class Parser {
  i = 0;
  constructor(readonly t: string[], readonly anons: string[], readonly text: string) {}

  peek(o = 0): string | undefined {
    return this.t[this.i + o];
  }

  /** Index just past the bracket matching the one at `i`. */
  skipBalanced(i: number): number {
    const open = this.t[i]!;
    const close = open === '(' ? ')' : ']';
    let depth = 0;
    for (let j = i; j < this.t.length; j++) {
      if (this.t[j] === open) depth++;
      else if (this.t[j] === close && --depth === 0) return j + 1;
    }
    throw new Error('unbalanced');
  }

  type(end = this.t.length): CType {
    const base = this.specifiers(end);
    return this.abstract(base, end);
  }

  specifiers(end: number): CType {
    let tag: string | null = null;
    let record: CType | null = null;
    let name: string | null = null;
    let sawBuiltin = false;
    let unknown = false;
    while (this.i < end) {
      const tok = this.t[this.i]!;
      if (tok === 'struct' || tok === 'union' || tok === 'enum') {
        tag = tok;
        this.i++;
        const nx = this.t[this.i];
        if (nx !== undefined && /^(@anon\d+|[A-Za-z_$][\w$]*)$/.test(nx)) {
          this.i++;
          if (tag !== 'enum') record = { k: 'record', key: nx.startsWith('@anon') ? this.anons[Number(nx.slice(5))]! : `${tag} ${nx}` };
        } else {
          unknown = true;
        }
        continue;
      }
      if (tok === '_Atomic' && this.t[this.i + 1] === '(') {
        const close = this.skipBalanced(this.i + 1);
        const inner = new Parser(this.t.slice(this.i + 2, close - 1), this.anons, this.text).type();
        this.i = close;
        record = inner;
        continue;
      }
      if (tok === 'typeof' || tok === '__typeof__' || tok === '__typeof' || tok === 'typeof_unqual') {
        unknown = true;
        this.i = this.t[this.i + 1] === '(' ? this.skipBalanced(this.i + 1) : this.i + 1;
        continue;
      }
      if (QUALIFIERS.has(tok) || tok === '_Atomic' || tok === 'static' || tok === 'extern' || tok === 'register') {
        this.i++;
        continue;
      }
      if (BUILTIN_WORDS.has(tok)) {
        sawBuiltin = true;
        this.i++;
        continue;
      }
      if (/^[A-Za-z_$][\w$]*$/.test(tok)) {
        if (name !== null || sawBuiltin || record !== null || tag !== null) break; // a parameter name, not ours
        name = tok;
        this.i++;
        continue;
      }
      break;
    }
    if (unknown && record === null) return { k: 'unknown', text: this.text };
    if (record) return record;
    if (tag === 'enum') return { k: 'scalar' };
    if (name !== null && !sawBuiltin) return { k: 'typedef', name };
    if (sawBuiltin) return { k: 'scalar' };
    return { k: 'unknown', text: this.text };
  }

  abstract(base: CType, end: number): CType {
    let t = base;
    while (this.i < end && (this.t[this.i] === '*' || this.t[this.i] === '^' || this.t[this.i] === '&')) {
      this.i++;
      t = { k: 'ptr', to: t };
      while (this.i < end && (QUALIFIERS.has(this.t[this.i]!) || this.t[this.i] === '_Atomic')) this.i++;
    }
    // A parenthesised group holds the part of the declarator that binds tightest (e.g. the `*` of a
    // function pointer); the suffixes after it apply to `t` first.
    if (this.i < end && this.t[this.i] === '(' && ['*', '^', '(', '&'].includes(this.t[this.i + 1] ?? '')) {
      const groupStart = this.i + 1;
      const after = this.skipBalanced(this.i);
      this.i = after;
      const wrapped = this.suffixes(t, end);
      const saveI = this.i;
      this.i = groupStart;
      const result = this.abstract(wrapped, after - 1);
      this.i = saveI;
      return result;
    }
    return this.suffixes(t, end);
  }

  suffixes(t: CType, end: number): CType {
    const kinds: Array<'arr' | 'fn'> = [];
    while (this.i < end && (this.t[this.i] === '[' || this.t[this.i] === '(')) {
      kinds.push(this.t[this.i] === '[' ? 'arr' : 'fn');
      this.i = this.skipBalanced(this.i);
    }
    let acc = t;
    for (let j = kinds.length - 1; j >= 0; j--) acc = kinds[j] === 'arr' ? { k: 'arr', of: acc } : { k: 'fn', ret: acc };
    return acc;
  }
}

const parseCache = new Map<string, CType>();

/** Parses one printed type name. Never throws: what it cannot read is `unknown`. */
export function parseCType(text: string): CType {
  let r = parseCache.get(text);
  if (r) return r;
  try {
    const anons: string[] = [];
    const toks = tokenize(text, anons);
    const p = new Parser(toks, anons, text);
    r = toks.some((x) => x.startsWith('?')) ? { k: 'unknown', text } : p.type();
    if (p.i !== toks.length) r = { k: 'unknown', text };
  } catch {
    r = { k: 'unknown', text };
  }
  parseCache.set(text, r);
  return r;
}

/** Typedefs and record fields of one translation unit, as the AST declares them. */
export class TypeEnv {
  readonly typedefs = new Map<string, string>();
  /** Field type names per record key; a key defined twice (different scopes) keeps both field lists. */
  readonly records = new Map<string, string[]>();
  private memo = new Map<string, boolean>();
  readonly unknownTypes = new Set<string>();

  /** Typedef name -> record key, for typedefs of records (unnamed ones are known only this way). */
  readonly typedefRecords = new Map<string, string>();

  addTypedef(name: string, type: string, recordKey?: string): void {
    this.typedefs.set(name, type);
    if (recordKey !== undefined) this.typedefRecords.set(name, recordKey);
    else this.typedefRecords.delete(name);
    this.memo.clear();
  }

  addRecord(keys: string[], fieldTypes: string[]): void {
    for (const key of keys) {
      const prev = this.records.get(key);
      this.records.set(key, prev ? prev.concat(fieldTypes) : fieldTypes.slice());
    }
    this.memo.clear();
  }

  /**
   * True if a value of this type is or holds an object/function pointer: a pointer, or a struct/union
   * with such a member, or an array of such, recursively. Types the parser cannot read count as
   * pointers (the oracle errs on the side of demanding a barrier) and are remembered in unknownTypes.
   */
  holdsPointer(typeText: string): boolean {
    return this.holds(parseCType(typeText), new Set());
  }

  private holds(t: CType, visiting: Set<string>): boolean {
    switch (t.k) {
      case 'ptr':
        return true;
      case 'arr':
        return this.holds(t.of, visiting);
      case 'fn':
      case 'scalar':
        return false;
      case 'unknown':
        this.unknownTypes.add(t.text);
        return true;
      case 'typedef': {
        const key = `typedef ${t.name}`;
        const m = this.memo.get(key);
        if (m !== undefined) return m;
        const target = this.typedefs.get(t.name);
        const record = this.typedefRecords.get(t.name);
        if ((target === undefined && record === undefined) || visiting.has(key)) {
          // A name never declared in the dump, or one that resolves to itself: demanded as a pointer.
          this.unknownTypes.add(`typedef ${t.name}`);
          return true;
        }
        visiting.add(key);
        const r = this.holds(record !== undefined ? { k: 'record', key: record } : parseCType(target!), visiting);
        visiting.delete(key);
        this.memo.set(key, r);
        return r;
      }
      case 'record': {
        const m = this.memo.get(t.key);
        if (m !== undefined) return m;
        const fields = this.records.get(t.key);
        // An incomplete record cannot be assigned; one we never saw defined is unknown.
        if (fields === undefined) {
          this.unknownTypes.add(t.key);
          return true;
        }
        if (visiting.has(t.key)) return false;
        visiting.add(t.key);
        const r = fields.some((f) => this.holds(parseCType(f), visiting));
        visiting.delete(t.key);
        this.memo.set(t.key, r);
        return r;
      }
    }
  }

  /** True if the type itself (after typedefs) is a pointer. */
  isPointer(typeText: string): boolean {
    let t = parseCType(typeText);
    for (let n = 0; n < 64 && t.k === 'typedef'; n++) {
      const target = this.typedefs.get(t.name);
      if (target === undefined) return true;
      t = parseCType(target);
    }
    return t.k === 'ptr' || t.k === 'unknown';
  }

  /** True if the type (after typedefs) is an array. */
  isArray(typeText: string): boolean {
    let t = parseCType(typeText);
    for (let n = 0; n < 64 && t.k === 'typedef'; n++) {
      const target = this.typedefs.get(t.name);
      if (target === undefined) return false;
      t = parseCType(target);
    }
    return t.k === 'arr';
  }
}
