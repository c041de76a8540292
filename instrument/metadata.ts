// Metadata for the TypeScript host: what a unit defines (functions, globals, records, enums,
// typedefs, macros), written as C text appended to the instrumented unit. The *shape* of each
// declaration comes from the syntax tree, read into the pass's type model (ctype.ts); every
// number (sizes, alignments, field offsets, bit-field positions, enum and macro values, which
// arithmetic type a name denotes) is left to the compiler as a constant expression, so the layout
// is right for any ABI, packing or attribute. The result is one `static const` blob per unit in
// the `wb_meta` section; the linker concatenates the blobs of all units and runtime-ts/meta.ts
// reads them back. The format is described in instrument/schema.ts.
import type { Node } from './parse.js';
import { parsePrepared, parseRegion, prepareUnit } from './parse.js';
import { readWithSystemOnDemand } from './system-pieces.js';
import { INLINE_SYMBOL_PREFIX, kindGeneric, type RawEnum, type RawField, type RawFunction, type RawGlobal, type RawMacro, type RawRecord, type RawType, type RawTypedef, type RawUnit } from './schema.js';
import { TYPEOF_PLACEHOLDER_PREFIX } from './normalize.js';
import { blankComments } from './comments.js';
import { applyDeclarator, storageClassSpecifiers, type DeclaratorLayers } from './declarators.js';
import { IMPLICIT_INT, TypeScope, adjustParameter, type CType, type EnumInfo, type RecordInfo } from './ctype.js';
import { textMarks, type TextMarks } from './text-marks.js';
import { MacroTable, macroCandidates, type KnownIdentifiers, type MacroValue } from './macros.js';
export { blankDefineLines } from './comments.js';


/** What the extractor needs from the unit's line map (instrument/linemap.ts's LineMap fits). */
export interface UnitLines {
  isSystem(offset: number): boolean;
  map(offset: number): { file: string; line: number; col: number };
}

type FuncType = Extract<CType, { k: 'func' }>;

const nameOnly: DeclaratorLayers<null> = { pointer: () => null, array: () => null, func: () => null, unknown: () => null };

interface IFunction {
  name: string;
  type: FuncType;
  /** The parameters, as the definition or declaration gives them (the type's signature, or a K&R definition's). */
  params: CType[];
  def: boolean;
  loc: string;
  /** A `static inline` function of one of the library's own headers (schema.ts, INLINE_SYMBOL_PREFIX). */
  inline?: boolean;
}

interface IGlobal {
  name: string;
  type: CType;
  def: boolean;
  ro: boolean;
  initialized: boolean;
  loc: string;
}

/** The kind code (schema.ts KIND) of the arithmetic type a type name denotes, 0 for any other. */
function kindExpr(typeName: string): string {
  return kindGeneric(`*(${typeName} *)0`);
}

/** What the unit declares at file scope, read with the type model (ctype.ts) at host detail. */
class Collector {
  readonly types: TypeScope;
  readonly functions = new Map<string, IFunction>();
  readonly globals = new Map<string, IGlobal>();
  /** (type, C lvalue expression) pairs through which anonymous records get a name. */
  private readonly namingSites: Array<[CType, string]> = [];

  constructor(
    private readonly text: string,
    readonly lines: UnitLines,
    /**
     * The main file, when the `static inline` functions of the unit's own headers (any other file
     * that is not a system header) are to be recorded (a unit of a shared object); null otherwise.
     */
    private readonly inlineOutside: string | null = null,
    /** Called with each typedef name, tag and enumerator the extraction looks up (MetadataOptions.onName). */
    readonly onName: (name: string) => void = () => {},
    previousTokenEnd?: (offset: number) => number,
  ) {
    this.types = new TypeScope(text, { host: true, onName, previousTokenEnd });
    this.braces = textMarks(text, { chars: '{' });
  }

  /** The whole node comes from system headers (a return type spelled by a system macro does not count). */
  private wholeSystem(n: Node): boolean {
    return this.lines.isSystem(n.startIndex) && this.lines.isSystem(Math.max(n.startIndex, n.endIndex - 1));
  }

