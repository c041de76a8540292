// Which locals of a function body have their storage reachable from elsewhere: a store to any
// other local needs no barrier (rules/store-decision.ts). The analysis follows C's scopes, so
// `&r` on an inner variable that shadows an outer `r` says nothing about the outer one, and it
// runs before the rewriter's walk because an escape may follow the store it concerns
// (`s.p = x; g(&s);`).
//
// A local escapes when
// - its address is taken: `&x`, `&x.f.g`, `&x.arr[i]` (through subscripts of a member array);
// - a member array of it is used as a value, which converts it to a pointer into x:
//   `g(s.arr)`, `s.arr + 1`, `p = s.arr` (but not `s.arr[i]`, `sizeof s.arr`, `*s.arr`);
// - the function has a GNU nested function, which reaches the frame through its static chain
//   (reported as `nestedFunction`: every local of the frame may then be reached).
// A `register` variable never escapes: C forbids taking its address.
import type { Node } from '../parse.js';
import { applyDeclarator, type DeclaratorLayers } from '../declarators.js';
import { textMarks, type TextMarks } from '../text-marks.js';

/** Where a variable is declared: the offset of its name in the declarator. */
export type DeclKey = number;

export interface EscapeAnalysis {
  /** Declarations (by DeclKey) of the locals whose storage escapes. */
  taken: Set<DeclKey>;
  /** The body defines a nested function. */
  nestedFunction: boolean;
}

export interface EnclosingScope {
  /** The declaration a name not declared in the body resolves to (parameters, outer locals). */
  resolve(name: string): DeclKey | undefined;
  /** Whether a member of this name may be an array in some record (when unsure: true). */
  mayBeArrayMember(name: string): boolean;
}

const nameOnly: DeclaratorLayers<null> = { pointer: () => null, array: () => null, func: () => null, unknown: () => null };

/** The name node a declarator declares, or null. */
export function declaredName(d: Node | null): Node | null {
  return applyDeclarator(d, null, nameOnly).nameNode;
}

/** A node to visit (with its parent, which tree-sitter finds only slowly), or the end of a scope. */
type Step = { n: Node; parent: Node | null } | 'pop';

const scopeMatters = new Set(['compound_statement', 'for_statement', 'declaration', 'init_declarator', 'function_definition', 'field_declaration']);

/** Where in a unit's text a local can escape: `&`, `.`, `{` (a nested function); for a block without nested functions, `&`, `.`, a record. */
export interface EscapeMarks {
  node: TextMarks;
  block: TextMarks;
}

/** The escape marks of text[start, end). */
export function escapeMarks(text: string, start: number, end: number): EscapeMarks {
  return { node: textMarks(text, { chars: '&.{' }, start, end), block: textMarks(text, { chars: '&.', words: ['struct', 'union'] }, start, end) };
}

