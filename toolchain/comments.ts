// Comments in step 1's output. gcc reads `/* fall through */` before a case label as the
// fallthrough attribute (-Wimplicit-fallthrough, in -Wextra), so a unit preprocessed without
// comments draws warnings that plain cc does not give (errors under -Werror). Preprocessing with
// `-C` keeps the comments, but -C is not transparent: a comment inside a macro argument becomes
// part of the argument (`#x` spells it, `##` fails, `__VA_OPT__` sees a non-empty argument), and a
// comment in front of a directive on the same line turns the directive into text. So the driver
// preprocesses as always, and only when comments can matter (the fallthrough warning may be on,
// and the unit has a switch) again with -C, and uses that text only when its tokens are exactly
// the tokens of the plain one. What is left to adjust afterwards is in `keepCommentsHarmless`.
import { scanLayout } from '../instrument/comments.js';
import { LineMap } from '../instrument/linemap.js';
import type { Analysis } from './plan.js';

const FALLTHROUGH_FLAG = /^-W(?:extra|implicit-fallthrough(?:=[1-5])?|error=implicit-fallthrough)$|^-W$/;
const FALLTHROUGH_PRAGMA = /^#pragma\b.*\bdiagnostic\b.*-W(?:extra|implicit-fallthrough)\b/m;

/**
 * Whether step 1 should also be run with -C for this unit: a fallthrough comment can matter only
 * if the warning may be enabled (by a flag or a diagnostic pragma) and the unit has a switch.
 */
export function commentsMayMatter(a: Analysis, plainText: string): boolean {
  let flags = false;
  for (const it of a.items) {
    if (it.kind !== 'option') continue;
    if (it.name === '-C' || it.name === '-CC') return false; // the user's own -C: the text has them
    if (FALLTHROUGH_FLAG.test(it.raw[0] ?? '')) flags = true;
  }
  if (!/\bswitch\b/.test(plainText)) return false;
  return flags || FALLTHROUGH_PRAGMA.test(plainText);
}

const PUNCTUATORS = ['%:%:', '...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##', '<:', ':>', '<%', '%>', '%:'];
const MARKER = /^#(?:line)?[ \t]+\d/;

const isIdent = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * The unit as a token sequence: comments and line markers dropped, whitespace only as a token
 * separator, other directive lines (-dD defines, pragmas) as whitespace-collapsed lines.
 */
export function tokenSequence(text: string): string {
  const { comments, directiveLines } = scanLayout(text);
  const out: string[] = [];
  let ci = 0;
  let di = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (ci < comments.length && comments[ci]![0] === i) {
      i = comments[ci++]![1];
      continue;
    }
    if (di < directiveLines.length && directiveLines[di]![0] === i) {
      const [s, e] = directiveLines[di++]!;
      const line = text.slice(s, e);
      if (!MARKER.test(line)) out.push(line.replace(/\s+/g, ' ').trim() + '\n');
      i = e;
      continue;
    }
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    let j = i + 1;
    if (c === 34 || c === 39) {
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 92) j++;
        else if (d === c) {
          j++;
          break;
        } else if (d === 10) break;
      }
    } else if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isIdent(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1]!)) j++;
        else break;
      }
    } else if (isIdent(c)) {
      while (j < n && isIdent(text.charCodeAt(j))) j++;
    } else {
      const p = PUNCTUATORS.find((q) => text.startsWith(q, i));
      if (p) j = i + p.length;
    }
    out.push(text.slice(i, j));
    i = j;
  }
  return out.join(' ');
}

/** Whether the -C text is the plain text plus comments, token for token. */
export function sameTokens(plain: string, withComments: string): boolean {
  return tokenSequence(plain) === tokenSequence(withComments);
}

const LABEL_WORD = /^[A-Za-z_$][\w$]*/;
const SAME_FILE_SKIP = /^#(?:line)?[ \t]+(\d+)(?:[ \t]+"((?:[^"\\]|\\.)*)")?[ \t]*$/;

/** Where the comment at `end` is followed by a label (`case`, `default`, `name:`), what lies between. */
function labelAfter(text: string, end: number, comments: Array<[number, number]>, ci: number, directives: Map<number, number>): { at: number; word: string; crossed: Array<[number, number]> } | null {
  const crossed: Array<[number, number]> = [];
  let i = end;
  let next = ci + 1;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (next < comments.length && comments[next]![0] === i) {
      i = comments[next++]![1];
      continue;
    }
    const d = (i === 0 || text[i - 1] === '\n') && text[i] === '#' ? directives.get(i) : undefined;
    if (d === undefined) break;
    crossed.push([i, d]);
    i = d;
  }
  const word = LABEL_WORD.exec(text.slice(i, i + 64))?.[0];
  if (!word) return null;
  if (word !== 'case' && word !== 'default') {
    const after = text.slice(i + word.length, i + word.length + 64).replace(/^\s+/, '');
    if (!after.startsWith(':') || after.startsWith('::')) return null;
  }
  return { at: i, word, crossed };
}