  loc(at: number): string {
    const p = this.lines.map(at);
    return `${p.file}:${p.line}:${p.col}`;
  }

  /**
   * Definitions from system headers not read yet: typedefs and tagged records and enums. Most
   * units reach few of them (a configure test reaches none), so they are read only when the
   * metadata needs one (readPending), all of them at once and in order, as if read in place.
   */
  private pending: Node[] = [];
  /** Typedef names whose current definition is pending. */
  private readonly pendingNames = new Set<string>();
  /** Where the text has `{`: a declaration without one defines no type. */
  private readonly braces: TextMarks;
  /** How many naming sites nameAnonymous has looked at; -1 before it first runs. */
  private namedSites = -1;

  run(root: Node): void {
    for (const child of root.namedChildren) {
      if (child.hasError) continue; // a region the grammar could not parse is not trusted
      const system = this.wholeSystem(child);
      if (system && this.defer(child)) continue;
      this.topLevel(child, system);
    }
    this.namedSites = 0;
    this.nameAnonymous();
  }

  /** Whether a system-header definition is left pending (it defines only types, read on demand). */
  private defer(n: Node): boolean {
    switch (n.type) {
      case 'type_definition':
        for (const d of n.childrenForFieldName('declarator')) {
          const { name, nameNode } = applyDeclarator(d, null, nameOnly);
          if (!name || !nameNode) continue;
          this.types.reserveTypedef(name, nameNode.startIndex);
          this.pendingNames.add(name);
        }
        break;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        break;
      case 'declaration': {
        // `struct stat { ... };`: a tag's definition and nothing else the host can reach.
        if (!this.braces.any(n.startIndex, n.endIndex)) return false;
        const spec = n.childForFieldName('type');
        if (!spec?.childForFieldName('body') || !spec.childForFieldName('name')) return false;
        break;
      }
      default:
        return false;
    }
    this.pending.push(n);
    return true;
  }

  /** Whether some system-header definition has not been read yet. */
  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Reads every pending definition, in order (and names what they make reachable). */
  readPending(): void {
    if (this.pending.length === 0) return;
    const nodes = this.pending;
    this.pending = [];
    this.pendingNames.clear();
    for (const n of nodes) this.topLevel(n, true);
    if (this.namedSites >= 0) this.nameAnonymous();
  }

  /** Reads the pending definitions when `name`'s current definition is one of them. */
  readTypedef(name: string): void {
    if (this.pendingNames.has(name)) this.readPending();
  }

  /** @param system the node comes from system headers as a whole (wholeSystem) */
  private topLevel(n: Node, system: boolean): void {
    switch (n.type) {
      case 'declaration':
        this.declaration(n, system);
        break;
      case 'function_definition':
        this.functionDefinition(n, system);
        break;
      case 'type_definition':
        this.typeDefinition(n, system);
        break;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        this.types.specifier(n);
        break;
      default:
        break;
    }
  }

  /**
   * The storage classes of a declaration, for what it exports. The parse copy may have turned a
   * storage class into a type name (K&R implicit int after `static`): the words before the
   * declarator in the text count as well.
   */
  private storage(n: Node): Set<string> {
    const out = storageClassSpecifiers(n);
    const d = n.childForFieldName('declarator');
    const head = this.text.slice(n.startIndex, d ? d.startIndex : n.startIndex);
    for (const m of head.matchAll(/\b(static|extern|inline|__inline|__inline__|_Thread_local|__thread)\b/g)) out.add(m[1]!.startsWith('__inline') ? 'inline' : m[1] === '_Thread_local' || m[1] === '__thread' ? 'static' : m[1]!);
    return out;
  }

