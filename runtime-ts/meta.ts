// Reads the metadata cc-wb linked into a library (instrument/schema.ts) and merges the units into
// one description with every number resolved: the model the host and the .d.ts writer share.
import { elfExportedSymbols, readElfSection } from './elf.js';
import { INLINE_SYMBOL_PREFIX, KIND, META_MAGIC, META_SECTION, type RawRecord, type RawType, type RawUnit } from '../instrument/schema.js';

export type CType =
  | { k: 'void'; alias?: string }
  | { k: 'int'; name: string; size: number; signed: boolean; char: boolean; bool: boolean; alias?: string }
  | { k: 'float'; name: string; size: number; alias?: string }
  | { k: 'ptr'; to: CType; constTo: boolean; alias?: string }
  | { k: 'array'; of: CType; length: number | null; alias?: string }
  | { k: 'record'; rec: RecordMeta; alias?: string }
  | { k: 'enum'; en: EnumMeta; alias?: string }
  | { k: 'func'; ret: CType; params: CType[]; variadic: boolean; unproto: boolean; alias?: string }
  | { k: 'opaque'; name: string; alias?: string };

export interface FieldMeta {
  name: string;
  type: CType;
  /** Byte offset; for a bit-field, the byte holding its first bit. */
  offset: number;
  bits?: { offset: number; width: number }; // bit offset from the start of the record
}

export interface RecordMeta {
  key: string;
  union: boolean;
  tag: string | null;
  names: string[];
  complete: boolean;
  size: number;
  align: number;
  fields: FieldMeta[];
  fam: boolean;
  loc: string;
  sys: boolean;
  /** Index in LibraryMeta.recordList + 1: the type id given to the runtime for host objects. */
  id: number;
}

export interface EnumMeta {
  key: string;
  tag: string | null;
  names: string[];
  type: Extract<CType, { k: 'int' }>;
  values: Map<string, number | bigint>;
  loc: string;
  sys: boolean;
}

export interface FunctionMeta {
  name: string;
  type: Extract<CType, { k: 'func' }>;
  paramNames: string[];
  def: boolean;
  loc: string;
  /** A `static inline` function of the library's headers, called through its instance pointer (symbolOf). */
  inline?: boolean;
}

/** The symbol through which the host reaches f: its own name, or for a header's inline function its instance pointer. */
export function symbolOf(f: FunctionMeta): string {
  return f.inline ? INLINE_SYMBOL_PREFIX + f.name : f.name;
}

export interface GlobalMeta {
  name: string;
  type: CType;
  def: boolean;
  readonly: boolean;
  loc: string;
}

/** The target's C data model as the compiler reported it (the first unit's; every unit of one library shares it). */
export interface TargetEnv {
  pointerSize: number;
  longSize: number;
  longDoubleSize: number;
  charSigned: boolean;
}

export interface LibraryMeta {
  file: string;
  units: string[];
  env: TargetEnv;
  recordList: RecordMeta[];
  /** Records by key ('struct hw', 'union u', 'anon struct file:line:col'). */
  records: Map<string, RecordMeta>;
  enums: Map<string, EnumMeta>;
  typedefs: Map<string, CType>;
  functions: Map<string, FunctionMeta>;
  globals: Map<string, GlobalMeta>;
  macros: Map<string, number | bigint | string>;
  /** Names whose definitions differ between units (the first one is used). */
  conflicts: string[];
}

export class MetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataError';
  }
}

interface Blob {
  words: bigint[];
  doubles: number[];
  unit: RawUnit;
  bytes: Buffer; // the blob itself
}

