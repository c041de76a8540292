// The rewriter: one walk over the unit, in source order (C declares before use, so the type
// environment is complete enough at each point), keeping the scopes and static types the rules
// need and applying them: for every store whether it can be a pointer store into non-local
// memory (rules/store-decision.ts), for every use of a libc memory function whether it goes
// through the runtime (rules/renames.ts). Each decision becomes an edit on a node (splice.ts)
// whose text barrier-text.ts writes; all other bytes stay as they were.
import type { Node } from './parse.js';
import { ARITH, TypeScope, UNKNOWN, adjustParameter, isArithmetic, isRecord, kindOf, pointee, pointerTo, resolved, sameType, type CType, type FieldInfo } from './ctype.js';
import type { LineMap } from './linemap.js';
import { storageClassSpecifiers } from './declarators.js';
import { assignmentBarrier, atomicStoreBarrier, temporaryPrefix, type AtomicBarrier, type StoreForm } from './barrier-text.js';
import { Splicer, countNewlines, type Render } from './splice.js';
import { RENAMED_FUNCTIONS, copyIntoScalar, isCallee, mayNameRenamed, mayRewrite, mayStoreOrCall, storeCallOrBlockMarks, meansLibcFunction, returnKindMatchesLibc, routedValue } from './rules/renames.js';
import { implicitIntDefinition } from './rules/implicit-int.js';
import { escapingLocals, type EscapeAnalysis } from './rules/address-taken.js';
import type { TextMarks } from './text-marks.js';
import { lastAtOrBefore } from './sorted.js';
import { decideStore, type Decision, type StoreScope, type VarInfo } from './rules/store-decision.js';
import { valueUnused } from './rules/value-use.js';
import { isUpdateOf, ompAtomicPragma, type AtomicPragma } from './rules/omp-atomic.js';
import type { Diagnostic, InstrumentStats, Site, SiteKind } from './index.js';


export interface RewriteResult {
  code: string;
  sites: Site[];
  stats: InstrumentStats;
  diagnostics: Diagnostic[];
}

/** How deep typeOf and addressable look into an expression before answering "unknown". */
const MAX_TYPE_DEPTH = 64;

/** A node to walk, or something to do once everything queued before it is walked. */
type Task = { node: Node; as: 'statement' | 'expression' } | (() => void);

const mayRewriteAll = new RegExp(mayRewrite.source, 'g');

/**
 * Whether the rewriter would leave the unit as it is, counting nothing: outside system headers,
 * no store, `++`/`--` or renamed name except in file-scope declarations that cannot name a
 * renamed function. A file-scope declaration is read, never walked (its initializers are constant
 * expressions: no store), so `int x = sizeof (off_t);` rewrites nothing.
 */
export function nothingToRewrite(root: Node, text: string, lines: Pick<LineMap, 'userRegions'>): boolean {
  const top = root.namedChildren;
  for (const [start, end] of lines.userRegions()) {
    const region = text.slice(start, end);
    mayRewriteAll.lastIndex = 0;
    for (let m = mayRewriteAll.exec(region); m; m = mayRewriteAll.exec(region)) {
      const node = nodeAt(top, start + m.index);
      if (!node) continue;
      if (!onlyDeclares(node, text)) return false;
      mayRewriteAll.lastIndex = Math.max(mayRewriteAll.lastIndex, node.endIndex - start);
    }
  }
  return true;
}

/** The node of `nodes` (in order, not overlapping) that holds offset `at`, or null. */
function nodeAt(nodes: Node[], at: number): Node | null {
  const n = nodes[lastAtOrBefore(nodes.length, (i) => nodes[i]!.startIndex, at)];
  return n && n.startIndex <= at && at < n.endIndex ? n : null;
}

/** A top-level node the rewriter only reads declarations from (see Rewriter.topLevel). */
function onlyDeclares(n: Node, text: string): boolean {
  switch (n.type) {
    case 'type_definition':
    case 'struct_specifier':
    case 'union_specifier':
    case 'enum_specifier':
      return true;
    case 'declaration':
      return !mayNameRenamed.test(text.slice(n.startIndex, n.endIndex));
    default:
      return false;
  }
}