  private declaration(n: Node, system: boolean): void {
    if (system || this.storage(n).has('static')) {
      // System prototypes and variables are not exported; only a type they define matters.
      if (!this.braces.any(n.startIndex, n.endIndex)) return; // no body
      const spec = n.childForFieldName('type');
      if (!spec || !spec.childForFieldName('body')) return;
      if (spec.childForFieldName('name')) {
        this.types.specifier(spec);
        return;
      }
    }
    const storage = this.storage(n);
    const base = this.types.declarationBase(n);
    const baseConst = this.types.isConst(n);
    for (const d of n.childrenForFieldName('declarator')) {
      const { name, nameNode, type, isConst } = this.types.declare(d, base, baseConst);
      if (!name || !nameNode) continue;
      this.namingSites.push([type, name]);
      if (this.lines.isSystem(nameNode.startIndex) || storage.has('static')) continue;
      if (type.k === 'func') {
        if (storage.has('inline') && !storage.has('extern')) continue;
        const prior = this.functions.get(name);
        if (!prior) this.functions.set(name, { name, type, params: type.sig!.params, def: false, loc: this.loc(d.startIndex) });
        continue;
      }
      const initialized = d.type === 'init_declarator';
      const def = !storage.has('extern') || initialized;
      const prior = this.globals.get(name);
      if (prior && (prior.def || !def) && !(type.k === 'array' && initialized)) continue;
      this.globals.set(name, { name, type, def, ro: isConst, initialized, loc: this.loc(d.startIndex) });
    }
  }

  private functionDefinition(n: Node, system: boolean): void {
    if (system) return;
    const storage = this.storage(n);
    if (storage.has('static') && storage.has('inline')) return this.headerInline(n);
    if (storage.has('static')) return;
    const base = this.types.declarationBase(n);
    const { name, nameNode, type } = this.types.declare(n.childForFieldName('declarator'), base, this.types.isConst(n));
    // Judge by the name: a return type spelled by a system macro (`bool`) starts in a system region.
    if (!name || !nameNode || type.k !== 'func' || this.lines.isSystem(nameNode.startIndex) || storage.has('static')) return;
    if (storage.has('inline') && !storage.has('extern')) return;
    const sig = type.sig!;
    let params = sig.params;
    if (sig.unproto && sig.names.length > 0) {
      // K&R definition: the declarations between the declarator and the body give the types;
      // callers pass promoted arguments, so that is what the function reads.
      const declared = new Map<string, CType>();
      let decls = n.namedChildren.filter((c) => c.type === 'declaration');
      const body = n.childForFieldName('body');
      const declarator = n.childForFieldName('declarator');
      if (decls.length === 0 && body && declarator && this.text.slice(declarator.endIndex, body.startIndex).includes(';')) {
        // The parse copy may have dropped the declaration list (instrument/normalize.ts does, as
        // the grammar cannot parse all of them): parse that stretch of the text on its own.
        decls = parseRegion(this.text, declarator.endIndex, body.startIndex).namedChildren.filter((c) => c.type === 'declaration' && !c.hasError);
      }
      for (const c of decls) {
        const b = this.types.declarationBase(c, true);
        for (const d of c.childrenForFieldName('declarator')) {
          const r = this.types.declare(d, b, this.types.isConst(c), true);
          if (r.name) declared.set(r.name, promote(adjustParameter(r.type)));
        }
      }
      params = sig.names.map((p) => declared.get(p) ?? IMPLICIT_INT);
    }
    this.functions.set(name, { name, type, params, def: true, loc: this.loc(n.startIndex) });
  }

  /**
   * A `static inline` function defined in one of the library's own headers (not the main file, not a
   * system header) is part of its API (`x_incref`, accessors): recorded so the host can call its
   * out-of-line instance (schema.ts, INLINE_SYMBOL_PREFIX). Plain `inline` ones are left to the
   * external definition C requires some unit to provide, which is exported under its own name.
   */
  private headerInline(n: Node): void {
    if (this.inlineOutside === null) return;
    const { name, nameNode, type } = this.types.declare(n.childForFieldName('declarator'), this.types.declarationBase(n), this.types.isConst(n));
    if (!name || !nameNode || type.k !== 'func' || type.sig!.unproto || this.lines.isSystem(nameNode.startIndex)) return;
    if (this.lines.map(nameNode.startIndex).file === this.inlineOutside) return;
    if (this.functions.get(name)?.def) return;
    this.functions.set(name, { name, type, params: type.sig!.params, def: true, loc: this.loc(n.startIndex), inline: true });
  }

