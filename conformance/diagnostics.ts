// The diagnostics differential: every C file compiled by the plain compiler and by cc-wb (with that
// compiler underneath) with the same flags; stderr and exit status must be identical, line by line.
// Corpora: GCC's execute torture tests, the regression corpus, and the sources of real projects from
// the harness's Debian cache. Self-contained: `diagnosticsDifferential()` is the whole suite.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { cacheRoot } from '../harness/cache.js';
import { run } from '../harness/proc.js';
import { defaultWbCommand, regressionsDir } from './paths.js';

export interface DiagnosticsCase {
  /** What the case is called in the report: `<corpus>/<file>`. */
  name: string;
  file: string;
  /** Flags besides -c and the file (include paths, defines). */
  flags: string[];
}

export interface DiagnosticsDifference {
  name: string;
  compiler: string;
  flags: string[];
  plain: { code: number; stderr: string };
  wb: { code: number; stderr: string };
}

interface Ran {
  code: number;
  stderr: string;
}

/** The exit status (128 for a death by signal, -1 when it could not start) and the whole stderr. */
async function runCapture(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  const r = await run(argv, { cwd, env, maxOutput: 64 << 20 });
  if (r.spawnError !== undefined) return { code: -1, stderr: r.spawnError };
  return { code: r.code ?? 128, stderr: r.stderr };
}

/** Compiles one case both ways (-c into a scratch directory, from the file's directory). */
export async function compareCase(c: DiagnosticsCase, compiler: string, flags: string[], wb: string[], scratchDir: string): Promise<DiagnosticsDifference | undefined> {
  const cwd = dirname(c.file);
  const args = [...flags, ...c.flags, '-fdiagnostics-color=never', '-c', basename(c.file)];
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8' };
  for (const k of Object.keys(env)) if (k.startsWith('CC_WB_') && k !== 'CC_WB_CACHE') delete env[k];
  const plain = await runCapture([compiler, ...args, '-o', join(scratchDir, 'plain.o')], cwd, env);
  // `cc-wb gcc --wb-strict ...`: the compiler word must follow the driver itself, before its options.
  const driver = wb.filter((w) => !w.startsWith('--wb-'));
  const wbOptions = wb.filter((w) => w.startsWith('--wb-'));
  const wbRan = await runCapture([...driver, compiler, ...wbOptions, ...args, '-o', join(scratchDir, 'wb.o')], cwd, env);
  if (plain.code === wbRan.code && plain.stderr === wbRan.stderr) return undefined;
  return { name: c.name, compiler, flags, plain, wb: wbRan };
}

/** GCC's execute torture tests, as the conformance harness extracted them (every `every`-th). */
export function tortureCases(every = 1): DiagnosticsCase[] {
  const dir = join(cacheRoot(), 'gcc-torture', 'execute');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .filter((_, i) => i % every === 0)
    .map((f) => ({ name: `torture/${f}`, file: join(dir, f), flags: [] }));
}

export function regressionCases(): DiagnosticsCase[] {
  return readdirSync(regressionsDir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => ({ name: `regressions/${f}`, file: join(regressionsDir, f), flags: [] }));
}

/** Real projects' sources from the Debian cache: the C files of one directory of the unpacked tree. */
const PROJECT_SOURCES: { name: string; pkg: string; dir: string; flags: string[]; exclude?: RegExp }[] = [
  { name: 'lua', pkg: 'lua5.4', dir: 'src', flags: ['-DLUA_USE_LINUX', '-std=gnu99'] },
  { name: 'bzip2', pkg: 'bzip2', dir: '.', flags: ['-D_FILE_OFFSET_BITS=64'], exclude: /^(?:dlltest|mk251|spewG|unzcrash)\.c$/ },
  { name: 'zlib', pkg: 'zlib', dir: '.', flags: ['-D_LARGEFILE64_SOURCE=1', '-DHAVE_HIDDEN'] },
  { name: 'lz4', pkg: 'lz4', dir: 'lib', flags: [] },
];

