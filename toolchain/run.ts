// Running the real compiler: argument arrays only (no shell), stdio inherited so its output, colours
// and exit status reach make unchanged, private temp dirs removed on every way out.
//
// node:child_process rather than execa: execa 9's module graph costs ~100 ms to import on this
// machine (measured: `await import('execa')`), more than the whole `cc -c` of a small file, and make
// starts cc-wb once per file. spawn() with an array and `shell: false` gives the same guarantee.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, mkdtempSync, rmSync, statSync, writeSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  code: number; // exit status, or 128 + signal number when killed (what a shell reports)
  signal?: NodeJS.Signals;
  stderr?: Buffer; // when captured
}

/**
 * Writes to stderr (fd 2) directly: process.stderr would load Node's stream machinery, a few ms of
 * start-up that every cc-wb call would pay.
 */
export function say(text: string | Buffer, fd = 2): void {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  for (let done = 0; done < buf.length; ) {
    try {
      done += writeSync(fd, buf, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // stderr closed: nothing to tell
    }
  }
}

/** Set in the environment of the real compiler: if it starts cc-wb again, the configuration loops. */
export const NESTED_ENV = 'CC_WB_NESTED';

const tempDirs = new Set<string>();
let child: ChildProcess | undefined;
let handlersInstalled = false;

function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // The compiler usually got the same signal from the terminal; a signal sent to cc-wb alone
  // (make's kill, a timeout) must still stop it before the temp files go.
  if (child !== undefined && child.exitCode === null) child.kill(signal);
  removeTempDirs();
  dieBySignal(signal);
}

/** Ends this process the way the signal would have, so make reports "killed by signal". */
export function dieBySignal(signal: NodeJS.Signals): never {
  removeTempDirs();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.removeAllListeners(s);
  process.kill(process.pid, signal);
  // The default action may land on another thread a moment later; wait for it rather than race it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  process.exit(128 + signalNumber(signal)); // an ignored signal (e.g. nohup) still ends cc-wb
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(s, onSignal);
  process.on('exit', removeTempDirs);
}

function usableDir(dir: string | undefined): dir is string {
  if (dir === undefined || dir === '') return false;
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
 */
export function tempRoot(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.TMPDIR, env.TMP, env.TEMP, tmpdir(), '/tmp', '/var/tmp', '/usr/tmp', '.'];
  return candidates.find(usableDir) ?? '.';
}

/** A fresh private (0700) directory, removed at exit, on failure and on SIGINT/SIGTERM/SIGHUP/SIGQUIT. */
export function makeTempDir(): string {
  installHandlers();
  const dir = mkdtempSync(join(tempRoot(), 'cc-wb-'));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Runs `command[0] command[1..] args` and resolves when it has exited and its output is drained.
 * stdin/stdout are inherited (stdin is `stdin` instead when given); stderr too, unless `captureStderr`
 * (then it comes back in the result).
 */
export function run(command: readonly string[], args: readonly string[], options: { captureStderr?: boolean; stdin?: Buffer } = {}): Promise<RunResult> {
  installHandlers();
  const [file, ...prefix] = command;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: RunResult) => {
      if (settled) return;
      settled = true;
      child = undefined;
      resolve(r);
    };
    const env = { ...process.env, [NESTED_ENV]: '1' };
    const stdin = options.stdin === undefined ? 'inherit' : 'pipe';
    const proc = spawn(file!, [...prefix, ...args], { stdio: [stdin, 'inherit', options.captureStderr ? 'pipe' : 'inherit'], shell: false, env });
    child = proc;
    // A compiler that stops reading early (an error) closes the pipe: that is not cc-wb's failure.
    proc.stdin?.on('error', () => {});
    proc.stdin?.end(options.stdin);
    const chunks: Buffer[] = [];
    proc.stderr?.on('data', (b: Buffer) => chunks.push(b));
    proc.on('error', (err: NodeJS.ErrnoException) => {
      const message = Buffer.from(`cc-wb: error: cannot run '${file}': ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}\n`);
      if (!options.captureStderr) say(message);
      settle({ code: err.code === 'ENOENT' ? 127 : 126, stderr: options.captureStderr ? message : undefined });
    });
    proc.on('close', (code, signal) => {
      const stderr = options.captureStderr ? Buffer.concat(chunks) : undefined;
      if (signal !== null) settle({ code: 128 + signalNumber(signal), signal, stderr });
      else settle({ code: code ?? 1, stderr });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 1;
}
