// Writes a .d.ts for a library built by cc-wb, from the metadata linked into it, so that the
// TypeScript compiler checks calls into C:
//
//   import { load } from 'cc-wb/runtime-ts';
//   import type { Library } from './libfoo.js';      // libfoo.d.ts, written by this module
//   const lib = load<Library>('./libfoo.so');
//
// Command line: cc-wb-dts libfoo.so [-o libfoo.d.ts] (toolchain/bin/dts-cli.ts).
import { writeFileSync } from 'node:fs';
import type { CType, FunctionMeta, LibraryMeta, RecordMeta } from './meta.js';
import { readLibraryMeta, recordName, typeName } from './meta.js';
import { exportedNames } from './names.js';
import { byteSpanParams } from './bytes.js';
import { describeSpec, outParamProblem, type ResultSpec } from './ownership.js';

export interface DtsOptions {
  /** Module specifier the declarations import the runtime's types from. */
  runtimeImport?: string;
  /**
   * What functions' pointer results are, by name (load()'s `results` option takes the same):
   * written into each function's documentation, to be declared at load with the same object.
   */
  results?: Record<string, ResultSpec>;
  /** What functions' out-parameters receive, by function and parameter name or position (load()'s `params`). */
  params?: Record<string, Record<string, ResultSpec>>;
}

const RESERVED_TYPES = new Set([
  'Array', 'ArrayLike', 'ArrayBufferView', 'Object', 'String', 'Number', 'Boolean', 'Function', 'Record', 'Partial', 'Promise', 'Map', 'Set',
  'Symbol', 'Error', 'BigInt', 'Date', 'RegExp', 'NativeStruct', 'NativeArray', 'NativePointer', 'NativeObject', 'VarArg', 'LibraryModule',
  'Library', 'string', 'number', 'boolean', 'bigint', 'symbol', 'object', 'unknown', 'never', 'any', 'void', 'undefined', 'null', 'this',
  'type', 'interface', 'keyof', 'typeof', 'infer', 'readonly', 'unique', 'is', 'asserts', 'IntIn', 'Int64', 'Int64In', 'PointerIn', 'VarArgValue',
  'CFunction', 'PointerFunction', 'Uint8Array',
]);
const RESERVED_WORDS = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export', 'extends', 'false',
  'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield',
  'await', 'arguments', 'eval',
]);

type FuncType = Extract<CType, { k: 'func' }>;

class Writer {
  private readonly typeNames = new Map<RecordMeta, string>();
  private readonly used = new Set<string>();
  private readonly pending: RecordMeta[] = [];
  private readonly written = new Set<RecordMeta>();

  constructor(
    private readonly meta: LibraryMeta,
    private readonly results: Record<string, ResultSpec> = {},
    private readonly outParams: Record<string, Record<string, ResultSpec>> = {},
  ) {}

  private ident(name: string): string {
    let n = name.replace(/[^\w$]/g, '_');
    if (/^[0-9]/.test(n)) n = '_' + n;
    if (RESERVED_TYPES.has(n)) n += '_';
    let candidate = n;
    for (let i = 2; this.used.has(candidate); i++) candidate = `${n}_${i}`;
    this.used.add(candidate);
    return candidate;
  }

  /** The interface name of a record (declared on first use). */
  recordType(rec: RecordMeta): string {
    let n = this.typeNames.get(rec);
    if (!n) {
      const base = rec.tag ?? rec.names[0] ?? `anonymous_${rec.id}`;
      n = this.ident(rec.key.includes('#') ? `${base}_${rec.key.split('#')[1]}` : base);
      this.typeNames.set(rec, n);
      this.pending.push(rec);
    }
    return n;
  }

  /** The TypeScript type of a value read from C (a result, a field, a global). */
  out(t: CType): string {
    switch (t.k) {
      case 'void':
        return 'void';
      case 'int':
        return t.bool ? 'boolean' : t.size >= 8 ? 'Int64' : 'number';
      case 'enum':
        return t.en.type.size >= 8 ? 'Int64' : 'number';
      case 'float':
        return t.size <= 8 ? 'number' : 'never';
      case 'record':
        return this.recordType(t.rec);
      case 'array':
        return `NativeArray<${this.out(t.of)}>`;
      case 'ptr':
        return `${this.outPointer(t)} | null`;
      default:
        return 'unknown';
    }
  }

  private outPointer(t: Extract<CType, { k: 'ptr' }>): string {
    const to = t.to;
    switch (to.k) {
      case 'record':
        return this.recordType(to.rec);
      case 'int':
        return to.char ? 'string' : `NativeArray<${this.out(to)}>`;
      case 'float':
      case 'enum':
      case 'ptr':
        return `NativeArray<${this.out(to)}>`;
      case 'array':
        return to.length !== null ? `NativeArray<${this.out(to)}>` : 'NativePointer';
      case 'func':
        return this.funcOut(to);
      default:
        return 'NativePointer';
    }
  }