export function projectCases(): DiagnosticsCase[] {
  const cases: DiagnosticsCase[] = [];
  for (const p of PROJECT_SOURCES) {
    const root = join(cacheRoot(), 'debian', p.pkg);
    if (!existsSync(root)) continue;
    const tree = readdirSync(root).find((d) => d.startsWith('tree-') && statSync(join(root, d)).isDirectory());
    if (tree === undefined) continue;
    const dir = join(root, tree, p.dir);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.c') && !(p.exclude?.test(f) ?? false)).sort()) {
      cases.push({ name: `${p.name}/${f}`, file: join(dir, f), flags: p.flags });
    }
  }
  return cases;
}

export interface DiagnosticsOptions {
  quick?: boolean;
  compilers?: string[];
  /** The driver under test as argv (default: node toolchain/bin/cc-wb.js of this checkout). */
  wb?: string[];
  jobs?: number;
  log?: (line: string) => void;
}

/**
 * Runs the whole differential: torture and regressions with -Wall -Wextra at -O0 and -O2, the
 * projects with -O2 -Wall -Wextra and (lua) -pedantic too; gcc and clang. Returns the differences.
 */
export async function diagnosticsDifferential(o: DiagnosticsOptions = {}): Promise<DiagnosticsDifference[]> {
  const compilers = o.compilers ?? ['gcc', 'clang'];
  const wb = o.wb ?? defaultWbCommand().split(' ');
  const log = o.log ?? (() => {});
  const jobs = Math.max(1, o.jobs ?? 2);
  const runs: { c: DiagnosticsCase; flags: string[] }[] = [];
  for (const c of [...tortureCases(o.quick ? 10 : 1), ...regressionCases()]) {
    runs.push({ c, flags: ['-O0', '-Wall', '-Wextra'] }, { c, flags: ['-O2', '-Wall', '-Wextra'] });
  }
  for (const c of projectCases()) {
    runs.push({ c, flags: ['-O2', '-Wall', '-Wextra'] });
    if (c.name.startsWith('lua/')) runs.push({ c, flags: ['-O2', '-Wall', '-Wextra', '-pedantic'] });
  }
  const scratch = mkdtempSync(join(tmpdir(), 'cc-wb-diagnostics-'));
  const differences: DiagnosticsDifference[] = [];
  try {
    const queue = compilers.flatMap((compiler) => runs.map((r) => ({ ...r, compiler })));
    let next = 0;
    let done = 0;
    const worker = async (id: number) => {
      const dir = join(scratch, String(id));
      mkdirSync(dir, { recursive: true });
      while (next < queue.length) {
        const job = queue[next++]!;
        const d = await compareCase(job.c, job.compiler, job.flags, wb, dir);
        if (d !== undefined) {
          differences.push(d);
          log(`diagnostics: DIFFERENT ${job.compiler} ${job.flags.join(' ')} ${job.c.name}`);
        }
        if (++done % 200 === 0) log(`diagnostics: ${done}/${queue.length} compiles compared, ${differences.length} different`);
      }
    };
    await Promise.all(Array.from({ length: jobs }, (_, i) => worker(i)));
    log(`diagnostics: ${queue.length} compiles compared (${runs.length} per compiler), ${differences.length} different`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return differences;
}

/** The suite for the harness: runs it, and says what differed (the first lines of each side). */
export async function diagnosticsSuite(o: DiagnosticsOptions): Promise<{ failures: number; summary: string }> {
  const differences = await diagnosticsDifferential(o);
  const excerpt = (s: string) => s.split('\n').slice(0, 6).join('\n      ');
  const lines = [`== Diagnostics differential (stderr and exit status of cc vs cc-wb, gcc and clang, -Wall -Wextra): ${differences.length} difference(s)`];
  for (const d of differences) {
    lines.push(`DIFFERS ${d.compiler} ${d.flags.join(' ')} ${d.name}: exit ${d.plain.code} vs ${d.wb.code}`, `    cc:    ${excerpt(d.plain.stderr)}`, `    cc-wb: ${excerpt(d.wb.stderr)}`);
  }
  return { failures: differences.length, summary: lines.join('\n') };
}
