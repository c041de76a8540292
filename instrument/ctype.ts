// The pass's one model of C types, and the one reading of declarations into it (TypeScope):
// type specifiers, declarators, typedef names and record/enum tags. Two readers use it:
//
// - the rewriter (rewrite.ts, rules/), which asks one question: can a store of this type be a
//   pointer store? It sees types through `kindOf`, `resolved` and the helpers below, which look
//   through typedef names and answer 'unknown' for anything not certain (a wrong "arithmetic"
//   would miss a barrier; an unknown only costs a barrier the compiler then decides);
// - the metadata (metadata.ts), which describes each declaration to the host as it is written:
//   typedef names kept, arithmetic types by their spelling (the compiler classifies them), records
//   and enums with their tags, function signatures, const pointees.
//
// A TypeScope reads with `host: false` for the rewriter (no parameter lists, qualifiers or
// _Complex spellings: the rewriter never reads them, and every unit's system prototypes would pay
// for them) and with `host: true` for the metadata.
import type { Node } from './parse.js';
import { TYPEOF_PLACEHOLDER_PREFIX } from './normalize.js';
import { applyDeclarator, isBitfield } from './declarators.js';

export type CType =
  | { readonly k: 'void' }
  /**
   * An arithmetic type, or a type name the pass cannot see through (spelled as written; the
   * compiler classifies it). `arith`: certainly arithmetic, so a store of it is not a pointer store.
   */
  | { readonly k: 'prim'; readonly spell: string; readonly arith: boolean }
  | { readonly k: 'enum'; readonly en: EnumInfo }
  /** A typedef name; `to` is its type where it was used (unknown where the name is ambiguous). */
  | { readonly k: 'typedef'; readonly name: string; readonly to: CType }
  /**
   * A struct or union. `direct`: the type comes from the record's own definition, trusted as it
   * is; a mention by tag is trusted only while the tag has one definition in the unit.
   */
  | { readonly k: 'record'; readonly rec: RecordInfo; readonly direct: boolean }
  /** `constTo`: the pointee is const-qualified (read with host detail only). */
  | { readonly k: 'ptr'; readonly to: CType; readonly constTo: boolean }
  | { readonly k: 'array'; readonly of: CType; readonly sized: boolean }
  /** `sig`: the parameters, read with host detail only (null otherwise). */
  | { readonly k: 'func'; readonly ret: CType; readonly sig: Signature | null }
  /** A type the model does not read (typeof, vector types, a declarator it does not know), by its text. */
  | { readonly k: 'opaque'; readonly spell: string };

export interface Signature {
  params: CType[];
  names: string[];
  variadic: boolean;
  /** Declared without a prototype (`f()`, K&R): the parameters are what the definition says, promoted. */
  unproto: boolean;
}

export interface FieldInfo {
  name: string;
  type: CType;
  bitfield: boolean;
}

export interface RecordInfo {
  readonly union: boolean;
  readonly tag: string | null;
  /** Declared in a parameter list with a body or without a tag: prototype scope, not nameable after it. */
  readonly proto: boolean;
  /** Where the record was first mentioned (anonymous and prototype-scope records are known by it). */
  readonly firstAt: number;
  /** Where its definition (or, without one, its first mention) starts. */
  at: number;
  /** The offset whose line map region says whether the record is a system header's. */
  sysAt: number;
  /**
   * The members in order, an anonymous struct/union member's own flattened in (C11 6.7.2.1p13);
   * null while incomplete. Listed with host detail only (empty otherwise: the rewriter uses byName).
   */
  fields: FieldInfo[] | null;
  /** The members by name, for the rewriter: also the members of any record member declared without a name. */
  byName: Map<string, FieldInfo> | null;
  /** The last member is a flexible array. */
  hasFam: boolean;
  /** Typedef names that denote the record directly. */
  names: string[];
  /** A C type name denoting the record at the end of the unit, or null while none is known. */
  cname: string | null;
}

export interface EnumInfo {
  readonly tag: string | null;
  readonly proto: boolean;
  readonly firstAt: number;
  at: number;
  readonly sysAt: number;
  /** The enumerators' names (read with host detail only). */
  values: string[];
  names: string[];
  cname: string | null;
}

export interface TypedefInfo {
  type: CType;
  /** The offset of the name in the last definition. */
  at: number;
}

export const ARITH: CType = { k: 'prim', spell: 'int', arith: true };
export const UNKNOWN: CType = { k: 'opaque', spell: '' };
export const VOID: CType = { k: 'void' };

