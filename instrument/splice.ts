// Byte-preserving rewriting: edits are attached to syntax nodes, and the unit is re-printed
// with only the nodes that contain an edit rebuilt; every other byte is copied from the text.
import type { Node } from './parse.js';

/** Renders a node with the edits inside it applied. */
export type Render = (n: Node) => string;
/** An edit: the node's new text, given a renderer for its (possibly edited) descendants. */
export type Edit = (render: Render) => string;

export class Splicer {
  private readonly edits = new Map<number, Edit>();
  private readonly dirty = new Set<number>();

  constructor(private readonly text: string) {}

  /** Replaces a node's text by the edit's (the last edit given for a node wins). */
  edit(n: Node, edit: Edit): void {
    this.edits.set(n.id, edit);
    for (let p = n.parent; p && !this.dirty.has(p.id); p = p.parent) this.dirty.add(p.id);
  }

  /** The whole text with every edit applied. */
  run(root: Node): string {
    return this.text.slice(0, root.startIndex) + this.render(root) + this.text.slice(root.endIndex);
  }

  readonly render: Render = (n) => {
    const edit = this.edits.get(n.id);
    if (edit) return keepLineCount(edit(this.render), this.text, n.startIndex, n.endIndex);
    return this.renderChildren(n);
  };

  /** A node's text with its descendants' edits applied (its own edit, if any, not). */
  renderChildren(n: Node): string {
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
