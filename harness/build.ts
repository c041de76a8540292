// Programs from Debian sources (harness/programs.ts), built out of tree with a given compiler and checked
// with their own tests. A build is cached per (project, source version, recipe, compiler fingerprint) and
// shared between test files and the benchmark through a lock; every compiler invocation is logged (cclog.sh) and, for cc-wb, the pass's report
// is collected in report.jsonl, for the barrier-completeness oracle.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { cacheRoot, withLock } from './cache.js';
import { fetchDebianSource, type DebianSourceSpec } from './debian.js';
import { cclogScript, readCompileLog, type CompileCommand } from './compile-log.js';
import { shellWord, type Compiler } from './compilers.js';
import { serverUsage, stopServers } from '../toolchain/passclient.js';

export interface Step {
  argv: string[];
  env?: Record<string, string>;
  /** Relative to the build tree. */
  cwd?: string;
}

export interface Project {
  name: string;
  source: DebianSourceSpec;
  /** Build steps given the value to use for $(CC) (shell words). */
  build(cc: string): Step[];
  /** The project's own test suite; empty when the project has none (lua: see workloads/lua-workload.lua). */
  check(cc: string): Step[];
  /** Files a complete build produces (a configure script that silently dropped a feature shows here). */
  artifacts: string[];
}

/** Bump when the build procedure changes in a way the step list does not show. */
const RECIPE_VERSION = 2;

export interface BuildResult {
  project: string;
  compiler: string;
  version: string;
  /** The build tree. */
  dir: string;
  /** Wall time of the build steps. */
  buildMs: number;
  /** CPU time (user + system) of everything the build ran: comparable on a busy machine. */
  buildCpuMs: number;
  /** Each step's share (cc-wb's pass servers included), in order: configure apart from make. */
  steps: StepTime[];
  log: string;
  /** cc-wb's JSON-lines report (CC_WB_REPORT); empty for compilers that do not write one. */
  report: string;
  commands: CompileCommand[];
  /** True when an earlier identical build was reused. */
  reused: boolean;
}

export interface StepTime {
  /** The step's program (`./configure`, `make`, `cmake` ...). */
  program: string;
  wallMs: number;
  cpuMs: number;
}

export class StepFailed extends Error {
  constructor(
    readonly step: Step,
    readonly exitCode: number | undefined,
    readonly output: string,
    where: string,
  ) {
    super(`${where}: \`${step.argv.join(' ')}\` exited ${exitCode}; last output:\n${output.split('\n').slice(-60).join('\n')}`);
  }
}

/**
 * Runs the steps in order; returns the wall and CPU time (user + system, all descendants) of each.
 * CPU time, unlike wall time, means something on a machine shared with other jobs.
 */
async function runSteps(steps: Step[], dir: string, env: Record<string, string>, log: string): Promise<StepTime[]> {
  const times: StepTime[] = [];
  const timesFile = join(dirname(log), `times.${process.pid}`);
  // cc-wb's resident pass servers (toolchain/passserver.ts) are not children of the build: they
  // get a folder of their own, kept from step to step as a user's would be (configure's servers
  // serve make), and each step is charged the CPU they spent while it ran.
  const servers = mkdtempSync(join(tmpdir(), 'ccwb-build-servers-'));
  env = { ...env, CC_WB_SERVER_DIR: servers };
  let before = new Map<number, number>();
  try {
    for (const step of steps) {
      const started = performance.now();
      let cpuMs = await runStepTimed(step, dir, env, log, timesFile);
      // (a server that exited on its own during the step took its CPU with it, as at the end)
      const now = (await serverUsage(servers)).cpuMsByPid;
      for (const [pid, ms] of now) cpuMs += ms - (before.get(pid) ?? 0);
      before = now;
      times.push({ program: step.argv[0]!, wallMs: Math.round(performance.now() - started), cpuMs: Math.round(cpuMs) });
    }
  } finally {
    await stopServers(servers);
    rmSync(servers, { recursive: true, force: true });
  }
  rmSync(timesFile, { force: true });
  return times;
}

