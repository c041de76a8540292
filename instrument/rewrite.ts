// The rewrite rules. One walk over the unit, in source order (C declares before use, so the
// type environment is complete enough at each point), deciding for every store whether it can
// be a pointer store into non-local memory, and for every use of a libc memory function whether
// it must go through the runtime. Each decision becomes an edit on a node; edits are rendered
// by re-printing only the nodes that contain one, so all other bytes stay as they were.
import type Parser from 'tree-sitter';
import { ARITH, TypeEnv, UNKNOWN, isArithmetic, isRecord, pointee, type CType, type FieldInfo } from './types.js';
import type { LineMap } from './linemap.js';
import type { Diagnostic, InstrumentStats, Site, SiteKind } from './index.js';

type Node = Parser.SyntaxNode;
type Render = (n: Node) => string;
type Edit = (render: Render) => string;

/** libc (and GCC builtin) names whose uses in user code go through the runtime. */
export const RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map(
  [
    ['memcpy', '__wb_memcpy'],
    ['memmove', '__wb_memmove'],
    ['mempcpy', '__wb_mempcpy'],
    ['memset', '__wb_memset'],
    ['bzero', '__wb_bzero'],
    ['explicit_bzero', '__wb_explicit_bzero'],
    ['bcopy', '__wb_bcopy'],
    ['qsort', '__wb_qsort'],
    ['malloc', '__wb_malloc'],
    ['calloc', '__wb_calloc'],
    ['realloc', '__wb_realloc'],
    ['reallocarray', '__wb_reallocarray'],
    ['aligned_alloc', '__wb_aligned_alloc'],
    ['memalign', '__wb_memalign'],
    ['posix_memalign', '__wb_posix_memalign'],
    ['valloc', '__wb_valloc'],
    ['strdup', '__wb_strdup'],
    ['strndup', '__wb_strndup'],
    ['free', '__wb_free'],
    ['getline', '__wb_getline'],
    ['getdelim', '__wb_getdelim'],
  ].flatMap(([name, abi]) => [
    [name!, abi!],
    ['__builtin_' + name!, abi!],
  ]),
);

interface VarInfo {
  type: CType;
  local: boolean; // automatic storage in the current function (parameters included)
  register: boolean;
}

type Decision =
  | { action: 'skip'; why: 'local' | 'non-pointer' }
  | { action: 'barrier' }
  | { action: 'error'; message: string };

export interface RewriteResult {
  code: string;
  sites: Site[];
  stats: InstrumentStats;
  diagnostics: Diagnostic[];
}

const renamedNames = [...RENAMED_FUNCTIONS.keys()].filter((n) => !n.startsWith('__builtin_'));
// An assignment operator (not ==, <=, >=, !=), ++, --, or a name the pass renames.
const mayStoreOrCall = new RegExp(`(?:^|[^=!<>])=(?!=)|\\+\\+|--|\\b(?:__builtin_)?(?:${renamedNames.join('|')})\\b`);

/**
 * The call in `x() {` / `f(a, b) {` at file scope: an expression statement holding only a call of
 * a name with identifier arguments, its ';' missing, followed by a block.
 */
export function implicitIntDefinition(stmt: Node, next: Node | undefined): Node | null {
  if (stmt.type !== 'expression_statement' || next?.type !== 'compound_statement') return null;
  const call = stmt.namedChildren[0];
  if (!call || call.type !== 'call_expression' || call.childForFieldName('function')?.type !== 'identifier') return null;
  if (!stmt.lastChild?.isMissing) return null;
  if (!(call.childForFieldName('arguments')?.namedChildren ?? []).every((a) => a.type === 'identifier')) return null;
  return call;
}

/** libc's return type shape for a renamed function: 'ptr', 'void' or 'int'. */
function libcReturnKind(name: string): 'ptr' | 'void' | 'int' {
  const base = name.replace(/^__builtin_/, '');
  if (base === 'posix_memalign' || base === 'getline' || base === 'getdelim') return 'int';
  if (base === 'free' || base === 'bzero' || base === 'explicit_bzero' || base === 'bcopy' || base === 'qsort') return 'void';
  return 'ptr';
}

function returnKindMatchesLibc(name: string, declared: CType): boolean {
  if (declared.k !== 'func') return false;
  const ret = declared.ret;
  const kind = ret.k === 'ptr' ? 'ptr' : ret.k === 'void' ? 'void' : ret.k === 'arith' ? 'int' : 'unknown';
  return kind === 'unknown' || kind === libcReturnKind(name);
}

