// The barrier-completeness oracle: every pointer store in a C translation unit's own code, according
// to clang's AST (docs/architecture.md, "What the barrier covers"), independent of the pass's tree-sitter view.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { AstStream, expansionOf, type AstVisitor, type NodeProps, type BareLoc } from './ast.js';
import { TypeEnv, anonKey } from './ctype.js';
import { run } from '../proc.js';

/** A store, a call of a routed function (ROUTED_FUNCTIONS), or a routed function used as a value. */
export type StoreKind = 'assign' | 'compound' | 'incdec' | 'call' | 'value';

export interface OracleStore {
  /** Absolute path of the file the store is written in (macro invocation site for macro code). */
  file: string;
  line: number;
  kind: StoreKind;
  /** The operator, or the callee of a call. */
  detail: string;
  /** The lvalue's type as clang prints it (empty for calls). */
  type: string;
  /** Enclosing function. */
  func: string;
}

export interface FunctionSpan {
  name: string;
  file: string;
  begin: number;
  end: number;
}

export interface OracleResult {
  stores: OracleStore[];
  functions: FunctionSpan[];
  /** Type names the oracle could not read; such stores are demanded as pointer stores. */
  unknownTypes: string[];
  /** Bytes of JSON clang produced (for the curious: this is why the dump is streamed). */
  jsonBytes: number;
  ms: number;
}

export interface OracleInput {
  /** The .c file, absolute or relative to cwd. */
  source: string;
  /** Directory the compile ran in. */
  cwd: string;
  /** Preprocessor/language flags for clang (see compile-log.ts: oracleFlags). */
  flags: string[];
  /** Which clang to run (default: `clang`). */
  clang?: string;
}

/**
 * libc's functions that must reach the runtime however user code reaches them: those that overwrite,
 * move or kill pointers in memory, and those that allocate (the runtime must see every object of the
 * program, or it is foreign: never attached, its free never deferred). Every use counts, a call or
 * the function as a value (`static void (*do_free)(void *) = free;`, `set_alloc_funcs(malloc,
 * free)`, `&malloc`), in every spelling the AST can show. Not counted: a name the unit never declared
 * (clang declares it implicitly; it stays libc's, as for gcc), and a function the unit defines.
 */
export const ROUTED_FUNCTIONS: ReadonlySet<string> = new Set(
  [
    ...['memcpy', 'memmove', 'mempcpy', 'memset', 'bzero', 'explicit_bzero', 'bcopy', 'qsort'],
    ...['malloc', 'calloc', 'realloc', 'reallocarray', 'aligned_alloc', 'memalign', 'posix_memalign', 'valloc'],
    ...['strdup', 'strndup', 'free', 'getline', 'getdelim'],
  ]
    .flatMap((n) => [n, `__builtin_${n}`])
    .concat(['__builtin___memcpy_chk', '__builtin___memmove_chk', '__builtin___memset_chk']),
);

/**
 * Copies and fills that write only where they are pointed: into a variable that holds no pointer
 * (`memcpy(&word, p, 4)`, `memset(&buf[2], 0, 2)` for `unsigned char buf[8]`), they cannot overwrite
 * or create a pointer, whatever the length (a longer one would leave the variable: undefined).
 */
const COPY_CALLS: ReadonlySet<string> = new Set(
  ['memcpy', 'memmove', 'memset'].flatMap((n) => [n, `__builtin_${n}`, `__builtin___${n}_chk`]),
);

interface Sum {
  kind: string;
  /** The variable whose own storage this lvalue designates (x, x.f, (x)), if any. */
  baseVar: string | null;
  /** The variable an lvalue lies inside, through `.` and subscripts of arrays (x, x.f, x.a[i].b). */
  objVar: string | null;
  /** For an array lvalue decayed to a pointer: objVar of the array. */
  decayedVar: string | null;
  /** For `&lvalue`, through casts and parentheses: the variable that lvalue lies inside. */
  addrOfVar: string | null;
  /** The function a callee expression names directly. */
  funcName: string | null;
  /** The use of a routed function this expression is (through parentheses and decay), if any. */
  fnUse: Candidate | null;
  fieldType: string | null;
  hasBody: boolean;
  /** For type nodes: the record a RecordType names (through ElaboratedType). */
  recordId: string | null;
}

