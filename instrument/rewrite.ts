// The rewriter: one walk over the unit, in source order (C declares before use, so the type
// environment is complete enough at each point), keeping the scopes and static types the rules
// need and applying them: for every store whether it can be a pointer store into non-local
// memory (rules/store-decision.ts), for every use of a libc memory function whether it goes
// through the runtime (rules/renames.ts). Each decision becomes an edit on a node (splice.ts)
// whose text barrier-text.ts writes; all other bytes stay as they were.
import type { Node } from './parse.js';
import { ARITH, TypeEnv, UNKNOWN, isArithmetic, isRecord, pointee, type CType, type FieldInfo } from './types.js';
import type { LineMap } from './linemap.js';
import { storageClassSpecifiers } from './declarators.js';
import { assignmentBarrier, type StoreForm } from './barrier-text.js';
import { Splicer } from './splice.js';
import { RENAMED_FUNCTIONS, copyIntoScalar, isCallee, mayNameRenamed, mayStoreOrCall, meansLibcFunction, returnKindMatchesLibc, routedValue } from './rules/renames.js';
import { implicitIntDefinition } from './rules/implicit-int.js';
import { decideStore, rootIdentifier, type Decision, type StoreScope, type VarInfo } from './rules/store-decision.js';
import { valueUnused } from './rules/value-use.js';
import type { Diagnostic, InstrumentStats, Site, SiteKind } from './index.js';


export interface RewriteResult {
  code: string;
  sites: Site[];
  stats: InstrumentStats;
  diagnostics: Diagnostic[];
}

export class Rewriter {
  private readonly env = new TypeEnv();
  private readonly globals = new Map<string, VarInfo>();
  private readonly definedFunctions = new Set<string>();
  private scopes: Array<Map<string, VarInfo>> = [];
  private addressTaken = new Set<string>();
  private readonly splicer: Splicer;
  private readonly storeScope: StoreScope = {
    lookup: (name) => this.lookup(name),
    addressTaken: (name) => this.addressTaken.has(name) || this.addressTaken.has('*'),
    isComplexPart: (lhs) => this.complexPartEnds.has(lhs.startIndex),
    typeOf: (n) => this.typeOf(n),
    fieldOf: (fe) => this.fieldOf(fe),
    fieldsNamed: (name) => this.env.fieldsByName.get(name) ?? [],
  };
  private counter = 0;
  readonly sites: Site[] = [];
  readonly diagnostics: Diagnostic[] = [];
  readonly stats: InstrumentStats = { assignments: 0, barriered: 0, arithmetic: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 };

  constructor(
    private readonly text: string,
    private readonly lines: LineMap,
    private readonly complexPartEnds: Set<number>,
    private readonly storeForm: StoreForm = 'call',
  ) {
    this.splicer = new Splicer(text);
  }

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
        const root = rootIdentifier(n.childForFieldName('argument'), false);
        if (root) this.addressTaken.add(root);
      }
    }
    // GNU nested function: it reaches the enclosing frame through the static chain.
    if (body.descendantsOfType('function_definition').length > 0) this.addressTaken.add('*');
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
    if (!this.apply(lhs, decideStore(lhs, this.storeScope))) return;
    const k = ++this.counter;
    const unused = valueUnused(n);
    const fromLvalue = isRecord(this.typeOf(rhs)) && this.addressable(rhs);
    this.splicer.edit(n, (r) => assignmentBarrier({ k, lhs: r(lhs), rhs: r(rhs), fromLvalue, valueUsed: !unused, form: this.storeForm }));
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