const scalarCopyFunctions = new Set(['memcpy', '__builtin_memcpy', 'memmove', '__builtin_memmove', 'memset', '__builtin_memset']);

const POINTER_CLASS = 5; // __builtin_classify_type: pointer_type_class
const RECORD_CLASS = 12; // record_type_class
const UNION_CLASS = 13; // union_type_class

/**
 * A slot address as the barrier's word type. The detour through an integer drops qualifiers
 * (`const char **`, `T *volatile *`) without the -Wcast-qual warning a direct cast would draw.
 */
const slotOf = (addr: string): string => `(__wb_word_t *)(__wb_uintptr_t)(${addr})`;
const untyped = (addr: string): string => `(void *)(__wb_uintptr_t)(${addr})`;
/** A host is active (__wb_active never goes back to 0; runtime-c/include/wb_prelude.h). */
const ACTIVE = '__builtin_expect(__wb_active != 0, 0)';

/**
 * How a pointer store is reported before it happens.
 * - 'call': `if (__wb_active) __wb_store_before(slot, new)`, portable C.
 * - 'x86-64-asm', 'x86-64-avx-asm': one `asm inline` statement: the __wb_active test and a jump to a stub in
 *   .text.unlikely that hands the slot and the new value to __wb_store_hook
 *   (runtime-c/src/store_hook.c), which saves every register it or the C runtime could touch
 *   (__wb_store_hook_avx for units built with AVX: it also keeps the upper vector state and
 *   opmasks, which code built without AVX never holds values in).
 *   To the compiler it is two instructions that call nothing and clobber only the flags, so the
 *   surrounding code keeps its registers, its inlining and its layout: with the C call, the cold
 *   branch's call clobbers made gcc keep values in callee-saved registers (pushes and pops in
 *   every small function with a store) and its size stopped gcc inlining small functions such as
 *   gawk's TOP_SCALAR into the interpreter loop (spec-bench/results/analysis.md). Record
 *   assignments likewise (x86RangeAsm, __wb_range_hook).
 */
export type StoreForm = 'call' | 'x86-64-asm' | 'x86-64-avx-asm';

/**
 * The x86-64 store barrier's asm template (see StoreForm). %0 the slot, %1 the new value (a
 * register or a 32-bit immediate: a NULL store needs no register); %2,
 * the slot as a memory operand, is unused text-wise but tells the compiler the hook reads it, so
 * the store cannot move above the asm. The stub skips the red zone (128 bytes) before using the
 * stack, leaves the address to resume at (for unwinders), the slot and the value where
 * __wb_store_hook expects them and calls it: a real call and return, not a jump with a made-up
 * return address, which valgrind's tools need to keep their call stacks (callgrind ran a thousand
 * times slower, the hook returning to where no call had pushed); then it pops its frame and jumps
 * back. Labels
 * use %= (unique per emitted asm, also when gcc duplicates the statement). The stubs get a section
 * of their own: gcc may itself be emitting the store into .text.unlikely (a block it split off as
 * cold), and a stub pushed there would directly follow the `jne`, reached by falling through
 * (test/conformance/regressions/store-in-cold-partition.c).
 */
export const x86StoreAsm = (hook: string): string => [
  // {AT&T|Intel}: gcc and clang pick the dialect the unit is compiled for (-masm=intel).
  '{cmpl $0, __wb_active(%%rip)|cmp DWORD PTR __wb_active[rip], 0}',
  'jne .Lwb_cold%=',
  '.Lwb_back%=:',
  '.pushsection .text.unlikely.__wb_stubs,\\"ax\\",@progbits',
  '.Lwb_cold%=:',
  '{leaq -160(%%rsp), %%rsp|lea rsp, [rsp-160]}',
  '{movq %%rax, 24(%%rsp)|mov [rsp+24], rax}',
  '{movq %0, 8(%%rsp)|mov [rsp+8], %0}',
  '{movq %1, 16(%%rsp)|mov QWORD PTR [rsp+16], %1}',
  '{leaq .Lwb_back%=(%%rip), %%rax|lea rax, .Lwb_back%=[rip]}',
  '{movq %%rax, (%%rsp)|mov [rsp], rax}',
  '{movq 24(%%rsp), %%rax|mov rax, [rsp+24]}',
  `call ${hook}`,
  '{leaq 160(%%rsp), %%rsp|lea rsp, [rsp+160]}',
  'jmp .Lwb_back%=',
  '.popsection',
].join('\\n\\t');

