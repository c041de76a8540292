// cc-wb's pass report (CC_WB_REPORT=file.jsonl, one line per compiled unit). A unit the pass could
// not handle is compiled without barriers and still behaves like cc's build, so "same behaviour"
// alone would count it as a pass; the report tells us, and the harness reports such fallbacks.
import { existsSync, readFileSync } from 'node:fs';

export interface UnitReport {
  source: string;
  instrumented: boolean;
  stats?: { barriered?: number; calls?: number };
  sites?: unknown[];
  diagnostics?: { severity: string; message: string; file?: string; line?: number }[];
}

export interface PassSummary {
  /** Compiled units the report lists (0 when the compiler under test writes no report, e.g. gcc). */
  units: number;
  /** Units compiled without barriers, with the first error the pass or compiler gave. */
  fallbacks: { source: string; message: string }[];
  /** Barriered stores and rewritten calls over all instrumented units. */
  sites: number;
}

export function readPassReport(path: string): PassSummary {
  const out: PassSummary = { units: 0, fallbacks: [], sites: 0 };
  if (!existsSync(path)) return out;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let u: UnitReport;
    try {
      u = JSON.parse(line) as UnitReport;
    } catch {
      continue; // a line torn by a killed compile
    }
    out.units++;
    if (u.instrumented) out.sites += u.sites?.length ?? 0;
    else {
      const d = u.diagnostics?.find((x) => x.severity === 'error') ?? u.diagnostics?.[0];
      out.fallbacks.push({ source: u.source, message: d?.message ?? 'compiled without write barriers (no diagnostic)' });
    }
  }
  return out;
}

/** The environment for a cc-wb compile that reports into `path`. */
export function reportEnv(path: string): NodeJS.ProcessEnv {
  return { ...process.env, CC_WB_REPORT: path };
}