  private typeDefinition(n: Node, system: boolean): void {
    const base = this.types.declarationBase(n);
    const baseConst = this.types.isConst(n);
    for (const d of n.childrenForFieldName('declarator')) {
      const { name, nameNode, type } = this.types.declare(d, base, baseConst);
      if (!name || !nameNode) continue;
      this.types.defineTypedef(name, type, nameNode.startIndex);
      if (!system) this.pendingNames.delete(name);
      if (d.type === 'type_identifier') {
        if (type.k === 'record') {
          type.rec.names.push(name);
          if (!type.rec.cname && !type.rec.proto) type.rec.cname = name;
        } else if (type.k === 'enum') {
          type.en.names.push(name);
          if (!type.en.cname && !type.en.proto) type.en.cname = name;
        }
      }
      this.namingSites.push([type, `(*(${name} *)0)`]);
    }
  }

  /** Gives anonymous records and enums a C name through the lvalues that have their type. */
  private nameAnonymous(): void {
    const visit = (t: CType, expr: string, depth: number): void => {
      if (depth > 8) return;
      switch (t.k) {
        case 'record':
          if (!t.rec.cname && !t.rec.proto && t.rec.fields) {
            t.rec.cname = `__typeof__(${expr})`;
            for (const f of t.rec.fields) if (!f.bitfield) visit(f.type, `((${t.rec.cname} *)0)->${f.name}`, depth + 1);
          }
          return;
        case 'enum':
          if (!t.en.cname && !t.en.proto) t.en.cname = `__typeof__(${expr})`;
          return;
        case 'ptr':
          if (t.to.k !== 'func' && t.to.k !== 'void') visit(t.to, `(*(${expr}))`, depth + 1);
          return;
        case 'array':
          if (t.sized) visit(t.of, `(${expr})[0]`, depth + 1);
          return;
        default:
          return;
      }
    };
    // Every record (those read since the last time may complete a record mentioned before: the
    // names given already stay), then the naming sites not looked at yet.
    for (const rec of this.types.records) {
      if (!rec.cname || !rec.fields || rec.proto) continue;
      for (const f of rec.fields) if (!f.bitfield) visit(f.type, `((${rec.cname} *)0)->${f.name}`, 0);
    }
    for (let i = this.namedSites; i < this.namingSites.length; i++) visit(this.namingSites[i]![0], this.namingSites[i]![1], 0);
    this.namedSites = this.namingSites.length;
  }
}

/** Default argument promotions, for K&R parameters. */
function promote(t: CType): CType {
  if (t.k === 'prim') {
    const words = t.spell.split(/\s+/).filter((w) => w !== 'int' && w !== 'signed' && w !== 'const' && w !== 'volatile');
    if (words.length === 1 && words[0] === 'float') return { k: 'prim', spell: 'double', arith: true };
    if (words.every((w) => w === 'char' || w === 'short' || w === 'unsigned' || w === '_Bool') && !(words.length === 1 && words[0] === 'unsigned')) return { k: 'prim', spell: 'int', arith: true };
    if (words.length === 0 || words.every((w) => w === 'long' || w === 'unsigned' || w === 'double')) return t;
    return { k: 'prim', spell: `__typeof__(+*(${t.spell} *)0)`, arith: t.arith };
  }
  if (t.k === 'enum' && t.en.cname) return { k: 'prim', spell: `__typeof__(+*(${t.en.cname} *)0)`, arith: true };
  return t;
}

/** Writes the description and the constant table, reaching from the unit's own declarations. */
class Emitter {
  readonly words: string[] = [];
  private readonly wordIndex = new Map<string, number>();
  readonly images: Array<{ type: string; field: string }> = [];
  readonly strings: string[] = [];
  readonly doubles: string[] = [];
  private readonly queue: Array<() => void> = [];
  private readonly doneRecords = new Set<RecordInfo>();
  private readonly doneEnums = new Set<EnumInfo>();
  private readonly doneTypedefs = new Set<string>();
  readonly unit: RawUnit;

