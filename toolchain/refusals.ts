// Command lines gcc refuses before it compiles anything, refused the same way whatever compiler is
// underneath (clang, for one, overwrites the source with `clang foo.c -o foo.c`).
import { isUtf8 } from 'node:buffer';
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Analysis } from './plan.js';

/** gcc's lrealpath: the canonical name, or the name itself (from cwd) when it cannot be resolved. */
function canonical(path: string, cwd: string): string {
  const abs = resolve(cwd, path);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
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
export function sameFileRefusal(a: Analysis, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const output = a.output;
  if (output === undefined || output === '-' || output === '/dev/null') return undefined;
  const target = canonical(output, cwd);
  for (const it of a.items) {
    if (it.kind !== 'input' || it.path === '-') continue;
    if (canonical(it.path, cwd) === target) {
      return `cc-wb: fatal error: input file ${quoted(output, env)} is the same as output file\ncompilation terminated.\n`;
    }
  }
  return undefined;
}

/**
 * An argument that is not valid UTF-8 (a file name in another encoding): Node hands it to cc-wb
 * with its bytes replaced, and could not pass the bytes on to the compiler, so cc-wb refuses it in
 * one line instead of compiling some other file. The raw words come from /proc/self/cmdline.
 */
export function nonUtf8Refusal(argv: readonly string[]): string | undefined {
  if (!argv.some((a) => a.includes('\uFFFD'))) return undefined;
  let raw: Buffer[];
  try {
    const words = readFileSync('/proc/self/cmdline');
    raw = [];
    for (let start = 0; start < words.length; ) {
      const end = words.indexOf(0, start);
      raw.push(words.subarray(start, end < 0 ? words.length : end));
      start = end < 0 ? words.length : end + 1;
    }
  } catch {
    return undefined;
  }
  const bad = raw.slice(-argv.length).find((w) => !isUtf8(w));
  if (bad === undefined) return undefined;
  const shown = [...bad].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  return `cc-wb: error: argument '${shown}' is not valid UTF-8; cc-wb cannot pass it on unchanged (rename the file, or build it with the plain compiler)\n`;
}