const NONE: Sum = { kind: '', baseVar: null, objVar: null, decayedVar: null, addrOfVar: null, funcName: null, fnUse: null, fieldType: null, hasBody: false, recordId: null };

interface Candidate {
  kind: StoreKind;
  detail: string;
  type: string;
  baseVar: string | null;
  at: BareLoc;
  func: string;
  /** For a use of a routed function: the declaration it refers to (resolved once the unit is read). */
  decl?: string;
  /** A routed call that is not a store after all (a copy into a pointer-free variable). */
  dropped?: boolean;
}

function typeText(n: NodeProps): string {
  return n.type?.desugaredQualType ?? n.type?.qualType ?? '';
}

class StoreCollector implements AstVisitor<Sum> {
  readonly env = new TypeEnv();
  private fnStack: { name: string; candidates: Candidate[] }[] = [];
  private locals = new Map<string, boolean>(); // decl id -> declared as array
  private varTypes = new Map<string, string>(); // decl id -> type, for every variable and parameter
  private addressTaken = new Set<string>();
  private unevaluated = 0;
  readonly pending: Candidate[] = [];
  readonly functions: FunctionSpan[] = [];
  /**
   * Functions the unit declares, by declaration id. A call of an undeclared name refers to an
   * implicit declaration that clang does not always print; a `__builtin_` one is never printed.
   */
  readonly declaredFunctions = new Set<string>();
  /** Functions the unit defines, with the file of the definition. */
  readonly definitions: { name: string; file: string }[] = [];

  enter(n: NodeProps): void {
    if (n.kind === 'FunctionDecl') this.fnStack.push({ name: n.name ?? '?', candidates: [] });
    else if (n.kind === 'UnaryExprOrTypeTraitExpr' || n.kind === 'TypeOfExprType') this.unevaluated++;
  }

  private candidate(n: NodeProps, kind: StoreKind, detail: string, baseVar: string | null): void {
    const fn = this.fnStack[this.fnStack.length - 1];
    const at = expansionOf(n.range?.begin);
    if (!fn || !at || this.unevaluated > 0) return;
    fn.candidates.push({ kind, detail, type: kind === 'call' ? '' : typeText(n), baseVar, at, func: fn.name });
  }

  /** A use of a routed function: a value until a CallExpr finds it is its callee. */
  private routedUse(n: NodeProps, name: string, decl: string | undefined): Candidate | null {
    const at = expansionOf(n.range?.begin);
    if (!at || this.unevaluated > 0) return null;
    const fn = this.fnStack[this.fnStack.length - 1];
    const use: Candidate = { kind: 'value', detail: name, type: '', baseVar: null, at, func: fn?.name ?? '', decl };
    // At file scope (an initializer) there is no function to hand it to.
    (fn ? fn.candidates : this.pending).push(use);
    return use;
  }