  constructor(
    private readonly c: Collector,
    file: string,
  ) {
    this.unit = {
      v: 1,
      file,
      env: { long: this.word('sizeof(long)'), ldouble: this.word('sizeof(long double)'), ptr: this.word('sizeof(void *)'), charSigned: this.word('((char)-1 < 0)') },
      records: [],
      enums: [],
      typedefs: [],
      functions: [],
      globals: [],
      macros: [],
    };
  }

  word(expr: string): number {
    let i = this.wordIndex.get(expr);
    if (i === undefined) {
      i = this.words.length;
      this.words.push(expr);
      this.wordIndex.set(expr, i);
    }
    return i;
  }

  run(macros: Array<{ name: string; value: MacroValue; loc: string }>): void {
    for (const f of this.c.functions.values()) {
      const t = this.type({ ...f.type, sig: { ...f.type.sig!, params: f.params } }, null) as RawFunction['t'];
      this.unit.functions.push({ n: f.name, t, pn: f.type.sig!.names, def: f.def ? 1 : 0, loc: f.loc, ...(f.inline ? { inl: 1 as const } : {}) });
    }
    for (const g of this.c.globals.values()) {
      const t = this.type(g.type, g.name, g.initialized);
      this.unit.globals.push({ n: g.name, t, def: g.def ? 1 : 0, ro: g.ro ? 1 : 0, loc: g.loc } satisfies RawGlobal);
    }
    const isSystem = (at: number) => this.c.lines.isSystem(at);
    for (const [name, td] of this.c.types.typedefs) if (!isSystem(td.at)) this.typedef(name);
    for (const r of this.c.types.records) if (!isSystem(r.sysAt) && !r.proto) this.record(r);
    for (const e of this.c.types.enums) if (!isSystem(e.sysAt) && !e.proto) this.enumeration(e);
    for (const m of macros) this.macro(m.name, m.value, m.loc);
    while (this.queue.length > 0) this.queue.shift()!();
  }

  /** @param ctx a C lvalue of this type (array lengths, anonymous records), or null. */
  type(t: CType, ctx: string | null, completedArray = false): RawType {
    switch (t.k) {
      case 'void':
        return ['v'];
      case 'prim':
        return ['p', this.word(kindExpr(t.spell)), t.spell];
      case 'typedef':
        this.typedef(t.name);
        return ['t', t.name];
      case 'record':
        this.record(t.rec);
        return ['r', this.recordKey(t.rec)];
      case 'enum':
        this.enumeration(t.en);
        return ['e', this.enumKey(t.en)];
      case 'ptr':
        return ['*', this.type(t.to, ctx && t.to.k !== 'func' && t.to.k !== 'void' ? `(*(${ctx}))` : null), t.constTo ? 1 : 0];
      case 'array': {
        const known = (t.sized || completedArray) && ctx !== null;
        // `+ !sizeof`: a zero-length array of zero-size elements must not divide by zero.
        const len = known ? this.word(`sizeof(${ctx}) / (sizeof((${ctx})[0]) + !sizeof((${ctx})[0]))`) : null;
        return ['[', this.type(t.of, known ? `(${ctx})[0]` : null), len];
      }
      case 'func': {
        const ret = this.type(t.ret, null);
        const sig = t.sig ?? { params: [], variadic: false, unproto: true };
        return ['f', ret, sig.params.map((p) => this.type(p, null)), sig.variadic ? 1 : 0, sig.unproto ? 1 : 0];
      }
      case 'opaque':
        return ['o', t.spell];
    }
  }