/** Splits the section into unit blobs. */
export function parseSection(bytes: Buffer, file = '<section>'): Blob[] {
  const out: Blob[] = [];
  let o = 0;
  while (o + 64 <= bytes.length) {
    const magic = bytes.readBigUInt64LE(o);
    if (magic === 0n) {
      o += 8; // alignment padding between units
      continue;
    }
    if (magic !== META_MAGIC) throw new MetadataError(`${file}: corrupt ${META_SECTION} section at offset ${o}`);
    const h = (i: number) => Number(bytes.readBigUInt64LE(o + 8 * i));
    const size = h(1);
    const nwords = h(2);
    const wordsOff = h(3);
    const jsonLen = h(4);
    const jsonOff = h(5);
    const ndoubles = h(6);
    const doublesOff = h(7);
    if (size < 64 || o + size > bytes.length) throw new MetadataError(`${file}: truncated ${META_SECTION} unit at offset ${o}`);
    const blob = bytes.subarray(o, o + size);
    const words: bigint[] = [];
    for (let i = 0; i < nwords; i++) words.push(blob.readBigUInt64LE(wordsOff + 8 * i));
    const doubles: number[] = [];
    for (let i = 0; i < ndoubles; i++) doubles.push(blob.readDoubleLE(doublesOff + 8 * i));
    // Extended identifiers arrive as C spells them after cc -E (`gr\u00f6\u00dfe`): decode them.
    const unit = JSON.parse(blob.toString('utf8', jsonOff, jsonOff + jsonLen), (_k, v: unknown) => (typeof v === 'string' && v.includes('\\') ? decodeUcns(v) : v)) as RawUnit;
    if (unit.v !== 1) throw new MetadataError(`${file}: unit ${unit.file} has metadata version ${String(unit.v)}, this host reads version 1`);
    out.push({ words, doubles, unit, bytes: blob });
    o += (size + 7) & ~7;
  }
  return out;
}

function decodeUcns(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) => String.fromCodePoint(parseInt(a ?? b!, 16)));
}

const num = (b: bigint): number => Number(b);
const intValue = (bits: bigint, negative: boolean): number | bigint => {
  const v = negative ? BigInt.asIntN(64, bits) : bits;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
};

/** Reads and merges the metadata of a library; null when it has none (not built with cc-wb). */
export function readLibraryMeta(file: string): LibraryMeta | null {
  const section = readElfSection(file, META_SECTION);
  if (!section) return null;
  const meta = mergeUnits(file, parseSection(section.bytes, file));
  // Definitions the library does not export (hidden visibility, -fvisibility=hidden builds) are
  // not callable: leave them out. Declarations stay (found in the library's dependencies).
  const exported = elfExportedSymbols(file);
  if (exported) {
    for (const [name, f] of meta.functions) if (f.def && !exported.has(symbolOf(f))) meta.functions.delete(name);
    for (const [name, g] of meta.globals) if (g.def && !exported.has(g.name)) meta.globals.delete(name);
  }
  return meta;
}

/** Per library: header inline functions defined differently by different units (two private `min`s). */
const inlineConflicts = new WeakMap<LibraryMeta, Set<string>>();

/**
 * Whether a header's inline function `name` (defined at `loc`) is ambiguous: another unit's inline
 * function of that name is another definition (another place), so the one instance pointer the
 * library keeps may be either, with either signature. Such a name is left out (and removed).
 */
function ambiguousInline(lib: LibraryMeta, name: string, loc: string, prior: FunctionMeta | undefined): boolean {
  let conflicts = inlineConflicts.get(lib);
  if (conflicts?.has(name)) return true;
  if (!prior?.inline || prior.loc === loc) return false;
  if (!conflicts) inlineConflicts.set(lib, (conflicts = new Set()));
  conflicts.add(name);
  lib.functions.delete(name);
  return true;
}

export function mergeUnits(file: string, blobs: Blob[]): LibraryMeta {
  const lib: LibraryMeta = {
    file,
    units: [],
    env: { pointerSize: 8, longSize: 8, longDoubleSize: 16, charSigned: true }, // replaced by the first unit's
    recordList: [],
    records: new Map(),
    enums: new Map(),
    typedefs: new Map(),
    functions: new Map(),
    globals: new Map(),
    macros: new Map(),
    conflicts: [],
  };
  const signatures = new Map<string, string>();
  for (const blob of blobs) new UnitReader(lib, blob, signatures).read();
  return lib;
}

class UnitReader {
  private readonly u: RawUnit;
  private readonly w: (i: number) => number;
  /** This unit's records by key (may differ from the library's when definitions conflict). */
  private readonly localRecords = new Map<string, RecordMeta>();
  private readonly localEnums = new Map<string, EnumMeta>();
  private readonly localTypedefs = new Map<string, CType>();
  private readonly rawTypedefs = new Map<string, RawType>();
  private readonly env: { long: number; ldouble: number; ptr: number; charSigned: boolean };

