// Where the user's diagnostics come from. The compiler that builds the object reads the instrumented
// text: its view of the code differs from the user's (no macro expansion history, rewritten stores,
// the barrier's own code), so everything it would say about the code is silenced (-w), and the
// diagnostics come from a second run of the real compiler on the ORIGINAL source with the user's
// flags: the "diagnostics compile". Its stderr and its exit status are the ones cc-wb reports.
//
// gcc warns from its middle end at every -O level (-Wreturn-type, -Wuninitialized and unused
// statics at -O0; -Wmaybe-uninitialized, -Warray-bounds, -Wstringop-*, the analyzer ... with
// optimisation), so for gcc the diagnostics compile runs the whole compiler (-S into a private
// directory): nothing less is exactly right. clang diagnoses in Sema, except for a few backend
// diagnostics (stack frame sizes, optimisation remarks, calls to functions declared with the
// `warning`/`error` attribute): -fsyntax-only unless one of those can arise.
import { basename } from 'node:path';
import type { Item } from './options.js';
import type { Analysis } from './plan.js';

type Input = Extract<Item, { kind: 'input' }>;

/** Options whose only effect is files the diagnostics compile must not write (gcc writes them once). */
const SIDE_FILES = /^-(?:fdump-|fstack-usage$|fcallgraph-info|aux-info$|fopt-info|fsave-optimization-record|ftime-report|fmem-report|fprofile-|ftest-coverage$|fprofile-arcs$|-coverage$|gsplit-dwarf$|MJ$|Wp,-M)/;

export function isClang(compiler: readonly string[]): boolean {
  return compiler.some((w) => /clang/.test(basename(w)));
}

// clang's diagnostics that only its backend gives: frame sizes, remarks (-R...), the warning/error
// function attributes (also glibc's fortify wrappers). Asked for by an option, or by the unit's text.
const CLANG_BACKEND_OPTION = /^-(?:W(?:error=)?frame-larger-than|R)/;
const ATTRIBUTE_DIAGNOSTIC = /\b__attribute__\s*\(\(\s*(?:__)?(?:warning|error|dontcall)(?:__)?\s*\(|\bdiagnose_if\b/;

/** Whether the diagnostics compile must run the compiler's back end (else -fsyntax-only will do). */
export function needsFullCompile(compiler: readonly string[], a: Analysis, unitText?: string): boolean {
  if (!isClang(compiler)) return true;
  if (a.items.some((it) => it.kind === 'option' && CLANG_BACKEND_OPTION.test(it.raw[0] ?? ''))) return true;
  return unitText !== undefined && ATTRIBUTE_DIAGNOSTIC.test(unitText);
}

/**
 * The diagnostics compile of one input: the user's preprocessing and compiling options (not the
 * dependency, output, link or side-file ones), then the input alone, as `-fsyntax-only` or as `-S`
 * into `asmFile` (a private path: gcc names auxiliary files after it).
 */
export function diagnosticsArgs(a: Analysis, input: Input, full: boolean, asmFile: string, color: readonly string[]): string[] {
  const out: string[] = [];
  for (const it of a.items) {
    if (it.kind !== 'option') continue;
    if (it.role !== 'pp' && it.role !== 'both') continue;
    if (SIDE_FILES.test(it.raw[0] ?? '')) continue;
    out.push(...it.raw);
  }
  out.push(...color);
  out.push(...(full ? ['-S', '-o', asmFile] : ['-fsyntax-only']));
  out.push('-x', input.lang, input.path.startsWith('-') && input.path !== '-' ? './' + input.path : input.path);
  return out;
}

/** Colour when cc-wb's stderr is a terminal and the user said nothing: the compiler writes to a pipe. */
export function colorArgs(a: Analysis, stderrIsTty: boolean): string[] {
  const said = a.items.some((it) => it.kind === 'option' && /^-f(no-)?(diagnostics-)?colou?r/.test(it.name));
  return stderrIsTty && !said ? ['-fdiagnostics-color=always'] : [];
}

/** The argument that silences the instrumented compile: it says nothing about the user's code. */
export const SILENT = '-w';

// gcc's text diagnostics: a context line ("In function", "In file included from", "At top level"),
// a located message, or the excerpt lines under it (indented).
const CONTEXT = /^(?:In file included from |\s+from |.*: (?:In (?:function|static function|member function)|At top level|In instantiation)\b.*:$)/;
const MESSAGE = /^.*?:(?:\d+:\d+:)? (note|warning|error|fatal error|internal compiler error|remark): |^(?:cc1|cc1plus|clang(?:-\d+)?): (note|warning|error|fatal error): /;

/**
 * What the silenced compile prints that the user must see: errors (an internal compiler error, a
 * pass defect the fallback then handles), the assembler's and the linker's messages. Dropped:
 * notes gcc prints even under -w for a warning that -w suppressed (`'g' declared here` after
 * -Waddress), and the empty JSON array each compiler run prints under -fdiagnostics-format=json
 * (the diagnostics compile printed the unit's own).
 */
export function remainingOutput(stderr: string): string {
  const out: string[] = [];
  let pending: string[] = [];
  let dropping = false;
  for (const line of stderr.split('\n')) {
    if (line.startsWith('[') && line.endsWith(']') && !/"kind": "(?:error|fatal error)"/.test(line)) continue;
    const m = MESSAGE.exec(line);
    if (m !== null) {
      const kind = m[1] ?? m[2];
      dropping = kind === 'note' || kind === 'warning' || kind === 'remark';
      if (!dropping) out.push(...pending, line);
      pending = [];
    } else if (CONTEXT.test(line)) {
      pending.push(line);
      dropping = false;
    } else if (dropping && /^\s/.test(line)) {
      continue;
    } else {
      dropping = false;
      out.push(...pending, line);
      pending = [];
    }
  }
  return out.join('\n');
}

/**
 * The assembler's messages in a successful compile's stderr (gcc runs `as`, which reports under a
 * "FILE: Assembler messages:" line, one "FILE:LINE: Warning: ..." line each). What a step 2 that
 * ran with the user's warnings on still owes the user once the diagnostics compile has spoken for
 * the code: the same as remainingOutput of a silenced run, which can only leave these.
 */
export function assemblerMessages(stderr: string): string {
  const out: string[] = [];
  let inBlock = false;
  for (const line of stderr.split('\n')) {
    if (/: Assembler messages:$/.test(line)) inBlock = true;
    else if (!(inBlock && /^[^:\n]*:\d+: (?:Warning|Error|Info): /.test(line))) inBlock = false;
    if (inBlock) out.push(line);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
