// Parsing a unit's system headers only as far as its own code needs them. A small unit (a
// configure test) is mostly system-header text of which its code uses a few names; parsing and
// reading all of it costs more than the rest of the pass. Here the parse copy has every system
// region blanked (same length, newlines kept: offsets stay the unit's) except the *pieces* that
// spell a name the readers asked for. A piece is a stretch of system text between two `;` at
// bracket depth 0: whole file-scope declarations.
//
// The readers (rewrite.ts, metadata.ts) report every name they look up (a variable or function,
// a typedef name, a tag, a field name, an enumerator) before the lookup. What a declaration of
// the system headers contributes to them is reached only through such a name, and every
// declaration of a name spells it: once every piece that spells each name looked up is parsed,
// the readers see what they would see in the whole parse. So the readers run, the pieces of the
// names they asked for are added, and they run again on the new parse until they ask for nothing
// more.
import type Parser from 'tree-sitter';
import { parseC, problems, systemRegions, unnamedBitfields, type Node, type PreparedUnit, type SyntaxTree } from './parse.js';
import type { LineMap } from './linemap.js';
import { nameUnnamedBitfields, skipQuoted } from './normalize.js';
import { lastAtOrBefore } from './sorted.js';

/** Own code larger than this is parsed whole: each round walks all of it again. */
const MAX_OWN_BYTES = 32 * 1024;
/** Rounds of reading before the whole parse is the cheaper way. */
const MAX_ROUNDS = 6;

export type NameSink = (name: string) => void;

/**
 * Runs `read` on a parse of the unit's own code and the system pieces it needs, until it needs no
 * other; the result of the last run, which is the result `read` gives on the whole parse. Null
 * where this does not apply (no system headers, much own code, a region or parse it cannot
 * trust, too many rounds, `read` threw): the caller then runs `read` on the whole parse.
 */
export function readWithSystemOnDemand<T>(unit: PreparedUnit, read: (root: Node, onName: NameSink, previousTokenEnd: (offset: number) => number) => T): T | null {
  const pieces = SystemPieces.of(unit);
  if (!pieces) return null;
  // The end of the parse copy's last token before a node at file scope: where the whole parse's
  // previous sibling of the node ends (a node that has none is left to the whole parse).
  const copy = unit.normalized.text;
  const previousTokenEnd = (offset: number): number => {
    const last = lastTokenBefore(copy, offset);
    if (last < 0) throw new Error('first node of the unit');
    return last + 1;
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const tree = pieces.parse();
    if (!tree) return null;
    const names = new Set<string>();
    let result: T;
    try {
      result = read(tree.rootNode, (name) => names.add(name), previousTokenEnd);
    } catch {
      return null;
    }
    if (!pieces.include(names)) return result;
  }
  return null;
}

class SystemPieces {
  /** Piece i is [starts[i], ends[i]), in order. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly included = new Set<number>();
  /** Names whose pieces are all included. */
  private readonly covered = new Set<string>();
  private constructor(
    private readonly source: string,
    private readonly regions: Array<[number, number]>,
    private readonly lines: LineMap,
  ) {
    for (const [start, end] of regions) this.split(start, end);
  }

  static of(unit: PreparedUnit): SystemPieces | null {
    const source = unit.normalized.text;
    const regions = systemRegions(unit.lines, source.length);
    if (regions.length === 0) return null;
    let own = source.length;
    for (const [start, end] of regions) own -= end - start;
    if (own > MAX_OWN_BYTES) return null;
    // Each region must begin and end at file scope, as far as the text says (the parse says the rest).
    const atFileScope = (i: number): boolean => {
      const last = lastTokenBefore(source, i);
      return last < 0 || source[last] === ';' || source[last] === '}';
    };
    for (const [start, end] of regions) if (!atFileScope(start) || !atFileScope(end)) return null;
    return new SystemPieces(source, regions, unit.lines);
  }