  constructor(
    private readonly lib: LibraryMeta,
    private readonly blob: Blob,
    private readonly signatures: Map<string, string>,
  ) {
    this.u = blob.unit;
    this.w = (i) => num(blob.words[i]!);
    const e = this.u.env;
    this.env = { long: this.w(e.long), ldouble: this.w(e.ldouble), ptr: this.w(e.ptr), charSigned: this.w(e.charSigned) !== 0 };
    if (this.env.ptr !== 8) throw new MetadataError(`${lib.file}: unit ${this.u.file} was built for ${this.env.ptr * 8}-bit pointers; this host supports 64-bit targets`);
  }

  read(): void {
    const { u, lib } = this;
    if (lib.units.length === 0) lib.env = { pointerSize: this.env.ptr, longSize: this.env.long, longDoubleSize: this.env.ldouble, charSigned: this.env.charSigned };
    lib.units.push(u.file);
    for (const t of u.typedefs) this.rawTypedefs.set(t.n, t.t);
    // Records first (as shells, so fields may refer to any record), then everything else.
    for (const r of u.records) this.recordShell(r);
    for (const e of u.enums) {
      const kind = this.kind(this.w(e.kind), e.tag ? `enum ${e.tag}` : e.names?.[0] ?? 'enum');
      const en: EnumMeta = {
        key: e.key,
        tag: e.tag ?? null,
        names: e.names ?? [],
        type: kind.k === 'int' ? kind : { k: 'int', name: 'int', size: 4, signed: true, char: false, bool: false },
        values: new Map(e.values.map(([n, v, neg]) => [n, intValue(this.blob.words[v]!, this.w(neg) !== 0)])),
        loc: e.loc,
        sys: e.sys === 1,
      };
      this.localEnums.set(e.key, en);
      const prior = lib.enums.get(e.key);
      if (!prior || (prior.values.size === 0 && en.values.size > 0)) lib.enums.set(e.key, en);
    }
    for (const r of u.records) this.recordBody(r);
    for (const t of u.typedefs) {
      const ty = this.typedef(t.n);
      if (!lib.typedefs.has(t.n)) lib.typedefs.set(t.n, ty);
    }
    for (const f of u.functions) {
      const type = this.type(f.t) as Extract<CType, { k: 'func' }>;
      const prior = lib.functions.get(f.n);
      const inline = f.inl === 1;
      if (inline && ambiguousInline(lib, f.n, f.loc, prior)) continue;
      // A real definition wins over a header's inline instance of the same name, which wins over a declaration.
      const rank = (x: { def: boolean; inline?: boolean }) => (x.def ? (x.inline ? 1 : 2) : 0);
      if (prior && rank(prior) >= rank({ def: f.def === 1, inline })) continue;
      lib.functions.set(f.n, { name: f.n, type, paramNames: f.pn, def: f.def === 1, loc: f.loc, ...(inline ? { inline } : {}) });
    }
    for (const g of u.globals) {
      const prior = lib.globals.get(g.n);
      if (prior && (prior.def || !g.def)) continue;
      lib.globals.set(g.n, { name: g.n, type: this.type(g.t), def: g.def === 1, readonly: g.ro === 1, loc: g.loc });
    }
    for (const m of u.macros) {
      if (lib.macros.has(m.n)) continue;
      if (m.s) {
        const off = this.w(m.s[0]);
        const size = this.w(m.s[1]);
        lib.macros.set(m.n, this.blob.bytes.toString('utf8', off, off + size - 1));
      } else if (m.i) {
        const [v, neg, isFloat, d] = m.i;
        lib.macros.set(m.n, this.w(isFloat) ? this.blob.doubles[d]! : intValue(this.blob.words[v]!, this.w(neg) !== 0));
      }
    }
  }