  exit(n: NodeProps, ch: Sum[]): Sum {
    const kind = n.kind ?? '';
    const c0 = ch[0] ?? NONE;
    switch (kind) {
      case 'DeclRefExpr': {
        const r = n.referencedDecl;
        if (r?.kind === 'VarDecl' || r?.kind === 'ParmVarDecl') return { ...NONE, kind, baseVar: r.id ?? null, objVar: r.id ?? null };
        if (r?.kind === 'FunctionDecl') {
          const use = r.name && ROUTED_FUNCTIONS.has(r.name) ? this.routedUse(n, r.name, r.id) : null;
          return { ...NONE, kind, funcName: r.name ?? null, fnUse: use };
        }
        return { ...NONE, kind };
      }
      case 'ParenExpr':
        return { ...c0, kind };
      case 'MemberExpr':
        return { ...NONE, kind, baseVar: n.isArrow ? null : c0.baseVar, objVar: n.isArrow ? null : c0.objVar };
      case 'ArraySubscriptExpr':
        // x[i] lies inside x when x is an array (decayed); p[i] with p a pointer does not.
        return { ...NONE, kind, objVar: c0.decayedVar ?? ch[1]?.decayedVar ?? null };
      case 'ImplicitCastExpr':
        if (n.castKind === 'FunctionToPointerDecay' || n.castKind === 'BuiltinFnToFnPtr') return { ...NONE, kind, funcName: c0.funcName, fnUse: c0.fnUse };
        // An array member of a local decays to a pointer into the local: its address escapes.
        if (n.castKind === 'ArrayToPointerDecay') {
          if (c0.baseVar) this.addressTaken.add(c0.baseVar);
          return { ...NONE, kind, decayedVar: c0.objVar };
        }
        return { ...NONE, kind, addrOfVar: c0.addrOfVar };
      case 'CStyleCastExpr':
        return { ...NONE, kind, addrOfVar: c0.addrOfVar };
      case 'UnaryOperator':
        if (n.opcode === '&' && c0.baseVar) this.addressTaken.add(c0.baseVar);
        if (n.opcode === '++' || n.opcode === '--') this.candidate(n, 'incdec', n.opcode, c0.baseVar);
        if (n.opcode === '&') return { ...NONE, kind, addrOfVar: c0.objVar };
        return { ...NONE, kind };
      case 'BinaryOperator':
        if (n.opcode === '=') this.candidate(n, 'assign', '=', c0.baseVar);
        return { ...NONE, kind };
      case 'CompoundAssignOperator':
        this.candidate(n, 'compound', n.opcode ?? '?=', c0.baseVar);
        return { ...NONE, kind };
      case 'CallExpr': {
        const use = c0.fnUse;
        if (!use || !c0.funcName) return { ...NONE, kind };
        use.kind = 'call';
        const into = ch[1]?.addrOfVar;
        const intoType = into ? this.varTypes.get(into) : undefined;
        if (COPY_CALLS.has(c0.funcName) && intoType !== undefined && !this.env.holdsPointer(intoType)) use.dropped = true;
        return { ...NONE, kind };
      }
      case 'UnaryExprOrTypeTraitExpr':
      case 'TypeOfExprType':
        this.unevaluated--;
        return { ...NONE, kind };
      case 'VarDecl':
        if (n.id) this.varTypes.set(n.id, typeText(n));
        if (this.fnStack.length > 0 && n.storageClass !== 'static' && n.storageClass !== 'extern' && n.id) {
          this.locals.set(n.id, this.env.isArray(typeText(n)));
        }
        return { ...NONE, kind };
      case 'ParmVarDecl':
        if (n.id) this.varTypes.set(n.id, typeText(n));
        if (n.id) this.locals.set(n.id, this.env.isArray(typeText(n)));
        return { ...NONE, kind };
      case 'FieldDecl':
        return { ...NONE, kind, fieldType: typeText(n) };
      case 'RecordType':
        return { ...NONE, kind, recordId: (n.decl as { id?: string } | undefined)?.id ?? null };
      case 'ElaboratedType':
        return { ...NONE, kind, recordId: c0.recordId };
      case 'TypedefDecl':
        // The sugared spelling: for `typedef union {…} SemInfo;` clang "desugars" to the typedef's own
        // name. The type node child names the record itself, which is what an unnamed one needs.
        if (n.name) this.env.addTypedef(n.name, n.type?.qualType ?? typeText(n), c0.recordId ? `id:${c0.recordId}` : undefined);
        return { ...NONE, kind };
      case 'RecordDecl': {
        if (n.completeDefinition) {
          const keys: string[] = [];
          const tag = n.tagUsed ?? 'struct';
          if (n.name) keys.push(`${tag} ${n.name}`);
          if (n.id) keys.push(`id:${n.id}`);
          for (const l of [n.loc?.spellingLoc, n.loc?.expansionLoc, n.loc?.file !== undefined ? (n.loc as BareLoc) : undefined]) {
            if (l?.file !== undefined) keys.push(anonKey(l.file, l.line, l.col));
          }
          this.env.addRecord(keys, ch.filter((s) => s.fieldType !== null).map((s) => s.fieldType!));
        }
        return { ...NONE, kind };
      }
      case 'CompoundStmt':
        return { ...NONE, kind, hasBody: true };
      case 'FunctionDecl': {
        const fn = this.fnStack.pop()!;
        if (!n.isImplicit && n.id) this.declaredFunctions.add(n.id);
        if (ch.some((s) => s.kind === 'CompoundStmt')) {
          const b = expansionOf(n.range?.begin);
          const e = expansionOf(n.range?.end);
          if (b && e) this.functions.push({ name: fn.name, file: b.file, begin: b.line, end: e.file === b.file ? e.line : b.line });
          if (b) this.definitions.push({ name: fn.name, file: b.file });
        }
        for (const cand of fn.candidates) {
          const v = cand.baseVar;
          if (cand.kind !== 'call' && cand.kind !== 'value' && v !== null && this.locals.has(v) && !this.locals.get(v) && !this.addressTaken.has(v)) continue;
          this.pending.push(cand);
        }
        // A nested function (GNU C) hands its candidates to nobody; the outer one keeps its own.
        return { ...NONE, kind };
      }
      default:
        return { ...NONE, kind };
    }
  }
}