/** The escape analysis of a function body; `text` is the unit's text (the tree's offsets are into it). */
export function escapingLocals(text: string, body: Node, outer: EnclosingScope): EscapeAnalysis {
  const marks = escapeMarks(text, body.startIndex, body.endIndex);
  const taken = new Set<DeclKey>();
  let nestedFunction = false;
  const scopes: Array<Map<string, DeclKey>> = [new Map()];
  // Member names declared as arrays (or through a typedef that may be one) in records the body defines.
  const localArrayMembers = new Set<string>();
  const declare = (nameNode: Node | null): void => {
    if (nameNode) scopes[scopes.length - 1]!.set(nameNode.text, nameNode.startIndex);
  };
  const resolve = (name: string): DeclKey | undefined => {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const k = scopes[i]!.get(name);
      if (k !== undefined) return k;
    }
    return outer.resolve(name);
  };
  const escape = (name: string | null): void => {
    const k = name === null ? undefined : resolve(name);
    if (k !== undefined) taken.add(k);
  };
  const mayBeArrayMember = (name: string): boolean => localArrayMembers.has(name) || outer.mayBeArrayMember(name);
  // Without a nested function, a block (or the whole body) with no `&`, `.` or record in its text
  // makes nothing escape, and the names it declares are its own: it need not be read at all.
  const anyNested = body.descendantsOfType('function_definition').length > 0;

  const stack: Step[] = [{ n: body, parent: null }];
  const visitAll = (nodes: Node[], parent: Node): void => {
    for (let i = nodes.length - 1; i >= 0; i--) stack.push({ n: nodes[i]!, parent });
  };
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    if (step === 'pop') {
      scopes.pop();
      continue;
    }
    const { n, parent } = step;
    // Only `&`, `.` and nested functions make a local escape; scopes come from the rest.
    if (!scopeMatters.has(n.type) && !marks.node.any(n.startIndex, n.endIndex)) continue;
    switch (n.type) {
      case 'compound_statement':
      case 'for_statement':
        if (!anyNested && !marks.block.any(n.startIndex, n.endIndex)) continue;
        scopes.push(new Map());
        stack.push('pop');
        visitAll(n.namedChildren, n);
        continue;
      case 'declaration': {
        // A name is in scope from its declarator on, its initialiser included (`void *p = &p;`).
        const parts: Node[] = [];
        for (const c of n.namedChildren) {
          if (c.type === 'init_declarator') {
            parts.push(c); // declared when reached, then its value visited
          } else if (n.childrenForFieldName('declarator').some((d) => d.id === c.id)) {
            declare(declaredName(c));
          } else {
            parts.push(c);
          }
        }
        visitAll(parts, n);
        continue;
      }
      case 'init_declarator': {
        declare(declaredName(n));
        const value = n.childForFieldName('value');
        if (value) stack.push({ n: value, parent: n });
        continue;
      }
      case 'function_definition': {
        nestedFunction = true;
        scopes.push(new Map());
        stack.push('pop');
        let d = n.childForFieldName('declarator');
        while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
        for (const p of d?.childForFieldName('parameters')?.namedChildren ?? []) {
          if (p.type === 'parameter_declaration') declare(declaredName(p.childForFieldName('declarator')));
        }
        const fbody = n.childForFieldName('body');
        if (fbody) stack.push({ n: fbody, parent: n });
        continue;
      }
      case 'field_declaration': {
        const typeNode = n.childForFieldName('type');
        const viaTypedef = typeNode?.type === 'type_identifier';
        for (const d of n.childrenForFieldName('declarator')) {
          const name = declaredName(d);
          if (name && (viaTypedef || hasArrayLayer(d))) localArrayMembers.add(name.text);
        }
        visitAll(n.namedChildren, n);
        continue;
      }
      case 'pointer_expression':
        if (n.child(0)?.type === '&') escape(addressRoot(n.childForFieldName('argument')));
        break;
      case 'field_expression': {
        const field = n.childForFieldName('field')?.text;
        if (field !== undefined && n.child(1)?.type === '.' && decays(n, parent) && mayBeArrayMember(field)) escape(memberRoot(n));
        break;
      }
    }
    visitAll(n.namedChildren, n);
  }
  return { taken, nestedFunction };
}

/** The local whose storage `&(n)` points into, or null (`&x[i]` points into x only when x is an array: a member one). */
function addressRoot(n: Node | null): string | null {
  n = unparenthesized(n);
  if (n?.type === 'identifier') return n.text;
  let inner = n;
  while (inner?.type === 'subscript_expression') inner = unparenthesized(inner.childForFieldName('argument'));
  return inner?.type === 'field_expression' ? memberRoot(inner) : null;
}

/** The variable at the root of a `.` member chain (`x.a.b` → x), or null. */
function memberRoot(n: Node | null): string | null {
  for (;;) {
    n = unparenthesized(n);
    if (n?.type === 'identifier') return n.text;
    if (n?.type !== 'field_expression' || n.child(1)?.type !== '.') return null;
    n = n.childForFieldName('argument');
  }
}

function unparenthesized(n: Node | null): Node | null {
  while (n?.type === 'parenthesized_expression') n = n.namedChildren.length === 1 ? n.namedChildren[0]! : null;
  return n;
}

/**
 * Whether the value of member expression n is used where an array would become a pointer to its
 * first element: anywhere but as the object of a further member access, a subscript, `*`, `&`
 * (its own rule), sizeof/alignof, or the target of a store.
 */
function decays(n: Node, p: Node | null): boolean {
  if (!p) return true;
  switch (p.type) {
    case 'field_expression':
    case 'subscript_expression':
      return p.childForFieldName('argument')?.id !== n.id;
    case 'pointer_expression':
    case 'sizeof_expression':
    case 'alignof_expression':
    case 'update_expression':
      return false;
    case 'assignment_expression':
      return p.childForFieldName('left')?.id !== n.id;
    default:
      return true;
  }
}

const arrayLayer: DeclaratorLayers<boolean> = { pointer: (t) => t, array: () => true, func: (t) => t, unknown: (t) => t };

function hasArrayLayer(d: Node): boolean {
  return applyDeclarator(d, false, arrayLayer).type;
}