  /**
   * An arithmetic type from the compiler's kind code. The unit's environment carries the sizes
   * that differ between 64-bit data models (long, long double) and char's signedness; short, int,
   * long long, float and double have the same sizes in every 64-bit data model the host accepts
   * (LP64 and LLP64; pointers must be 8 bytes, see the constructor), so they are written here.
   */
  private kind(code: number, name: string): CType {
    const int = (size: number, signed: boolean, extra: Partial<{ char: boolean; bool: boolean }> = {}): CType => ({
      k: 'int',
      name,
      size,
      signed,
      char: extra.char ?? false,
      bool: extra.bool ?? false,
    });
    switch (code) {
      case KIND.char:
        return int(1, this.env.charSigned, { char: true });
      case KIND.schar:
        return int(1, true);
      case KIND.uchar:
        return int(1, false);
      case KIND.short:
        return int(2, true);
      case KIND.ushort:
        return int(2, false);
      case KIND.int:
        return int(4, true);
      case KIND.uint:
        return int(4, false);
      case KIND.long:
        return int(this.env.long, true);
      case KIND.ulong:
        return int(this.env.long, false);
      case KIND.llong:
        return int(8, true);
      case KIND.ullong:
        return int(8, false);
      case KIND.float:
        return { k: 'float', name, size: 4 };
      case KIND.double:
        return { k: 'float', name, size: 8 };
      case KIND.ldouble:
        return { k: 'float', name, size: this.env.ldouble };
      case KIND.bool:
        return int(1, false, { bool: true });
      default:
        return { k: 'opaque', name };
    }
  }

  private resolving = new Set<string>();

  private typedef(name: string): CType {
    const done = this.localTypedefs.get(name);
    if (done) return done;
    const raw = this.rawTypedefs.get(name);
    if (!raw || this.resolving.has(name)) return this.lib.typedefs.get(name) ?? { k: 'opaque', name };
    this.resolving.add(name);
    const resolved = raw[0] === 'p' ? this.kind(this.w(raw[1]), name) : this.type(raw);
    this.resolving.delete(name);
    const t = { ...resolved, alias: name } as CType;
    this.localTypedefs.set(name, t);
    return t;
  }

  type(t: RawType): CType {
    switch (t[0]) {
      case 'v':
        return { k: 'void' };
      case 'p':
        return t[2] === 'void' ? { k: 'void' } : this.kind(this.w(t[1]), t[2]);
      case 't':
        return this.typedef(t[1]);
      case 'r': {
        const rec = this.localRecords.get(t[1]) ?? this.lib.records.get(t[1]);
        return rec ? { k: 'record', rec } : { k: 'opaque', name: t[1] };
      }
      case 'e': {
        const en = this.localEnums.get(t[1]) ?? this.lib.enums.get(t[1]);
        return en ? { k: 'enum', en } : { k: 'int', name: t[1], size: 4, signed: true, char: false, bool: false };
      }
      case '*':
        return { k: 'ptr', to: this.type(t[1]), constTo: t[2] === 1 };
      case '[':
        return { k: 'array', of: this.type(t[1]), length: t[2] === null ? null : this.w(t[2]) };
      case 'f':
        return { k: 'func', ret: this.type(t[1]), params: t[2].map((p) => this.type(p)), variadic: t[3] === 1, unproto: t[4] === 1 };
      case 'o':
        return { k: 'opaque', name: t[1] };
    }
  }

  /** A record's identity for merging: layout plus field types, with every number resolved. */
  private signature(r: RawRecord): string {
    const resolve = (t: RawType): unknown => {
      switch (t[0]) {
        case 'p':
          return ['p', this.w(t[1])];
        case '*':
          return ['*', resolve(t[1])];
        case '[':
          return ['[', resolve(t[1]), t[2] === null ? null : this.w(t[2])];
        case 'f':
          return ['f', resolve(t[1]), t[2].map(resolve), t[3]];
        default:
          return t;
      }
    };
    if (!r.complete) return 'incomplete';
    return JSON.stringify([
      r.union,
      this.w(r.size!),
      this.w(r.align!),
      r.fields!.map((f) => [f.n, f.off === null ? null : this.w(f.off), f.img === undefined ? null : this.bitsOf(r, f.img), resolve(f.t)]),
    ]);
  }