export class Rewriter {
  private readonly env: TypeScope;
  private readonly globals = new Map<string, VarInfo>();
  private readonly definedFunctions = new Set<string>();
  private scopes: Array<Map<string, VarInfo>> = [];
  /** The declarations of the current function's locals whose storage escapes (rules/address-taken.ts). */
  private escaping: EscapeAnalysis = { taken: new Set(), nestedFunction: false };
  private readonly splicer: Splicer;
  private readonly storeScope: StoreScope = {
    lookup: (name) => this.lookup(name),
    addressTaken: (name) => {
      const v = this.lookup(name);
      if (!v) return true;
      if (v.register) return false; // no address: C forbids `&` on it
      return this.escaping.nestedFunction || (v.declaredAt !== undefined && this.escaping.taken.has(v.declaredAt));
    },
    isComplexPart: (lhs) => this.complexPartEnds.has(lhs.startIndex),
    typeOf: (n) => this.typeOf(n),
    fieldOf: (fe) => this.fieldOf(fe),
    fieldsNamed: (name) => this.fieldsNamed(name) ?? [],
  };
  /** The parent of every node the walk reached (tree-sitter's own lookup is slow in big trees). */
  private readonly parents = new Map<number, Node>();
  private readonly parentOf = (n: Node): Node | null => this.parents.get(n.id) ?? n.parent;
  private counter = 0;
  /** The barrier's temporaries' prefix: no identifier of the unit contains it. */
  private readonly prefix: string;
  readonly sites: Site[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly stats: InstrumentStats = { assignments: 0, barriered: 0, arithmetic: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 };

  constructor(
    private readonly text: string,
    private readonly lines: LineMap,
    private readonly complexPartEnds: Set<number>,
    private readonly storeForm: StoreForm = 'call',
    /** Called with every name looked up at file scope, before the lookup (system-pieces.ts). */
    private readonly onName: (name: string) => void = () => {},
  ) {
    this.splicer = new Splicer(text, this.parentOf);
    this.env = new TypeScope(text, { host: false, onName });
    this.prefix = temporaryPrefix(text);
  }

  run(root: Node): RewriteResult {
    // A unit whose own code has nothing to rewrite or count (a configure test) need not be read at all.
    if (nothingToRewrite(root, this.text, this.lines)) {
      return { code: this.text, sites: this.sites, stats: this.stats, diagnostics: this.diagnostics };
    }
    // Functions the unit defines itself keep their names: a program's own `free` is not libc's.
    // So do names the unit declares itself with a return type unlike libc's (autoconf's
    // `char strdup ();` link checks): the call is to something else.
    for (const child of root.namedChildren) {
      if (child.type !== 'function_definition' && child.type !== 'declaration') continue;
      if (this.lines.isSystem(child.startIndex)) continue;
      for (const d of child.type === 'function_definition' ? [child.childForFieldName('declarator')] : child.childrenForFieldName('declarator')) {
        const { name, type } = this.env.declare(d, ARITH);
        if (!name || !RENAMED_FUNCTIONS.has(name)) continue;
        if (kindOf(type) !== 'func') {
          // A variable of that name (a function pointer called `free`) is the program's own.
          this.definedFunctions.add(name);
          continue;
        }
        const declared = this.env.declare(d, this.env.specifier(child.childForFieldName('type'))).type;
        if (child.type === 'function_definition' || !returnKindMatchesLibc(name, declared)) this.definedFunctions.add(name);
      }
    }
    const top = root.namedChildren;
    for (const c of top) this.parents.set(c.id, root);
    for (let i = 0; i < top.length; i++) {
      const call = implicitIntDefinition(top[i]!, top[i + 1]);
      if (call) this.implicitIntFunction(call, top[++i]!);
      else this.topLevel(top[i]!);
    }
    return {
      code: this.splicer.run(root),
      sites: this.sites,
      stats: this.stats,
      diagnostics: this.diagnostics,
    };
  }

  // ---- declarations -------------------------------------------------------------------------

  private storageOf(decl: Node): Set<string> {
    return storageClassSpecifiers(decl);
  }

  private topLevel(node: Node): void {
    switch (node.type) {
      case 'type_definition':
        this.typedef(node);
        break;
      case 'declaration':
        this.fileScopeInitializers(node);
        this.declaration(node, this.globals, false);
        break;
      case 'function_definition':
        this.functionDefinition(node);
        break;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        this.env.specifier(node);
        break;
      default:
        for (const c of node.namedChildren) {
          if (c.type !== 'function_definition' && c.type !== 'declaration' && c.type !== 'type_definition') continue;
          this.parents.set(c.id, node);
          this.topLevel(c);
        }
    }
  }

  private typedef(node: Node): void {
    const base = this.env.specifier(node.childForFieldName('type'));
    for (const d of node.childrenForFieldName('declarator')) {
      const { name, nameNode, type } = this.env.declare(d, base);
      if (name) this.env.defineTypedef(name, type, nameNode!.startIndex);
    }
  }

  private declaration(node: Node, into: Map<string, VarInfo>, inFunction: boolean): void {
    const base = this.env.specifier(node.childForFieldName('type'));
    const storage = this.storageOf(node);
    const local = inFunction && !storage.has('static') && !storage.has('extern');
    const autoType = node.childForFieldName('type')?.text === '__auto_type';
    for (const d of node.childrenForFieldName('declarator')) {
      const declared = this.env.declare(d, base);
      const { name, nameNode } = declared;
      let type = declared.type;
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (autoType && value) {
        // `__auto_type v = e;`: e's type, arrays and functions decayed to pointers.
        type = adjustParameter(resolved(this.typeOf(value)));
      }
      if (!name) continue;
      into.set(name, { type, local: local && kindOf(type) !== 'func', register: storage.has('register'), declaredAt: nameNode?.startIndex });
    }
  }

  /**
   * The uses of libc's functions in a file-scope declaration's initializers (`static void
   * (*do_free)(void *) = free;`, tables of allocator hooks). Constant expressions hold no store, so
   * only names are looked at.
   */
  private fileScopeInitializers(node: Node): void {
    if (this.lines.isSystem(node.startIndex)) return;
    for (const d of node.childrenForFieldName('declarator')) {
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (!value || !mayNameRenamed.test(this.text.slice(value.startIndex, value.endIndex))) continue;
      for (const id of value.descendantsOfType('identifier')) this.maybeRename(id);
    }
  }

  private lookup(name: string): VarInfo | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i]!.get(name);
      if (v) return v;
    }
    this.onName(name);
    return this.globals.get(name);
  }

  /** Every field of that name in any record read (a store through it may be through any of them). */
  private fieldsNamed(name: string): FieldInfo[] | undefined {
    this.onName(name);
    return this.env.fieldsByName.get(name);
  }

  private functionDefinition(fn: Node): void {
    const declarator = fn.childForFieldName('declarator');
    const { name, type } = this.env.declare(declarator, this.env.specifier(fn.childForFieldName('type')));
    if (name) this.globals.set(name, { type, local: false, register: false });
    const body = fn.childForFieldName('body');
    if (!body || this.lines.isSystem(fn.startIndex)) return;
    this.parents.set(body.id, fn);

    const params = new Map<string, VarInfo>();
    const fdecl = this.functionDeclaratorOf(declarator);
    for (const p of fdecl?.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p.type !== 'parameter_declaration') {
        // K&R identifier list: the types are in the (dropped) declaration list.
        if (p.type === 'identifier') params.set(p.text, { type: UNKNOWN, local: true, register: false, declaredAt: p.startIndex });
        continue;
      }
      const pdecl = p.childForFieldName('declarator');
      const ptypeNode = p.childForFieldName('type');
      if (!pdecl && ptypeNode?.type === 'type_identifier') {
        // `f(a, b)` in a definition: K&R names, which the grammar reads as unnamed typedef'd parameters.
        params.set(ptypeNode.text, { type: UNKNOWN, local: true, register: false, declaredAt: ptypeNode.startIndex });
        continue;
      }
      const { name: pname, nameNode: pnameNode, type: ptype } = this.env.declare(pdecl, this.env.specifier(ptypeNode));
      // A parameter declared as an array or function is a pointer.
      const adjusted = adjustParameter(resolved(ptype));
      if (pname) params.set(pname, { type: adjusted, local: true, register: this.storageOf(p).has('register'), declaredAt: pnameNode?.startIndex });
    }
    // K&R parameter declarations sit between the declarator and the body.
    for (const c of fn.namedChildren) if (c.type === 'declaration') this.declaration(c, params, true);

    this.functionBody(params, body);
  }

  private functionBody(params: Map<string, VarInfo>, body: Node): void {
    const outerScopes = this.scopes;
    const outerEscaping = this.escaping;
    this.scopes = outerScopes.length ? [...outerScopes, params] : [params];
    const outerMarks = this.marks;
    this.marks = storeCallOrBlockMarks(this.text, body.startIndex, body.endIndex);
    const own = escapingLocals(this.text, body, {
      resolve: (name) => this.lookup(name)?.declaredAt,
      mayBeArrayMember: (name) => {
        const fields = this.fieldsNamed(name);
        return !fields || fields.some((f) => kindOf(f.type) === 'array' || kindOf(f.type) === 'unknown');
      },
    });
    // A nested function's escapes are its enclosing function's too (one frame reaches the other's).
    this.escaping = { taken: new Set([...outerEscaping.taken, ...own.taken]), nestedFunction: outerEscaping.nestedFunction || own.nestedFunction };
    // The body's walk runs in the current walk when this is a nested function, after which the
    // enclosing function's scopes come back.
    this.walk([
      { node: body, as: 'statement' },
      () => {
        this.scopes = outerScopes;
        this.escaping = outerEscaping;
        this.marks = outerMarks;
      },
    ]);
  }

  /**
   * `x(){...}` and `f(a, b){...}` — K&R implicit-int definitions the grammar reads as a call
   * statement missing its ';' followed by a block (see implicitIntDefinition).
   */
  private implicitIntFunction(call: Node, body: Node): void {
    const name = call.childForFieldName('function')!.text;
    this.globals.set(name, { type: { k: 'func', ret: ARITH, sig: null }, local: false, register: false });
    if (this.lines.isSystem(call.startIndex)) return;
    const params = new Map<string, VarInfo>();
    for (const a of call.childForFieldName('arguments')?.namedChildren ?? []) params.set(a.text, { type: UNKNOWN, local: true, register: false });
    this.functionBody(params, body);
  }

  private functionDeclaratorOf(d: Node | null): Node | null {
    while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
    return d;
  }

  // ---- statements and expressions ------------------------------------------------------------
  //
  // The walk is iterative (an explicit stack of tasks, run in source order): a unit may nest
  // expressions tens of thousands deep (`((((...))))`, a 30,000-term sum), deeper than any call
  // stack.

  private tasks: Task[] | null = null;

  /** Runs the tasks in order; inside a running walk they are queued before what remains of it. */
  private walk(tasks: Task[]): void {
    const running = this.tasks;
    const stack = running ?? [];
    for (let i = tasks.length - 1; i >= 0; i--) stack.push(tasks[i]!);
    if (running) return;
    this.tasks = stack;
    try {
      for (let t = stack.pop(); t !== undefined; t = stack.pop()) {
        if (typeof t === 'function') t();
        else if (t.as === 'statement') this.statement(t.node, stack);
        else this.expression(t.node, stack);
      }
    } finally {
      this.tasks = null;
    }
  }

  /** Queues a node's named children (statements where `asStatements`, else expressions), in order. */
  private pushChildren(n: Node, stack: Task[], as: (c: Node) => 'statement' | 'expression'): void {
    const children = n.namedChildren;
    for (let i = children.length - 1; i >= 0; i--) {
      this.parents.set(children[i]!.id, n);
      stack.push({ node: children[i]!, as: as(children[i]!) });
    }
  }

  private statement(n: Node, stack: Task[]): void {
    switch (n.type) {
      case 'compound_statement':
      case 'for_statement': {
        this.scopes.push(new Map());
        const scopes = this.scopes;
        stack.push(() => scopes.pop());
        this.pushChildren(n, stack, () => 'statement');
        return;
      }
      case 'declaration': {
        // Initialisers are visited before the names come into scope, as far as stores go.
        const scope = this.scopes[this.scopes.length - 1]!;
        stack.push(() => this.declaration(n, scope, true));
        if (this.mayMatter(n)) this.pushChildren(n, stack, () => 'expression');
        return;
      }
      case 'type_definition':
        this.typedef(n);
        return;
      case 'function_definition':
        this.functionDefinition(n);
        return;
      case 'struct_specifier':
      case 'union_specifier':
      case 'enum_specifier':
        this.env.specifier(n);
        return;
      case 'expression_statement':
      case 'return_statement':
        if (this.worthVisiting(n)) this.expression(n, stack);
        return;
      default:
        if (n.type.endsWith('_statement') || n.type === 'else_clause' || n.type === 'labeled_statement') {
          this.pushChildren(n, stack, () => 'statement');
          return;
        }
        if (this.mayMatter(n)) this.expression(n, stack); // a condition, a for clause, a case value
    }
  }

  /** Where the function body being walked holds a store, `++`/`--`, a renamed name or a block. */
  private marks: TextMarks | null = null;

  /** Whether walking the node can find anything (only asked inside a function body). */
  private mayMatter(n: Node): boolean {
    return this.marks?.any(n.startIndex, n.endIndex) ?? true;
  }

  /** Cheap text test: can this statement contain a store or a renamed name at all? */
  private worthVisiting(n: Node): boolean {
    return mayStoreOrCall.test(this.text.slice(n.startIndex, n.endIndex));
  }

  private expression(n: Node, stack: Task[]): void {
    // Nothing below a node without a store, a renamed name or a block can change (a declaration
    // reached here declares a name, whatever its text).
    if (n.type !== 'declaration' && !this.mayMatter(n)) return;
    switch (n.type) {
      case 'assignment_expression': {
        const lhs = n.childForFieldName('left')!;
        const rhs = n.childForFieldName('right')!;
        this.parents.set(lhs.id, n);
        this.parents.set(rhs.id, n);
        stack.push(() => this.assignment(n, lhs, rhs));
        stack.push({ node: rhs, as: 'expression' }, { node: lhs, as: 'expression' });
        return;
      }
      case 'update_expression': {
        const arg = n.childForFieldName('argument')!;
        this.parents.set(arg.id, n);
        stack.push(() => this.update(n));
        stack.push({ node: arg, as: 'expression' });
        return;
      }
      case 'identifier':
        this.maybeRename(n);
        return;
      case 'compound_statement':
      case 'declaration':
        // Statement expressions `({ ... })`.
        this.statement(n, stack);
        return;
      case 'type_descriptor':
      case 'field_identifier':
      case 'string_literal':
      case 'number_literal':
        return;
    }
    this.pushChildren(n, stack, (c) => (c.type === 'compound_statement' ? 'statement' : 'expression'));
  }

  private maybeRename(id: Node): void {
    const abi = RENAMED_FUNCTIONS.get(id.text);
    if (!abi || this.definedFunctions.has(id.text) || this.lines.isSystem(id.startIndex)) return;
    const parent = this.parentOf(id);
    if (!parent) return;
    // Declarator names (`void *memcpy(...)`, a local called `free`) are not uses.
    if (parent.childForFieldName('declarator')?.id === id.id || parent.childForFieldName('name')?.id === id.id) return;
    if (parent.type === 'parameter_list' || parent.type === 'parameter_declaration') return;
    if (!meansLibcFunction(id.text, this.lookup(id.text))) return;
    this.stats.calls++;
    const called = isCallee(id);
    const scalar = copyIntoScalar(id, (object) => isArithmetic(this.typeOf(object)));
    if (scalar) {
      // `memcpy(&x, p, n)`: the builtin when n is a constant within x (the copy is then no more a
      // pointer store than `x = ...`), the runtime's copy otherwise; the compiler decides.
      const args = scalar.args;
      this.splicer.edit(id, () => abi + '_into');
      this.splicer.edit(args, () => this.splicer.renderChildren(args).replace(/\)\s*$/, `, sizeof (${scalar.object.text}))`));
    } else {
      this.splicer.edit(id, () => (called ? abi : routedValue(id.text, abi)));
    }
    this.site(id, called ? 'call' : 'value', id.text);
  }

  private fieldOf(fe: Node, depth = 0): FieldInfo | null {
    const base = this.typeOf(fe.childForFieldName('argument'), depth);
    const rec = this.env.resolveRecord(fe.child(1)?.type === '->' ? pointee(base) : base);
    return rec?.byName!.get(fe.childForFieldName('field')?.text ?? '') ?? null;
  }

  /**
   * Best-effort static type; UNKNOWN whenever not certain, and beyond a nesting depth that real
   * code does not reach (an unknown type is always safe: the compiler decides at the store).
   */
  private typeOf(n: Node | null, depth = 0): CType {
    while (n?.type === 'parenthesized_expression') n = n.namedChildren.length === 1 ? n.namedChildren[0]! : null;
    if (!n || depth > MAX_TYPE_DEPTH) return UNKNOWN;
    const typeOf = (c: Node | null): CType => this.typeOf(c, depth + 1);
    switch (n.type) {
      case 'identifier':
        return this.lookup(n.text)?.type ?? UNKNOWN;
      case 'field_expression':
        return this.fieldOf(n, depth + 1)?.type ?? UNKNOWN;
      case 'subscript_expression': {
        const a = typeOf(n.childForFieldName('argument'));
        if (kindOf(a) === 'ptr' || kindOf(a) === 'array') return pointee(a);
        const i = typeOf(n.childForFieldName('index'));
        return kindOf(i) === 'ptr' || kindOf(i) === 'array' ? pointee(i) : UNKNOWN;
      }
      case 'pointer_expression': {
        const arg = typeOf(n.childForFieldName('argument'));
        if (n.child(0)?.type === '&') return pointerTo(arg);
        return kindOf(arg) === 'func' ? arg : pointee(arg);
      }
      case 'cast_expression':
      case 'compound_literal_expression': {
        const t = n.childForFieldName('type');
        return t ? this.env.descriptor(t) : UNKNOWN;
      }
      case 'call_expression': {
        let f = resolved(typeOf(n.childForFieldName('function')));
        if (f.k === 'ptr') f = resolved(f.to);
        return f.k === 'func' ? f.ret : UNKNOWN;
      }
      case 'assignment_expression':
        return typeOf(n.childForFieldName('left'));
      case 'number_literal':
      case 'char_literal':
      case 'sizeof_expression':
      case 'alignof_expression':
        return ARITH;
      case 'update_expression':
        // `p++`, `--p`: p's type (an arithmetic operand stays arithmetic, a pointer a pointer).
        return typeOf(n.childForFieldName('argument'));
      case 'conditional_expression': {
        const then = n.childForFieldName('consequence');
        const a = typeOf(then ?? n.childForFieldName('condition')); // GNU `c ?: b` yields c
        const b = typeOf(n.childForFieldName('alternative'));
        return sameType(a, b) ? a : isArithmetic(a) && isArithmetic(b) ? ARITH : UNKNOWN;
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.type;
        if (op !== '+' && op !== '-') return UNKNOWN;
        const a = typeOf(n.childForFieldName('left'));
        const b = typeOf(n.childForFieldName('right'));
        if (isArithmetic(a) && isArithmetic(b)) return ARITH;
        if ((kindOf(a) === 'ptr' || kindOf(a) === 'array') && isArithmetic(b)) return pointerTo(pointee(a));
        if (op === '+' && isArithmetic(a) && (kindOf(b) === 'ptr' || kindOf(b) === 'array')) return pointerTo(pointee(b));
        return UNKNOWN;
      }
      case 'comma_expression':
        return typeOf(n.childForFieldName('right'));
      default:
        return UNKNOWN;
    }
  }

  /** After both operands are walked: the store's decision and its barrier. */
  private assignment(n: Node, lhs: Node, rhs: Node): void {
    const op = n.childForFieldName('operator')?.type ?? '=';
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
    const stmt = this.parentOf(n);
    const pragma = stmt?.type === 'expression_statement' ? ompAtomicPragma(this.text, stmt) : null;
    if (pragma) {
      this.atomicAssignment(n, lhs, rhs, stmt!, pragma);
      return;
    }
    if (!this.apply(lhs, decideStore(lhs, this.storeScope))) return;
    const k = ++this.counter;
    const unused = valueUnused(n, this.parentOf);
    const fromLvalue = isRecord(this.typeOf(rhs)) && this.addressable(rhs);
    this.splicer.edit(n, (r) => assignmentBarrier({ k, prefix: this.prefix, lhs: r(lhs), rhs: r(rhs), fromLvalue, valueUsed: !unused, form: this.storeForm }));
    this.site(n, 'assign', '=');
  }

  /** Statements of `#pragma omp atomic` with a barrier, by their parent's node id (rules/omp-atomic.ts). */
  private readonly atomicStatements = new Map<number, Map<number, { pragma: AtomicPragma; text: (r: Render) => AtomicBarrier }>>();

  /**
   * `#pragma omp atomic` before `lhs = rhs;`: the statement keeps the form OpenMP requires, and the
   * barrier's work goes before the pragma line (write: the slot and the value are computed and the
   * store reported there, the atomic statement then stores the value into the slot) or after the
   * statement (read: the atomic load goes into a temporary, which a barriered assignment then
   * stores). An update (`x = x + n`) is pointer arithmetic, as `x += n` is.
   */
  private atomicAssignment(n: Node, lhs: Node, rhs: Node, stmt: Node, pragma: AtomicPragma): void {
    if (pragma.clause === 'update' && isUpdateOf(lhs, rhs)) {
      this.pointerArithmetic(n, lhs, 'compound', '=');
      return;
    }
    const parent = this.parentOf(stmt);
    const canMove = parent !== null && pragma.insertAt >= (stmt.previousSibling?.endIndex ?? parent.startIndex);
    if (pragma.clause === 'capture' || !canMove) {
      const pos = this.lines.map(lhs.startIndex);
      this.diagnostics.push({ ...pos, severity: 'error', message: `cannot put a barrier on '${n.text.slice(0, 60)}' under #pragma omp atomic ${pragma.clause}` });
      return;
    }
    if (!this.apply(lhs, decideStore(lhs, this.storeScope))) return;
    const k = ++this.counter;
    let inParent = this.atomicStatements.get(parent.id);
    if (!inParent) {
      const statements = (inParent = new Map());
      this.atomicStatements.set(parent.id, statements);
      this.splicer.edit(parent, (r) => this.renderWithAtomicStatements(parent, statements, r));
    }
    const read = pragma.clause === 'read';
    inParent.set(stmt.id, { pragma, text: (r) => atomicStoreBarrier({ k, prefix: this.prefix, lhs: r(lhs), rhs: r(rhs), read, form: this.storeForm }) });
    this.site(n, 'assign', '=');
  }

  /** A node whose children include barriered atomic statements, with each one's text moved around its pragma. */
  private renderWithAtomicStatements(parent: Node, statements: Map<number, { pragma: AtomicPragma; text: (r: Render) => AtomicBarrier }>, r: Render): string {
    let out = '';
    let pos = parent.startIndex;
    for (const c of parent.children) {
      let gap = this.text.slice(pos, c.startIndex);
      let rendered = r(c);
      const atomic = statements.get(c.id);
      if (atomic) {
        const { before, statement } = atomic.text(r);
        // At the end of the line above the pragma (and its line markers): no line moves.
        const cut = atomic.pragma.insertAt - pos;
        gap = gap.slice(0, cut) + before + gap.slice(cut);
        const lost = countNewlines(this.text, c.startIndex, c.endIndex) - countNewlines(statement, 0, statement.length);
        rendered = statement + '\n'.repeat(Math.max(0, lost));
      }
      out += gap + rendered;
      pos = c.endIndex;
    }
    return out + this.text.slice(pos, parent.endIndex);
  }

  /**
   * Whether `&(n)` is valid and names the object n designates: not a bit-field (callers ask only
   * about record-typed expressions), not a register variable, not an rvalue such as a call result.
   */
  private addressable(n: Node | null, depth = 0): boolean {
    while (n?.type === 'parenthesized_expression') n = n.namedChildren.length === 1 ? n.namedChildren[0]! : null;
    // Not knowing costs a copy of the record through a temporary, never correctness.
    if (!n || depth > MAX_TYPE_DEPTH) return false;
    switch (n.type) {
      case 'identifier': {
        const v = this.lookup(n.text);
        return v !== undefined && !v.register;
      }
      case 'field_expression':
        return n.child(1)?.type === '->' || this.addressable(n.childForFieldName('argument'), depth + 1);
      case 'subscript_expression': {
        const a = n.childForFieldName('argument')!;
        return kindOf(this.typeOf(a)) === 'ptr' || this.addressable(a, depth + 1);
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
    const d = decideStore(lhs, this.storeScope);
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
}
