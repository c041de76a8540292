// Command lines gcc refuses before it compiles anything, refused the same way whatever compiler is
// underneath (clang, for one, overwrites the source with `clang foo.c -o foo.c`).
import { realpathSync } from 'node:fs';
import type { Analysis } from './plan.js';

/** gcc's lrealpath: the canonical name, or the name itself when it cannot be resolved. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** gcc quotes with ‘…’ in a UTF-8 locale and with '…' otherwise. */
export function quoted(text: string, env: NodeJS.ProcessEnv): string {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale) ? `‘${text}’` : `'${text}'`;
}

/**
 * gcc's "input file 'X' is the same as output file" (X as the user spelled the output): any input,
 * compiled or linked, that is the -o file, by name or through a link. The message is gcc's fatal
 * error, two lines, exit status 1.
 */
export function sameFileRefusal(a: Analysis, env: NodeJS.ProcessEnv): string | undefined {
  const output = a.output;
  if (output === undefined || output === '-' || output === '/dev/null') return undefined;
  const target = canonical(output);
  for (const it of a.items) {
    if (it.kind !== 'input' || it.path === '-') continue;
    if (canonical(it.path) === target) {
      return `cc-wb: fatal error: input file ${quoted(output, env)} is the same as output file\ncompilation terminated.\n`;
    }
  }
  return undefined;
}
