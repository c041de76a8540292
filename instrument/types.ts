// Just enough of C's type system to prove that a store is *not* a pointer store: arithmetic
// scalars, pointers, arrays, records, functions, and "unknown" for everything we cannot see
// through (typeof, vector types, builtins we do not model). Anything unknown is left to the
// compiler to decide at the store site, so mistakes here can only cost speed, never a miss —
// except a wrong "arithmetic", which is why that answer is given only when it is certain.
import type Parser from 'tree-sitter';
import { TYPEOF_PLACEHOLDER_PREFIX } from './normalize.js';
import { applyDeclarator, isBitfield, type DeclaratorLayers } from './declarators.js';

type Node = Parser.SyntaxNode;

export type CType =
  | { k: 'arith' }
  | { k: 'void' }
  | { k: 'ptr'; to: CType }
  | { k: 'array'; of: CType }
  | { k: 'record'; tag: string | null; rec: RecordInfo | null }
  | { k: 'func'; ret: CType }
  | { k: 'unknown' };

export interface FieldInfo {
  type: CType;
  bitfield: boolean;
}

export interface RecordInfo {
  fields: Map<string, FieldInfo>;
}

export const ARITH: CType = { k: 'arith' };
export const UNKNOWN: CType = { k: 'unknown' };
const VOID: CType = { k: 'void' };
const MAX_RECORD_NESTING = 200;

const layers: DeclaratorLayers<CType> = {
  pointer: (to) => ({ k: 'ptr', to }),
  array: (of) => ({ k: 'array', of }),
  func: (ret) => ({ k: 'func', ret }),
  unknown: () => UNKNOWN,
};

const arithmeticTypeNames = new Set([
  '__int128_t', '__uint128_t', '_Float16', '_Float32', '_Float64', '_Float128', '_Float32x', '_Float64x',
  '_Float128x', '__float128', '__float80', '__ibm128', '__bf16', '__fp16', '_Decimal32', '_Decimal64', '_Decimal128',
]);

/** Type environment of a translation unit: typedefs, record tags, and what each field name can be. */
export class TypeEnv {
  readonly typedefs = new Map<string, CType>();
  readonly tags = new Map<string, RecordInfo>();
  /** Tags or typedef names defined more than once (e.g. shadowed in a block): never trusted. */
  private readonly ambiguous = new Set<string>();
  /** Every declaration of a field with this name, in any record of the unit. */
  readonly fieldsByName = new Map<string, FieldInfo[]>();

  resolveRecord(t: CType): RecordInfo | null {
    if (t.k !== 'record') return null;
    if (t.rec) return t.rec;
    if (!t.tag || this.ambiguous.has('tag ' + t.tag)) return null;
    return this.tags.get(t.tag) ?? null;
  }

  /** Type of a named type specifier node (`type:` field of a declaration). */
  typeOfSpecifier(spec: Node | null): CType {
    if (!spec) return ARITH; // implicit int
    switch (spec.type) {
      case 'primitive_type':
        return spec.text === 'void' ? VOID : ARITH;
      case 'sized_type_specifier': {
        const inner = spec.childForFieldName('type');
        return inner ? this.typeOfSpecifier(inner) : ARITH;
      }
      case 'enum_specifier':
        return ARITH;
      case 'struct_specifier':
      case 'union_specifier':
        return this.recordFromSpecifier(spec);
      case 'type_identifier': {
        const name = spec.text;
        if (name.startsWith(TYPEOF_PLACEHOLDER_PREFIX)) return UNKNOWN;
        if (arithmeticTypeNames.has(name)) return ARITH;
        if (this.ambiguous.has('typedef ' + name)) return UNKNOWN;
        return this.typedefs.get(name) ?? UNKNOWN;
      }
      default:
        return UNKNOWN;
    }
  }

  private readonly seenSpecifiers = new Map<number, CType>();

  /** How many record definitions enclose the one being read. */
  private recordDepth = 0;

  private recordFromSpecifier(spec: Node): CType {
    const cached = this.seenSpecifiers.get(spec.id);
    if (cached) return cached;
    // Records nested deeper than this are not read (their fields stay unknown to the rules, which
    // then leave the stores to the compiler): reading them would recurse that deep.
    if (this.recordDepth >= MAX_RECORD_NESTING) return UNKNOWN;
    this.recordDepth++;
    try {
      const type = this.defineRecord(spec);
      this.seenSpecifiers.set(spec.id, type);
      return type;
    } finally {
      this.recordDepth--;
    }
  }

