// The part of GCC's DejaGnu test language that gcc.c-torture/execute uses, evaluated for one target:
// x86_64-pc-linux-gnu, LP64, glibc, hosted. Directives are Tcl lists in comments
// (`/* { dg-options "-fwrapv" { target x86_64-*-* } } */`); we parse the list syntax properly (quotes,
// nested braces) rather than with regexes, because selectors nest (`{ { i?86-*-* x86_64-*-* } && ia32 }`).

export type TclWord = string | TclWord[];

export const TARGET_TRIPLET = 'x86_64-pc-linux-gnu';

/**
 * Effective-target keywords as GCC's target-supports.exp answers them for x86_64 Linux with glibc.
 * Anything not listed is unknown: reported, and treated as false (a test we cannot judge is not run).
 */
export const EFFECTIVE_TARGETS: Readonly<Record<string, boolean>> = {
  alloca: true,
  c99_runtime: true,
  dfp: true,
  double64: true,
  double64plus: true,
  fileio: true,
  fpic: true,
  indirect_jumps: true,
  int128: true,
  int32: true,
  int32plus: true,
  label_values: true,
  longlong64: true,
  lp64: true,
  mmap: true,
  nonlocal_goto: true,
  pthread: true,
  return_address: true,
  signal: true,
  stdint_types: true,
  trampolines: true,
  unwrapped: true,
  untyped_assembly: true,
  weak_undefined: true,
  // False here: other ABIs and environments.
  freestanding: false,
  ia32: false,
  ilp32: false,
  int16: false,
  newlib: false,
  newlib_nano_io: false,
  stack_size: false,
  vxworks_kernel: false,
  x32: false,
};

/** Splits Tcl list text into words: `"..."` and `{...}` group, braces nest, backslash escapes. */
export function parseTclList(text: string): TclWord[] {
  let i = 0;
  const parseList = (closing: string | null): TclWord[] => {
    const words: TclWord[] = [];
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      if (i >= text.length) {
        if (closing) throw new Error(`unbalanced '{' in: ${text}`);
        return words;
      }
      const ch = text[i]!;
      if (ch === closing) {
        i++;
        return words;
      }
      if (ch === '{') {
        i++;
        words.push(parseList('}'));
      } else if (ch === '"') {
        i++;
        let s = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) {
            s += text[i + 1];
            i += 2;
          } else s += text[i++];
        }
        if (i >= text.length) throw new Error(`unterminated string in: ${text}`);
        i++;
        words.push(s);
      } else {
        let s = '';
        while (i < text.length && !/\s/.test(text[i]!) && text[i] !== '}' && text[i] !== '{') {
          if (text[i] === '\\' && i + 1 < text.length) {
            s += text[i + 1];
            i += 2;
          } else s += text[i++];
        }
        words.push(s);
      }
    }
  };
  return parseList(null);
}

export interface Directive {
  name: string; // dg-options, dg-skip-if, ...
  args: TclWord[];
  line: number;
}

