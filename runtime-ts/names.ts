// Which names a loaded library exposes, shared by load() and the .d.ts writer so they agree.
// C has separate name spaces (ordinary identifiers, tags, macros); a module has one. When two
// things share a name, the earlier kind in this list wins (the other stays reachable through
// $types / $enums): functions, globals, enum constants, macros, typedef'd records/enums, tags.
import type { EnumMeta, FunctionMeta, GlobalMeta, LibraryMeta, RecordMeta } from './meta.js';

export type Exported =
  | { kind: 'function'; fn: FunctionMeta }
  | { kind: 'global'; global: GlobalMeta }
  | { kind: 'constant'; value: number | bigint; en: EnumMeta }
  | { kind: 'macro'; value: number | bigint | string }
  | { kind: 'record'; rec: RecordMeta }
  | { kind: 'enum'; en: EnumMeta };

const RESERVED = new Set(['then', 'constructor', '__proto__', 'prototype', 'toString', 'valueOf', 'hasOwnProperty']);

export function exportedNames(meta: LibraryMeta): Map<string, Exported> {
  const out = new Map<string, Exported>();
  const add = (name: string, e: Exported) => {
    if (!out.has(name) && !name.startsWith('$') && !RESERVED.has(name)) out.set(name, e);
  };
  for (const fn of meta.functions.values()) add(fn.name, { kind: 'function', fn });
  for (const g of meta.globals.values()) add(g.name, { kind: 'global', global: g });
  for (const en of meta.enums.values()) {
    if (en.sys) continue;
    for (const [n, v] of en.values) add(n, { kind: 'constant', value: v, en });
  }
  for (const [n, v] of meta.macros) add(n, { kind: 'macro', value: v });
  for (const rec of meta.recordList) if (!rec.sys) for (const n of rec.names) add(n, { kind: 'record', rec });
  for (const en of meta.enums.values()) if (!en.sys) for (const n of en.names) add(n, { kind: 'enum', en });
  for (const rec of meta.recordList) if (!rec.sys && rec.tag && !rec.key.includes('#')) add(rec.tag, { kind: 'record', rec });
  for (const en of meta.enums.values()) if (!en.sys && en.tag) add(en.tag, { kind: 'enum', en });
  return out;
}
