// The resident pass: a process that keeps tree-sitter loaded and the pass's code optimised by V8,
// so a build that runs cc-wb once per file pays Node's start-up and the parse with cold code once per
// server instead of once per unit (a cold pass is 3-5x slower than a warm one on the same text).
//
// On its pass socket it is a pure function server: text in, instrumented text out, for a cc-wb
// process that make started (the Node driver). On its drive socket it runs whole cc-wb commands for
// the native launcher (driveserver.ts), with each command's own cwd, environment and stdio.
//
// Started by passclient.ts (detached, one per slot); exits after CC_WB_SERVER_IDLE seconds without
// a request (default 120), after MAX_REQUESTS requests (bounds any growth of the heap), after a
// request that left it above RSS_BOUND resident (V8 keeps the heap a big unit grew; the next
// compile starts a fresh server), and on `stop`.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { instrumentPreprocessed } from '../instrument/index.js';
import { serveDrive } from './driveserver.js';
import { passDigest, receive, send, type Header } from './passwire.js';
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

/**
 * CPU time of the compilers this server ran for launchers and has reaped (milliseconds): the
 * cutime and cstime fields of /proc/self/stat, in USER_HZ (100 per second on Linux).
 */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
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
  // Several launchers' commands run here at once: a defect in one must not end the others.
  process.on('unhandledRejection', () => {});
  const path = process.argv[2];
  const drivePath = process.argv[3];
  if (!path) {
    process.stderr.write('usage: passserver SOCKET [DRIVE-SOCKET]\n');
    process.exit(2);
  }
  const digest = passDigest();
  const idleMs = Math.max(1, Number(process.env.CC_WB_SERVER_IDLE ?? 120)) * 1000;
  // The socket and anything else made here is for this user only; the folder's checks are the
  // client's (privatedir.ts), repeated because the folder could have changed since.
  // The commands it drives create files with the umask of the compile that started it (a launcher
  // with another one is not served).
  const userMask = process.umask(0o077);
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
  /** Launchers' commands run here, and those answered 'fall back'. */
  let driven = 0;
  let declined = 0;
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const server = createServer();
  let driveServer: Server | undefined;
  let driveIno: number | undefined;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (idle) clearTimeout(idle);
    server.close();
    driveServer?.close();
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    // A newer server may have taken the drive socket's name over: remove only our own.
    try {
      if (drivePath && driveIno !== undefined && lstatSync(drivePath).ino === driveIno) unlinkSync(drivePath);
    } catch {
      // already gone
    }
  };
  const afterRequest = (): void => {
    if (requests >= MAX_REQUESTS || process.memoryUsage.rss() > RSS_BOUND) finish();
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
        afterRequest();
      } else if (header.op === 'stats') {
        const cpu = process.cpuUsage();
        const childMs = childrenCpuMs();
        send(socket, { op: 'stats', cpuMs: (cpu.user + cpu.system) / 1000 + childMs, childCpuMs: childMs, requests, driven, declined, pid: process.pid });
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
    if (drivePath) listenForLaunchers(drivePath);
    else process.umask(userMask);
  });

  /**
   * The launchers' socket. This server owns its slot's pass socket, so it is the current server of
   * the slot: it takes the name over from an older one (whose code may differ), never from
   * another user.
   */
  const listenForLaunchers = (at: string): void => {
    const entry = socketEntry(at);
    if (entry === 'foreign') {
      process.umask(userMask);
      return;
    }
    if (entry !== 'missing') {
      try {
        unlinkSync(at);
      } catch {
        // someone else removed it
      }
    }
    const drive = createServer();
    driveServer = drive;
    drive.on('connection', (socket: Socket) => {
      open++;
      requests++;
      armIdle();
      socket.on('close', () => {
        open--;
      });
      serveDrive(socket, {
        umask: userMask,
        requestTimeoutMs: idleMs,
        current: () => !finished && passDigest() === digest,
        answered: (served) => {
          if (served) driven++;
          else declined++;
          afterRequest();
        },
      });
    });
    drive.on('error', () => {
      // the pass socket still serves; launchers fall back to the Node driver
      process.umask(userMask);
    });
    drive.listen(at, () => {
      process.umask(userMask);
      try {
        driveIno = lstatSync(at).ino;
      } catch {
        // removed at once: launchers will not find it
      }
      if (finished) finish();
    });
  };
}

await main();