let defaultSystemDirs: string[] | null = null;

/** The compiler's own include directories (`#include <...> search starts here:`): system headers. */
export function systemIncludeDirs(clang = 'clang'): string[] {
  if (defaultSystemDirs) return defaultSystemDirs;
  const r = spawnSync(clang, ['-x', 'c', '-E', '-v', '/dev/null', '-o', '/dev/null'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`oracle: cannot run ${clang}: ${r.error?.message ?? r.stderr}`);
  const m = /#include <\.\.\.> search starts here:\n([\s\S]*?)End of search list\./.exec(r.stderr);
  const dirs = (m?.[1] ?? '')
    .split('\n')
    .map((l) => l.trim().replace(/ \(framework directory\)$/, ''))
    .filter((l) => l !== '')
    .map((d) => resolve(d));
  for (const d of ['/usr/include', '/usr/local/include']) if (!dirs.includes(d)) dirs.push(d);
  defaultSystemDirs = dirs;
  return dirs;
}

/** Include directories the command line marks as system (-isystem, -idirafter). */
function flagSystemDirs(flags: string[], cwd: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    for (const opt of ['-isystem', '-idirafter']) {
      if (f === opt && flags[i + 1] !== undefined) out.push(resolve(cwd, flags[++i]!));
      else if (f.startsWith(opt) && f.length > opt.length) out.push(resolve(cwd, f.slice(opt.length)));
    }
  }
  return out;
}

/**
 * Maps a physical (file, line) to the one `#line` directives make it (bison's awkgram.c says its code
 * is awkgram.y's), as gcc's line markers, and so cc-wb's report, have it. clang's JSON gives the
 * physical place, and prints the presumed one only when it changed since the last location printed,
 * in a way that cannot always be decoded; reading the directives ourselves is simpler and exact.
 */
