// Barrier completeness of a real project's cc-wb build: every pointer store clang's AST shows in each
// translation unit the build compiled must have a barriered site in cc-wb's report (issue 7). The
// compiles are recorded by harness/cclog.sh in front of the compiler, and compared by the oracle in
// harness/oracle/ (compareProject), the same code that checks bzip2, lua and zlib in the vitest suite.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { compareProject, formatCompleteness, readReport, type ProjectCompleteness } from '../harness/oracle/compare.js';
import { cclogScript, readCompileLog } from '../harness/compile-log.js';
import type { Compiler } from '../harness/compilers.js';

/** `compiler` behind the logging front: each invocation is recorded in $CC_WB_CMDLOG, then run. */
export function loggedCompiler(c: Compiler): Compiler {
  return { ...c, label: `${c.label}-logged`, words: ['bash', cclogScript, ...c.words] };
}

/** The environment that makes a logged compiler record into `dir` (emptied first). */
export function commandLogEnv(dir: string): Record<string, string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { CC_WB_CMDLOG: dir };
}

export interface CompletenessOptions {
  /** The project's tree: compiles of sources outside it (CMake's CMakeCCompilerABI.c) are not its units. */
  tree?: string;
  /** Compiles to leave out, by absolute source path (configure probes). */
  ignore?: RegExp;
  jobs?: number;
  clang?: string;
  onProgress?: (done: number, total: number, unit: string) => void;
}

/** What a project run keeps: the oracle's comparison, or why it could not be made. */
export interface Completeness {
  result?: ProjectCompleteness;
  error?: string;
}

/**
 * Compares the compiles recorded in `cmdlog` (by loggedCompiler(compiler)) with the pass report cc-wb
 * wrote to `reportPath`. Per-line keys, needed only while comparing, are dropped from the result.
 */
export async function measureCompleteness(project: string, compiler: Compiler, cmdlog: string, reportPath: string, o: CompletenessOptions = {}): Promise<Completeness> {
  try {
    const ours = (cwd: string, source: string): boolean => {
      const abs = resolve(cwd, source);
      const inTree = o.tree === undefined || !relative(o.tree, abs).startsWith('..');
      return inTree && !o.ignore?.test(abs);
    };
    // A compile whose folder is gone ran in a configure or CMake scratch folder: a probe.
    const commands = readCompileLog(cmdlog, compiler.words.length).filter((c) => existsSync(c.cwd) && c.sources.every((s) => ours(c.cwd, s)));
    const r = await compareProject(project, commands, readReport(reportPath), { jobs: o.jobs, clang: o.clang, onProgress: o.onProgress });
    return { result: { ...r, tus: r.tus.map((t) => ({ ...t, oracleKeys: [], passKeys: [] })) } };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Missed stores plus one for a comparison that could not be made: each is a failure of the run. */
export function completenessFailures(c: Completeness | undefined): number {
  if (!c) return 0;
  return c.error !== undefined ? 1 : c.result!.totals.missed;
}

/** One row per project (units, oracle stores, barriered sites, missed, extra), then every missed store. */
export function completenessTable(items: { name: string; completeness?: Completeness }[], root?: string): string {
  const measured = items.flatMap((i) => (i.completeness?.result ? [i.completeness.result] : []));
  const lines = measured.length ? [formatCompleteness(measured, root)] : [];
  for (const i of items) {
    if (i.completeness?.error !== undefined) lines.push(`${i.name}: NOT MEASURED: ${i.completeness.error.split('\n').slice(0, 5).join('\n    ')}`);
  }
  return lines.join('\n');
}