/**
 * The x86-64 record-assignment barrier's asm template: as x86StoreAsm, with %0 the destination,
 * %1 the source and %2 the size (an immediate, or a register); %3 and %4, the two records as
 * memory operands, order the asm after pending writes to either. The hook (__wb_range_hook)
 * finds the size at 40(%rsp) on entry.
 */
export const x86RangeAsm = (hook: string): string => [
  '{cmpl $0, __wb_active(%%rip)|cmp DWORD PTR __wb_active[rip], 0}',
  'jne .Lwb_cold%=',
  '.Lwb_back%=:',
  '.pushsection .text.unlikely.__wb_stubs,\\"ax\\",@progbits',
  '.Lwb_cold%=:',
  '{leaq -160(%%rsp), %%rsp|lea rsp, [rsp-160]}',
  '{movq %%rax, 24(%%rsp)|mov [rsp+24], rax}',
  '{movq %0, 8(%%rsp)|mov [rsp+8], %0}',
  '{movq %1, 16(%%rsp)|mov [rsp+16], %1}',
  '{movq %2, 32(%%rsp)|mov QWORD PTR [rsp+32], %2}',
  '{leaq .Lwb_back%=(%%rip), %%rax|lea rax, .Lwb_back%=[rip]}',
  '{movq %%rax, (%%rsp)|mov [rsp], rax}',
  '{movq 24(%%rsp), %%rax|mov rax, [rsp+24]}',
  `call ${hook}`,
  '{leaq 160(%%rsp), %%rsp|lea rsp, [rsp+160]}',
  'jmp .Lwb_back%=',
  '.popsection',
].join('\\n\\t');

export class Rewriter {
  private readonly env = new TypeEnv();
  private readonly globals = new Map<string, VarInfo>();
  private readonly definedFunctions = new Set<string>();
  private scopes: Array<Map<string, VarInfo>> = [];
  private addressTaken = new Set<string>();
  private readonly edits = new Map<number, Edit>();
  private readonly dirty = new Set<number>();
  private counter = 0;
  readonly sites: Site[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly stats: InstrumentStats = { assignments: 0, barriered: 0, arithmetic: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 };

  constructor(
    private readonly text: string,
    private readonly lines: LineMap,
    private readonly complexPartEnds: Set<number>,
    private readonly storeForm: StoreForm = 'call',
  ) {}

  run(root: Node): RewriteResult {
    // Functions the unit defines itself keep their names: a program's own `free` is not libc's.
    // So do names the unit declares itself with a return type unlike libc's (autoconf's
    // `char strdup ();` link checks): the call is to something else.
    for (const child of root.namedChildren) {
      if (child.type !== 'function_definition' && child.type !== 'declaration') continue;
      if (this.lines.isSystem(child.startIndex)) continue;
      for (const d of child.type === 'function_definition' ? [child.childForFieldName('declarator')] : child.childrenForFieldName('declarator')) {
        const { name, type } = this.env.applyDeclarator(d, ARITH);
        if (!name || !RENAMED_FUNCTIONS.has(name) || type.k !== 'func') continue;
        const declared = this.env.applyDeclarator(d, this.env.typeOfSpecifier(child.childForFieldName('type'))).type;
        if (child.type === 'function_definition' || !returnKindMatchesLibc(name, declared)) this.definedFunctions.add(name);
      }
    }
    const top = root.namedChildren;
    for (let i = 0; i < top.length; i++) {
      const call = implicitIntDefinition(top[i]!, top[i + 1]);
      if (call) this.implicitIntFunction(call, top[++i]!);
      else this.topLevel(top[i]!);
    }
    const body = this.render(root);
    return {
      code: this.text.slice(0, root.startIndex) + body + this.text.slice(root.endIndex),
      sites: this.sites,
      stats: this.stats,
      diagnostics: this.diagnostics,
    };
  }

  // ---- declarations -------------------------------------------------------------------------

  private storageOf(decl: Node): Set<string> {
    const out = new Set<string>();
    for (const c of decl.namedChildren) if (c.type === 'storage_class_specifier') out.add(c.text);
    return out;
  }

  private topLevel(node: Node): void {
    switch (node.type) {
      case 'type_definition':
        this.typedef(node);
        break;
      case 'declaration':
        this.declaration(node, this.globals, false);
        break;
      case 'function_definition':
        this.functionDefinition(node);
        break;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        this.env.typeOfSpecifier(node);
        break;
      default:
        for (const c of node.namedChildren) if (c.type === 'function_definition' || c.type === 'declaration' || c.type === 'type_definition') this.topLevel(c);
    }
  }

  private typedef(node: Node): void {
    const base = this.env.typeOfSpecifier(node.childForFieldName('type'));
    for (const d of node.childrenForFieldName('declarator')) {
      const { name, type } = this.env.applyDeclarator(d, base);
      if (name) this.env.defineTypedef(name, type);
    }
  }

  private declaration(node: Node, into: Map<string, VarInfo>, inFunction: boolean): void {
    const base = this.env.typeOfSpecifier(node.childForFieldName('type'));
    const storage = this.storageOf(node);
    const local = inFunction && !storage.has('static') && !storage.has('extern');
    for (const d of node.childrenForFieldName('declarator')) {
      const { name, type } = this.env.applyDeclarator(d, base);
      if (!name) continue;
      into.set(name, { type, local: local && type.k !== 'func', register: storage.has('register') });
    }
  }

  private lookup(name: string): VarInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    return this.globals.get(name);
  }