export function pointerTo(to: CType): CType {
  return { k: 'ptr', to, constTo: false };
}

/** The type with typedef names looked through. */
export function resolved(t: CType): CType {
  while (t.k === 'typedef') t = t.to;
  return t;
}

/** What the rewriter reasons about: the type's kind, 'unknown' unless certain. */
export type Kind = 'arith' | 'void' | 'ptr' | 'array' | 'record' | 'func' | 'unknown';

export function kindOf(t: CType): Kind {
  const r = resolved(t);
  switch (r.k) {
    case 'prim':
      return r.arith ? 'arith' : 'unknown';
    case 'enum':
      return 'arith';
    case 'opaque':
    case 'typedef':
      return 'unknown';
    default:
      return r.k;
  }
}

/** True when no value of this type can be or contain a pointer. */
export function isArithmetic(t: CType): boolean {
  return kindOf(t) === 'arith';
}

export function isRecord(t: CType): boolean {
  return kindOf(t) === 'record';
}

/** What a pointer or array type's values designate; unknown for any other type. */
export function pointee(t: CType): CType {
  const r = resolved(t);
  if (r.k === 'ptr') return r.to;
  if (r.k === 'array') return r.of;
  return UNKNOWN;
}

/** A parameter declared as an array is a pointer; as a function, a function pointer. */
export function adjustParameter(t: CType): CType {
  if (t.k === 'array') return pointerTo(t.of);
  if (t.k === 'func') return pointerTo(t);
  return t;
}

/** The record a record type certainly designates, or null when it is not a record or not certain. */
export function trustedRecord(t: CType, ambiguousTag: (tag: string) => boolean): RecordInfo | null {
  const r = resolved(t);
  if (r.k !== 'record') return null;
  if (!r.direct && (r.rec.tag === null || ambiguousTag(r.rec.tag))) return null;
  return r.rec.byName ? r.rec : null;
}

/** Whether two types are certainly the same (records: the same definition); false when unsure. */
export function sameType(a: CType, b: CType): boolean {
  // Iterative: declarators may nest thousands of layers deep.
  for (;;) {
    a = resolved(a);
    b = resolved(b);
    const k = kindOf(a);
    if (k !== kindOf(b)) return false;
    if (a.k === 'ptr' && b.k === 'ptr') [a, b] = [a.to, b.to];
    else if (a.k === 'array' && b.k === 'array') [a, b] = [a.of, b.of];
    else if (a.k === 'record' && b.k === 'record') {
      if (a.direct || b.direct) return a.direct && b.direct && a.rec === b.rec;
      return a.rec.tag !== null && a.rec.tag === b.rec.tag;
    } else return k === 'arith' || k === 'void'; // functions (parameters unknown), unknown: unsure
  }
}

/** The shape of a type without record contents, as a string, to compare two typedefs cheaply. */
function kindShape(t: CType): string {
  let out = '';
  for (;;) {
    const r = resolved(t);
    switch (r.k) {
      case 'ptr':
        out += '*';
        t = r.to;
        break;
      case 'array':
        out += '[]';
        t = r.of;
        break;
      case 'func':
        out += '()';
        t = r.ret;
        break;
      case 'record':
        return out + 'record ' + (r.rec.tag ?? '');
      default:
        return out + kindOf(r);
    }
  }
}

const arithmeticTypeNames = new Set([
  '__int128_t', '__uint128_t', '_Float16', '_Float32', '_Float64', '_Float128', '_Float32x', '_Float64x',
  '_Float128x', '__float128', '__float80', '__ibm128', '__bf16', '__fp16', '_Decimal32', '_Decimal64', '_Decimal128',
]);

const COMPLEX = /\b(?:_Complex|__complex__|__complex)\b/;

/** Records nested deeper than this are not read: reading them would recurse that deep. */
const MAX_RECORD_NESTING = 200;

export interface TypeScopeOptions {
  /** Read what the host needs and the rewriter does not: parameter lists, const pointees, _Complex spellings. */
  host: boolean;
  /**
   * Called with every typedef name and tag before the scope looks it up or defines it: a reader of
   * part of a unit (metadata.ts, the unit's own code without its system headers) learns there
   * which names the rest could bear on, and may stop by throwing.
   */
  onName?: (name: string) => void;
  /**
   * Where the parse copy's last token before a file-scope node ends, for a reader of a tree that
   * leaves out part of the unit (system-pieces.ts), whose nodes' previous siblings are not the
   * unit's. By default the node's previous sibling says.
   */
  previousTokenEnd?: (offset: number) => number;
}

