// Runs two builds of the pass on the same preprocessed units and reports every difference in
// the instrumented code, the report (ok, sites, stats, diagnostics) and the metadata appendix.
// A refactoring of instrument/ must leave all three byte for byte as they were:
//
//   node dist/instrument/tools/compare-pass.js [--form call|x86-64-asm|x86-64-avx-asm] <other-dist/instrument> <dir-or-.i-file>...
//
// The first argument is the compiled instrument/ folder of the build to compare against (e.g. a
// `git worktree` of the base commit built with tsc); this build is the one the script is part of.
// Every `*.i` file found under the other arguments is a unit. `--form` forces the store barrier's
// form (by default each unit's target decides). Exit status 1 when any unit differs.
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { preprocessedUnits } from './units.js';

interface Pass {
  instrumentPreprocessed(input: Buffer, options?: { fileName?: string; storeForm?: string }): unknown;
  metadataForPreprocessed(input: Buffer, fileName?: string): string;
}

async function loadPass(dir: string): Promise<Pass> {
  const index = (await import(pathToFileURL(join(dir, 'index.js')).href)) as Partial<Pass>;
  const metadata = (await import(pathToFileURL(join(dir, 'metadata.js')).href)) as Partial<Pass>;
  const instrument = index.instrumentPreprocessed;
  const meta = metadata.metadataForPreprocessed ?? index.metadataForPreprocessed;
  if (!instrument || !meta) throw new Error(`${dir}: no instrumentPreprocessed/metadataForPreprocessed exports`);
  return { instrumentPreprocessed: instrument, metadataForPreprocessed: meta };
}

/** Everything the pass produces for a unit, as one string per aspect (errors count as output). */
function outputs(pass: Pass, bytes: Buffer, fileName: string, storeForm: string | undefined): Record<string, string> {
  const attempt = (f: () => string): string => {
    try {
      return f();
    } catch (err) {
      return `threw: ${(err as Error).message}`;
    }
  };
  let result: Record<string, unknown> = {};
  const code = attempt(() => {
    result = pass.instrumentPreprocessed(bytes, storeForm ? { fileName, storeForm } : { fileName }) as Record<string, unknown>;
    return String(result.code);
  });
  return {
    code,
    report: JSON.stringify({ ok: result.ok, sites: result.sites, stats: result.stats, diagnostics: result.diagnostics }),
    metadata: attempt(() => pass.metadataForPreprocessed(bytes, fileName)),
  };
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 40), i + 80));
  return `at ${i}: ${show(a)} vs ${show(b)}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  let storeForm: string | undefined;
  if (args[0] === '--form') {
    storeForm = args[1];
    args.splice(0, 2);
  }
  const [otherDir, ...paths] = args;
  if (!otherDir || paths.length === 0 || (storeForm !== undefined && !['call', 'x86-64-asm', 'x86-64-avx-asm'].includes(storeForm))) {
    process.stderr.write('usage: compare-pass [--form call|x86-64-asm|x86-64-avx-asm] <other-dist/instrument> <dir-or-.i-file>...\n');
    return 2;
  }
  const other = await loadPass(resolve(otherDir));
  const self = await loadPass(resolve(import.meta.dirname, '..'));
  const files = preprocessedUnits(paths);
  let differing = 0;
  const counts = { units: 0, instrumented: 0, sites: 0, metadataBytes: 0 };
  for (const file of files) {
    const bytes = readFileSync(file);
    const a = outputs(other, bytes, basename(file), storeForm);
    const b = outputs(self, bytes, basename(file), storeForm);
    counts.units++;
    const report = JSON.parse(b.report) as { ok?: boolean; sites?: unknown[] };
    if (report.ok) counts.instrumented++;
    counts.sites += report.sites?.length ?? 0;
    counts.metadataBytes += b.metadata.length;
    const diffs = Object.keys(a).filter((k) => a[k] !== b[k]);
    if (diffs.length === 0) continue;
    differing++;
    for (const k of diffs) process.stdout.write(`${file}: ${k} differs ${firstDifference(a[k]!, b[k]!)}\n`);
  }
  process.stdout.write(
    `${counts.units} units (${counts.instrumented} instrumented, ${counts.sites} sites, ${counts.metadataBytes} metadata bytes): ` +
      `${differing} differ\n`,
  );
  return differing === 0 && counts.units > 0 ? 0 : 1;
}

process.exitCode = await main();
