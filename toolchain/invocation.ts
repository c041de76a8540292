// One cc-wb command's world: where it runs, the environment it was given, what its stdio is, and
// what it has started. The command-line driver has one per process (cliInvocation); the drive
// server (driveserver.ts) makes one per request, several at a time in one process, so nothing the
// driver does may read process.cwd(), process.env or process-wide signal state.
import type { ChildProcess } from 'node:child_process';
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { killChildren, removeTempDirs, signalNumber } from './run.js';

export interface Invocation {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether the command's fds 0, 1, 2 are terminals. */
  tty: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Writes to the command's stdout (1) or stderr (2). */
  write(fd: 1 | 2, bytes: Buffer): void;
  /**
   * 'inherit': compilers get the command's own stdio (a process of its own);
   * 'relay': they get pipes whose output goes through write() (a server answering for a client).
   */
  stdio: 'inherit' | 'relay';
  /** Served for a launcher: a command that could not be served exactly throws CannotServe. */
  served: boolean;
  children: Set<ChildProcess>;
  tempDirs: Set<string>;
  /** Set when the command was interrupted: compilers were killed with it and no more start. */
  interrupted?: NodeJS.Signals;
}

/** A served command that only the command-line driver can run exactly: the launcher runs that instead. */
export class CannotServe extends Error {}

/** Writes all of buf to fd, synchronously (process.stderr would load Node's stream machinery). */
function writeAll(fd: number, buf: Buffer): void {
  for (let done = 0; done < buf.length; ) {
    try {
      done += writeSync(fd, buf, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // closed: nothing to tell
    }
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Ends this process the way the signal would have, so make reports "killed by signal". */
export function dieBySignal(inv: Invocation, signal: NodeJS.Signals): never {
  removeTempDirs(inv);
  for (const s of SIGNALS) process.removeAllListeners(s);
  process.kill(process.pid, signal);
  // The default action may land on another thread a moment later; wait for it rather than race it.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  process.exit(128 + signalNumber(signal)); // an ignored signal (e.g. nohup) still ends cc-wb
}

/**
 * The command this process was started for. A signal sent to cc-wb (the terminal's, make's kill, a
 * timeout) stops its compiler with the same signal, removes the temp files and ends cc-wb by it.
 */
export function cliInvocation(env: NodeJS.ProcessEnv = process.env): Invocation {
  const inv: Invocation = {
    cwd: process.cwd(),
    env,
    tty: { stdin: isatty(0), stdout: isatty(1), stderr: isatty(2) },
    write: (fd, bytes) => writeAll(fd, bytes),
    stdio: 'inherit',
    served: false,
    children: new Set(),
    tempDirs: new Set(),
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    inv.interrupted = signal;
    killChildren(inv, signal);
    dieBySignal(inv, signal);
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', () => removeTempDirs(inv));
  return inv;
}
