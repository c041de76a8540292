// Public face of the pass: preprocessed C in, instrumented C out.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { LineMap } from './linemap.js';
import { blankComments, blankDefineLinesOf, scanLayout } from './comments.js';
import { parsePrepared, prepareUnit, problems, type Node, type PreparedUnit } from './parse.js';
import { readWithSystemOnDemand, type NameSink } from './system-pieces.js';

/** What readers of a tree that leaves out part of the system headers are given (system-pieces.ts). */
interface PartialTree {
  onName: NameSink;
  previousTokenEnd: (offset: number) => number;
}
import { Rewriter } from './rewrite.js';
import { implicitIntDefinition } from './rules/implicit-int.js';
import type { StoreForm } from './barrier-text.js';
import { blankDefineLines, metadataAppendix } from './metadata.js';

export type SiteKind =
  | 'assign' // L = R where L may be a pointer or a struct/union holding pointers
  | 'compound' // L op= R
  | 'incdec' // ++L, L++, --L, L--
  | 'call' // a call of memcpy/memmove/memset/bzero/realloc/free/... renamed to the __wb_ ABI
  | 'value'; // one of those functions used as a value (`= free`, `&malloc`): the runtime's instead

export interface SourcePos {
  file: string; // as named by the line markers (the user's source or header path)
  line: number; // 1-based
  col: number; // 1-based, column in the preprocessed text (macro expansions shift it)
}

export interface Site extends SourcePos {
  kind: SiteKind;
  detail: string; // the function for 'call' and 'value', the operator otherwise
}

export interface Diagnostic extends SourcePos {
  severity: 'warning' | 'error';
  message: string;
}

export interface InstrumentStats {
  assignments: number; // assignment-like expressions seen in user code
  barriered: number; // of those, rewritten (the compiler decides pointer vs not at each)
  arithmetic: number; // p++, p += n... on possible pointers: accounted, no barrier needed (rewrite.ts)
  skippedLocal: number; // stores to locals whose address is never taken
  skippedNonPointer: number; // stores whose declared type is known arithmetic
  calls: number; // library calls/uses renamed to the __wb_ ABI
}

/** The bytes to write for an instrumented unit whose input was given as a Buffer. */
export function outputBytes(result: InstrumentResult): Buffer {
  return Buffer.from(result.code, 'latin1');
}

export interface InstrumentResult {
  /** true when `code` is instrumented; false when the pass could not handle the unit (see diagnostics). */
  ok: boolean;
  code: string;
  sites: Site[];
  stats: InstrumentStats;
  diagnostics: Diagnostic[];
}

export interface InstrumentOptions {
  /** Name used in diagnostics when the text has no line markers. */
  fileName?: string;
  /**
   * The pointer store barrier's form (StoreForm in barrier-text.ts). By default the asm form where the
   * unit's `-dD` lines say the target is x86-64 with 64-bit pointers, the C call anywhere else.
   */
  storeForm?: StoreForm;
}

/**
 * The target as the unit's predefined macros (kept by `cc -E -dD`) describe it. A unit whose line
 * markers name a file with a quote or a backslash in its name gets the C call: gcc copies the
 * file name unescaped into the `# line "file"` comment it writes before every asm statement's text,
 * and the assembler then reads the rest of the file as a string.
 */