async function runStepTimed(step: Step, dir: string, env: Record<string, string>, log: string, timesFile: string): Promise<number> {
  const cwd = step.cwd ? join(dir, step.cwd) : dir;
  appendFileSync(log, `\n$ ${Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${shellWord(v)} `).join('')}${step.argv.map(shellWord).join(' ')}\n`);
  // bash's `times` reports the children's accumulated CPU time once they have all been waited for.
  const r = await execa('bash', ['-c', '"$@"; s=$?; times > "$CC_WB_TIMES_FILE"; exit $s', 'bash', ...step.argv], {
    cwd,
    env: { ...env, ...step.env, CC_WB_TIMES_FILE: timesFile },
    all: true,
    reject: false,
    stdin: 'ignore',
  });
  appendFileSync(log, r.all ?? '');
  const cpuMs = childCpuMs(timesFile);
  if (r.exitCode !== 0) throw new StepFailed(step, r.exitCode, r.all ?? '', cwd);
  return cpuMs;
}

/** Parses the children line of bash's `times` ("0m1.234s 0m0.056s"). */
function childCpuMs(timesFile: string): number {
  try {
    const lines = readFileSync(timesFile, 'utf8').trim().split('\n');
    const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[1] ?? '');
    if (!m) return 0;
    return Math.round((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000);
  } catch {
    return 0;
  }
}

/** $(CC) for a build: the compiler behind the logging front. */
export function ccValue(compiler: Compiler): string {
  return ['bash', cclogScript, ...compiler.words].map(shellWord).join(' ');
}

function buildEnv(dir: string): Record<string, string> {
  return { LC_ALL: 'C', CC_WB_REPORT: join(dir, 'report.jsonl'), CC_WB_CMDLOG: join(dir, 'cmdlog'), MAKEFLAGS: '' };
}

/** Builds of other keys, once nobody can still be using them (an hour old), or unfinished ones. */
function removeStaleBuilds(base: string, keep: string): void {
  if (!existsSync(base)) return;
  for (const name of readdirSync(base)) {
    const d = join(base, name);
    if (d === keep) continue;
    let age = Infinity;
    try {
      age = Date.now() - statSync(join(d, 'build.json')).mtimeMs;
    } catch {
      // no stamp: a failed or interrupted build
      age = Date.now() - statSync(d).mtimeMs > 3_600_000 ? Infinity : 0;
    }
    if (age > 3_600_000) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * Builds `project` with `compiler`, or reuses the identical earlier build (same source, recipe and
 * compiler fingerprint; CC_WB_REBUILD=1 forces a new one). Throws StepFailed when a step fails.
 */
export async function buildProject(project: Project, compiler: Compiler): Promise<BuildResult> {
  const src = await fetchDebianSource(project.source);
  const key = createHash('sha256')
    .update(JSON.stringify([project.name, src.version, src.appliedPatches, RECIPE_VERSION, project.build('$CC'), compiler.words, compiler.fingerprint()]))
    .digest('hex');
  // One directory per key: a build made for a changed compiler never pulls the tree from under a
  // reader (another test file running the oracle or a check) of the previous one.
  const base = join(cacheRoot(), 'build', `${project.name}-${compiler.label}`);
  const dir = join(base, key.slice(0, 16));
  const stampPath = join(dir, 'build.json');
  return withLock(`${base}.lock`, async () => {
    if (existsSync(stampPath) && !process.env.CC_WB_REBUILD) {
      const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as BuildResult & { key: string };
      if (stamp.key === key) {
        return { ...stamp, steps: stamp.steps ?? [], commands: readCompileLog(join(dir, 'cmdlog'), compiler.words.length), reused: true };
      }
    }
    removeStaleBuilds(base, dir);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'cmdlog'), { recursive: true });
    const tree = join(dir, 'tree');
    cpSync(src.dir, tree, { recursive: true });
    const log = join(dir, 'build.log');
    writeFileSync(log, `# ${project.name} ${src.version} with ${compiler.label} (${compiler.words.join(' ')})\n`);
    writeFileSync(join(dir, 'report.jsonl'), '');
    const env = buildEnv(dir);
    const started = performance.now();
    const steps = await runSteps(project.build(ccValue(compiler)), tree, env, log);
    const buildMs = Math.round(performance.now() - started);
    const buildCpuMs = steps.reduce((n, t) => n + t.cpuMs, 0);
    const missing = project.artifacts.filter((a) => !existsSync(join(tree, a)));
    if (missing.length) throw new Error(`${project.name} with ${compiler.label}: build finished without ${missing.join(', ')} (see ${log})`);
    const result: BuildResult = {
      project: project.name,
      compiler: compiler.label,
      version: src.version,
      dir: tree,
      buildMs,
      buildCpuMs,
      steps,
      log,
      report: join(dir, 'report.jsonl'),
      commands: [],
      reused: false,
    };
    writeFileSync(stampPath, JSON.stringify({ ...result, key }, null, 2));
    return { ...result, commands: readCompileLog(join(dir, 'cmdlog'), compiler.words.length) };
  });
}

export interface CheckResult {
  ok: boolean;
  output: string;
  ms: number;
}

/** Runs the project's own test suite in a finished build tree. */
export async function checkProject(project: Project, build: BuildResult, compiler: Compiler): Promise<CheckResult> {
  const root = join(build.dir, '..');
  return withLock(`${root}.lock`, async () => {
    const log = join(root, 'check.log');
    writeFileSync(log, '');
    const started = performance.now();
    try {
      await runSteps(project.check(ccValue(compiler)), build.dir, buildEnv(root), log);
      return { ok: true, output: readFileSync(log, 'utf8'), ms: Math.round(performance.now() - started) };
    } catch (e) {
      if (!(e instanceof StepFailed)) throw e;
      return { ok: false, output: `${readFileSync(log, 'utf8')}\n${e.message}`, ms: Math.round(performance.now() - started) };
    }
  });
}

export interface RunResult {
  /** Exactly the bytes the program wrote. */
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | undefined;
  ms: number;
}

/** Runs a program of a build tree (e.g. src/lua) with arguments, capturing its output byte for byte. */
export async function runIn(build: BuildResult, program: string, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  const started = performance.now();
  const r = await execa(join(build.dir, program), args, {
    cwd: build.dir,
    reject: false,
    stdin: 'ignore',
    encoding: 'buffer',
    stripFinalNewline: false,
    timeout: timeoutMs,
    env: { LC_ALL: 'C' },
  });
  return { stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), exitCode: r.exitCode, ms: Math.round(performance.now() - started) };
}