export function presumedLocations(cwd: string): (file: string, line: number) => { file: string; line: number } {
  const byFile = new Map<string, { at: number; line: number; file: string | null }[]>();
  const directives = (file: string) => {
    let ds = byFile.get(file);
    if (ds) return ds;
    ds = [];
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not a readable file (<built-in>, a deleted source): no directives
    }
    if (text.includes('#')) {
      text.split('\n').forEach((l, i) => {
        const m = /^\s*#\s*line\s+(\d+)(?:\s+"((?:[^"\\]|\\.)*)")?/.exec(l);
        if (m) ds!.push({ at: i + 1, line: Number(m[1]), file: m[2] === undefined ? null : m[2].replace(/\\(.)/g, '$1') });
      });
    }
    byFile.set(file, ds);
    return ds;
  };
  return (file, line) => {
    let presumedFile = file;
    let last: { at: number; line: number } | null = null;
    for (const d of directives(file)) {
      if (d.at >= line) break;
      last = d;
      if (d.file !== null) presumedFile = isAbsolute(d.file) ? resolve(d.file) : resolve(cwd, d.file);
    }
    return last ? { file: presumedFile, line: last.line + (line - last.at - 1) } : { file, line };
  };
}

/** Runs clang on one translation unit and lists the pointer stores in its non-system code. */
export async function runOracle(input: OracleInput): Promise<OracleResult> {
  const clang = input.clang ?? 'clang';
  const started = Date.now();
  const sysDirs = systemIncludeDirs(clang).concat(flagSystemDirs(input.flags, input.cwd));
  const isSystem = (abs: string): boolean => sysDirs.some((d) => abs === d || abs.startsWith(d.endsWith('/') ? d : `${d}/`));

  const collector = new StoreCollector();
  const stream = new AstStream<Sum>(collector);
  const args = ['-fsyntax-only', '-w', '-Xclang', '-ast-dump=json', ...input.flags, input.source];
  let jsonBytes = 0;
  let failed: Error | null = null;
  const abort = new AbortController();
  const r = await run([clang, ...args], {
    cwd: input.cwd,
    maxOutput: 20_000,
    signal: abort.signal,
    onStdout: (chunk) => {
      if (failed) return;
      jsonBytes += chunk.length;
      try {
        stream.write(chunk);
      } catch (e) {
        failed = e as Error;
        abort.abort();
      }
    },
  });
  if (failed) throw new Error(`oracle: ${input.source}: ${(failed as Error).message}`);
  if (r.spawnError) throw new Error(`oracle: cannot run ${clang}: ${r.spawnError}`);
  if (r.code !== 0) throw new Error(`oracle: clang ${args.join(' ')} (in ${input.cwd}) exited ${r.code}:\n${r.stderr}`);
  try {
    stream.end();
  } catch (e) {
    throw new Error(`oracle: ${input.source}: ${(e as Error).message}`);
  }

  const absOf = (f: string): string => (isAbsolute(f) ? resolve(f) : resolve(input.cwd, f));
  const presumed = presumedLocations(input.cwd);
  const stores: OracleStore[] = [];
  // A routed name the unit defines itself (outside system headers) is the program's own function.
  const ownFunctions = new Set(collector.definitions.filter((d) => !d.file.startsWith('<') && !isSystem(absOf(d.file))).map((d) => d.name));
  for (const c of collector.pending) {
    const file = absOf(c.at.file);
    if (isSystem(file) || c.at.file.startsWith('<')) continue;
    if (c.kind === 'call' || c.kind === 'value') {
      if (c.dropped || ownFunctions.has(c.detail)) continue;
      if (!c.detail.startsWith('__builtin_') && (c.decl === undefined || !collector.declaredFunctions.has(c.decl))) continue;
    } else if (!collector.env.holdsPointer(c.type)) continue;
    const at = presumed(file, c.at.line);
    stores.push({ file: at.file, line: at.line, kind: c.kind, detail: c.detail, type: c.type, func: c.func });
  }
  const functions = collector.functions
    .filter((f) => !f.file.startsWith('<') && !isSystem(absOf(f.file)))
    .map((f) => {
      const b = presumed(absOf(f.file), f.begin);
      return { ...f, file: b.file, begin: b.line, end: presumed(absOf(f.file), f.end).line };
    });
  return { stores, functions, unknownTypes: [...collector.env.unknownTypes].sort(), jsonBytes, ms: Date.now() - started };
}