export function storeFormFor(text: string): StoreForm {
  const x86_64 = /^#define __x86_64__ 1$/m.test(text) && !/^#define __ILP32__ /m.test(text);
  if (!x86_64 || /^# \d+ "[^"\n]*\\/m.test(text)) return 'call';
  return /^#define __AVX__ 1$/m.test(text) ? 'x86-64-avx-asm' : 'x86-64-asm';
}

const here = dirname(fileURLToPath(import.meta.url));

/** The ABI prelude spliced into every unit; found next to the sources or the compiled output. */
export function preludeText(): string {
  for (const candidate of [join(here, '..', 'runtime-c', 'include', 'wb_prelude.h'), join(here, '..', '..', 'runtime-c', 'include', 'wb_prelude.h')]) {
    try {
      return readFileSync(candidate, 'utf8');
    } catch {
      // try the next layout
    }
  }
  throw new Error('cc-wb: cannot find runtime-c/include/wb_prelude.h');
}

/**
 * Instruments one preprocessed unit. Give it the file's bytes (a Buffer) where you can: they are
 * decoded as Latin-1 so every byte, valid UTF-8 or not, survives to `code`; write `code` back with
 * the 'latin1' encoding (or use `outputBytes`).
 */
export function instrumentPreprocessed(input: string | Buffer, options: InstrumentOptions = {}): InstrumentResult {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const fileName = options.fileName ?? '<stdin>';
  const unit = prepareUnit(text, fileName);
  const form = options.storeForm ?? storeFormFor(text);
  // Most of a small unit is system headers: parse of them only what its own code needs.
  const onDemand = readWithSystemOnDemand(unit, (root, onName, previousTokenEnd) => instrumentTree(unit, root, form, fileName, { onName, previousTokenEnd }));
  return onDemand ?? instrumentTree(unit, parsePrepared(unit).tree.rootNode, form, fileName);
}

/**
 * The pass on one parse of the unit. `onName`: the parse holds only part of the system headers
 * (system-pieces.ts), the readers report the names they look up, and the metadata's failure is
 * the caller's (the whole parse then decides).
 */
function instrumentTree(unit: PreparedUnit, root: Node, form: StoreForm, fileName: string, partial?: PartialTree): InstrumentResult {
  const { text, lines, normalized } = unit;
  // `x(){...}` parses as a call missing its ';' and a block: the rewriter knows that shape.
  const top = root.namedChildren;
  const implicitIntMissing = new Set<number>();
  for (let i = 0; i < top.length; i++) {
    if (implicitIntDefinition(top[i]!, top[i + 1])) implicitIntMissing.add(top[i]!.lastChild!.id);
  }
  const diagnostics: Diagnostic[] = [];
  for (const n of problems(root)) {
    if (implicitIntMissing.has(n.id)) continue;
    if (lines.isSystem(n.startIndex)) continue;
    const pos = lines.map(n.startIndex);
    const snippet = text.slice(n.startIndex, Math.min(n.endIndex, n.startIndex + 60)).replace(/\s+/g, ' ').trim();
    diagnostics.push({
      ...pos,
      severity: 'error',
      message: n.isMissing ? `cannot parse: expected ${n.type}` : `cannot parse '${snippet}'`,
    });
  }
  const emptyStats = { assignments: 0, barriered: 0, arithmetic: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 };
  if (diagnostics.length > 0) return { ok: false, code: text, sites: [], stats: emptyStats, diagnostics };

  const rewriter = new Rewriter(text, lines, normalized.complexPartEnds, form, partial?.onName);
  // Rewrite against the parse of the normalized copy; offsets are shared with the original.
  const result = rewriter.run(root);
  if (result.diagnostics.some((d) => d.severity === 'error')) {
    return { ok: false, code: text, sites: [], stats: result.stats, diagnostics: result.diagnostics };
  }
  // The host's metadata (runtime-ts): a failure there must never cost the unit its barriers.
  let appendix = '';
  try {
    // Metadata reads declarations and -dD lines, never comments (which may hold `static`, `#define`...).
    appendix = metadataAppendix(root, blankComments(text, lines.comments), lines, { fileName, ...partial });
  } catch (err) {
    if (partial) throw err;
    result.diagnostics.push({ ...lines.map(0), severity: 'warning', message: `no host metadata for this unit: ${(err as Error).message}` });
  }
  const code = (result.code === text ? unchangedWithPrelude(text, lines, fileName) : blankDefineLines(withPrelude(result.code, lines, fileName))) + appendix;
  return { ok: true, code, sites: result.sites, stats: result.stats, diagnostics: result.diagnostics };
}

/**
 * `blankDefineLines(withPrelude(text, ...))` for a unit the rewriter left as it was, without
 * scanning the unit's text again: after the prelude's splice point (the end of a directive line,
 * where scanLayout holds no state) the directive lines are the line map's.
 */
function unchangedWithPrelude(text: string, lines: LineMap, fileName: string): string {
  const firstEnd = lines.firstLineEnd();
  if (firstEnd < 0) return blankDefineLines(withPrelude(text, lines, fileName));
  const head = withPrelude(text.slice(0, firstEnd), lines, fileName);
  const headLines = scanLayout(head).directiveLines;
  const last = headLines[headLines.length - 1];
  // The head must end inside its last directive line (the main file's marker), as in the whole output.
  if (!last || last[1] !== head.length || head.lastIndexOf('\n') >= last[0]) return blankDefineLines(withPrelude(text, lines, fileName));
  const rest = lines.directiveLines.filter(([start]) => start >= firstEnd).map(([start, end]): [number, number] => [start - firstEnd, end - firstEnd]);
  return blankDefineLinesOf(head, headLines) + blankDefineLinesOf(text.slice(firstEnd), rest);
}

/**
 * Splices the ABI prelude in after the unit's first line marker (which names the main file, and
 * with it the debug info's compilation unit), marked as a system header so its code draws no
 * warnings, then restores the marker so the user's lines keep their numbers.
 */
function withPrelude(code: string, lines: LineMap, fileName: string): string {
  const prelude = `# 1 "<cc-wb prelude>" 3\n${preludeText()}\n`;
  const firstEnd = lines.firstLineEnd();
  if (firstEnd < 0) return prelude + `# 1 ${JSON.stringify(fileName)}\n` + code;
  const first = code.slice(0, firstEnd);
  // Re-state only the main file's marker after the prelude (not the directory line).
  const mainMarker = first.split('\n')[0]!;
  return first + '\n' + prelude + mainMarker + code.slice(firstEnd);
}