  private defineRecord(spec: Node): CType {
    const nameNode = spec.childForFieldName('name');
    const body = spec.childForFieldName('body');
    const tag = nameNode ? nameNode.text : null;
    if (!body) return { k: 'record', tag, rec: null };
    const rec: RecordInfo = { fields: new Map() };
    this.collectFields(body, rec);
    if (tag) {
      if (this.tags.has(tag)) this.ambiguous.add('tag ' + tag);
      this.tags.set(tag, rec);
    }
    // A redefined tag may mean either record where it is used by name: use the tag, not `rec`.
    return { k: 'record', tag, rec: tag && this.ambiguous.has('tag ' + tag) ? null : rec };
  }

  private collectFields(body: Node, rec: RecordInfo): void {
    for (const decl of body.namedChildren) {
      if (decl.type !== 'field_declaration') continue;
      const base = this.typeOfSpecifier(decl.childForFieldName('type'));
      const declarators = decl.childrenForFieldName('declarator');
      const bitfield = isBitfield(decl);
      if (declarators.length === 0) {
        // Anonymous struct/union member: its fields are reachable by name from the outer record.
        const inner = this.resolveRecord(base);
        if (inner) for (const [name, info] of inner.fields) rec.fields.set(name, info);
        continue;
      }
      for (const d of declarators) {
        const { name, type } = this.applyDeclarator(d, base);
        if (!name) continue;
        const info: FieldInfo = { type, bitfield };
        rec.fields.set(name, info);
        let list = this.fieldsByName.get(name);
        if (!list) this.fieldsByName.set(name, (list = []));
        list.push(info);
      }
    }
  }

  /** Applies a declarator to a base type: `*a[3]` on int gives a: array of pointer to int. */
  applyDeclarator(d: Node | null, base: CType): { name: string | null; nameNode: Node | null; type: CType } {
    return applyDeclarator(d, base, layers);
  }

  defineTypedef(name: string, type: CType): void {
    const prior = this.typedefs.get(name);
    if (prior && kindShape(prior) !== kindShape(type)) this.ambiguous.add('typedef ' + name);
    this.typedefs.set(name, type);
  }

  /** Type named by a `type_descriptor` (casts, sizeof, compound literals). */
  typeOfDescriptor(desc: Node): CType {
    const base = this.typeOfSpecifier(desc.childForFieldName('type'));
    const d = desc.childForFieldName('declarator');
    return d ? this.applyDeclarator(d, base).type : base;
  }
}

/** True when no value of this type can be or contain a pointer. */
export function isRecord(t: CType): boolean {
  return t.k === 'record';
}

export function isArithmetic(t: CType): boolean {
  return t.k === 'arith';
}

export function pointee(t: CType): CType {
  if (t.k === 'ptr') return t.to;
  if (t.k === 'array') return t.of;
  return UNKNOWN;
}

/** Whether two types are certainly the same (records: the same definition); false when unsure. */
export function sameType(a: CType, b: CType): boolean {
  // Iterative: declarators may nest thousands of layers deep.
  for (;;) {
    if (a.k !== b.k) return false;
    if (a.k === 'ptr' && b.k === 'ptr') [a, b] = [a.to, b.to];
    else if (a.k === 'array' && b.k === 'array') [a, b] = [a.of, b.of];
    else if (a.k === 'record' && b.k === 'record') return (a.rec !== null && a.rec === b.rec) || (a.rec === null && b.rec === null && a.tag !== null && a.tag === b.tag);
    else return a.k === 'arith' || a.k === 'void'; // functions (parameters unknown), unknown: unsure
  }
}

/** The shape of a type without record contents, as a string, to compare two typedefs cheaply. */
function kindShape(t: CType): string {
  let out = '';
  for (;;) {
    switch (t.k) {
      case 'ptr':
        out += '*';
        t = t.to;
        break;
      case 'array':
        out += '[]';
        t = t.of;
        break;
      case 'func':
        out += '()';
        t = t.ret;
        break;
      case 'record':
        return out + 'record ' + (t.tag ?? '');
      default:
        return out + t.k;
    }
  }
}
