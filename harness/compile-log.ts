// Reading back what cclog.sh recorded: every compiler invocation of a build, with its working
// directory, so the oracle can re-run exactly those translation units with exactly those flags.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from './cache.js';

/**
 * The logging compiler front: `bash cclog.sh <compiler words…> <args…>` records each call in
 * $CC_WB_CMDLOG, then runs the compiler. Read the log back with readCompileLog(dir, words.length).
 */
export const cclogScript = join(repoRoot, 'harness', 'cclog.sh');

export type CompileMode = 'compile' | 'link' | 'preprocess' | 'depend' | 'query';

export interface CompileCommand {
  cwd: string;
  /** The arguments after the compiler's own words (e.g. after `node cc-wb.js`). */
  args: string[];
  mode: CompileMode;
  /** C sources as written on the command line. */
  sources: string[];
  /** The -o argument as written, if any. */
  output: string | null;
}

/** Options whose value is the next argument. */
const TAKES_ARG = new Set([
  '-o', '-MF', '-MT', '-MQ', '-I', '-D', '-U', '-include', '-imacros', '-isystem', '-iquote', '-idirafter', '-iprefix',
  '-iwithprefix', '-iwithprefixbefore', '-isysroot', '-x', '-Xlinker', '-Xassembler', '-Xpreprocessor', '-L', '-T',
  '-u', '-z', '--param', '-e', '-aux-info', '-l', '--sysroot',
]);

function expandResponseFiles(args: string[], cwd: string): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a.startsWith('@') && a.length > 1) {
      try {
        const text = readFileSync(resolve(cwd, a.slice(1)), 'utf8');
        // gcc's response files: whitespace-separated, with '…', "…" and backslash escapes.
        const words = text.match(/(?:[^\s'"\\]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+/g) ?? [];
        out.push(...words.map((w) => w.replace(/'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)/g, (_m, s1, s2, s3) => s1 ?? s2?.replace(/\\(.)/g, '$1') ?? s3)));
        continue;
      } catch {
        // not a readable response file: an ordinary argument
      }
    }
    out.push(a);
  }
  return out;
}

export function parseCompileCommand(cwd: string, rawArgs: string[]): CompileCommand {
  const args = expandResponseFiles(rawArgs, cwd);
  const sources: string[] = [];
  let output: string | null = null;
  let mode: CompileMode = 'link';
  let lang: string | null = null;
  let dependOnly = false;
  let query = args.length === 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c' || a === '-S') mode = mode === 'preprocess' ? mode : 'compile';
    else if (a === '-E') mode = 'preprocess';
    else if (a === '-M' || a === '-MM') dependOnly = true;
    else if (a === '-o') output = args[++i] ?? null;
    else if (a.startsWith('-o') && a.length > 2) output = a.slice(2);
    else if (a === '-x') lang = args[++i] ?? null;
    else if (a.startsWith('-x') && a.length > 2) lang = a.slice(2);
    else if (/^(-v|--version|-dumpversion|-dumpmachine|-dumpfullversion|--help)$/.test(a) || a.startsWith('-print-')) query = true;
    else if (TAKES_ARG.has(a)) i++;
    else if (!a.startsWith('-') && a !== '') {
      if (lang === 'c' || (lang === null && /\.c$/.test(a))) sources.push(a);
    }
  }
  if (dependOnly && mode !== 'preprocess') mode = 'depend';
  if (query && sources.length === 0) mode = 'query';
  return { cwd, args, mode, sources, output };
}

/** The invocations recorded in `dir`, in the order they started. */
export function readCompileLog(dir: string, compilerWords: number): CompileCommand[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.startsWith('cmd.'));
  } catch {
    return [];
  }
  const entries = names.map((n) => {
    const parts = readFileSync(join(dir, n), 'utf8').split('\0');
    parts.pop(); // printf '%s\0' ends with a separator
    const [stamp, pid] = n.slice(4).split('.');
    return { key: BigInt(stamp ?? '0') * 1_000_000n + BigInt(pid ?? '0'), cwd: parts[0]!, argv: parts.slice(1) };
  });
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => parseCompileCommand(e.cwd, e.argv.slice(compilerWords)));
}

/**
 * The flags clang needs to see the same translation unit: preprocessor, language and target options.
 * Everything else (outputs, dependency files, warnings, debug info, linking, code generation) is dropped.
 */
export function oracleFlags(cmd: CompileCommand): string[] {
  const out: string[] = [];
  const a = cmd.args;
  for (let i = 0; i < a.length; i++) {
    const f = a[i]!;
    const sep = /^(-D|-U|-I|-iquote|-isystem|-idirafter|-include|-imacros)$/.exec(f)?.[1];
    const joined = /^(-D|-U|-I|-iquote|-isystem|-idirafter)(.+)$/.exec(f);
    const opt = sep ?? joined?.[1];
    if (opt !== undefined) {
      let value = sep !== undefined ? a[++i] : joined![2]!;
      if (value === undefined) continue;
      // Paths become absolute so the oracle may run from any directory.
      if (opt !== '-D' && opt !== '-U') value = resolve(cmd.cwd, value);
      out.push(opt, value);
    } else if (f.startsWith('--sysroot=')) {
      out.push(`--sysroot=${resolve(cmd.cwd, f.slice('--sysroot='.length))}`);
    } else if (f === '--sysroot' && a[i + 1] !== undefined) {
      out.push(`--sysroot=${resolve(cmd.cwd, a[++i]!)}`);
    } else if (
      /^-(std=|ansi$|O|pthread$|nostdinc$|m(32|64|x32)$|march=|f(no-)?(un)?signed-char$|fshort-enums$|fgnu89-inline$|f(no-)?(pic|PIC|pie|PIE)$|fno-builtin)/.test(f)
    ) {
      out.push(f);
    }
  }
  return out;
}

/** The absolute path of a command's output or source argument. */
export function absIn(cmd: CompileCommand, p: string): string {
  return resolve(cmd.cwd, p);
}