  /** The TypeScript type accepted where C wants a value of type t (an argument, a field write). */
  in(t: CType): string {
    switch (t.k) {
      case 'int':
        return t.bool ? 'boolean | number' : t.size >= 8 ? 'Int64In' : 'IntIn';
      case 'enum': {
        const names = [...t.en.values.keys()].map((n) => JSON.stringify(n));
        return ['IntIn', ...names].join(' | ');
      }
      case 'float':
        return 'number';
      case 'record': {
        const n = this.recordType(t.rec);
        return `${n} | ${n}Init`;
      }
      case 'array':
        return t.of.k === 'int' && t.of.size === 1 ? `ArrayLike<${this.in(t.of)}> | string` : `ArrayLike<${this.in(t.of)}>`;
      case 'ptr':
        return `${this.inPointer(t)} | null`;
      default:
        return 'never';
    }
  }

  private inPointer(t: Extract<CType, { k: 'ptr' }>): string {
    const to = t.to;
    switch (to.k) {
      case 'record': {
        const n = this.recordType(to.rec);
        return to.rec.complete ? `${n} | ${n}Init | NativeArray<${n}> | ReadonlyArray<${n}Init>` : n;
      }
      case 'int':
        return `NativeArray<${this.out(to)}> | ArrayLike<${this.in(to)}> | ArrayBufferView | NativePointer${to.size === 1 ? ' | string' : ''}`;
      case 'float':
      case 'enum':
      case 'ptr':
        return `NativeArray<${this.out(to)}> | ArrayLike<${this.in(to)}> | ArrayBufferView | NativePointer`;
      case 'func':
        return this.funcIn(to);
      default:
        return 'PointerIn';
    }
  }

  private params(ft: FuncType, names: readonly string[], dir: 'in' | 'out'): string {
    const used = new Set<string>();
    // What a callback receives: a (bytes, size_t) pair's pointer as a Uint8Array (bytes.ts).
    const spans = new Set(dir === 'out' ? byteSpanParams(ft) : []);
    const ps = ft.params.map((p, i) => {
      let n = (names[i] || `arg${i}`).replace(/[^\w$]/g, '_');
      if (RESERVED_WORDS.has(n)) n = `${n}_`;
      while (used.has(n)) n = `${n}_`;
      used.add(n);
      return `${n}: ${spans.has(i) ? 'Uint8Array | null' : dir === 'in' ? this.in(p) : this.out(p)}`;
    });
    if (ft.variadic || ft.unproto) ps.push('...args: VarArgValue[]');
    return ps.join(', ');
  }

  /** A C function as TypeScript calls it. */
  funcOut(ft: FuncType, names: readonly string[] = []): string {
    return `((${this.params(ft, names, 'in')}) => ${this.out(ft.ret)})`;
  }

  /** A TypeScript function passed where C wants a function pointer (its arguments are what C passes). */
  private funcIn(ft: FuncType): string {
    // One function type (not a union with the C-function form) so the parameters of an arrow
    // function passed here are typed from context; library functions are assignable to it.
    const ret = ft.ret.k === 'void' ? 'void' : this.in(ft.ret);
    return `((${this.params(ft, [], 'out')}) => ${ret})`;
  }