/**
 * The typedef names and tags of a unit as its declarations are read, in source order, and the
 * reading of specifiers and declarators into CTypes. Tags follow C's rule for file scope: a
 * definition completes the tag's incomplete record or enum, a second definition makes a new one;
 * a record defined in a parameter list belongs to that list. Tags or typedef names defined more
 * than once (shadowed in a block, say) are "ambiguous": the rewriter then trusts no mention of them.
 */
export class TypeScope {
  readonly typedefs = new Map<string, TypedefInfo>();
  /** Records and enums by `struct tag`, `union tag`, `enum tag`: the current definition of each. */
  readonly tags = new Map<string, RecordInfo | EnumInfo>();
  /** Every record and enum, in the order they were first mentioned. */
  readonly records: RecordInfo[] = [];
  readonly enums: EnumInfo[] = [];
  /** Every declaration of a field with this name, in any record read. */
  readonly fieldsByName = new Map<string, FieldInfo[]>();
  private readonly ambiguousTags = new Set<string>();
  private readonly ambiguousTypedefs = new Set<string>();
  private readonly definedTags = new Set<string>();
  /** The type of each record or enum specifier already read, by node id: each is read once. */
  private readonly specifiers = new Map<number, CType>();
  private recordDepth = 0;
  private readonly mayHaveComplex: boolean;
  private readonly host: boolean;
  private readonly onName: (name: string) => void;
  private readonly previousTokenEnd: ((offset: number) => number) | undefined;
  readonly isAmbiguousTag = (tag: string): boolean => this.ambiguousTags.has(tag);

  constructor(
    /** The unit's original text (the tree is of the parse copy, at the same offsets). */
    private readonly text: string,
    options: TypeScopeOptions,
  ) {
    this.host = options.host;
    this.onName = options.onName ?? (() => {});
    this.previousTokenEnd = options.previousTokenEnd;
    this.mayHaveComplex = this.host && COMPLEX.test(text);
  }

  /** The record a type certainly designates (see trustedRecord). */
  resolveRecord(t: CType): RecordInfo | null {
    return trustedRecord(t, this.isAmbiguousTag);
  }

  private src(n: Node): string {
    return this.text.slice(n.startIndex, n.endIndex);
  }

  /**
   * The original spelling of a type specifier. The parse copy renames GNU keywords to shorter
   * ISO ones (`__int128` → `long`), so the node may end inside a word of the original text.
   */
  spelling(n: Node): string {
    let end = n.endIndex;
    while (end < this.text.length && /[\w$]/.test(this.text[end]!)) end++;
    return cleanSpelling(this.text.slice(n.startIndex, end));
  }

  /** A prim spelled as `n` is, the spelling read only when asked for (the rewriter never asks). */
  private spelledPrim(n: Node, arith: boolean): CType {
    let spell: string | undefined;
    const scope = this;
    return {
      k: 'prim',
      arith,
      get spell() {
        return (spell ??= scope.spelling(n));
      },
    };
  }

  /** Offsets of the word `const` in the text (in `__const` too), to answer isConst without the tree where it is absent. */
  private constAt: number[] | null = null;

