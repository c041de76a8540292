// `@file` arguments, read and written the way gcc (libiberty's expandargv/buildargv) does.
import { readFileSync } from 'node:fs';

const SPACE = /[ \t\n\v\f\r]/;

/** libiberty's buildargv: whitespace separates, '' and "" quote, backslash escapes one character. */
export function splitResponseText(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && SPACE.test(text[i]!)) i++;
    if (i >= text.length) break;
    let arg = '';
    let squote = false;
    let dquote = false;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (SPACE.test(ch) && !squote && !dquote) break;
      if (ch === '\\' && i + 1 < text.length) arg += text[++i];
      else if (ch === "'" && !dquote) squote = !squote;
      else if (ch === '"' && !squote) dquote = !dquote;
      else arg += ch;
    }
    out.push(arg);
  }
  return out;
}

/** The inverse of splitResponseText, one argument per line. */
export function quoteResponseArg(arg: string): string {
  if (arg === '') return '""';
  return arg.replace(/[\\'" \t\n\v\f\r]/g, (ch) => '\\' + ch);
}

/**
 * Replaces each `@file` whose file can be read by the arguments it holds, recursively (a file may
 * name other files). An unreadable `@name` stays as it is, which gcc then treats as an input file.
 */
export function expandResponseFiles(args: readonly string[], read: (path: string) => string = (p) => readFileSync(p, 'utf8')): string[] {
  const out = [...args];
  let expansions = 0;
  for (let i = 0; i < out.length; ) {
    const arg = out[i]!;
    if (!arg.startsWith('@') || arg.length === 1) {
      i++;
      continue;
    }
    let text: string;
    try {
      text = read(arg.slice(1));
    } catch {
      i++;
      continue;
    }
    // libiberty stops after this many expansions, which also ends a file that includes itself.
    if (++expansions > 2000) throw new Error(`cc-wb: too many response file expansions at ${arg}`);
    out.splice(i, 1, ...splitResponseText(text));
  }
  return out;
}