/**
 * Whether plain cc, reading the source, sees the comment directly before the label: the comment
 * is in the source where the unit has it, and only blanks and comments follow it up to the same
 * word on the same line (not a macro that expands to the label, not a directive). undefined when
 * the comment is not found there (it came from a macro argument, or the file cannot be read).
 */
function sourceHasLabelRightAfter(source: string, comment: string, commentLine: number, label: string, labelLine: number): boolean | undefined {
  const starts = [0];
  for (let k = source.indexOf('\n'); k >= 0; k = source.indexOf('\n', k + 1)) starts.push(k + 1);
  const from = starts[commentLine - 1];
  if (from === undefined) return undefined;
  const at = source.indexOf(comment, from);
  if (at < 0 || at >= (starts[commentLine] ?? source.length + 1)) return undefined;
  let i = at + comment.length;
  for (;;) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (source[i] === '\\' && /^\\\r?\n/.test(source.slice(i, i + 3))) {
      i = source.indexOf('\n', i) + 1;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) return false;
      i = close + 2;
      continue;
    }
    if (source.startsWith('//', i)) {
      const nl = source.indexOf('\n', i);
      i = nl < 0 ? source.length : nl;
      continue;
    }
    break;
  }
  if (!source.startsWith(label, i) || /[\w$]/.test(source[i + label.length] ?? '')) return false;
  return (starts[labelLine - 1] ?? Infinity) <= i && i < (starts[labelLine] ?? Infinity);
}

/**
 * The -C text made to mean to gcc's -Wimplicit-fallthrough what the source means, and to draw no
 * diagnostic the plain text does not:
 * - a comment right before a label counts only where plain cc sees it right before the label: a
 *   comment before a macro that expands to `case X:`, or before a directive, does not count in the
 *   source, so it goes (blanked, newlines kept); a line marker that step 1 put between a comment and
 *   its label (after a run of blank lines) would lose it, so it becomes the blank lines it stands for;
 * - a `/*` inside a block comment draws -Wcomment's "\"/*\" within comment" once more when the unit
 *   is compiled (step 1 already said it), so it becomes `/ ` (same length).
 * @param readSource the text of a user file the unit's line markers name (undefined if unreadable)
 */
export function keepCommentsHarmless(text: string, readSource: (file: string) => string | undefined): string {
  const { comments, directiveLines } = scanLayout(text);
  if (comments.length === 0) return text;
  const lines = new LineMap(text, '<stdin>');
  const directives = new Map(directiveLines);
  const edits: Array<[number, number, string]> = [];
  const blankedComments = new Set<number>();
  for (let ci = 0; ci < comments.length; ci++) {
    const [s, e] = comments[ci]!;
    if (lines.isSystem(s)) continue;
    const label = labelAfter(text, e, comments, ci, directives);
    if (!label) continue;
    const c = lines.map(s);
    const l = lines.map(label.at);
    if (c.file !== l.file) continue;
    const source = readSource(c.file);
    if (source === undefined) continue;
    const plain = sourceHasLabelRightAfter(source, text.slice(s, e), c.line, label.word, l.line);
    if (plain === undefined) continue;
    if (!plain) {
      edits.push([s, e, text.slice(s, e).replace(/[^\n]/g, ' ')]);
      blankedComments.add(ci);
      continue;
    }
    for (const [ds, de] of label.crossed) {
      // `# 40 "file.c"` with no flags, forward in the same file: the newlines it stands for.
      const m = SAME_FILE_SKIP.exec(text.slice(ds, de));
      const here = lines.map(ds);
      if (!m || (m[2] !== undefined && m[2].replace(/\\(.)/g, '$1') !== here.file)) continue;
      const skip = Number(m[1]) - here.line;
      if (skip < 0 || de >= text.length) continue;
      edits.push([ds, de + 1, '\n'.repeat(skip)]);
    }
  }
  for (let ci = 0; ci < comments.length; ci++) {
    const [s, e] = comments[ci]!;
    if (blankedComments.has(ci) || text.charCodeAt(s + 1) !== 42) continue;
    const end = text.startsWith('*/', e - 2) && e - 2 >= s + 2 ? e - 2 : e; // the body, without the closing */
    const body = text.slice(s + 2, end);
    if (body.includes('/*')) edits.push([s + 2, end, body.replace(/\/\*/g, '/ ')]);
  }
  if (edits.length === 0) return text;
  edits.sort((a, b) => a[0] - b[0]);
  const out: string[] = [];
  let pos = 0;
  for (const [s, e, r] of edits) {
    if (s < pos) continue;
    out.push(text.slice(pos, s), r);
    pos = e;
  }
  out.push(text.slice(pos));
  return out.join('');
}
