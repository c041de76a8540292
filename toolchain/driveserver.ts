// The drive server: answers a native launcher's whole cc-wb command (launcher/cc-wb-launch.c) so
// that a compile starts no Node process. It runs inside the pass server (passserver.ts), with the
// pass in the same process, several commands at once: each gets its own Invocation (cwd,
// environment, terminals, children, temp dirs); compilers' output and the exit status go back as
// frames (drivewire.ts) that the launcher writes to its own fds and exits with.
//
// Exactness is never traded for speed: a command the command-line driver would run differently
// here (stdin, compilers that write to a terminal, -v, response files, a runtime still to build, a
// different umask, code changed on disk since the server started ...) gets a 'f' answer and the
// launcher runs the Node driver instead.
import { statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import { builtRuntime } from './bin/runtime-archives.js';
import { drive, type Outcome } from './driver.js';
import { decodeRequest, frame, frameReader, HEADER_BYTES, requestLength, u32Frame, type DriveRequest } from './drivewire.js';
import { CannotServe, type Invocation } from './invocation.js';
import { killChildren, removeTempDirs, signalNumber } from './run.js';

export interface DriveServerOptions {
  /** The umask compilers run with here; a launcher with another one is not served. */
  umask: number;
  /** Whether the code on disk is still the code this server runs. */
  current(): boolean;
  /** How long a launcher may take to send its whole request (a command may then run for hours). */
  requestTimeoutMs: number;
  /** Called when a request has been answered, run here or declined (counts, the memory bound). */
  answered(served: boolean): void;
}

const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The command's environment, or undefined when an entry is not NAME=value. */
function environment(entries: Buffer[]): NodeJS.ProcessEnv | undefined {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of entries) {
    const text = entry.toString('utf8');
    const eq = text.indexOf('=');
    if (eq <= 0) return undefined;
    const name = text.slice(0, eq);
    if (!(name in env)) env[name] = text.slice(eq + 1); // getenv() sees the first of duplicates
  }
  return env;
}

/** Why this request must go to the command-line driver, or undefined when it can be served. */
function unservable(r: DriveRequest, opts: DriveServerOptions): string | undefined {
  if (!opts.current()) return 'the code on disk changed';
  if (r.umask !== opts.umask) return 'another umask';
  if (!isUtf8(r.cwd) || r.args.some((a) => !isUtf8(a))) return 'words that are not UTF-8';
  if (!isDirectory(r.cwd.toString('utf8'))) return 'no working directory';
  return undefined;
}

/** Serves one launcher connection. */
export function serveDrive(socket: Socket, opts: DriveServerOptions): void {
  let received: Buffer = Buffer.alloc(0);
  let inv: Invocation | undefined;
  let done = false;
  let wrote = false;
  const send = (b: Buffer): void => {
    if (!socket.destroyed && socket.writable) socket.write(b);
  };
  // After the request, the launcher only ever sends 'k': it was interrupted by that signal.
  const onFrame = frameReader((kind, payload) => {
    if (kind !== 'k' || payload.length !== 4 || inv === undefined) return;
    interrupt(signalNames.get(payload.readUInt32LE(0)) ?? 'SIGTERM');
  });
  const interrupt = (signal: NodeJS.Signals): void => {
    if (inv === undefined || inv.interrupted !== undefined) return;
    inv.interrupted = signal;
    killChildren(inv, signal);
  };
  const finish = (outcome: Outcome | 'fallback'): void => {
    done = true;
    if (outcome === 'fallback') send(frame('f'));
    else if (outcome.signal !== undefined) send(u32Frame('s', signalNumber(outcome.signal)));
    else send(u32Frame('x', outcome.code));
    socket.end();
    opts.answered(outcome !== 'fallback');
  };

  const start = (r: DriveRequest): void => {
    const why = unservable(r, opts);
    const env = why === undefined ? environment(r.env) : undefined;
    const args = r.args.map((a) => a.toString('utf8'));
    const ready = env === undefined ? undefined : builtRuntime(args, env);
    if (ready === undefined) {
      finish('fallback');
      return;
    }
    const command: Invocation = {
      cwd: r.cwd.toString('utf8'),
      env: ready,
      tty: r.tty,
      write: (fd, bytes) => {
        wrote = true;
        send(frame(fd === 1 ? 'o' : 'e', bytes));
      },
      stdio: 'relay',
      served: true,
      children: new Set(),
      tempDirs: new Set(),
    };
    inv = command;
    drive(args, command).then(
      (outcome) => finish(outcome),
      (err: unknown) => {
        if (err instanceof CannotServe && !wrote) {
          finish('fallback');
          return;
        }
        // drive() turns every other error into a message; this is a defect in the server itself.
        command.write(2, Buffer.from(`cc-wb: internal error in the drive server: ${err instanceof Error ? err.message : String(err)}\n`));
        finish({ code: 1 });
      },
    ).finally(() => removeTempDirs(command));
  };

  socket.setTimeout(opts.requestTimeoutMs, () => {
    if (inv === undefined && !done) socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    if (inv !== undefined || done) {
      onFrame(chunk);
      return;
    }
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    if (received.length < HEADER_BYTES) return;
    const length = requestLength(received);
    if (typeof length === 'string') {
      finish('fallback'); // an older or newer launcher: it runs the command itself
      return;
    }
    if (received.length < HEADER_BYTES + length) return;
    const request = decodeRequest(received.subarray(HEADER_BYTES, HEADER_BYTES + length));
    const rest = received.subarray(HEADER_BYTES + length);
    received = Buffer.alloc(0);
    if (request === undefined) {
      finish('fallback');
      return;
    }
    socket.setTimeout(0);
    start(request);
    if (rest.length > 0) onFrame(rest);
  });
  // A launcher that went away (killed, make interrupted): its compilers stop, its files go.
  socket.on('close', () => {
    if (!done) interrupt('SIGTERM');
  });
  socket.on('error', () => socket.destroy());
}
