// The one way the pass reads a unit: line markers and comments (linemap.ts), the parse copy
// (normalize.ts), and tree-sitter-c's tree of that copy. The tree's offsets are the original
// text's, so the rewriter and the metadata extraction work on the original through it.
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { LineMap } from './linemap.js';
import { normalize, nameUnnamedBitfields, type Normalized } from './normalize.js';

export type Node = Parser.SyntaxNode;

export interface ParsedUnit {
  /** The unit's text as given (Latin-1: one char per byte). */
  text: string;
  lines: LineMap;
  normalized: Normalized;
  tree: Parser.Tree;
}

let parser: Parser | null = null;

/** Parses C text. The default buffer is too small for real units; it is sized to the text. */
export function parseC(text: string): Parser.Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser.parse(text, undefined, { bufferSize: text.length * 2 + 1024 });
}

/** Nodes the grammar could not parse (ERROR nodes and missing tokens), in source order. */
export function problems(root: Node): Node[] {
  const out: Node[] = [];
  const visit = (n: Node): void => {
    if (!n.hasError && !n.isMissing) return;
    if (n.type === 'ERROR' || n.isMissing) {
      out.push(n);
      if (n.type !== 'ERROR') return;
    }
    for (const c of n.children) visit(c);
  };
  visit(root);
  return out;
}

/**
 * Parses a preprocessed unit: the normalized copy, and where it has unnamed bit-fields (which
 * parse as a field with a missing name) the copy with those named, parsed again.
 */
export function parseUnit(text: string, fileName: string): ParsedUnit {
  const lines = new LineMap(text, fileName);
  const normalized = normalize(text, lines.directiveLines, lines.comments);
  let parseText = normalized.text;
  let tree = parseC(parseText);
  const colonAfter = (i: number): number => {
    while (i < parseText.length && /\s/.test(parseText[i]!)) i++;
    return parseText[i] === ':' ? i : -1;
  };
  const unnamed = problems(tree.rootNode)
    .filter((n) => n.isMissing && n.type === 'field_identifier')
    .map((n) => colonAfter(n.startIndex))
    .filter((i) => i >= 0);
  if (unnamed.length > 0) {
    parseText = nameUnnamedBitfields(parseText, unnamed);
    tree = parseC(parseText);
  }
  return { text, lines, normalized: { ...normalized, text: parseText }, tree };
}

/**
 * A stretch of a unit parsed alone, at its own offsets (everything before it blanked): for a
 * region the unit's parse copy dropped, such as a K&R definition's declaration list.
 */
export function parseRegion(text: string, start: number, end: number): Node {
  const padded = text.slice(0, start).replace(/[^\n]/g, ' ') + text.slice(start, end);
  return parseC(normalize(padded, []).text).rootNode;
}
