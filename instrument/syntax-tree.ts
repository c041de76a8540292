// tree-sitter's syntax tree copied into plain JavaScript objects. The pass reads most nodes of a
// unit several times over (the rewriter, its escape analysis, the type reader, the metadata),
// and every read of tree-sitter's own node objects crosses into native code and builds new
// objects: that cost several times the parse itself. One walk of a TreeCursor copies the tree
// once; after it, each read is a property access.
//
// The copy answers as tree-sitter's nodes do, for the part of their interface the pass uses:
// the same children (named and anonymous), types, offsets, fields and error flags.
import type Parser from 'tree-sitter';
import C from 'tree-sitter-c';

/** What the readers of a tree need of it. */
export interface SyntaxTree {
  rootNode: SyntaxNode;
}

/** The text of a node; per tree. */
interface TreeText {
  readonly input: string;
}

// Per language, by tree-sitter's numeric ids, filled as they are first met.
const fieldNames: string[] = [];
const fieldIds = new Map<string, number>();

let nextId = 1;
const NO_CHILDREN: SyntaxNode[] = [];

export class SyntaxNode {
  /** Unique among all the nodes of all trees copied in this process. */
  readonly id = nextId++;
  /** Shared by all the nodes that have none, until a first child comes. */
  children: SyntaxNode[] = NO_CHILDREN;
  /** The field of tree-sitter's grammar this node fills in its parent (0: none). */
  fieldId = 0;
  isMissing = false;
  /** The node or a descendant is an ERROR node or a missing token. */
  hasError = false;
  /** The position of this node among its parent's children. */
  index = 0;
  /** Set once the node's children are copied. */
  endIndex = 0;
  /** What the copy knows of the node's type. */
  typeInfo: TypeInfo | null = null;

  constructor(
    private readonly source: TreeText,
    readonly parent: SyntaxNode | null,
    readonly type: string,
    readonly isNamed: boolean,
    readonly startIndex: number,
  ) {}

  get text(): string {
    return this.source.input.substring(this.startIndex, this.endIndex);
  }

  get namedChildren(): SyntaxNode[] {
    return this.children.filter((c) => c.isNamed);
  }

  get childCount(): number {
    return this.children.length;
  }

  child(index: number): SyntaxNode | null {
    return this.children[index] ?? null;
  }

  get firstChild(): SyntaxNode | null {
    return this.children[0] ?? null;
  }

  get lastChild(): SyntaxNode | null {
    return this.children[this.children.length - 1] ?? null;
  }

  get lastNamedChild(): SyntaxNode | null {
    for (let i = this.children.length - 1; i >= 0; i--) if (this.children[i]!.isNamed) return this.children[i]!;
    return null;
  }

  get previousSibling(): SyntaxNode | null {
    return this.parent?.children[this.index - 1] ?? null;
  }

  get nextSibling(): SyntaxNode | null {
    return this.parent?.children[this.index + 1] ?? null;
  }

  /** The first child filling the field, as tree-sitter's childForFieldName. */
  childForFieldName(name: string): SyntaxNode | null {
    const id = fieldIds.get(name);
    if (id === undefined) return null;
    for (const c of this.children) if (c.fieldId === id) return c;
    return null;
  }

  /** Every child filling the field, in order. */
  childrenForFieldName(name: string): SyntaxNode[] {
    const id = fieldIds.get(name);
    if (id === undefined) return [];
    return this.children.filter((c) => c.fieldId === id);
  }

  /**
   * The node and its descendants of the given types, in source order, as tree-sitter's
   * descendantsOfType (which passes over nodes that end at offset 0, with their descendants).
   */
  descendantsOfType(types: string | string[]): SyntaxNode[] {
    const wanted = typeof types === 'string' ? [types] : types;
    const out: SyntaxNode[] = [];
    const stack: SyntaxNode[] = [this];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (n.endIndex === 0) continue;
      if (wanted.includes(n.type)) out.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    return out;
  }
}

