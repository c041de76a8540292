// The resident pass: a process that keeps tree-sitter loaded and the pass's code optimised by V8,
// so a build that runs cc-wb once per file pays Node's start-up and the parse with cold code once per
// server instead of once per unit (a cold pass is 3-5x slower than a warm one on the same text).
//
// It is a pure function server: text in, instrumented text out. Everything with side effects (the
// real compiler, files, diagnostics, exit status) stays in the cc-wb process that make started, so
// cwd, environment, signals, jobserver and terminal behave exactly as without it.
//
// Started by passclient.ts (detached, one per slot); exits after CC_WB_SERVER_IDLE seconds without
// a request (default 120), after MAX_REQUESTS units (bounds any growth of the heap), after a unit
// that left it above RSS_BOUND resident (V8 keeps the heap a big unit grew; the next compile starts
// a fresh server), and on `stop`.
import { createServer, connect, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { instrumentPreprocessed } from '../instrument/index.js';
import { receive, send, type Header } from './passwire.js';
import { ensurePrivateDir, socketEntry } from './privatedir.js';

const MAX_REQUESTS = 2000;
/** Resident memory above which the server exits once it has answered (bytes; CC_WB_SERVER_RSS_MB). */
const RSS_BOUND = Math.max(16, Number(process.env.CC_WB_SERVER_RSS_MB) || 512) * 1024 * 1024;

function alive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** The client's "a server is starting" mark: gone once this one listens or gives way. */
function dropLock(): void {
  const lock = process.env.CC_WB_SERVER_LOCK;
  if (!lock) return;
  try {
    unlinkSync(lock);
  } catch {
    // already gone
  }
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write('usage: passserver SOCKET\n');
    process.exit(2);
  }
  const idleMs = Math.max(1, Number(process.env.CC_WB_SERVER_IDLE ?? 120)) * 1000;
  // The socket and anything else made here is for this user only; the folder's checks are the
  // client's (privatedir.ts), repeated because the folder could have changed since.
  process.umask(0o077);
  if (!ensurePrivateDir(dirname(path))) {
    dropLock();
    process.exit(0);
  }
  const entry = socketEntry(path);
  if (entry === 'foreign') {
    dropLock();
    return; // not ours to use or to remove
  }
  if (entry !== 'missing') {
    if (entry === 'own-socket' && (await alive(path))) {
      dropLock();
      return; // another server got there first
    }
    try {
      unlinkSync(path); // left by a server that was killed
    } catch {
      // someone else removed it
    }
  }

  let requests = 0;
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const server = createServer();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (idle) clearTimeout(idle);
    server.close();
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  const armIdle = (): void => {
    if (finished) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => {
      if (open === 0) finish();
      else armIdle();
    }, idleMs);
  };

  server.on('connection', (socket: Socket) => {
    open++;
    armIdle();
    socket.on('close', () => {
      open--;
    });
    socket.on('error', () => socket.destroy());
    // A client that connects and never finishes its request must not keep the server up forever.
    socket.setTimeout(idleMs, () => socket.destroy());
    receive(socket, (header: Header, body: Buffer) => {
      if (header.op === 'pass') {
        requests++;
        let reply: Header;
        let code: Buffer;
        try {
          const result = instrumentPreprocessed(body.toString('utf8'), { fileName: String(header.fileName ?? '') });
          const { code: text, ...rest } = result;
          reply = { op: 'pass', result: rest };
          code = Buffer.from(text, 'utf8');
        } catch (err) {
          reply = { op: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
          code = Buffer.alloc(0);
        }
        send(socket, reply, code);
        socket.end();
        if (requests >= MAX_REQUESTS || process.memoryUsage.rss() > RSS_BOUND) finish();
      } else if (header.op === 'stats') {
        const cpu = process.cpuUsage();
        send(socket, { op: 'stats', cpuMs: (cpu.user + cpu.system) / 1000, requests, pid: process.pid });
        socket.end();
      } else if (header.op === 'stop') {
        send(socket, { op: 'stopped' });
        socket.end();
        finish();
      } else {
        send(socket, { op: 'error', message: `unknown request '${header.op}'` });
        socket.end();
      }
    });
  });
  server.on('error', (err: NodeJS.ErrnoException) => {
    // EADDRINUSE: a twin started at the same moment and won; anything else: the client copes.
    if (err.code !== 'EADDRINUSE') process.stderr.write(`cc-wb pass server: ${err.message}\n`);
    dropLock();
    process.exit(0);
  });
  server.listen(path, () => {
    dropLock();
    armIdle();
  });
}

await main();
