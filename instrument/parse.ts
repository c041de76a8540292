// The one way the pass reads a unit: line markers and comments (linemap.ts), the parse copy
// (normalize.ts), and tree-sitter-c's tree of that copy. The tree's offsets are the original
// text's, so the rewriter and the metadata extraction work on the original through it.
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { LineMap } from './linemap.js';
import { normalize, nameUnnamedBitfields, type Normalized } from './normalize.js';
import { copyTree, type SyntaxNode, type SyntaxTree } from './syntax-tree.js';

export type Node = SyntaxNode;
export type { SyntaxTree };

export interface ParsedUnit {
  /** The unit's text as given (Latin-1: one char per byte). */
  text: string;
  lines: LineMap;
  normalized: Normalized;
  tree: SyntaxTree;
}

let parser: Parser | null = null;

/**
 * Parses C text, or only the given ranges of it (in order, not overlapping) as if they were one
 * text, at their own offsets. The default buffer is too small for real units; it is sized to the text.
 */
export function parseC(text: string, ranges?: Parser.Range[]): SyntaxTree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return copyTree(parser.parse(text, undefined, { bufferSize: text.length * 2 + 1024, ...(ranges ? { includedRanges: ranges } : {}) }), text);
}

/** Nodes the grammar could not parse (ERROR nodes and missing tokens), in source order. */
export function problems(root: Node): Node[] {
  const out: Node[] = [];
  // Iterative: a unit may nest deeper than the call stack.
  const stack = [root];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    if (!n.hasError && !n.isMissing) continue;
    if (n.type === 'ERROR' || n.isMissing) {
      out.push(n);
      if (n.type !== 'ERROR') continue;
    }
    const children = n.children;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

/** A unit read for parsing: its line map and its parse copy, not parsed yet. */
export interface PreparedUnit {
  text: string;
  lines: LineMap;
  normalized: Normalized;
}

export function prepareUnit(text: string, fileName: string): PreparedUnit {
  const lines = new LineMap(text, fileName);
  return { text, lines, normalized: normalize(text, lines.directiveLines, lines.comments) };
}

/**
 * Parses a preprocessed unit: the normalized copy, and where it has unnamed bit-fields (which
 * parse as a field with a missing name) the copy with those named, parsed again.
 */
export function parseUnit(text: string, fileName: string): ParsedUnit {
  return parsePrepared(prepareUnit(text, fileName));
}

export function parsePrepared(unit: PreparedUnit): ParsedUnit {
  const { text, lines, normalized } = unit;
  let parseText = normalized.text;
  let tree = parseC(parseText);
  const unnamed = unnamedBitfields(problems(tree.rootNode), parseText).filter((i) => i >= 0);
  if (unnamed.length > 0) {
    parseText = nameUnnamedBitfields(parseText, unnamed);
    tree = parseC(parseText);
  }
  return { text, lines, normalized: { ...normalized, text: parseText }, tree };
}

/**
 * For each problem of a parse (problems()), the offset of the `:` of the unnamed bit-field it
 * stands for (the grammar reads `int : 3;` as a field missing its name), or -1 for any other.
 */
export function unnamedBitfields(found: Node[], text: string): number[] {
  return found.map((n) => {
    if (!n.isMissing || n.type !== 'field_identifier') return -1;
    let i = n.startIndex;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    return text[i] === ':' ? i : -1;
  });
}

/** The byte ranges [start, end) of the text that come from system headers, in order. */
export function systemRegions(lines: LineMap, length: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (const [start, end] of lines.userRegions()) {
    if (start > pos) out.push([pos, start]);
    pos = end;
  }
  if (pos < length) out.push([pos, length]);
  return out;
}

/**
 * A stretch of a unit parsed alone, at its own offsets (everything before it blanked): for a
 * region the unit's parse copy dropped, such as a K&R definition's declaration list.
 */
export function parseRegion(text: string, start: number, end: number): Node {
  const padded = text.slice(0, start).replace(/[^\n]/g, ' ') + text.slice(start, end);
  return parseC(normalize(padded, []).text).rootNode;
}
