// Records passed and returned by value: a koffi struct/union with the record's exact layout
// (from the metadata's offsets and size), and the conversions between it and proxies. koffi
// copies the bytes in and out; the host converts through a scratch copy in foreign memory.
import koffi from 'koffi';
import type { Conversions } from './conversions.js';
import type { CTypes } from './ctypes.js';
import { bytesAt, windowOf, windowOffset } from './memory.js';
import type { CType, RecordMeta } from './meta.js';
import { recordName } from './meta.js';
import type { NativeRuntime } from './native.js';
import type { Proxies } from './proxies.js';
import { ArgumentError } from './scalars.js';
import { NativeStruct } from './values.js';

type KoffiType = ReturnType<typeof koffi.type>;
type Member = { name: string; type: KoffiType | string; offset: number; size: number };

export class RecordsByValue {
  private readonly koffiTypes = new Map<RecordMeta, KoffiType | null>();
  private readonly scratch = new Map<RecordMeta, number>();

  constructor(
    private readonly types: Pick<CTypes, 'sizeOf' | 'alignOf'>,
    private readonly proxies: Pick<Proxies, 'recordClass'>,
    private readonly fields: Pick<Conversions, 'assignFields' | 'copyRecord'>,
    private readonly runtime: Pick<NativeRuntime, 'allocForeign'>,
  ) {}

  /** A koffi struct/union with the record's exact layout; null if koffi cannot express it. */
  koffiType(rec: RecordMeta): KoffiType | null {
    if (this.koffiTypes.has(rec)) return this.koffiTypes.get(rec)!;
    this.koffiTypes.set(rec, null);
    const t = this.build(rec);
    this.koffiTypes.set(rec, t);
    return t;
  }

  /** Converter of a record argument passed by value: a proxy or a plain object → koffi's object. */
  toKoffi(rec: RecordMeta, where: () => string): (v: unknown) => unknown {
    return (v) => {
      const kt = this.koffiType(rec);
      if (!kt) throw new ArgumentError(`${where()}: ${recordName(rec)} cannot be passed by value`);
      if (v instanceof NativeStruct && (v.constructor as typeof NativeStruct).$rec === rec) return koffi.decode(v.$addr, kt);
      const s = this.scratchOf(rec);
      bytesAt(s, rec.size).fill(0);
      this.fields.assignFields(rec, windowOf(s), windowOffset(s), s, v, false, where);
      return koffi.decode(s, kt);
    };
  }

  /** Converter of a record result by value: koffi's object → a proxy of a host-owned copy. */
  fromKoffi(rec: RecordMeta): (v: unknown) => unknown {
    return (v) => {
      const kt = this.koffiType(rec)!;
      const s = this.scratchOf(rec);
      koffi.encode(s, kt, v);
      const C = this.proxies.recordClass(rec);
      const obj = new C();
      this.fields.copyRecord(rec, obj.$addr, s, true);
      return obj;
    };
  }

  private scratchOf(rec: RecordMeta): number {
    let s = this.scratch.get(rec);
    if (s === undefined) {
      s = this.runtime.allocForeign(rec.size, rec.align);
      this.scratch.set(rec, s);
    }
    return s;
  }

  private member(t: CType): KoffiType | string | null {
    switch (t.k) {
      case 'int':
        return t.bool ? 'bool' : (t.signed ? 'int' : 'uint') + String(t.size * 8);
      case 'enum':
        return this.member(t.en.type);
      case 'float':
        return t.size === 4 ? 'float' : t.size === 8 ? 'double' : null;
      case 'ptr':
        return 'void *';
      case 'record':
        return this.koffiType(t.rec);
      case 'array': {
        if (t.length === null) return null;
        const e = this.member(t.of);
        return e === null ? null : koffi.array(e, t.length, 'Array');
      }
      default:
        return null;
    }
  }

  private build(rec: RecordMeta): KoffiType | null {
    if (!rec.complete || rec.fam) return null;
    // The x86-64 ABI passes records with unaligned fields (packed) in memory; koffi would use
    // registers, so such records cannot go by value.
    for (const f of rec.fields) if (!f.bits && f.offset % this.types.alignOf(f.type) !== 0) return null;
    const members: Member[] = [];
    let bitStart = -1;
    let bitEnd = -1;
    const flushBits = () => {
      if (bitStart < 0) return;
      members.push({ name: `__wb_bits${bitStart}`, type: koffi.array('uint8', bitEnd - bitStart, 'Array'), offset: bitStart, size: bitEnd - bitStart });
      bitStart = bitEnd = -1;
    };
    const fields = [...rec.fields].sort((a, b) => a.offset - b.offset);
    for (const f of fields) {
      if (f.bits) {
        const s = f.bits.offset >> 3;
        const e = (f.bits.offset + f.bits.width + 7) >> 3;
        if (bitStart < 0) {
          bitStart = s;
          bitEnd = e;
        } else {
          bitStart = Math.min(bitStart, s);
          bitEnd = Math.max(bitEnd, e);
        }
        continue;
      }
      flushBits();
      const m = this.member(f.type);
      if (m === null) return null;
      members.push({ name: f.name, type: m, offset: f.offset, size: this.types.sizeOf(f.type) });
    }
    flushBits();
    const def: Record<string, KoffiType | string> = {};
    for (const m of members) def[m.name] = m.type;
    try {
      if (rec.union) {
        const u = koffi.union(def);
        return koffi.sizeof(u) === rec.size ? u : null;
      }
      const s = koffi.struct(def);
      if (koffi.sizeof(s) === rec.size && members.every((m) => koffi.offsetof(s, m.name) === m.offset)) return s;
      const p = koffi.pack(padded(members, rec.size));
      return koffi.sizeof(p) === rec.size ? p : null;
    } catch {
      return null;
    }
  }
}

/** Members with explicit padding arrays, for koffi.pack: every offset as the compiler placed it. */
function padded(members: Member[], size: number): Record<string, KoffiType | string> {
  const def: Record<string, KoffiType | string> = {};
  let cursor = 0;
  for (const m of members) {
    if (m.offset > cursor) def[`__wb_pad${cursor}`] = koffi.array('uint8', m.offset - cursor, 'Array');
    def[m.name] = m.type;
    cursor = m.offset + m.size;
  }
  if (size > cursor) def[`__wb_pad${cursor}`] = koffi.array('uint8', size - cursor, 'Array');
  return def;
}
