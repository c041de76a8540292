// Shared by the cc-wb driver tests: run the built driver (and plain gcc) in scratch directories.
import { execa, type Options } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CCWB = join(root, 'toolchain', 'bin', 'cc-wb.js');
export const RUNTIME = join(root, 'runtime-c', 'build', 'libwbrt.a');
export const RUNTIME_PIC = join(root, 'runtime-c', 'build', 'libwbrt_pic.a');

/** The driver runs from dist/ and links runtime-c/build/: both must exist (npm test builds them). */
export async function requireBuilt(): Promise<void> {
  await execa('make', ['-s', '-C', join(root, 'runtime-c')]);
  const driver = join(root, 'dist', 'toolchain', 'driver.js');
  if (!existsSync(driver)) throw new Error(`${driver} is missing: run 'npm run build' (npx tsc -p .) first`);
  for (const src of readdirSync(join(root, 'toolchain')).filter((f) => f.endsWith('.ts'))) {
    const built = join(root, 'dist', 'toolchain', src.replace(/\.ts$/, '.js'));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(root, 'toolchain', src)).mtimeMs) {
      throw new Error(`${built} is older than toolchain/${src}: run 'npm run build' first`);
    }
  }
}

/** A private TMPDIR for the driver: after the tests it must hold no cc-wb-* directory. */
export const driverTmp = mkdtempSync(join(tmpdir(), 'cc-wb-test-tmp-'));

const scratchDirs: string[] = [];

/** A fresh directory for one test; removed by removeScratch() (kept if CC_WB_TEST_KEEP is set). */
export function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cc-wb-test-${name}-`));
  scratchDirs.push(dir);
  return dir;
}

export function removeScratch(): void {
  if (process.env.CC_WB_TEST_KEEP) return;
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (path → text) under dir, creating directories. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Every file under dir, relative, sorted. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

export function read(dir: string, path: string): string {
  return readFileSync(join(dir, path), 'utf8');
}

export interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
  signal?: string;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: driverTmp, LC_ALL: 'C' };
  for (const k of Object.keys(env)) if (k.startsWith('CC_WB_')) delete env[k];
  return env;
};

export async function ccwb(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string } & Pick<Options, 'timeout'>): Promise<Ran> {
  const r = await execa(CCWB, args, { cwd: opts.cwd, env: { ...baseEnv(), ...opts.env }, extendEnv: false, reject: false, input: opts.input ?? '', stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), signal: r.signal ?? undefined };
}

export async function gcc(args: string[], opts: { cwd: string; input?: string; command?: string }): Promise<Ran> {
  const r = await execa(opts.command ?? 'gcc', args, { cwd: opts.cwd, env: { ...baseEnv() }, extendEnv: false, reject: false, input: opts.input ?? '', stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function sh(script: string, opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  const r = await execa('sh', ['-ec', script], { cwd: opts.cwd, env: { ...baseEnv(), ...opts.env }, extendEnv: false, reject: false, stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * A compiler front that records each argv (NUL-separated, one file per call) in $LOGDIR and then
 * runs the rest of its command line: shows exactly what cc-wb asked the real compiler to do.
 */
export function argvLogger(dir: string, name = 'logcc'): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/bash\nprintf '%s\\0' "$@" > "$LOGDIR/call.\${EPOCHREALTIME/[.,]/}.$$"\nexec "$@"\n`);
  chmodSync(path, 0o755);
  mkdirSync(join(dir, 'log'), { recursive: true });
  return path;
}

/** The calls argvLogger recorded, in order. */
export function loggedCalls(dir: string): string[][] {
  const logdir = join(dir, 'log');
  return readdirSync(logdir)
    .sort()
    .map((f) => readFileSync(join(logdir, f), 'utf8').split('\0').slice(0, -1));
}

/** Symbols an object or library defines (T/D/B...), by `nm`. */
export async function definedSymbols(file: string): Promise<string[]> {
  const r = await execa('nm', ['--defined-only', '-P', file], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
}

export async function undefinedSymbols(file: string): Promise<string[]> {
  const r = await execa('nm', ['--undefined-only', '-P', file], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
}