/** What a node type says of its children: whether the grammar gives any of them a field. */
const typesWithFields = (() => {
  const info = (C as { nodeTypeInfo?: Array<{ type: string; named: boolean; fields?: Record<string, unknown> }> }).nodeTypeInfo;
  if (!info) return null;
  return new Set(info.filter((t) => t.named && t.fields && Object.keys(t.fields).length > 0).map((t) => t.type));
})();

// Per language, by tree-sitter's numeric type id.
interface TypeInfo {
  name: string;
  named: boolean;
  /** Children of a node of this type may fill a field. */
  fields: boolean;
  /** The node's end is not its last child's: the root (which holds the text after its last child) and ERROR nodes. */
  ownEnd: boolean;
}
const types: TypeInfo[] = [];

/**
 * Copies a tree parsed from `input` (the string given to the parser). Each read of the cursor is
 * a call into native code, so what follows from the tree's shape is not read: a node's start is
 * its first child's, and its end its last child's (tree-sitter sums a node's extent from its
 * children's), and the field of a child is asked only where the parent's type has fields.
 */
export function copyTree(tree: Parser.Tree, input: string): SyntaxTree {
  const source: TreeText = { input };
  const cursor = tree.walk();
  const make = (parent: SyntaxNode | null, start: number): SyntaxNode => {
    const typeId = cursor.nodeTypeId;
    let type = types[typeId];
    if (type === undefined) {
      const name = cursor.nodeType;
      type = types[typeId] = {
        name,
        named: cursor.nodeIsNamed,
        fields: name === 'ERROR' || typesWithFields === null || typesWithFields.has(name),
        ownEnd: name === 'ERROR' || parent === null,
      };
    }
    const node = new SyntaxNode(source, parent, type.name, type.named, start);
    if (parent) {
      if (parent.typeInfo!.fields) {
        const field = cursor.currentFieldId;
        if (field !== 0) {
          if (fieldNames[field] === undefined) {
            const name = cursor.currentFieldName;
            fieldNames[field] = name;
            fieldIds.set(name, field);
          }
          node.fieldId = field;
        }
      }
      node.index = parent.children.length;
      if (parent.children === NO_CHILDREN) parent.children = [node];
      else parent.children.push(node);
    }
    node.typeInfo = type;
    if (type.name === 'ERROR') markError(node);
    return node;
  };
  /** The cursor is on `node`, which has no children. */
  const leaf = (node: SyntaxNode): void => {
    node.endIndex = cursor.endIndex;
    // Only a zero-width node can be a missing token.
    if (node.endIndex === node.startIndex && cursor.nodeIsMissing) {
      node.isMissing = true;
      markError(node);
    }
  };
  /** The cursor is on `node`, whose children are all copied. */
  const finish = (node: SyntaxNode): void => {
    node.endIndex = node.typeInfo!.ownEnd ? cursor.endIndex : node.children[node.children.length - 1]!.endIndex;
  };
  const root = make(null, cursor.startIndex);
  if (!cursor.gotoFirstChild()) {
    leaf(root);
    return { rootNode: root };
  }
  // Depth first: `parent` is always the parent of the cursor's node.
  let parent = root;
  let first = true;
  for (;;) {
    const node = make(parent, first ? parent.startIndex : cursor.startIndex);
    // An anonymous node is a token of the grammar: it has no children to look for.
    if (node.isNamed && cursor.gotoFirstChild()) {
      parent = node;
      first = true;
      continue;
    }
    leaf(node);
    first = false;
    while (!cursor.gotoNextSibling()) {
      cursor.gotoParent();
      finish(parent);
      if (parent === root) return { rootNode: root };
      parent = parent.parent!;
    }
  }
}

function markError(node: SyntaxNode): void {
  for (let n: SyntaxNode | null = node; n && !n.hasError; n = n.parent) n.hasError = true;
}