  private bitsOf(r: RawRecord, img: number): { offset: number; width: number } | null {
    const off = this.w(img);
    const size = this.w(r.size!);
    const bytes = this.blob.bytes.subarray(off, off + size);
    let first = -1;
    let last = -1;
    for (let i = 0; i < bytes.length * 8; i++) {
      if ((bytes[i >> 3]! >> (i & 7)) & 1) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? null : { offset: first, width: last - first + 1 };
  }

  private recordShell(r: RawRecord): void {
    const sig = this.signature(r);
    const prior = this.lib.records.get(r.key);
    const priorSig = this.signatures.get(r.key);
    const shell = (key: string): RecordMeta => ({
      key,
      union: r.union === 1,
      tag: r.tag ?? null,
      names: r.names ?? [],
      complete: false,
      size: 0,
      align: 1,
      fields: [],
      fam: false,
      loc: r.loc,
      sys: r.sys === 1,
      id: 0,
    });
    if (!prior) {
      const rec = shell(r.key);
      this.register(rec, sig);
      this.localRecords.set(r.key, rec);
      return;
    }
    if (sig === 'incomplete' || priorSig === sig) {
      this.localRecords.set(r.key, prior);
      return;
    }
    if (priorSig === 'incomplete') {
      // The library knew only a declaration: this unit completes it.
      this.signatures.set(r.key, sig);
      this.localRecords.set(r.key, prior);
      return;
    }
    // Same name, different layout: a unit-private type (two .c files each with their own `struct node`).
    let n = 2;
    while (this.lib.records.has(`${r.key}#${n}`)) n++;
    this.lib.conflicts.push(`${r.key} (${prior.loc} and ${r.loc})`);
    const rec = shell(`${r.key}#${n}`);
    this.register(rec, sig);
    this.localRecords.set(r.key, rec);
  }

  private register(rec: RecordMeta, sig: string): void {
    this.lib.recordList.push(rec);
    rec.id = this.lib.recordList.length;
    this.lib.records.set(rec.key, rec);
    this.signatures.set(rec.key, sig);
  }

  private recordBody(r: RawRecord): void {
    const rec = this.localRecords.get(r.key)!;
    if (rec.complete || !r.complete) return;
    rec.complete = true;
    rec.loc = r.loc;
    rec.size = this.w(r.size!);
    rec.align = this.w(r.align!);
    rec.fam = r.fam === 1;
    rec.fields = [];
    for (const f of r.fields!) {
      const type = this.type(f.t);
      if (f.img !== undefined) {
        const bits = this.bitsOf(r, f.img);
        if (bits) rec.fields.push({ name: f.n, type, offset: bits.offset >> 3, bits });
      } else if (f.off !== null) {
        rec.fields.push({ name: f.n, type, offset: this.w(f.off) });
      }
    }
  }
}

/** The C spelling of a type, for messages and declarations: `const char *`, `struct hw *`. */
export function typeName(t: CType, inner = ''): string {
  if (t.alias) return join(t.alias, inner);
  switch (t.k) {
    case 'void':
      return join('void', inner);
    case 'int':
    case 'float':
    case 'opaque':
      return join(t.name, inner);
    case 'record':
      return join(recordName(t.rec), inner);
    case 'enum':
      return join(t.en.tag ? `enum ${t.en.tag}` : t.en.names[0] ?? 'enum', inner);
    case 'ptr': {
      const star = '*' + inner;
      const wrapped = t.to.k === 'array' || t.to.k === 'func' ? `(${star})` : star;
      const base = typeName(t.to, wrapped);
      return t.constTo ? `const ${base}` : base;
    }
    case 'array':
      return typeName(t.of, `${inner}[${t.length ?? ''}]`);
    case 'func': {
      const params = t.params.map((p) => typeName(p)).join(', ');
      const list = t.unproto && t.params.length === 0 ? '' : params + (t.variadic ? (params ? ', ...' : '...') : params ? '' : 'void');
      return typeName(t.ret, `${inner}(${list})`);
    }
  }
}

function join(base: string, inner: string): string {
  if (!inner) return base;
  return inner.startsWith('*') || inner.startsWith('(') ? `${base} ${inner}` : `${base} ${inner}`.replace(/ \[/, '[');
}

export function recordName(rec: RecordMeta): string {
  if (rec.tag) return `${rec.union ? 'union' : 'struct'} ${rec.tag}`;
  return rec.names[0] ?? `${rec.union ? 'union' : 'struct'} <anonymous at ${rec.loc}>`;
}

/** Follows typedef aliases: they are already resolved, this drops the display name. */
export function stripAlias<T extends CType>(t: T): T {
  if (!t.alias) return t;
  const { alias: _alias, ...rest } = t;
  return rest as T;
}
