// The regression corpus: minimal C files (reduced from torture, csmith or project failures) that once
// compiled or ran differently under cc-wb. Each must compile and behave under cc-wb exactly as under
// plain cc: same compile success, same exit status, same stdout.
//
// A file may carry, anywhere in its first comment, `conformance-flags: -O2 -w` (the default) and
// `conformance-link: -lm`; `@CSMITH@` in flags is replaced by csmith's include folder.
// `conformance-status: open` marks a bug that is reported but not fixed yet: it still counts as a
// failure in `npm run conformance`, while the unit test only checks it still reproduces (so a fix
// is noticed and the mark removed), keeping CI about new breakage.
// `conformance-check: barriers` also checks cc-wb's barriered sites against clang's AST (the oracle of
// completeness.ts): a pointer store without a barrier changes no output, but the file then differs.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { compareProject, formatCompleteness, readReport } from '../harness/oracle/compare.js';
import { parseCompileCommand } from '../harness/compile-log.js';
import type { Compiler } from '../harness/compilers.js';
import { csmithIncludeDir } from './csmith.js';
import { regressionsDir } from './paths.js';
import { describeEnd, pool, run, splitCommand } from '../harness/proc.js';
import { lastLines } from './torture.js';
import { readPassReport, reportEnv } from './wbreport.js';

export interface RegressionOutcome {
  compiled: boolean;
  end: string; // "exit 0", "SIGSEGV", "compile error", "timeout after 10 s"
  stdout: string;
  detail?: string;
  /** cc-wb compiled the file without barriers: the first error it reported. */
  fallback?: string;
  /** With `conformance-check: barriers`: pointer stores clang's AST shows that have no barriered site. */
  missed?: number;
}

export interface RegressionResult {
  file: string;
  flags: string[];
  ref: RegressionOutcome;
  wb: RegressionOutcome;
  same: boolean;
  /** Marked `conformance-status: open`: a known, unfixed bug. */
  open: boolean;
}

export function regressionFiles(dir = regressionsDir): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.c'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

async function outcome(c: Compiler, file: string, flags: string[], link: string[], work: string, timeoutMs: number, checkBarriers = false): Promise<RegressionOutcome> {
  const dir = join(work, `${basename(file, '.c')}-${c.label}`.replace(/[^\w.+-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, 'a.out');
  const reportPath = join(dir, 'wb-report.jsonl');
  const args = [...flags, '-o', exe, file, ...link];
  const cr = await run([...c.words, ...args], { cwd: dir, timeoutMs: 300_000, maxOutput: 64 << 10, env: reportEnv(reportPath) });
  if (cr.code !== 0) return { compiled: false, end: 'compile error', stdout: '', detail: lastLines(cr.stderr || describeEnd(cr), 12) };
  const fallback = readPassReport(reportPath).fallbacks[0]?.message;
  let missed: number | undefined;
  let detail: string | undefined;
  if (checkBarriers) {
    const r = await compareProject(basename(file), [parseCompileCommand(dir, args)], readReport(reportPath), { jobs: 1 });
    missed = r.totals.missed;
    if (missed) detail = formatCompleteness([r]);
  }
  const rr = await run([exe], { cwd: dir, timeoutMs, maxOutput: 256 << 10 });
  return { compiled: true, end: describeEnd(rr, timeoutMs), stdout: rr.stdout, fallback, missed, detail };
}

/** `key: value` inside the file's comments, up to the end of the line or of the comment. */
function headerValue(text: string, key: string): string | undefined {
  const v = new RegExp(`${key}:(.*?)(?:\\*/|$)`, 'm').exec(text)?.[1]?.trim();
  return v ? v : undefined;
}

export async function runRegressions(ref: Compiler, wb: Compiler, options: { jobs?: number; timeoutMs?: number; files?: string[] } = {}): Promise<RegressionResult[]> {
  const files = options.files ?? regressionFiles();
  const work = mkdtempSync(join(tmpdir(), 'cc-wb-regress-'));
  try {
    return await pool(files, options.jobs ?? 2, async (file) => {
      const text = readFileSync(file, 'utf8');
      let flagsText = headerValue(text, 'conformance-flags') ?? '-O2 -w';
      if (flagsText.includes('@CSMITH@')) flagsText = flagsText.replace(/@CSMITH@/g, await csmithIncludeDir(ref));
      const flags = splitCommand(flagsText);
      const link = splitCommand(headerValue(text, 'conformance-link') ?? '-lm');
      const timeoutMs = options.timeoutMs ?? 20_000;
      const r = await outcome(ref, file, flags, link, work, timeoutMs);
      const w = await outcome(wb, file, flags, link, work, timeoutMs, /^barriers\b/.test(headerValue(text, 'conformance-check') ?? ''));
      // A reproducer plain cc cannot build proves nothing: it counts as a difference until fixed.
      // Same behaviour only counts when cc-wb really instrumented the file.
      const open = /^open\b/.test(headerValue(text, 'conformance-status') ?? '');
      return { file, flags, ref: r, wb: w, same: r.compiled && w.compiled && !w.fallback && !w.missed && r.end === w.end && r.stdout === w.stdout, open };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
