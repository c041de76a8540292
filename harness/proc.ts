// Process running for the harness, on execa: argument arrays only (never a shell string), a hard
// timeout that kills the whole process group (test programs and build tools may fork), and bounded
// output capture so a runaway program cannot exhaust the harness's memory.
import { closeSync, openSync } from 'node:fs';
import { execa, type Options } from 'execa';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Bytes kept of each of stdout and stderr; the rest is read and dropped (the program is not stopped). */
  maxOutput?: number;
  /** Send stdout and stderr, interleaved, to this file (appending) instead of capturing them. */
  logFile?: string;
  /** Receives stdout as it comes, instead of capturing it (output too large to hold: clang's AST dumps). */
  onStdout?: (chunk: Buffer) => void;
  /** Aborting kills the process group: a consumer of onStdout that has seen enough, or failed. */
  signal?: AbortSignal;
}

export interface RunResult {
  /** Exit status, or null when the process died of a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Keeps the first `max` bytes of a stream and counts (drops) the rest. */
function capture(stream: NodeJS.ReadableStream | null, max: number): () => string {
  const kept: Buffer[] = [];
  let length = 0;
  stream?.on('data', (chunk: Buffer) => {
    if (length < max) kept.push(chunk.subarray(0, max - length));
    length += chunk.length;
  });
  return () => Buffer.concat(kept).toString('utf8');
}

export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const maxOutput = options.maxOutput ?? 1 << 20;
  const started = Date.now();
  // With a log file, the child writes both streams to one descriptor of it, so they interleave as
  // they would on a terminal. execa hands any descriptor number to the child, though its types list
  // only the standard ones.
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const log = (logFd ?? 'pipe') as Options['stdout'];
  const opts: Options = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: log,
    stderr: log as Options['stderr'],
    // Own process group, so a timeout kills grandchildren too (make, shells, test drivers).
    detached: true,
    // Output is captured here, bounded, instead of by execa (whose maxBuffer stops the program).
    buffer: false,
    encoding: 'buffer',
    reject: false,
  };
  const child = execa(argv[0]!, argv.slice(1), opts);
  if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
  if (child.pid !== undefined) live.add(child.pid);
  const logged = options.logFile !== undefined;
  const stdout = capture(logged || options.onStdout ? null : child.stdout, maxOutput);
  if (options.onStdout) child.stdout?.on('data', options.onStdout);
  const abort = (): void => killGroup(child.pid);
  options.signal?.addEventListener('abort', abort);
  const stderr = capture(logged ? null : child.stderr, maxOutput);
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killGroup(child.pid);
        }, options.timeoutMs);
  const r = await child;
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener('abort', abort);
  if (child.pid !== undefined) live.delete(child.pid);
  // Stragglers that kept the pipes open are gone by now, but a daemonised grandchild is not.
  killGroup(child.pid);
  const notStarted = r.failed && r.exitCode === undefined && r.signal === undefined;
  return {
    code: r.exitCode ?? null,
    signal: r.signal ?? null,
    timedOut,
    stdout: stdout(),
    stderr: stderr(),
    ms: Date.now() - started,
    spawnError: notStarted ? r.originalMessage : undefined,
  };
}

const live = new Set<number>();

/** Kills every process group this module started and has not reaped yet (for Ctrl-C). */
export function killAllRunning(): void {
  for (const pid of live) killGroup(pid);
  live.clear();
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Splits a command given as one string ("node /x/cc-wb.js", "ccache gcc") into argv; quotes allowed. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in command: ${command}`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw new Error('empty compiler command');
  return words;
}

/** Describes how a process ended, for tables and JSON: "exit 1", "SIGABRT", "timeout after 10 s". */
export function describeEnd(r: RunResult, timeoutMs?: number): string {
  if (r.spawnError) return `cannot start: ${r.spawnError}`;
  if (r.timedOut) return `timeout after ${Math.round((timeoutMs ?? r.ms) / 1000)} s`;
  if (r.signal) return r.signal;
  return `exit ${r.code}`;
}