  private functionDefinition(fn: Node): void {
    const declarator = fn.childForFieldName('declarator');
    const { name, type } = this.env.applyDeclarator(declarator, this.env.typeOfSpecifier(fn.childForFieldName('type')));
    if (name) this.globals.set(name, { type, local: false, register: false });
    const body = fn.childForFieldName('body');
    if (!body || this.lines.isSystem(fn.startIndex)) return;

    const params = new Map<string, VarInfo>();
    const fdecl = this.functionDeclaratorOf(declarator);
    for (const p of fdecl?.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p.type !== 'parameter_declaration') {
        // K&R identifier list: the types are in the (dropped) declaration list.
        if (p.type === 'identifier') params.set(p.text, { type: UNKNOWN, local: true, register: false });
        continue;
      }
      const pdecl = p.childForFieldName('declarator');
      const ptypeNode = p.childForFieldName('type');
      if (!pdecl && ptypeNode?.type === 'type_identifier') {
        // `f(a, b)` in a definition: K&R names, which the grammar reads as unnamed typedef'd parameters.
        params.set(ptypeNode.text, { type: UNKNOWN, local: true, register: false });
        continue;
      }
      const { name: pname, type: ptype } = this.env.applyDeclarator(pdecl, this.env.typeOfSpecifier(ptypeNode));
      // A parameter declared as an array or function is a pointer.
      const adjusted: CType = ptype.k === 'array' ? { k: 'ptr', to: ptype.of } : ptype.k === 'func' ? { k: 'ptr', to: ptype } : ptype;
      if (pname) params.set(pname, { type: adjusted, local: true, register: this.storageOf(p).has('register') });
    }
    // K&R parameter declarations sit between the declarator and the body.
    for (const c of fn.namedChildren) if (c.type === 'declaration') this.declaration(c, params, true);

