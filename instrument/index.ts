// Public face of the pass: preprocessed C in, instrumented C out.
// (Skeleton: the real pass replaces the body of instrumentPreprocessed; the interface is stable.)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export type SiteKind =
  | 'assign' // L = R where L may be a pointer or a struct/union holding pointers
  | 'compound' // L op= R
  | 'incdec' // ++L, L++, --L, L--
  | 'call'; // memcpy/memmove/memset/bzero/realloc/free/... renamed to the __wb_ ABI

export interface SourcePos {
  file: string; // as named by the line markers (the user's source or header path)
  line: number; // 1-based
  col: number; // 1-based, column in the preprocessed text (macro expansions shift it)
}

export interface Site extends SourcePos {
  kind: SiteKind;
  detail: string; // the callee for 'call', the operator otherwise
}

export interface Diagnostic extends SourcePos {
  severity: 'warning' | 'error';
  message: string;
}

export interface InstrumentStats {
  assignments: number; // assignment-like expressions seen in user code
  barriered: number; // of those, rewritten (the compiler decides pointer vs not at each)
  skippedLocal: number; // stores to locals whose address is never taken
  skippedNonPointer: number; // stores whose declared type is known arithmetic
  calls: number; // library calls/uses renamed to the __wb_ ABI
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

export function instrumentPreprocessed(text: string, _options: InstrumentOptions = {}): InstrumentResult {
  return {
    ok: true,
    code: preludeText() + '\n' + text,
    sites: [],
    stats: { assignments: 0, barriered: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 },
    diagnostics: [],
  };
}
