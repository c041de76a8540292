// Running the real compiler: argument arrays only (no shell), private temp dirs removed on every
// way out. Everything here works on an Invocation (invocation.ts): one cc-wb command's cwd,
// environment, stdio and children, so that the command-line driver and the drive server (many
// commands at once in one process) share the code.
//
// node:child_process rather than execa: execa 9's module graph costs ~100 ms to import on this
// machine (measured: `await import('execa')`), more than the whole `cc -c` of a small file, and make
// starts cc-wb once per file. spawn() with an array and `shell: false` gives the same guarantee.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import type { Invocation } from './invocation.js';

export interface RunResult {
  code: number; // exit status, or 128 + signal number when killed (what a shell reports)
  signal?: NodeJS.Signals;
  stderr?: Buffer; // when captured
}

/** Writes to the command's stderr (or stdout with fd 1). */
export function say(inv: Invocation, text: string | Buffer, fd: 1 | 2 = 2): void {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  if (buf.length > 0) inv.write(fd, buf);
}

/** Set in the environment of the real compiler: if it starts cc-wb again, the configuration loops. */
export const NESTED_ENV = 'CC_WB_NESTED';

/** A compiler run was ended by a signal: the command ends the same way (make reports "killed by signal"). */
export class KilledBySignal extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`killed by ${signal}`);
  }
}

function usableDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The directory for temporary files, chosen as gcc (libiberty's choose_tmpdir) chooses it: the first
 * writable directory of $TMPDIR, $TMP, $TEMP, /tmp, /var/tmp, /usr/tmp, the current directory.
 * Absolute (relative names are the command's cwd's).
 */
export function tempRoot(env: NodeJS.ProcessEnv, cwd: string): string {
  const candidates = [env.TMPDIR, env.TMP, env.TEMP, '/tmp', '/var/tmp', '/usr/tmp', '.'];
  for (const c of candidates) if (c !== undefined && c !== '' && usableDir(resolve(cwd, c))) return resolve(cwd, c);
  return cwd;
}

/** A fresh private (0700) directory, removed when the command ends, however it ends. */
export function makeTempDir(inv: Invocation): string {
  const dir = mkdtempSync(join(tempRoot(inv.env, inv.cwd), 'cc-wb-'));
  inv.tempDirs.add(dir);
  return dir;
}

export function removeTempDir(inv: Invocation, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  inv.tempDirs.delete(dir);
}

export function removeTempDirs(inv: Invocation): void {
  for (const dir of inv.tempDirs) rmSync(dir, { recursive: true, force: true });
  inv.tempDirs.clear();
}

/** Stops the command's running compilers (the command was interrupted): the signal they get. */
export function killChildren(inv: Invocation, signal: NodeJS.Signals): void {
  for (const child of inv.children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

/**
 * Runs `command[0] command[1..] args` in the command's cwd and environment and resolves when it has
 * exited and its output is drained. stdin/stdout/stderr are the command's (stdin is `stdin`
 * instead when given; stderr comes back in the result with `captureStderr`). A command that has
 * been interrupted starts nothing more: the run ends as if killed by that signal.
 */
export function run(inv: Invocation, command: readonly string[], args: readonly string[], options: { captureStderr?: boolean; stdin?: Buffer } = {}): Promise<RunResult> {
  const [file, ...prefix] = command;
  if (inv.interrupted !== undefined) {
    return Promise.resolve({ code: 128 + signalNumber(inv.interrupted), signal: inv.interrupted });
  }
  return new Promise((resolvePromise) => {
    let settled = false;
    const settle = (r: RunResult) => {
      if (settled) return;
      settled = true;
      inv.children.delete(proc);
      resolvePromise(r);
    };
    const env = { ...inv.env, [NESTED_ENV]: '1' };
    const relay = inv.stdio === 'relay';
    const stdin = options.stdin !== undefined ? 'pipe' : relay ? 'ignore' : 'inherit';
    const stdout = relay ? 'pipe' : 'inherit';
    const stderr = options.captureStderr || relay ? 'pipe' : 'inherit';
    const proc = spawn(file!, [...prefix, ...args], { stdio: [stdin, stdout, stderr], shell: false, env, cwd: inv.cwd });
    inv.children.add(proc);
    // A compiler that stops reading early (an error) closes the pipe: that is not cc-wb's failure.
    proc.stdin?.on('error', () => {});
    proc.stdin?.end(options.stdin);
    const chunks: Buffer[] = [];
    proc.stdout?.on('data', (b: Buffer) => inv.write(1, b));
    proc.stderr?.on('data', (b: Buffer) => (options.captureStderr ? chunks.push(b) : inv.write(2, b)));
    proc.on('error', (err: NodeJS.ErrnoException) => {
      const message = Buffer.from(`cc-wb: error: cannot run '${file}': ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}\n`);
      if (!options.captureStderr) say(inv, message);
      settle({ code: err.code === 'ENOENT' ? 127 : 126, stderr: options.captureStderr ? message : undefined });
    });
    proc.on('close', (code, signal) => {
      const stderr = options.captureStderr ? Buffer.concat(chunks) : undefined;
      if (signal !== null) settle({ code: 128 + signalNumber(signal), signal, stderr });
      else settle({ code: code ?? 1, stderr });
    });
  });
}

export function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 1;
}
