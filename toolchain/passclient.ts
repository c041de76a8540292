// cc-wb's side of the resident pass (passserver.ts). Every failure here is silent and costs only
// speed: the caller then runs the pass in its own process, exactly as with CC_WB_SERVER=0.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InstrumentResult } from '../instrument/index.js';
import { driveSocketPath, packageIdOf } from './drivewire.js';
import { passDigest, receive, send, socketPath, type Header } from './passwire.js';
import { ensurePrivateDir, privateServerDir, socketEntry } from './privatedir.js';

type Env = NodeJS.ProcessEnv;

const here = dirname(fileURLToPath(import.meta.url));
const serverScript = join(here, 'passserver.js');

/** This package's id in drive socket names (the launcher derives it from its own location). */
function packageId(): string {
  return packageIdOf(realpathSync(join(here, '..', '..')));
}

/** One request, one reply, or undefined on any error or after timeoutMs. */
function ask(path: string, header: Header, body: Buffer | undefined, timeoutMs: number): Promise<{ header: Header; body: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect(path);
    let done = false;
    const finish = (r: { header: Header; body: Buffer } | { error: string }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: 'ETIMEDOUT' }), timeoutMs);
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    socket.on('close', () => finish({ error: 'ECLOSED' }));
    socket.on('connect', () => send(socket, header, body));
    receive(socket, (h, b) => finish({ header: h, body: Buffer.from(b) }));
  });
}

/** Starts the server for this slot unless one is being started (a burst of parallel compiles). */
function startServer(path: string, drivePath: string, env: Env): void {
  const lock = path + '.starting';
  try {
    if (Date.now() - statSync(lock).mtimeMs < 15_000) return;
    unlinkSync(lock);
  } catch {
    // no lock yet
  }
  try {
    closeSync(openSync(lock, 'wx', 0o600));
  } catch {
    return; // a sibling compile is starting it (or the folder cannot be made: no server then)
  }
  // A daemon holds no user's folder as its cwd: the commands it drives name theirs.
  const child = spawn(process.execPath, [serverScript, resolve(path), resolve(drivePath)], { cwd: '/', detached: true, stdio: 'ignore', env: { ...env, CC_WB_SERVER_LOCK: resolve(lock) } });
  child.on('error', () => {});
  child.unref();
}

function slots(env: Env): number {
  const n = Number(env.CC_WB_SERVER_SLOTS);
  return Number.isInteger(n) && n > 0 ? n : Math.min(availableParallelism(), 8);
}

/**
 * The pass's result from a resident server, or undefined when there is none yet (one is then
 * started for the next unit), it failed, or the server is disabled (CC_WB_SERVER=0, or a pass
 * module of one's own in CC_WB_PASS_MODULE).
 */
export async function passViaServer(text: string, fileName: string, env: Env): Promise<InstrumentResult | undefined> {
  if (env.CC_WB_SERVER === '0' || env.CC_WB_PASS_MODULE) return undefined;
  let path: string;
  let drivePath: string;
  try {
    // A folder another user could write, or a socket another user made, is never used: the unit
    // would be disclosed and the code it sends back would run in the user's program.
    const dir = privateServerDir(env);
    if (dir === undefined) return undefined;
    const slot = process.pid % slots(env);
    path = socketPath(dir, passDigest(), slot);
    drivePath = driveSocketPath(dir, packageId(), slot);
  } catch {
    return undefined;
  }
  const entry = socketEntry(path);
  if (entry === 'foreign') return undefined;
  if (entry !== 'own-socket') {
    startServer(path, drivePath, env); // it replaces what a killed server may have left
    return undefined;
  }
  const timeoutMs = (Number(env.CC_WB_SERVER_TIMEOUT) || 600) * 1000;
  const r = await ask(path, { op: 'pass', fileName }, Buffer.from(text, 'utf8'), timeoutMs);
  if ('error' in r) {
    if (r.error === 'ENOENT' || r.error === 'ECONNREFUSED') startServer(path, drivePath, env);
    return undefined;
  }
  if (r.header.op !== 'pass') return undefined;
  const rest = r.header.result as Omit<InstrumentResult, 'code'>;
  return { ...rest, code: r.body.toString('utf8') };
}

export interface ServerUsage {
  servers: number;
  requests: number;
  /** Launchers' commands the servers ran, and those they sent back to the Node driver. */
  driven: number;
  declined: number;
  cpuMs: number;
  /** Each server's CPU so far (its own and that of the compilers it ran for launchers), by process id. */
  cpuMsByPid: Map<number, number>;
  /** Each server's launcher commands run, by the name of its pass socket. */
  drivenBySocket: Map<string, number>;
}

/**
 * The CPU the servers whose sockets are in dir have used so far (cumulative, per server since it
 * started), and with `stop` set, stops them: a build measured for its CPU time must count the work
 * its compiles handed to the servers.
 */
export async function serverUsage(dir: string, stop = false): Promise<ServerUsage> {
  const usage: ServerUsage = { servers: 0, requests: 0, driven: 0, declined: 0, cpuMs: 0, cpuMsByPid: new Map(), drivenBySocket: new Map() };
  let names: string[];
  try {
    if (!ensurePrivateDir(dir)) return usage;
    names = readdirSync(dir).filter((f) => f.startsWith('pass-') && f.endsWith('.sock'));
  } catch {
    return usage;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (socketEntry(path) !== 'own-socket') continue;
    const stats = await ask(path, { op: 'stats' }, undefined, 10_000);
    if ('error' in stats) continue;
    usage.servers++;
    usage.requests += Number(stats.header.requests ?? 0);
    usage.driven += Number(stats.header.driven ?? 0);
    usage.declined += Number(stats.header.declined ?? 0);
    usage.cpuMs += Number(stats.header.cpuMs ?? 0);
    usage.cpuMsByPid.set(Number(stats.header.pid), Number(stats.header.cpuMs ?? 0));
    usage.drivenBySocket.set(name, Number(stats.header.driven ?? 0));
    if (stop) await ask(path, { op: 'stop' }, undefined, 10_000);
  }
  return usage;
}

/** Stops every server whose socket is in dir and returns the CPU they used (see serverUsage). */
export function stopServers(dir: string): Promise<ServerUsage> {
  return serverUsage(dir, true);
}