/** Finds every `{ dg-... }` in a source file; directives may span lines (inside one comment). */
export function findDirectives(source: string): Directive[] {
  const out: Directive[] = [];
  const re = /\{\s*(dg-[a-z-]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source))) {
    // Walk to the matching brace, honouring quotes and nesting.
    let depth = 0;
    let j = m.index;
    let inString = false;
    for (; j < source.length; j++) {
      const c = source[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (j >= source.length) continue; // not a directive after all (a brace in code)
    const words = parseTclList(source.slice(m.index + 1, j));
    const line = source.slice(0, m.index).split('\n').length;
    out.push({ name: m[1]!, args: words.slice(1), line });
    re.lastIndex = j + 1;
  }
  return out;
}

/** `x86_64-*-linux*` style glob on target triplets (and option lists): `*`, `?`, `[...]`. */
export function globMatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', k);
      if (end < 0) re += '\\[';
      else {
        re += '[' + pattern.slice(k + 1, end).replace(/\\/g, '\\\\') + ']';
        k = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(re + '$').test(text);
}

export class SelectorError extends Error {}

/**
 * Evaluates a target selector body: either a list of triplet globs / effective-target keywords
 * (true if any matches) or an expression over them with `!`, `&&`, `||` and braces.
 * `unknown` collects keywords we had to guess as false.
 */
export function evalSelector(words: TclWord[], unknown: Set<string> = new Set()): boolean {
  const isOp = (w: TclWord) => w === '!' || w === '&&' || w === '||';
  const atom = (w: TclWord): boolean => {
    if (Array.isArray(w)) return evalSelector(w, unknown);
    if (w.includes('-') && /^[\w.*?\[\]-]+-[\w.*?\[\]]+(-[\w.*?\[\]-]+)?$/.test(w) && !(w in EFFECTIVE_TARGETS)) {
      return globMatch(w, TARGET_TRIPLET);
    }
    if (w in EFFECTIVE_TARGETS) return EFFECTIVE_TARGETS[w]!;
    unknown.add(w);
    return false;
  };
  if (!words.some(isOp)) return words.some(atom);
  // Expression: `||` binds loosest, then `&&`, then prefix `!`.
  let pos = 0;
  const unary = (): boolean => {
    const w = words[pos++];
    if (w === undefined) throw new SelectorError(`selector ends early: ${JSON.stringify(words)}`);
    if (w === '!') return !unary();
    return atom(w);
  };
  const conj = (): boolean => {
    let v = unary();
    while (words[pos] === '&&') {
      pos++;
      v = unary() && v;
    }
    return v;
  };
  let v = conj();
  while (words[pos] === '||') {
    pos++;
    v = conj() || v;
  }
  if (pos !== words.length) throw new SelectorError(`cannot read selector: ${JSON.stringify(words)}`);
  return v;
}

/** A `{ target SEL }` / `{ xfail SEL }` argument; absent means "always". */
function targetClause(arg: TclWord | undefined, unknown: Set<string>): boolean {
  if (arg === undefined) return true;
  if (!Array.isArray(arg) || arg.length === 0) throw new SelectorError(`expected { target ... }, got ${JSON.stringify(arg)}`);
  const [kind, ...rest] = arg;
  if (kind !== 'target' && kind !== 'xfail') throw new SelectorError(`unsupported selector kind ${JSON.stringify(kind)}`);
  return evalSelector(rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest, unknown);
}

function flatten(w: TclWord | undefined): string[] {
  if (w === undefined) return [];
  if (Array.isArray(w)) return w.flatMap((x) => flatten(x));
  return w.split(/\s+/).filter(Boolean);
}

/** DejaGnu's option matching for skip-if/xfail-if: any include option present and no exclude one. */
function flagsSelected(include: string[], exclude: string[], flags: readonly string[]): boolean {
  const present = (opt: string) => opt === '*' || flags.some((f) => globMatch(opt, f));
  const inc = include.length === 0 ? true : include.some(present);
  const exc = exclude.some((o) => o !== '' && present(o));
  return inc && !exc;
}

export interface TestPlan {
  /** What dg-do asks for; torture execute tests default to run. */
  action: 'run' | 'link' | 'compile' | 'assemble' | 'preprocess';
  /** Flags after the optimisation level: dg-options (or the harness default `-w`), then additional ones. */
  flags: string[];
  /** Set when the test is not applicable here, with the reason. */
  skip?: string;
  /** Set when the test is expected to fail here (dg-xfail-if / dg-xfail-run-if). */
  xfail?: string;
  /** Keywords we did not know and treated as false. */
  unknown: string[];
}

/**
 * Decides how one test runs at one optimisation level (`-O1`, `-O2`), as gcc-dg-runtest would:
 * torture option first, then dg-options replacing the default `-w`, then dg-additional-options.
 */
export function planTest(source: string, optLevel: string): TestPlan {
  const unknown = new Set<string>();
  let action: TestPlan['action'] = 'run';
  let options: string[] | undefined;
  const additional: string[] = [];
  let skip: string | undefined;
  let xfail: string | undefined;
  const directives = findDirectives(source);
  // dg-options and dg-additional-options decide the flags that skip-if then looks at.
  for (const d of directives) {
    const [a0, a1] = d.args;
    if (d.name === 'dg-options') {
      if (targetClause(a1, unknown)) options = flatten(a0);
    } else if (d.name === 'dg-additional-options') {
      if (targetClause(a1, unknown)) additional.push(...flatten(a0));
    } else if (d.name === 'dg-do') {
      const what = typeof a0 === 'string' ? a0 : '';
      if (!['run', 'link', 'compile', 'assemble', 'preprocess'].includes(what)) throw new SelectorError(`line ${d.line}: unknown dg-do ${JSON.stringify(a0)}`);
      if (a1 === undefined || targetClause(a1, unknown)) action = what as TestPlan['action'];
      else skip ??= `line ${d.line}: dg-do ${what} not for this target`;
    }
  }
  const flags = [...(options ?? ['-w']), ...additional];
  const allFlags = [optLevel, ...flags];
  for (const d of directives) {
    const [a0, a1, a2, a3] = d.args;
    switch (d.name) {
      case 'dg-skip-if': {
        const sel = Array.isArray(a1) ? a1 : flatten(a1);
        if (evalSelector(sel, unknown) && flagsSelected(flatten(a2 ?? '*'), flatten(a3 ?? ''), allFlags)) {
          skip ??= `line ${d.line}: dg-skip-if "${typeof a0 === 'string' ? a0 : ''}"`;
        }
        break;
      }
      case 'dg-require-effective-target': {
        const kw = typeof a0 === 'string' ? a0 : '';
        if (targetClause(a1, unknown) && !evalSelector([kw], unknown)) skip ??= `line ${d.line}: requires effective target ${kw}`;
        break;
      }
      case 'dg-xfail-if':
      case 'dg-xfail-run-if': {
        const sel = Array.isArray(a1) ? a1 : flatten(a1);
        if (evalSelector(sel, unknown) && flagsSelected(flatten(a2 ?? '*'), flatten(a3 ?? ''), allFlags)) {
          xfail ??= `line ${d.line}: ${d.name} "${typeof a0 === 'string' ? a0 : ''}"`;
        }
        break;
      }
      case 'dg-add-options': {
        // stack_size adds -DSTACK_SIZE only on boards with a stack limit; ieee adds flags only on
        // alpha/sh/rx. Neither applies here; anything else is unknown and must not pass silently.
        const what = typeof a0 === 'string' ? a0 : '';
        if (what !== 'stack_size' && what !== 'ieee') unknown.add(`dg-add-options ${what}`);
        break;
      }
      // Hosted x86_64 Linux has aliases, weak symbols and megabytes of stack; messages and output
      // pruning concern compile diagnostics, which execute tests do not check.
      case 'dg-require-alias':
      case 'dg-require-weak':
      case 'dg-require-stack-size':
      case 'dg-prune-output':
      case 'dg-warning':
      case 'dg-error':
      case 'dg-message':
      case 'dg-bogus':
      case 'dg-options':
      case 'dg-additional-options':
      case 'dg-do':
        break;
      default:
        unknown.add(d.name);
    }
  }
  // An unknown keyword makes every other verdict about this test unreliable: say that first.
  if (unknown.size > 0) skip = `unknown DejaGnu keywords: ${[...unknown].join(', ')}`;
  return { action, flags, skip, xfail, unknown: [...unknown] };
}