  function(f: FunctionMeta): string {
    const spec = this.results[f.name];
    const ret = f.type.ret;
    const pointer = ret.k === 'ptr' && ret.to.k !== 'func';
    const esc = (text: string) => text.replace(/\*\//g, '* /');
    const lines = [`${typeName(f.type, f.name)} — ${f.loc}`];
    if (spec && pointer) lines.push(`Result ${describeSpec(spec)}`);
    const outParams = f.type.params.map((_, i) => outParamProblem(f.type, i, '') === null);
    for (const [which, pspec] of Object.entries(this.outParams[f.name] ?? {})) {
      const i = /^[0-9]+$/.test(which) ? Number(which) : f.paramNames.indexOf(which);
      if (!outParams[i]) throw new Error(`params: ${f.name} has no out-parameter ${which} (a T ** parameter)`);
      lines.push(`Out-parameter ${f.paramNames[i] || i} ${describeSpec(pspec)}`);
    }
    const doc = `  /** ${lines.map(esc).join('\n   * ')} */\n`;
    const params = this.params(f.type, f.paramNames, 'in');
    // A pointer result can be declared owned or borrowed: the function is typed with returns();
    // one with an out-parameter (T **) with param().
    if (pointer) return `${doc}  readonly ${f.name}: PointerFunction<(${params}) => ${this.out(ret)}>;\n`;
    if (outParams.includes(true)) return `${doc}  readonly ${f.name}: CFunction<(${params}) => ${this.out(ret)}>;\n`;
    return `${doc}  ${f.name}(${params}): ${this.out(ret)};\n`;
  }

  /** Interfaces of every record used so far (and those they use). */
  records(): string {
    let out = '';
    while (this.pending.length > 0) {
      const rec = this.pending.shift()!;
      if (this.written.has(rec)) continue;
      this.written.add(rec);
      const n = this.typeNames.get(rec)!;
      const fields = this.fieldsOf(rec);
      out += `/** ${recordName(rec)}${rec.complete ? ` (${rec.size} bytes)` : ' (incomplete)'} — ${rec.loc} */\n`;
      out += `export interface ${n} extends NativeStruct {\n`;
      for (const f of fields) out += `  ${f.name}: ${this.out(f.type)};\n`;
      out += `  $at(i: number): ${n};\n}\n`;
      out += `/** Fields to set on a new ${recordName(rec)}; a proxy of another type is not one. */\nexport interface ${n}Init {\n  $addr?: never;\n`;
      for (const f of fields) out += `  ${f.name}?: ${this.in(f.type)};\n`;
      out += `}\n`;
      out += `export interface ${n}Class {\n  new (init?: ${n}Init): ${n};\n  readonly prototype: ${n};\n  readonly size: number;\n  readonly align: number;\n}\n\n`;
    }
    return out;
  }

  /** Own fields, then those of the first member's record (the first-element idiom). */
  private fieldsOf(rec: RecordMeta): Array<{ name: string; type: CType }> {
    const out: Array<{ name: string; type: CType }> = [];
    const seen = new Set<string>();
    let r: RecordMeta | null = rec;
    for (let depth = 0; r && depth < 16; depth++) {
      for (const f of r.fields) {
        if (seen.has(f.name) || f.name.startsWith('$')) continue;
        seen.add(f.name);
        out.push({ name: f.name, type: f.type });
      }
      const first: RecordMeta['fields'][number] | undefined = r.fields[0];
      r = first && first.offset === 0 && !first.bits && first.type.k === 'record' ? first.type.rec : null;
    }
    return out;
  }

  literal(v: number | bigint | string): string {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'bigint') return `${v}n`;
    if (!Number.isFinite(v)) return 'number';
    return Object.is(v, -0) ? '0' : String(v);
  }

  library(): string {
    let body = '';
    for (const [name, e] of exportedNames(this.meta)) {
      switch (e.kind) {
        case 'function':
          body += e.fn.name === name ? this.function(e.fn) : '';
          break;
        case 'global':
          body += `  /** ${typeName(e.global.type, name)} — ${e.global.loc} */\n  ${e.global.readonly ? 'readonly ' : ''}${name}: ${this.out(e.global.type)};\n`;
          break;
        case 'constant':
        case 'macro':
          body += `  readonly ${name}: ${this.literal(e.value)};\n`;
          break;
        case 'record':
          body += `  readonly ${name}: ${this.recordType(e.rec)}Class;\n`;
          break;
        case 'enum':
          body += `  readonly ${name}: { ${[...e.en.values].map(([k, v]) => `readonly ${k}: ${this.literal(v)}`).join('; ')} };\n`;
          break;
      }
    }
    return body;
  }
}

/** The .d.ts text for a library's metadata. */
export function libraryDts(meta: LibraryMeta, options: DtsOptions = {}): string {
  const runtime = options.runtimeImport ?? 'cc-wb/runtime-ts';
  for (const name of Object.keys(options.results ?? {})) if (!meta.functions.has(name)) throw new Error(`results: the library has no function named '${name}'`);
  for (const name of Object.keys(options.params ?? {})) if (!meta.functions.has(name)) throw new Error(`params: the library has no function named '${name}'`);
  const w = new Writer(meta, options.results, options.params);
  const lib = w.library();
  const records = w.records();
  return (
    `// Generated by cc-wb from the metadata in ${meta.file.replace(/\*\//g, '* /')}: do not edit.\n` +
    `// Usage: const lib = load<Library>('${meta.file.split('/').pop()}');\n` +
    `import type { CFunction, LibraryModule, NativeArray, NativeObject, NativePointer, NativeStruct, PointerFunction, VarArg } from ${JSON.stringify(runtime)};\n\n` +
    `/** 64-bit integers: numbers while exact (|v| < 2^53), bigints beyond. */\n` +
    `export type Int64 = number | bigint;\n` +
    `export type Int64In = number | bigint | boolean;\n` +
    `export type IntIn = number | boolean;\n` +
    `export type PointerIn = NativeObject | ArrayBufferView | string | bigint | null;\n` +
    `export type VarArgValue = number | bigint | boolean | string | null | NativeObject | ArrayBufferView | VarArg;\n\n` +
    records +
    `export interface Library extends LibraryModule {\n${lib}}\n`
  );
}

/** Reads a library and writes its .d.ts next to it (or to `out`). Returns the path written. */
export function writeLibraryDts(library: string, out?: string, options: DtsOptions = {}): string {
  const meta = readLibraryMeta(library);
  if (!meta) throw new Error(`${library}: no cc-wb metadata (section wb_meta): build it with cc-wb`);
  const target = out ?? library.replace(/(\.so(\.[\d.]+)?|\.a|\.o)?$/, '.d.ts');
  writeFileSync(target, libraryDts(meta, options));
  return target;
}