  /** Whether the node's own qualifiers include `const` (host detail only). */
  isConst(n: Node): boolean {
    if (!this.host) return false;
    if (!this.constAt) {
      this.constAt = [];
      for (let i = this.text.indexOf('const'); i >= 0; i = this.text.indexOf('const', i + 5)) this.constAt.push(i);
    }
    const at = this.constAt;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! < n.startIndex) lo = mid + 1;
      else hi = mid;
    }
    if (lo === at.length || at[lo]! >= n.endIndex) return false;
    return n.namedChildren.some((c) => c.type === 'type_qualifier' && c.text.trim() === 'const');
  }

  /** The base type of a declaration-like node (declaration, field, parameter, typedef, function definition). */
  declarationBase(n: Node, protoScope = false): CType {
    const spec = n.childForFieldName('type');
    if (this.mayHaveComplex) {
      // The parse copy blanks `_Complex`, so the node may start after it: look back to the previous token.
      const first = n.childForFieldName('declarator');
      const fileScope = this.previousTokenEnd !== undefined && n.parent?.type === 'translation_unit';
      const from = fileScope ? this.previousTokenEnd!(n.startIndex) : (n.previousSibling?.endIndex ?? n.parent?.startIndex ?? n.startIndex);
      const head = this.text.slice(Math.min(from, n.startIndex), first ? first.startIndex : n.endIndex);
      if (COMPLEX.test(head)) return { k: 'opaque', spell: head.trim() };
    }
    return this.specifier(spec, protoScope);
  }

  /** The type a type specifier node names (the `type:` field of a declaration; null: implicit int). */
  specifier(spec: Node | null, protoScope = false): CType {
    if (!spec) return ARITH;
    switch (spec.type) {
      case 'primitive_type':
        return spec.text === 'void' ? VOID : this.spelledPrim(spec, true);
      case 'sized_type_specifier': {
        const inner = spec.childForFieldName('type');
        return this.spelledPrim(spec, !inner || (inner.type === 'primitive_type' && inner.text !== 'void') || arithmeticTypeNames.has(inner.text));
      }
      case 'type_identifier': {
        const name = spec.text;
        if (name.startsWith(TYPEOF_PLACEHOLDER_PREFIX)) return { k: 'prim', spell: this.src(spec).trim(), arith: false };
        // The parse copy invents a type name for K&R implicit int (`main () {`): the text has none.
        if (this.src(spec) !== name) return { k: 'prim', spell: 'int', arith: false };
        this.onName(name);
        const td = this.typedefs.get(name);
        if (!td) return { k: 'prim', spell: name, arith: arithmeticTypeNames.has(name) };
        if (this.host) {
          // The host writes the name; what it stands for is looked up when asked (its definition
          // may be read on demand: the metadata's system-header definitions).
          const typedefs = this.typedefs;
          return {
            k: 'typedef',
            name,
            get to() {
              return arithmeticTypeNames.has(name) ? ARITH : (typedefs.get(name)?.type ?? UNKNOWN);
            },
          };
        }
        const to = arithmeticTypeNames.has(name) ? ARITH : this.ambiguousTypedefs.has(name) ? UNKNOWN : td.type;
        return { k: 'typedef', name, to };
      }
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier': {
        const seen = this.specifiers.get(spec.id);
        if (seen) return seen;
        let type: CType;
        if (spec.type === 'enum_specifier') type = { k: 'enum', en: this.enumeration(spec, protoScope) };
        else if (this.recordDepth >= MAX_RECORD_NESTING) return UNKNOWN;
        else {
          this.recordDepth++;
          try {
            type = this.record(spec, protoScope);
          } finally {
            this.recordDepth--;
          }
        }
        this.specifiers.set(spec.id, type);
        return type;
      }
      default:
        return { k: 'opaque', spell: this.src(spec).trim() };
    }
  }

  private record(spec: Node, protoScope: boolean): CType {
    const union = spec.type === 'union_specifier';
    const kw = union ? 'union' : 'struct';
    const nameNode = spec.childForFieldName('name');
    const tag = nameNode?.text ?? null;
    if (tag !== null) this.onName(tag);
    const body = spec.childForFieldName('body');
    const sysAt = (nameNode ?? body ?? spec).startIndex;
    // A tag named in a parameter list without a body is taken as the file-scope tag (C would
    // make a new prototype-scope type when none is declared yet; for calls it is the same).
    const fileScopeTag = tag !== null && (!protoScope || !body);
    protoScope = protoScope && !fileScopeTag;
    let rec: RecordInfo | undefined;
    if (fileScopeTag) {
      const existing = this.tags.get(`${kw} ${tag}`) as RecordInfo | undefined;
      if (existing && (!body || existing.fields === null)) rec = existing;
    }
    if (!rec) {
      rec = {
        union,
        tag,
        proto: protoScope,
        firstAt: spec.startIndex,
        at: spec.startIndex,
        sysAt,
        fields: null,
        byName: null,
        hasFam: false,
        names: [],
        cname: tag && !protoScope ? `${kw} ${tag}` : null,
      };
      this.records.push(rec);
      if (tag && !protoScope) this.tags.set(`${kw} ${tag}`, rec);
    }
    if (!body) return { k: 'record', rec, direct: false };
    rec.at = spec.startIndex;
    rec.sysAt = sysAt;
    rec.fields = [];
    rec.byName = new Map();
    this.readFields(body, rec, protoScope);
    if (tag) {
      if (this.definedTags.has(tag)) this.ambiguousTags.add(tag);
      this.definedTags.add(tag);
    }
    // A redefined tag may mean either record where it is used by name: not trusted from now on.
    return { k: 'record', rec, direct: !(tag && this.ambiguousTags.has(tag)) };
  }

  private readFields(body: Node, rec: RecordInfo, protoScope: boolean): void {
    for (const decl of body.namedChildren) {
      if (decl.type !== 'field_declaration') continue;
      const base = this.declarationBase(decl, protoScope);
      const baseConst = this.isConst(decl);
      const bitfield = isBitfield(decl);
      const declarators = decl.childrenForFieldName('declarator');
      if (declarators.length === 0) {
        // A member without a name: an anonymous struct/union's members are the outer record's
        // (C11 6.7.2.1p13). By name, any record's members are taken (GNU's -fms-extensions reads a
        // tagged one as anonymous too), so that a store through the name is never missed.
        const inner = this.resolveRecord(base);
        if (inner) for (const [name, info] of inner.byName!) rec.byName!.set(name, info);
        if (this.host && base.k === 'record' && base.rec.tag === null && base.rec.fields) {
          for (const f of base.rec.fields) rec.fields!.push(f);
          rec.hasFam ||= base.rec.hasFam;
        }
        continue;
      }
      for (const d of declarators) {
        const { name, nameNode, type } = this.declare(d, base, baseConst, protoScope);
        if (!name || !nameNode) continue;
        const info: FieldInfo = { name, type, bitfield };
        rec.byName!.set(name, info);
        let list = this.fieldsByName.get(name);
        if (!list) this.fieldsByName.set(name, (list = []));
        list.push(info);
        // The pass names unnamed bit-fields `_` in its parse copy; the real text has none.
        if (!this.host || this.src(nameNode) !== name) continue;
        if (type.k === 'array' && !type.sized) rec.hasFam = true;
        rec.fields!.push(info);
      }
    }
  }

  private enumeration(spec: Node, protoScope: boolean): EnumInfo {
    const nameNode = spec.childForFieldName('name');
    const tag = nameNode?.text ?? null;
    if (tag !== null) this.onName(tag);
    const body = spec.childForFieldName('body');
    protoScope = protoScope && !(tag !== null && !body);
    let en: EnumInfo | undefined;
    if (tag && !protoScope) {
      const existing = this.tags.get(`enum ${tag}`) as EnumInfo | undefined;
      if (existing && (!body || existing.values.length === 0)) en = existing;
    }
    if (!en) {
      en = {
        tag,
        proto: protoScope,
        firstAt: spec.startIndex,
        at: spec.startIndex,
        sysAt: (nameNode ?? body ?? spec).startIndex,
        values: [],
        names: [],
        cname: tag && !protoScope ? `enum ${tag}` : null,
      };
      this.enums.push(en);
      if (tag && !protoScope) this.tags.set(`enum ${tag}`, en);
    }
    if (body) {
      en.at = spec.startIndex;
      // The enumerators' names are the host's concern: the rewriter only needs to know an enum is arithmetic.
      if (!this.host) return en;
      for (const e of body.namedChildren) {
        if (e.type !== 'enumerator') continue;
        const name = e.childForFieldName('name')?.text;
        if (name) en.values.push(name);
      }
    }
    return en;
  }

  /**
   * Applies a declarator to a base type: `*a[3]` on int gives a: array of pointer to int.
   * `isConst`: whether the declared object itself is const (host detail only).
   */
  declare(d: Node | null, base: CType, baseConst = false, protoScope = false): { name: string | null; nameNode: Node | null; type: CType; isConst: boolean } {
    if (!this.host) {
      const { name, nameNode, type } = applyDeclarator<CType>(d, base, this.storeLayers);
      return { name, nameNode, type, isConst: false };
    }
    // Each layer carries whether the object it describes is const-qualified.
    const { name, nameNode, type } = applyDeclarator<{ type: CType; isConst: boolean }>(d, { type: base, isConst: baseConst }, {
      pointer: (to, node) => ({ type: { k: 'ptr', to: to.type, constTo: to.isConst }, isConst: this.isConst(node) }),
      array: (of, node) => ({ type: { k: 'array', of: of.type, sized: node.childForFieldName('size') !== null }, isConst: of.isConst }),
      func: (ret, node) => ({ type: { k: 'func', ret: ret.type, sig: this.signature(node) }, isConst: false }),
      unknown: (sofar, node) => ({ type: { k: 'opaque', spell: this.src(node) }, isConst: sofar.isConst }),
    });
    return { name, nameNode, type: type.type, isConst: type.isConst };
  }

  private readonly storeLayers = {
    pointer: (to: CType): CType => pointerTo(to),
    array: (of: CType, node: Node): CType => ({ k: 'array', of, sized: node.childForFieldName('size') !== null }),
    func: (ret: CType): CType => ({ k: 'func', ret, sig: null }),
    unknown: (_sofar: CType, node: Node): CType => ({ k: 'opaque', spell: this.src(node) }),
  };

  /** Type named by a `type_descriptor` (casts, sizeof, compound literals). */
  descriptor(desc: Node): CType {
    const base = this.specifier(desc.childForFieldName('type'));
    const d = desc.childForFieldName('declarator');
    return d ? this.declare(d, base).type : base;
  }

  /**
   * Defines a typedef name at offset `at`. A definition read after a later one of the same name
   * (read on demand, see reserveTypedef) does not replace it.
   */
  defineTypedef(name: string, type: CType, at: number): void {
    this.onName(name);
    const prior = this.typedefs.get(name);
    if (prior && prior.at > at) return;
    // Ambiguity is the rewriter's concern (host detail never asks, and reads some definitions late).
    if (!this.host && prior && kindShape(prior.type) !== kindShape(type)) this.ambiguousTypedefs.add(name);
    if (prior) {
      prior.type = type;
      prior.at = at;
    } else this.typedefs.set(name, { type, at });
  }

  /** Declares a typedef name whose definition (at `at`) is read later, if at all; its type is unknown until then. */
  reserveTypedef(name: string, at: number): void {
    const prior = this.typedefs.get(name);
    if (prior) prior.at = at;
    else this.typedefs.set(name, { type: UNKNOWN, at });
  }

  /** The parameters of a function declarator (host detail). */
  private signature(fd: Node): Signature {
    const params: CType[] = [];
    const names: string[] = [];
    let variadic = false;
    let unproto = false;
    const list = fd.childForFieldName('parameters');
    const children = list?.namedChildren ?? [];
    if (children.length === 0) unproto = true; // `f()`: no prototype
    for (const p of children) {
      if (p.type === 'variadic_parameter') {
        variadic = true;
        continue;
      }
      if (p.type === 'identifier') {
        // K&R identifier list: types come from the declarations before the body.
        unproto = true;
        params.push(IMPLICIT_INT);
        names.push(p.text);
        continue;
      }
      if (p.type !== 'parameter_declaration') continue;
      const spec = p.childForFieldName('type');
      if (spec?.type === 'type_identifier') this.onName(spec.text);
      if (spec?.type === 'type_identifier' && !p.childForFieldName('declarator') && !this.typedefs.has(spec.text) && !spec.text.startsWith(TYPEOF_PLACEHOLDER_PREFIX)) {
        // `f(a, b)`: the grammar cannot tell an identifier list from unnamed typedef'd parameters.
        unproto = true;
        params.push(IMPLICIT_INT);
        names.push(spec.text);
        continue;
      }
      const base = this.declarationBase(p, true);
      const { name, type } = this.declare(p.childForFieldName('declarator'), base, this.isConst(p), true);
      if (type.k === 'void' && !name) continue; // (void)
      params.push(adjustParameter(type));
      names.push(name ?? '');
    }
    return { params, names, variadic, unproto };
  }
}

