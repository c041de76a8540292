import { describe, expect, it } from 'vitest';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { copyTree, type SyntaxNode } from '../../instrument/syntax-tree.js';

const FIELDS = ['declarator', 'type', 'value', 'body', 'name', 'parameters', 'arguments', 'function', 'left', 'right', 'argument', 'field', 'operator', 'condition', 'consequence', 'alternative', 'initializer', 'update', 'index', 'size', 'designator', 'label'];

/** One line per node, depth first: what the pass reads of it (fields by the child's offset). */
function describeTree(root: Parser.SyntaxNode | SyntaxNode): string[] {
  const out: string[] = [];
  const stack = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    const fields = FIELDS.map((f) => {
      const one = n!.childForFieldName(f);
      const all = n!.childrenForFieldName(f).map((c) => c.startIndex);
      return one || all.length ? `${f}=${one?.startIndex}/${all.join(',')}` : '';
    }).filter(Boolean);
    out.push(`${n.type} ${n.startIndex}-${n.endIndex} named=${n.isNamed} missing=${n.isMissing} error=${n.hasError} [${n.children.length}/${n.namedChildren.length}] ${n.text.length} ${fields.join(' ')}`);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

function both(text: string): { native: Parser.SyntaxNode; copy: SyntaxNode } {
  const parser = new Parser();
  parser.setLanguage(C as unknown as Parser.Language);
  const tree = parser.parse(text);
  return { native: tree.rootNode, copy: copyTree(tree, text).rootNode };
}

describe('copyTree', () => {
  const units = {
    declarations: 'typedef struct s { int a : 3; char *p[4]; } S;\nstatic int (*f)(int, char **), x = 1;\n',
    statements: 'void g(S *s, int n) {\n  for (int i = 0; i < n; i++) { s->p[i] = (char *)0; if (n) break; else continue; }\n  switch (n) { case 1: n += 2; default: ; }\n  lab: goto lab;\n}\n',
    errors: 'int a = ; int b;\nvoid h(void) { x = (1 + ; }\nint c = );\n',
    missing: 'struct t { int a; } v\nint w;\n',
    'trailing text': 'int z;   \n\n  ',
    empty: '',
  };
  for (const [name, text] of Object.entries(units)) {
    it(`reads as tree-sitter's own nodes: ${name}`, () => {
      const { native, copy } = both(text);
      expect(describeTree(copy)).toEqual(describeTree(native));
    });
  }

  it('links parents and siblings, and finds descendants in source order', () => {
    const { copy } = both('int f(int a) { a = 1; return a; }');
    const ids = copy.descendantsOfType('identifier');
    expect(ids.map((n) => n.text)).toEqual(['f', 'a', 'a', 'a']);
    const assign = copy.descendantsOfType(['assignment_expression'])[0]!;
    expect(assign.parent!.type).toBe('expression_statement');
    expect(assign.parent!.nextSibling!.type).toBe('return_statement');
    expect(assign.parent!.nextSibling!.previousSibling).toBe(assign.parent);
    expect(assign.childForFieldName('right')!.text).toBe('1');
    expect(new Set([copy, ...ids].map((n) => n.id)).size).toBe(5);
  });

  it('flags the nodes that hold an error, and only those', () => {
    const { copy } = both('int a = ; int b;');
    const [first, second] = copy.namedChildren;
    expect(copy.hasError).toBe(true);
    expect(first!.hasError).toBe(true);
    expect(second!.hasError).toBe(false);
  });
});