    this.functionBody(params, body);
  }

  private functionBody(params: Map<string, VarInfo>, body: Node): void {
    const outerScopes = this.scopes;
    const outerTaken = this.addressTaken;
    this.scopes = outerScopes.length ? [...outerScopes, params] : [params];
    this.addressTaken = new Set(outerTaken);
    this.collectAddressTaken(body);
    this.statement(body);
    this.scopes = outerScopes;
    this.addressTaken = outerTaken;
  }

  /**
   * `x(){...}` and `f(a, b){...}` — K&R implicit-int definitions the grammar reads as a call
   * statement missing its ';' followed by a block (see implicitIntDefinition).
   */
  private implicitIntFunction(call: Node, body: Node): void {
    const name = call.childForFieldName('function')!.text;
    this.globals.set(name, { type: { k: 'func', ret: ARITH }, local: false, register: false });
    if (this.lines.isSystem(call.startIndex)) return;
    const params = new Map<string, VarInfo>();
    for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) params.set(a.text, { type: UNKNOWN, local: true, register: false });
    this.functionBody(params, body);
  }

  private functionDeclaratorOf(d: Node | null): Node | null {
    while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
    return d;
  }

  /** Names of locals whose address escapes (`&x`, `&x.f`), or that a nested function can reach. */
  private collectAddressTaken(body: Node): void {
    const bodyText = this.text.slice(body.startIndex, body.endIndex);
    if (bodyText.includes('&')) {
      for (const n of body.descendantsOfType('pointer_expression')) {
        if (n.child(0)?.type !== '&') continue;
        const root = this.rootIdentifier(n.childForFieldName('argument'), false);
        if (root) this.addressTaken.add(root);
      }
    }
    // GNU nested function: it reaches the enclosing frame through the static chain.
    if (body.descendantsOfType('function_definition').length > 0) this.addressTaken.add('*');
  }

  /** The variable an lvalue designates storage of (`x`, `x.f.g`, `(x)`), or null. */
  private rootIdentifier(n: Node | null, throughSubscript: boolean): string | null {
    while (n) {
      if (n.type === 'identifier') return n.text;
      if (n.type === 'parenthesized_expression') n = n.namedChildren[0] ?? null;
      else if (n.type === 'field_expression' && n.child(1)?.type === '.') n = n.childForFieldName('argument');
      else if (throughSubscript && n.type === 'subscript_expression') n = n.childForFieldName('argument');
      else return null;
    }
    return null;
  }

  // ---- statements and expressions ------------------------------------------------------------

  private statement(n: Node): void {
    switch (n.type) {
      case 'compound_statement':
      case 'for_statement': {
        this.scopes.push(new Map());
        for (const c of n.namedChildren) this.statement(c);
        this.scopes.pop();
        return;
      }
      case 'declaration':
        // Initialisers are visited before the names come into scope, as far as stores go.
        for (const c of n.namedChildren) this.expression(c);
        this.declaration(n, this.scopes[this.scopes.length - 1]!, true);
        return;
      case 'type_definition':
        this.typedef(n);
        return;
      case 'function_definition':
        this.functionDefinition(n);
        return;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        this.env.typeOfSpecifier(n);
        return;
      case 'expression_statement':
      case 'return_statement':
        if (this.worthVisiting(n)) this.expression(n);
        return;
      default:
        if (n.type.endsWith('_statement') || n.type === 'else_clause' || n.type === 'labeled_statement') {
          for (const c of n.namedChildren) this.statement(c);
          return;
        }
        this.expression(n);
    }
  }

  /** Cheap text test: can this statement contain a store or a renamed name at all? */
  private worthVisiting(n: Node): boolean {
    return mayStoreOrCall.test(this.text.slice(n.startIndex, n.endIndex));
  }

  private expression(n: Node): void {
    switch (n.type) {
      case 'assignment_expression':
        this.assignment(n);
        return;
      case 'update_expression':
        this.update(n);
        return;
      case 'identifier':
        this.maybeRename(n);
        return;
      case 'compound_statement':
      case 'declaration':
        // Statement expressions `({ ... })`.
        this.statement(n);
        return;
      case 'type_descriptor':
      case 'field_identifier':
      case 'string_literal':
      case 'number_literal':
        return;
    }
    for (const c of n.namedChildren) {
      if (c.type === 'compound_statement') this.statement(c);
      else this.expression(c);
    }
  }

  private maybeRename(id: Node): void {
    const abi = RENAMED_FUNCTIONS.get(id.text);
    if (!abi || this.definedFunctions.has(id.text) || this.lines.isSystem(id.startIndex)) return;
    const parent = id.parent;
    if (!parent) return;
    // Declarator names (`void *memcpy(...)`, a local called `free`) are not uses.
    if (parent.childForFieldName('declarator')?.id === id.id || parent.childForFieldName('name')?.id === id.id) return;
    if (parent.type === 'parameter_list' || parent.type === 'parameter_declaration') return;
    const v = this.lookup(id.text);
    if (v && v.local) return;
    this.stats.calls++;
    const scalar = this.copyIntoScalar(id);
    if (scalar) {
      // `memcpy(&x, p, n)`: the builtin when n is a constant within x (the copy is then no more a
      // pointer store than `x = ...`), the runtime's copy otherwise; the compiler decides.
      const args = scalar.args;
      this.addEdit(id, () => abi + '_into');
      this.addEdit(args, () => this.renderChildren(args).replace(/\)\s*$/, `, sizeof (${scalar.object.text}))`));
    } else {
      this.addEdit(id, () => abi);
    }
    this.site(id, 'call', id.text);
  }

  /**
   * `memcpy(&x, p, sizeof x)` with `x` of arithmetic type is how C does unaligned and type-punned
   * loads. Within x's own size it cannot overwrite or create a pointer any more than `x = ...` can,
   * and the builtin keeps it a single load in the hot loops of compressors; but the size is what
   * decides (`memcpy(&n->v, src, sizeof *n)` also overwrites n's pointer fields), so the call keeps
   * a barrier form that the compiler reduces to the builtin only for a constant size within x.
   * Returns x and the argument list, or null.
   */
  private copyIntoScalar(id: Node): { object: Node; args: Node } | null {
    const call = id.parent;
    if (call?.type !== 'call_expression' || call.childForFieldName('function')?.id !== id.id) return null;
    if (!scalarCopyFunctions.has(id.text)) return null;
    const args = call.childForFieldName('arguments');
    if (!args || args.namedChildren.length !== 3) return null;
    let dst: Node | null = args.namedChildren[0] ?? null;
    while (dst && (dst.type === 'parenthesized_expression' || dst.type === 'cast_expression')) {
      dst = dst.type === 'cast_expression' ? dst.childForFieldName('value') : (dst.namedChildren[0] ?? null);
    }
    if (dst?.type !== 'pointer_expression' || dst.child(0)?.type !== '&') return null;
    const object = dst.childForFieldName('argument');
    // Its text is repeated in a sizeof: one line, no comment, so nothing moves or gets swallowed.
    if (!object || /[\n/]/.test(object.text)) return null;
    return isArithmetic(this.typeOf(object)) ? { object, args } : null;
  }

  private decide(lhs: Node): Decision {
    if (this.complexPartEnds.has(lhs.startIndex)) return { action: 'skip', why: 'non-pointer' };
    let l = lhs;
    while (l.type === 'parenthesized_expression' && l.namedChildren.length === 1) l = l.namedChildren[0]!;
    if (l.type === 'identifier') {
      const v = this.lookup(l.text);
      if (v?.local && v.type.k !== 'array' && !this.addressTaken.has(l.text) && !this.addressTaken.has('*')) return { action: 'skip', why: 'local' };
      if (v?.register && !v.local) return { action: 'skip', why: 'non-pointer' };
      return isArithmetic(v?.type ?? UNKNOWN) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
    }
    if (l.type === 'field_expression') {
      const isDot = l.child(1)?.type === '.';
      if (isDot) {
        const root = this.rootIdentifier(l, false);
        const v = root ? this.lookup(root) : undefined;
        if (root && v?.local && v.type.k !== 'array' && !this.addressTaken.has(root) && !this.addressTaken.has('*')) return { action: 'skip', why: 'local' };
      }
      const field = l.childForFieldName('field')?.text ?? '';
      const known = this.fieldOf(l);
      if (known) return known.bitfield || isArithmetic(known.type) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
      const all = this.env.fieldsByName.get(field) ?? [];
      if (all.length > 0 && all.every((f) => f.bitfield || isArithmetic(f.type))) return { action: 'skip', why: 'non-pointer' };
      if (all.some((f) => f.bitfield))
        return { action: 'error', message: `cannot tell whether '${l.text}' is a bit-field (a bit-field and a possible pointer field share the name '${field}')` };
      return { action: 'barrier' };
    }
    return isArithmetic(this.typeOf(l)) ? { action: 'skip', why: 'non-pointer' } : { action: 'barrier' };
  }

  private fieldOf(fe: Node): FieldInfo | null {
    const base = this.typeOf(fe.childForFieldName('argument'));
    const rec = this.env.resolveRecord(fe.child(1)?.type === '->' ? pointee(base) : base);
    return rec?.fields.get(fe.childForFieldName('field')?.text ?? '') ?? null;
  }

  /** Best-effort static type; UNKNOWN whenever not certain. */
  private typeOf(n: Node | null): CType {
    if (!n) return UNKNOWN;
    switch (n.type) {
      case 'parenthesized_expression':
        return n.namedChildren.length === 1 ? this.typeOf(n.namedChildren[0]!) : UNKNOWN;
      case 'identifier':
        return this.lookup(n.text)?.type ?? UNKNOWN;
      case 'field_expression':
        return this.fieldOf(n)?.type ?? UNKNOWN;
      case 'subscript_expression': {
        const a = this.typeOf(n.childForFieldName('argument'));
        if (a.k === 'ptr' || a.k === 'array') return pointee(a);
        const i = this.typeOf(n.childForFieldName('index'));
        return i.k === 'ptr' || i.k === 'array' ? pointee(i) : UNKNOWN;
      }
      case 'pointer_expression': {
        const arg = this.typeOf(n.childForFieldName('argument'));
        if (n.child(0)?.type === '&') return { k: 'ptr', to: arg };
        return arg.k === 'func' ? arg : pointee(arg);
      }
      case 'cast_expression':
      case 'compound_literal_expression': {
        const t = n.childForFieldName('type');
        return t ? this.env.typeOfDescriptor(t) : UNKNOWN;
      }
      case 'call_expression': {
        let f = this.typeOf(n.childForFieldName('function'));
        if (f.k === 'ptr') f = f.to;
        return f.k === 'func' ? f.ret : UNKNOWN;
      }
      case 'assignment_expression':
        return this.typeOf(n.childForFieldName('left'));
      case 'comma_expression':
        return this.typeOf(n.childForFieldName('right'));
      default:
        return UNKNOWN;
    }
  }

  private valueUnused(n: Node): boolean {
    const p = n.parent;
    if (!p) return false;
    if (p.type === 'expression_statement') {
      // ...unless it is the last statement of a statement expression `({ ...; x = y; })`.
      const block = p.parent;
      const isLast = block?.type === 'compound_statement' && block.lastNamedChild?.id === p.id;
      return !(isLast && block?.parent?.type === 'parenthesized_expression');
    }
    if (p.type === 'for_statement') return p.childForFieldName('update')?.id === n.id;
    if (p.type === 'comma_expression') return p.childForFieldName('left')?.id === n.id || this.valueUnused(p);
    return false;
  }

  private assignment(n: Node): void {
    const lhs = n.childForFieldName('left')!;
    const rhs = n.childForFieldName('right')!;
    const op = n.childForFieldName('operator')?.type ?? '=';
    this.expression(lhs);
    this.expression(rhs);
    if (this.lines.isSystem(n.startIndex)) return;
    this.stats.assignments++;
    if (op !== '=' && op !== '+=' && op !== '-=') {
      this.stats.skippedNonPointer++; // only + and - apply to pointers
      return;
    }
    if (op !== '=') {
      this.pointerArithmetic(n, lhs, 'compound', op);
      return;
    }
    if (!this.apply(lhs, this.decide(lhs))) return;
    const k = ++this.counter;
    const s = `__wb_s${k}`;
    const unused = this.valueUnused(n);
    const slot = slotOf(s);
    // A record-typed right-hand side that is an lvalue is copied straight from where it lives:
    // copying it into an addressable temporary first (to give the range barrier a source
    // address) would force every such copy through the stack.
    const fromLvalue = isRecord(this.typeOf(rhs)) && this.addressable(rhs);
    this.addEdit(n, (r) => {
      const [prologue, v, vAddr] = fromLvalue
        ? [`__auto_type __wb_r${k} = &(${r(rhs)}); `, `*__wb_r${k}`, `__wb_r${k}`]
        : [`__typeof__(*${s}) __wb_v${k}; __wb_v${k} = (${r(rhs)}); `, `__wb_v${k}`, `&__wb_v${k}`];
      // The barrier reports the store just before it happens (the runtime reads the old value), so
      // the store is written once and the cold branch is one call: nothing that changes gcc's
      // inlining or splitting of the function, nothing it could call uninitialised.
      // Spelled out rather than through inline wrappers (such as the prelude's
      // __wb_note_range_assign): gcc's early inliner counts a wrapper
      // call before it inlines it, and that is enough to change its inlining and splitting of
      // small functions (GCC torture 990208-1).
      const avx = this.storeForm === 'x86-64-avx-asm';
      const ptrStore =
        this.storeForm !== 'call'
          ? `({ __asm__ __inline__ __volatile__("${x86StoreAsm(avx ? '__wb_store_hook_avx' : '__wb_store_hook')}" : : "r"(${slot}), "re"(*${slotOf(vAddr)}), "m"(*${slot}) : "cc"); *${s} = ${v}; })`
          : `({ if (${ACTIVE}) __wb_store_before(${slot}, *${slotOf(vAddr)}); *${s} = ${v}; })`;
      const recStore =
        this.storeForm !== 'call'
          ? `({ __asm__ __inline__ __volatile__("${x86RangeAsm(avx ? '__wb_range_hook_avx' : '__wb_range_hook')}" : : "r"(${untyped(s)}), "r"(${untyped(vAddr)}), "re"(sizeof *${s}), "m"(*${s}), "m"(*${vAddr}) : "cc"); *${s} = ${v}; (void)0; })`
          : `({ if (${ACTIVE}) __wb_range_assign_slow(${untyped(s)}, ${untyped(vAddr)}, sizeof *${s}); *${s} = ${v}; (void)0; })`;
      const cls = `__builtin_classify_type(*${s})`;
      return (
        `__extension__ ({ __auto_type ${s} = &(${r(lhs)}); ${prologue}` +
        `__builtin_choose_expr(${cls} == ${POINTER_CLASS}, ${ptrStore}, ` +
        `__builtin_choose_expr(${cls} == ${RECORD_CLASS} || ${cls} == ${UNION_CLASS}, ${recStore}, (void)(*${s} = ${v})));` +
        (unused ? ' })' : ` ${v}; })`)
      );
    });
    this.site(n, 'assign', '=');
  }

  /**
   * Whether `&(n)` is valid and names the object n designates: not a bit-field (callers ask only
   * about record-typed expressions), not a register variable, not an rvalue such as a call result.
   */
  private addressable(n: Node): boolean {
    switch (n.type) {
      case 'parenthesized_expression':
        return n.namedChildren.length === 1 && this.addressable(n.namedChildren[0]!);
      case 'identifier': {
        const v = this.lookup(n.text);
        return v !== undefined && !v.register;
      }
      case 'field_expression':
        return n.child(1)?.type === '->' || this.addressable(n.childForFieldName('argument')!);
      case 'subscript_expression': {
        const a = n.childForFieldName('argument')!;
        return this.typeOf(a).k === 'ptr' || this.addressable(a);
      }
      case 'pointer_expression':
        return n.child(0)?.type === '*';
      case 'compound_literal_expression':
        return true;
      default:
        return false;
    }
  }

  private update(n: Node): void {
    const op = n.childForFieldName('operator')?.type ?? '++';
    let arg = n.childForFieldName('argument')!;
    this.expression(arg);
    if (this.lines.isSystem(n.startIndex)) return;
    this.stats.assignments++;
    // tree-sitter-c 0.24 groups `!x++` as `(!x)++`; C means `!(x++)`: the operand is the innermost.
    if (n.child(0)?.type !== op) while (arg.type === 'unary_expression') arg = arg.childForFieldName('argument')!;
    this.pointerArithmetic(n, arg, 'incdec', op);
  }

  /**
   * `p++`, `--p`, `p += n`, `p -= n`: no barrier. The result points into the object p pointed
   * into (C allows nothing else), so the object the slot's reference counts for does not change;
   * the runtime and the host key counts by slot (wb_host.h, WB_EV_REF), and the store that later
   * replaces the pointer reports the slot whatever it then holds. On arithmetic types it is not
   * a pointer store at all. Recorded as a site so the completeness check sees it accounted for.
   */
  private pointerArithmetic(n: Node, lhs: Node, kind: SiteKind, op: string): void {
    const d = this.decide(lhs);
    if (d.action === 'skip') {
      if (d.why === 'local') this.stats.skippedLocal++;
      else this.stats.skippedNonPointer++;
      return;
    }
    this.stats.arithmetic++;
    this.site(n, kind, op);
  }

  /** Records the decision; true when the store must be barriered. */
  private apply(lhs: Node, d: Decision): boolean {
    if (d.action === 'barrier') {
      this.stats.barriered++;
      return true;
    }
    if (d.action === 'skip') {
      if (d.why === 'local') this.stats.skippedLocal++;
      else this.stats.skippedNonPointer++;
      return false;
    }
    const pos = this.lines.map(lhs.startIndex);
    this.diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, severity: 'error', message: d.message });
    return false;
  }

  private site(n: Node, kind: SiteKind, detail: string): void {
    const pos = this.lines.map(n.startIndex);
    this.sites.push({ file: pos.file, line: pos.line, col: pos.col, kind, detail });
  }

  // ---- rendering ----------------------------------------------------------------------------

  private addEdit(n: Node, edit: Edit): void {
    this.edits.set(n.id, edit);
    for (let p = n.parent; p && !this.dirty.has(p.id); p = p.parent) this.dirty.add(p.id);
  }

  private readonly render: Render = (n) => {
    const edit = this.edits.get(n.id);
    if (edit) return keepLineCount(edit(this.render), this.text, n.startIndex, n.endIndex);
    return this.renderChildren(n);
  };

  /** A node's text with its descendants' edits applied (its own edit, if any, not). */
  private renderChildren(n: Node): string {
    if (!this.dirty.has(n.id)) return this.text.slice(n.startIndex, n.endIndex);
    let out = '';
    let pos = n.startIndex;
    for (const c of n.children) {
      out += this.text.slice(pos, c.startIndex) + this.render(c);
      pos = c.endIndex;
    }
    return out + this.text.slice(pos, n.endIndex);
  }
}

const newlines = (s: string, from = 0, to = s.length): number => {
  let k = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) k++;
  return k;
};

/**
 * A rewrite keeps the text of the operands it uses, but not what lies between them (`g =\n  n`,
 * `g = /* a comment\n over two lines *\/ n`): the newlines it loses go after it, so the lines that
 * follow keep their numbers (diagnostics, debug info).
 */
function keepLineCount(rendered: string, text: string, start: number, end: number): string {
  const missing = newlines(text, start, end) - newlines(rendered);
  return missing > 0 ? rendered + '\n'.repeat(missing) : rendered;
}
