// What cc-wb tells people and tools about each translation unit: diagnostics on stderr in gcc's
// format, --wb-stats counts, and the CC_WB_REPORT JSON lines.
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Diagnostic, InstrumentResult, InstrumentStats } from '../instrument/index.js';

export interface UnitReport {
  source: string;
  output: string;
  instrumented: boolean;
  stats: InstrumentStats;
  sites: InstrumentResult['sites'];
  diagnostics: Diagnostic[];
}

export const EMPTY_STATS: InstrumentStats = { assignments: 0, barriered: 0, arithmetic: 0, skippedLocal: 0, skippedNonPointer: 0, calls: 0 };

/** `file:line:col: warning: cc-wb: message`, the shape editors and CI log parsers already read. */
export function formatDiagnostic(d: Diagnostic, severity: 'warning' | 'error'): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col > 0 ? `${d.col}:` : ''}` : `${d.file}:`;
  return `${where} ${severity}: cc-wb: ${d.message}\n`;
}

export function formatStats(source: string, result: { ok: boolean; stats: InstrumentStats; sites: unknown[] }): string {
  const s = result.stats;
  const state = result.ok ? '' : ' (compiled WITHOUT barriers)';
  return (
    `cc-wb: ${source}: ${s.assignments} assignments, ${s.barriered} barriered, ${s.arithmetic ?? 0} pointer arithmetic, ${s.skippedLocal} local, ` +
    `${s.skippedNonPointer} non-pointer, ${s.calls} calls, ${result.sites.length} sites${state}\n`
  );
}

/**
 * Appends one line with a single write() on an O_APPEND descriptor: concurrent compiles under
 * make -j never interleave their lines, whatever their length.
 */
export function appendReport(path: string, unit: UnitReport): void {
  const line = Buffer.from(
    JSON.stringify({
      source: unit.source === '-' ? '-' : resolve(unit.source),
      output: resolve(unit.output),
      instrumented: unit.instrumented,
      stats: unit.stats,
      sites: unit.sites,
      diagnostics: unit.diagnostics,
    }) + '\n',
  );
  const fd = openSync(path, 'a');
  try {
    let done = writeSync(fd, line);
    while (done < line.length) done += writeSync(fd, line, done); // only on a full disk or similar
  } finally {
    closeSync(fd);
  }
}
