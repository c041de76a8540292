// The layout of a preprocessed unit: where its comments and its directive lines are. The driver
// preprocesses with `-C` when comments matter (`/* fall through */` silences
// -Wimplicit-fallthrough), so a unit may hold comments anywhere: inside expressions and
// declarations, between line markers, over several lines, and with lines inside them that look
// like directives (`# 3 "fake.c"` in a commented-out block). Everything that reads the text as C
// goes by this one scan: a directive is a line starting with `#` outside a comment, and a comment
// is `/* ... */` or `// ...` outside string and character literals and outside directive lines
// (gcc -E -C drops the comments of the directives it prints: markers, pragmas, -dD defines).

export interface Layout {
  /** [start, end) of each comment; a `//` comment ends before its newline. */
  comments: Array<[number, number]>;
  /** [start, end) of each directive line, without its newline. */
  directiveLines: Array<[number, number]>;
}

/** Index of the newline (or the end) that ends the literal starting at `i` (its quote). */
function literalEnd(text: string, i: number): number {
  const quote = text.charCodeAt(i);
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === quote) return j + 1;
    else if (c === 10) return j; // unterminated: the newline ends it
  }
  return text.length;
}

export function scanLayout(text: string): Layout {
  const comments: Array<[number, number]> = [];
  const directiveLines: Array<[number, number]> = [];
  const n = text.length;
  let lineStart = true;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
      continue;
    }
    if (lineStart && c === 35 /* # */) {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      directiveLines.push([i, end]);
      i = end;
      continue;
    }
    lineStart = false;
    if (c === 34 || c === 39) {
      i = literalEnd(text, i);
      continue;
    }
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 42 /* * */) {
        const close = text.indexOf('*/', i + 2);
        const end = close < 0 ? n : close + 2;
        comments.push([i, end]);
        i = end;
        continue;
      }
      if (d === 47) {
        // Up to a newline that is not spliced away by a backslash before it.
        let end = i + 2;
        for (; end < n; end++) {
          if (text.charCodeAt(end) !== 10) continue;
          let k = end - 1;
          if (text.charCodeAt(k) === 13) k--;
          if (text.charCodeAt(k) !== 92) break;
        }
        comments.push([i, end]);
        i = end;
        continue;
      }
    }
    i++;
  }
  return { comments, directiveLines };
}

/** The text with every comment turned into spaces (newlines kept): same length, same lines. */
export function blankComments(text: string, comments: ReadonlyArray<readonly [number, number]> = scanLayout(text).comments): string {
  if (comments.length === 0) return text;
  const parts: string[] = [];
  let pos = 0;
  for (const [s, e] of comments) {
    parts.push(text.slice(pos, s), text.slice(s, e).replace(/[^\n]/g, ' '));
    pos = e;
  }
  parts.push(text.slice(pos));
  return parts.join('');
}

/**
 * The unit with its `#define`/`#undef` lines (from `cc -E -dD`) emptied, newlines kept so line
 * numbers do not move: what to hand the compiler once the macros have been read (clang would
 * define them again, and warn about redefining built-in ones).
 */
export function blankDefineLines(code: string): string {
  // Only real directive lines: with -C, a comment may hold a line starting with `#define`.
  return blankDefineLinesOf(code, scanLayout(code).directiveLines);
}

/** blankDefineLines, given the code's directive lines (scanLayout's, or those of a stretch of them). */
export function blankDefineLinesOf(code: string, directiveLines: Array<[number, number]>): string {
  const parts: string[] = [];
  let pos = 0;
  for (const [s, e] of directiveLines) {
    if (!/^#[ \t]*(?:define|undef)\b/.test(code.slice(s, Math.min(e, s + 64)))) continue;
    parts.push(code.slice(pos, s));
    pos = e;
  }
  if (pos === 0) return code;
  parts.push(code.slice(pos));
  return parts.join('');
}
