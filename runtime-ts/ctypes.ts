// The C types of one library in the host's model (meta.ts's CType): types by name, sizes,
// alignments, identity keys and which record pointers are interchangeable. Pure: no memory, no koffi.
import type { CType, LibraryMeta, RecordMeta, TargetEnv } from './meta.js';
import { recordName, typeName } from './meta.js';

type IntType = Extract<CType, { k: 'int' }>;

/**
 * Type names a user may write that need no declaration in the library (`lib.$cast(p, 'int')`,
 * `va('long', 1)`), looked up before the library's typedefs. Sizes that vary between targets
 * (long, pointers, char's signedness) come from the metadata's environment.
 */
function builtinNames(env: TargetEnv): Map<string, CType> {
  const int = (name: string, size: number, signed: boolean, extra: { char?: boolean; bool?: boolean } = {}): IntType => ({ k: 'int', name, size, signed, char: extra.char ?? false, bool: extra.bool ?? false });
  const ptr = env.pointerSize;
  const out = new Map<string, CType>([
    ['char', int('char', 1, env.charSigned, { char: true })],
    ['signed char', int('signed char', 1, true)],
    ['unsigned char', int('unsigned char', 1, false)],
    // The kinds below have the same size in every data model the metadata reader accepts (meta.ts).
    ['short', int('short', 2, true)],
    ['unsigned short', int('unsigned short', 2, false)],
    ['int', int('int', 4, true)],
    ['unsigned', int('unsigned int', 4, false)],
    ['unsigned int', int('unsigned int', 4, false)],
    ['long', int('long', env.longSize, true)],
    ['unsigned long', int('unsigned long', env.longSize, false)],
    ['long long', int('long long', 8, true)],
    ['unsigned long long', int('unsigned long long', 8, false)],
    ['_Bool', int('_Bool', 1, false, { bool: true })],
    ['bool', int('_Bool', 1, false, { bool: true })],
    ['float', { k: 'float', name: 'float', size: 4 }],
    ['double', { k: 'float', name: 'double', size: 8 }],
    ['void', { k: 'void' }],
  ]);
  const typedefs: Array<[string, number, boolean]> = [
    ['size_t', ptr, false],
    ['ssize_t', ptr, true],
    ['intptr_t', ptr, true],
    ['uintptr_t', ptr, false],
    ['ptrdiff_t', ptr, true],
  ];
  for (const bits of [8, 16, 32, 64]) typedefs.push([`int${bits}_t`, bits / 8, true], [`uint${bits}_t`, bits / 8, false]);
  for (const [name, size, signed] of typedefs) out.set(name, int(name, size, signed));
  return out;
}

export class CTypes {
  private readonly builtins: Map<string, CType>;

  constructor(
    private readonly meta: LibraryMeta,
    /** The library's file, for messages. */
    private readonly path: string,
  ) {
    this.builtins = builtinNames(meta.env);
  }

  /** A string that is equal for two types exactly when values of one can be read as the other. */
  key(t: CType): string {
    switch (t.k) {
      case 'void':
        return 'v';
      case 'int':
        return `i${t.size}${t.signed ? 's' : 'u'}${t.char ? 'c' : ''}${t.bool ? 'b' : ''}`;
      case 'float':
        return `f${t.size}`;
      case 'enum':
        return `e:${t.en.key}`;
      case 'record':
        return `r:${t.rec.key}`;
      case 'ptr':
        return `*${this.key(t.to)}`;
      case 'array':
        return `[${t.length ?? ''}]${this.key(t.of)}`;
      case 'func':
        return `(${t.params.map((p) => this.key(p)).join(',')}${t.variadic ? ',...' : ''})${this.key(t.ret)}`;
      case 'opaque':
        return `o:${t.name}`;
    }
  }

  sizeOf(t: CType): number {
    switch (t.k) {
      case 'int':
      case 'float':
        return t.size;
      case 'enum':
        return t.en.type.size;
      case 'ptr':
        return this.meta.env.pointerSize;
      case 'record':
        if (!t.rec.complete) throw new TypeError(`sizeof ${recordName(t.rec)}: incomplete type`);
        return t.rec.size;
      case 'array':
        if (t.length === null) throw new TypeError(`sizeof ${typeName(t)}: unknown length`);
        return t.length * this.sizeOf(t.of);
      default:
        throw new TypeError(`sizeof ${typeName(t)}: not known`);
    }
  }

  /**
   * Records and arrays of records have the alignment the compiler recorded. The metadata has no
   * alignment for scalars: on the x86-64 and AArch64 ABIs a scalar is aligned to its size (up to 16).
   */
  alignOf(t: CType): number {
    if (t.k === 'record') return t.rec.align;
    if (t.k === 'array') return this.alignOf(t.of);
    return Math.min(this.sizeOf(t), 16);
  }

  /** A type from a name: 'int', 'unsigned long', 'struct hw', 'hw_t', 'char *'. */
  byName(name: string): CType {
    const s = name.trim().replace(/\s+/g, ' ');
    const star = s.match(/^(.*?)\s*\*$/);
    if (star) return { k: 'ptr', to: this.byName(star[1]!), constTo: false };
    const noConst = s.replace(/^const /, '');
    if (noConst !== s) return this.byName(noConst);
    const builtin = this.builtins.get(s);
    if (builtin) return builtin;
    const td = this.meta.typedefs.get(s);
    if (td) return td;
    const rec = this.meta.records.get(s) ?? this.findRecord(s);
    if (rec) return { k: 'record', rec };
    const en = this.meta.enums.get(s);
    if (en) return { k: 'enum', en };
    throw new TypeError(`unknown C type '${name}' in ${this.path}`);
  }

  private findRecord(name: string): RecordMeta | undefined {
    for (const r of this.meta.recordList) if (r.tag === name || r.names.includes(name)) return r;
    return undefined;
  }

  /** Whether an object of record `actual` may be passed where a `expected *` is wanted. */
  compatible(expected: RecordMeta, actual: RecordMeta): boolean {
    if (expected === actual) return true;
    if (prefixChain(actual).includes(expected)) return true;
    if (expected.tag === null || expected.tag !== actual.tag || expected.union !== actual.union) return false;
    // The same type seen complete in one unit and incomplete in another, or by a typedef name; or
    // declared alike in two libraries (C11 6.2.7), whose objects then pass between them.
    return !expected.complete || !actual.complete || sameMembers(expected, actual);
  }
}

/** Same size and members (names, offsets, bit positions, kinds of type), in the same order. */
function sameMembers(a: RecordMeta, b: RecordMeta): boolean {
  if (a.size !== b.size || a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => {
    const g = b.fields[i]!;
    return f.name === g.name && f.offset === g.offset && f.type.k === g.type.k && f.bits?.offset === g.bits?.offset && f.bits?.width === g.bits?.width;
  });
}

/** Records whose objects start with an object of this record (rec itself first): the first-element idiom. */
function prefixChain(rec: RecordMeta): RecordMeta[] {
  const out = [rec];
  let r = rec;
  while (out.length < 16) {
    const first = r.fields[0];
    if (!first || first.offset !== 0 || first.bits || first.type.k !== 'record') break;
    r = first.type.rec;
    out.push(r);
  }
  return out;
}