/** `int` where C assumes it (K&R parameters, implicit int), as the host reads it. */
export const IMPLICIT_INT: CType = { k: 'prim', spell: 'int', arith: false };

const NOT_TYPE_WORDS = /\b(?:static|extern|inline|__inline|__inline__|register|auto|typedef|_Thread_local|__thread|_Noreturn|const|__const|__const__|volatile|__volatile|__volatile__|restrict|__restrict|__restrict__|__extension__)\b/g;

/** A type specifier's text as a type name: without alignment, attributes, storage classes and qualifiers. */
function cleanSpelling(spell: string): string {
  let out = spell;
  for (const word of ['_Alignas', 'alignas', '__attribute__', '__attribute', '__declspec']) {
    for (let i = out.indexOf(word); i >= 0; i = out.indexOf(word)) {
      const open = out.indexOf('(', i);
      if (open < 0) {
        out = out.slice(0, i) + out.slice(i + word.length);
        continue;
      }
      let depth = 0;
      let j = open;
      for (; j < out.length; j++) {
        if (out[j] === '(') depth++;
        else if (out[j] === ')' && --depth === 0) break;
      }
      out = out.slice(0, i) + ' ' + out.slice(j + 1);
    }
  }
  out = out.replace(NOT_TYPE_WORDS, ' ').replace(/\s+/g, ' ').trim();
  return out === '' ? 'int' : out;
}