  private typedef(name: string): void {
    if (this.doneTypedefs.has(name)) return;
    this.doneTypedefs.add(name);
    this.c.readTypedef(name);
    const td = this.c.types.typedefs.get(name);
    if (!td) return;
    this.queue.push(() => {
      // An arithmetic typedef is classified by its own name, so attributes such as mode() count.
      const t: RawType = td.type.k === 'prim' ? ['p', this.word(kindExpr(name)), td.type.spell] : this.type(td.type, `(*(${name} *)0)`);
      this.unit.typedefs.push({ n: name, t, sys: this.c.lines.isSystem(td.at) ? 1 : 0 } satisfies RawTypedef);
    });
  }

  private recordKey(r: RecordInfo): string {
    const kw = r.union ? 'union' : 'struct';
    if (r.proto) return `proto ${kw} ${this.c.loc(r.firstAt)}`;
    return r.tag ? `${kw} ${r.tag}` : `anon ${kw} ${this.c.loc(r.firstAt)}`;
  }

  private enumKey(e: EnumInfo): string {
    if (e.proto) return `proto enum ${this.c.loc(e.firstAt)}`;
    return e.tag ? `enum ${e.tag}` : `anon enum ${this.c.loc(e.firstAt)}`;
  }

  private record(r: RecordInfo): void {
    if (this.doneRecords.has(r)) return;
    this.doneRecords.add(r);
    this.queue.push(() => {
      // An incomplete tag may be completed by a system header's definition not read yet.
      if (r.fields === null && r.tag !== null) this.c.readPending();
      const out: RawRecord = { key: this.recordKey(r), union: r.union ? 1 : 0, complete: 0, loc: this.c.loc(r.at), sys: this.c.lines.isSystem(r.sysAt) ? 1 : 0 };
      if (r.tag) out.tag = r.tag;
      if (r.names.length) out.names = [...r.names];
      if (r.fields && r.cname && !r.proto) {
        const cn = r.cname;
        out.complete = 1;
        out.size = this.word(`sizeof(${cn})`);
        out.align = this.word(`__alignof__(${cn})`);
        if (r.hasFam) out.fam = 1;
        out.fields = r.fields.map((f): RawField => {
          const ctx = `((${cn} *)0)->${f.name}`;
          if (f.bitfield) {
            const field: RawField = { n: f.name, t: this.type(f.type, null), off: null };
            if (!r.hasFam) {
              this.images.push({ type: cn, field: f.name });
              field.img = this.word(`__builtin_offsetof(struct __wb_meta_blob, __wb_img${this.images.length - 1})`);
            }
            return field;
          }
          return { n: f.name, t: this.type(f.type, ctx), off: this.word(`__builtin_offsetof(${cn}, ${f.name})`) };
        });
      }
      this.unit.records.push(out);
    });
  }

  private enumeration(e: EnumInfo): void {
    if (this.doneEnums.has(e)) return;
    this.doneEnums.add(e);
    this.queue.push(() => {
      if (e.values.length === 0 && e.tag !== null) this.c.readPending();
      const out: RawEnum = {
        key: this.enumKey(e),
        kind: this.word(kindExpr(e.cname ?? 'int')),
        values: !e.proto ? e.values.map((v): [string, number, number] => [v, this.word(`(unsigned long long)(${v})`), this.word(`((${v}) < 0)`)]) : [],
        loc: this.c.loc(e.at),
        sys: this.c.lines.isSystem(e.sysAt) ? 1 : 0,
      };
      if (e.tag) out.tag = e.tag;
      if (e.names.length) out.names = [...e.names];
      this.unit.enums.push(out);
    });
  }

  private macro(name: string, value: MacroValue, loc: string): void {
    if (value.kind === 'string') {
      this.strings.push(value.expr);
      const k = this.strings.length - 1;
      this.unit.macros.push({ n: name, s: [this.word(`__builtin_offsetof(struct __wb_meta_blob, __wb_s${k})`), this.word(`sizeof(${value.expr})`)], loc } satisfies RawMacro);
      return;
    }
    const e = `(${value.expr})`;
    this.doubles.push(`(double)${e}`);
    this.unit.macros.push({
      n: name,
      i: [
        this.word(`(unsigned long long)${e}`),
        this.word(`(${e} < 0)`),
        this.word(`__extension__ _Generic(${e}, float: 1, double: 1, long double: 1, default: 0)`),
        this.doubles.length - 1,
      ],
      loc,
    });
  }
}