  /** Cuts a system region into pieces after each `;` outside brackets; one piece where brackets do not balance. */
  private split(start: number, end: number): void {
    const text = this.source;
    const starts: number[] = [];
    const ends: number[] = [];
    let depth = 0;
    let from = start;
    // Only quotes, brackets and `;` matter: jump from one to the next.
    const marks = /["'()[\]{};]/g;
    marks.lastIndex = start;
    for (let m = marks.exec(text); m && m.index < end; m = marks.exec(text)) {
      const i = m.index;
      const c = text.charCodeAt(i);
      if (c === 34 || c === 39) {
        marks.lastIndex = skipQuoted(text, i);
        continue;
      }
      if (c === 40 || c === 91 || c === 123) depth++;
      else if (c === 41 || c === 93 || c === 125) {
        if (--depth < 0) break;
      } else if (depth === 0) {
        starts.push(from);
        ends.push(i + 1);
        from = i + 1;
      }
    }
    if (depth !== 0) {
      this.starts.push(start);
      this.ends.push(end);
      return;
    }
    if (from < end) {
      starts.push(from);
      ends.push(end);
    }
    this.starts.push(...starts);
    this.ends.push(...ends);
  }

  /** The piece holding offset `at` (a system offset). */
  private pieceAt(at: number): number {
    return lastAtOrBefore(this.starts.length, (i) => this.starts[i]!, at);
  }

  /** Adds the pieces that spell any of the names; true when some piece was added. */
  include(names: Iterable<string>): boolean {
    const text = this.source;
    const wordChar = (i: number): boolean => {
      if (i < 0 || i >= text.length) return false;
      const c = text.charCodeAt(i);
      return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
    };
    let added = false;
    for (const name of names) {
      if (this.covered.has(name)) continue;
      this.covered.add(name);
      for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + name.length)) {
        if (wordChar(i - 1) || wordChar(i + name.length) || !this.lines.isSystem(i)) continue;
        const piece = this.pieceAt(i);
        if (this.included.has(piece)) continue;
        this.included.add(piece);
        added = true;
      }
    }
    return added;
  }

  /**
   * The parse of the unit's own code and the included pieces (tree-sitter's included ranges: the
   * rest is not even read), or null where it cannot stand for the whole parse: an error (unnamed
   * bit-fields are named, as parsePrepared does), or a node reaching over a stretch left out.
   */
  parse(): SyntaxTree | null {
    const order = [...this.included].sort((a, b) => a - b);
    // The stretches left out: the system text outside the included pieces.
    const gaps: Array<[number, number]> = [];
    let k = 0;
    for (const [start, end] of this.regions) {
      let from = start;
      for (; k < order.length && this.starts[order[k]!]! < end; k++) {
        if (this.starts[order[k]!]! > from) gaps.push([from, this.starts[order[k]!]!]);
        from = this.ends[order[k]!]!;
      }
      if (from < end) gaps.push([from, end]);
    }
    const ranges: Parser.Range[] = [];
    const range = (start: number, end: number): void => {
      if (end > start) ranges.push({ startIndex: start, endIndex: end, startPosition: this.lines.point(start), endPosition: this.lines.point(end) });
    };
    let pos = 0;
    for (const [start, end] of gaps) {
      range(pos, start);
      pos = end;
    }
    range(pos, this.source.length);
    if (ranges.length === 0) return null;
    let text = this.source;
    let tree = parseC(text, ranges);
    if (tree.rootNode.hasError) {
      const colons = unnamedBitfields(problems(tree.rootNode), text);
      if (colons.some((i) => i < 0)) return null;
      text = nameUnnamedBitfields(text, colons);
      tree = parseC(text, ranges);
      if (tree.rootNode.hasError) return null;
    }
    const top = tree.rootNode.children;
    let t = 0;
    for (const [start, end] of gaps) {
      while (t < top.length && top[t]!.endIndex <= start) t++;
      if (t < top.length && top[t]!.startIndex < end) return null;
    }
    return tree;
  }
}

/** The last offset before `i` that is not whitespace in `text`, or -1. */
function lastTokenBefore(text: string, i: number): number {
  for (i--; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 9 && c !== 13 && c !== 12 && c !== 11) return i;
  }
  return -1;
}