/**
 * A C string literal of s. Non-ASCII characters are written as themselves, not escaped: they come
 * from the unit's text, and the caller writes the unit back in the encoding it read it with
 * (UTF-8, or Latin-1 for bytes that are not), so they become the source's own bytes again.
 */
function cString(s: string): string {
  let out = '"';
  let col = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let piece: string;
    if (c === 34) piece = '\\"';
    else if (c === 92) piece = '\\\\';
    else if (c === 63) piece = '\\?'; // no trigraphs under -std=c89/c99
    else if (c >= 32 && c !== 127) piece = s[i]!;
    else piece = '\\' + c.toString(8).padStart(3, '0');
    out += piece;
    col += piece.length;
    if (col > 100 && i + 1 < s.length) {
      out += '"\n  "';
      col = 0;
    }
  }
  return out + '"';
}


export interface MetadataOptions {
  /** Name recorded as the unit's file (defaults to the main file named by the line markers). */
  fileName?: string;
  /** Called with every typedef name, tag and enumerator looked up, before the lookup (system-pieces.ts). */
  onName?: (name: string) => void;
  /** For a tree that leaves out part of the unit: see TypeScopeOptions.previousTokenEnd. */
  previousTokenEnd?: (offset: number) => number;
}

/**
 * Whether the unit is compiled for a shared object, by the predefined macros `cc -E -dD` keeps:
 * position-independent code that is not for an executable (`-fPIC` without `-fPIE`).
 */
export function forSharedObject(text: string): boolean {
  return /^#define __PIC__ /m.test(text) && !/^#define __PIE__ /m.test(text);
}

/**
 * The C text to append to an instrumented unit: its metadata blob.
 * @param root  the tree of the unit (the parse of instrument/normalize.ts's copy is fine: offsets are shared)
 * @param text  the unit's preprocessed text (as given to the pass; `#define` lines from `cc -E -dD` become macros)
 * @param lines where each offset comes from (instrument/linemap.ts's LineMap)
 */
export function metadataAppendix(root: Node, text: string, lines: UnitLines, options: MetadataOptions = {}): string {
  // The first line marker names the main file: what follows it is that file's.
  const mainFile = lines.map(text.indexOf('\n') + 1).file;
  const c = new Collector(text, lines, forSharedObject(text) ? mainFile : null, options.onName, options.previousTokenEnd);
  c.run(root);
  const file = options.fileName ?? lines.map(0).file;
  const e = new Emitter(c, file);
  const known = knownIdentifiers(c);
  const macros = macroCandidates(new MacroTable(text, lines), known);
  e.run(macros);
  return render(e) + inlineInstances(c);
}

/**
 * For each `static inline` function of the library's headers, the weak pointer to its out-of-line
 * instance (schema.ts, INLINE_SYMBOL_PREFIX). Taking the address makes the compiler emit the
 * instance; `void (*)(void)` is C's generic function pointer type (no cast warning). The unit's code
 * is complete here, so the name can only mean the file-scope function.
 */
function inlineInstances(c: Collector): string {
  const out: string[] = [];
  for (const f of c.functions.values()) {
    if (!f.inline) continue;
    out.push(
      `__attribute__((__weak__, __used__, __visibility__("default"))) void (*const ${INLINE_SYMBOL_PREFIX}${f.name})(void) = (void (*)(void))&${f.name};`,
    );
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** What a macro expansion may refer to and still be a constant expression at the end of the unit. */
function knownIdentifiers(c: Collector): KnownIdentifiers {
  // Asked of the identifiers in the unit's own macros only: a miss reads the pending definitions.
  let enumerators: Set<string> | null = null;
  const readEnumerators = (): Set<string> => {
    const out = new Set<string>();
    for (const en of c.types.enums) if (!en.proto) for (const v of en.values) out.add(v);
    return out;
  };
  const arithmetic = new Map<string, boolean>();
  const isArith = (t: CType, depth: number): boolean => {
    if (depth > 16) return false;
    if (t.k === 'prim') return !t.spell.startsWith('__typeof__') && !t.spell.startsWith(TYPEOF_PLACEHOLDER_PREFIX) && !/^__builtin/.test(t.spell);
    if (t.k === 'enum') return true;
    if (t.k === 'typedef') {
      c.readTypedef(t.name);
      const td = c.types.typedefs.get(t.name);
      return td ? isArith(td.type, depth + 1) : false;
    }
    return false;
  };
  return {
    enumerators: {
      has(name: string): boolean {
        c.onName(name);
        enumerators ??= readEnumerators();
        if (enumerators.has(name) || !c.hasPending()) return enumerators.has(name);
        c.readPending();
        enumerators = readEnumerators();
        return enumerators.has(name);
      },
    },
    arithmeticTypedefs: {
      has(name: string): boolean {
        c.onName(name);
        const td = c.types.typedefs.get(name);
        if (!td) return false;
        let known = arithmetic.get(name);
        if (known === undefined) {
          c.readTypedef(name);
          known = isArith(c.types.typedefs.get(name)!.type, 0);
          arithmetic.set(name, known);
        }
        return known;
      },
    },
  };
}

function render(e: Emitter): string {
  // Names keep their C spelling (cc -E writes extended identifiers as \u/\U names, which the
  // reader decodes); any other non-ASCII character is written as the text has it (see cString).
  const literal = cString(JSON.stringify(e.unit));
  const words = e.words.length ? e.words : ['0'];
  const members: string[] = [
    '  unsigned long long __wb_hdr[8];',
    `  unsigned long long __wb_w[${words.length}];`,
    `  double __wb_d[${Math.max(1, e.doubles.length)}];`,
    // Sized by the compiler: the literal's byte count depends on the encoding the unit is written in.
    `  char __wb_json[sizeof(${literal})];`,
  ];
  const inits: string[] = [
    `  { 0x31304154454d4257ULL, sizeof(struct __wb_meta_blob), ${e.words.length}, __builtin_offsetof(struct __wb_meta_blob, __wb_w), ` +
      `sizeof(((struct __wb_meta_blob *)0)->__wb_json) - 1, __builtin_offsetof(struct __wb_meta_blob, __wb_json), ${e.doubles.length}, __builtin_offsetof(struct __wb_meta_blob, __wb_d) }`,
    `  {\n${words.map((w) => `    (unsigned long long)(${w})`).join(',\n')}\n  }`,
    `  { ${e.doubles.length ? e.doubles.join(', ') : '0'} }`,
    `  ${literal}`,
  ];
  e.images.forEach((img, k) => {
    members.push(`  ${img.type} __wb_img${k};`);
    inits.push(`  { .${img.field} = -1 }`);
  });
  e.strings.forEach((s, k) => {
    members.push(`  char __wb_s${k}[sizeof(${s})];`);
    inits.push(`  ${s}`);
  });
  return (
    '\n# 1 "<cc-wb metadata>" 3\n' +
    `__extension__ struct __wb_meta_blob {\n${members.join('\n')}\n};\n` +
    '__extension__ static const struct __wb_meta_blob __wb_meta_blob_data\n' +
    '  __attribute__((__section__("wb_meta"), __used__, __aligned__(8))) = {\n' +
    inits.join(',\n') +
    '\n};\n'
  );
}

/**
 * Parses a preprocessed unit itself and returns its appendix: for callers that do not run the
 * pass (tests, `--wb-no-instrument` builds).
 */
export function metadataForPreprocessed(input: string | Buffer, fileName = '<stdin>'): string {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const unit = prepareUnit(text, fileName);
  const blanked = blankComments(text, unit.lines.comments);
  const appendix = readWithSystemOnDemand(unit, (root, onName, previousTokenEnd) => metadataAppendix(root, blanked, unit.lines, { onName, previousTokenEnd }));
  return appendix ?? metadataAppendix(parsePrepared(unit).tree.rootNode, blanked, unit.lines);
}
