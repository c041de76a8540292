// The pass server on a shared machine (docs/security.md): cc-wb sends a unit only to a socket its
// own user made in a folder only that user can write, and never takes code from anyone else's.
// The attack: another user creates the predictable socket folder first and listens in it with a
// fake server that answers every unit with code of its choosing (or, on the launcher's drive
// socket, with a command's output and exit status of its choosing).
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUsage, stopServers } from '../../toolchain/passclient.js';
import { CCWB, removeScratch, requireBuilt, root, scratch, writeTree } from './helpers.js';

type Wire = typeof import('../../toolchain/passwire.js');
const wire = (await import(pathToFileURL(join(root, 'dist', 'toolchain', 'passwire.js')).href)) as Wire;
type DriveWire = typeof import('../../toolchain/drivewire.js');
const drivewire = (await import(pathToFileURL(join(root, 'dist', 'toolchain', 'drivewire.js')).href)) as DriveWire;
const LAUNCHER = join(root, 'toolchain', 'launcher', 'build', 'cc-wb-launch');
const driveSocket = (dir: string, slot = 0) => drivewire.driveSocketPath(dir, drivewire.packageIdOf(realpathSync(root)), slot);

beforeAll(requireBuilt, 120_000);

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const made: string[] = [];

afterAll(async () => {
  for (const dir of made) {
    await stopServers(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  removeScratch();
});

const PROGRAM = '#include <stdio.h>\n#include <stdlib.h>\nstruct n { struct n *next; };\nstruct n *head;\n' +
  'int main(void) { struct n *a = malloc(sizeof *a); a->next = head; head = a; puts("genuine"); free(a); return 0; }\n';

/** A fake pass server: counts connections and answers every unit with a program of its own. */
async function fakeServer(path: string): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const evil = 'extern int puts(const char *);\nint main(void) { puts("attacker code"); return 0; }\n';
  const server = createServer((socket) => {
    n++;
    socket.on('error', () => {});
    socket.once('data', () => {
      const body = Buffer.from(evil);
      socket.end(JSON.stringify({ op: 'pass', result: { ok: true, diagnostics: [], sites: [], stats: {} }, bytes: body.length }) + '\n' + body.toString());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return { server, connections: () => n };
}

/** A temp dir like /tmp: world-writable and sticky. */
function sharedTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccwb-shared-tmp-'));
  chmodSync(dir, 0o1777);
  made.push(dir);
  return dir;
}

/**
 * A fake drive server: counts connections and tells every launcher that its command succeeded
 * with output of its own, having built nothing.
 */
async function fakeDriveServer(path: string): Promise<{ server: Server; connections: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.on('error', () => {});
    socket.once('data', () => socket.end(Buffer.concat([drivewire.frame('e', Buffer.from('attacker output\n')), drivewire.u32Frame('x', 0)])));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return { server, connections: () => n };
}

async function buildAndRun(dir: string, env: Record<string, string>, how: 'node' | 'launcher' = 'node'): Promise<{ build: number; stderr: string; output: string }> {
  const [command, ...args] = how === 'node' ? ['node', CCWB] : [CCWB];
  const cc = await execa(command!, [...args, '-O1', 'prog.c', '-o', 'prog'], {
    cwd: dir,
    reject: false,
    env: { LC_ALL: 'C', CC_WB_SERVER: '1', CC_WB_SERVER_DIR: '', XDG_RUNTIME_DIR: '', CC_WB_SERVER_SLOTS: '1', ...env },
  });
  if (cc.exitCode !== 0) return { build: cc.exitCode ?? -1, stderr: cc.stderr, output: '' };
  const run = await execa(join(dir, 'prog'), [], { reject: false });
  return { build: 0, stderr: cc.stderr, output: run.stdout };
}

describe('the pass server on a multi-user machine', () => {
  it(`refuses a socket folder made first by another user (${isRoot ? 'as root: the folder belongs to nobody' : 'not root: a folder of ours with mode 0777'})`, async () => {
    const tmp = sharedTmp();
    const uid = process.getuid?.() ?? 0;
    const trap = join(tmp, `ccwb-pass-servers-${uid}`);
    mkdirSync(trap);
    chmodSync(trap, 0o777);
    const socket = wire.socketPath(trap, wire.passDigest(), 0);
    const fake = await fakeServer(socket);
    if (isRoot) {
      chownSync(trap, NOBODY, NOBODY);
      chownSync(socket, NOBODY, NOBODY);
    }
    try {
      const dir = scratch('sec-trap');
      writeTree(dir, { 'prog.c': PROGRAM });
      // Twice: the first compile of a session is the one that would start a server.
      for (let i = 0; i < 2; i++) {
        const r = await buildAndRun(dir, { TMPDIR: tmp });
        expect(r.build, r.stderr).toBe(0);
        expect(r.stderr).toBe('');
        expect(r.output).toBe('genuine');
      }
      expect(fake.connections()).toBe(0);
      // Nothing of the victim's was placed in the attacker's folder.
      expect(readdirSync(trap).sort()).toEqual([socket.split('/').pop()]);
    } finally {
      await new Promise<void>((r) => fake.server.close(() => r()));
    }
  });

  it('refuses a socket folder that is a symbolic link, even to a private folder of its own', async () => {
    const tmp = sharedTmp();
    const uid = process.getuid?.() ?? 0;
    const target = mkdtempSync(join(tmpdir(), 'ccwb-link-target-'));
    made.push(target);
    symlinkSync(target, join(tmp, `ccwb-pass-servers-${uid}`));
    const socket = wire.socketPath(target, wire.passDigest(), 0);
    const fake = await fakeServer(socket);
    try {
      const dir = scratch('sec-link');
      writeTree(dir, { 'prog.c': PROGRAM });
      const r = await buildAndRun(dir, { TMPDIR: tmp });
      expect(r.build, r.stderr).toBe(0);
      expect(r.output).toBe('genuine');
      expect(fake.connections()).toBe(0);
    } finally {
      await new Promise<void>((r) => fake.server.close(() => r()));
    }
  });

  it('refuses CC_WB_SERVER_DIR when it names a folder others can write, and a socket it does not own', async () => {
    const open = mkdtempSync(join(tmpdir(), 'ccwb-open-'));
    made.push(open);
    chmodSync(open, 0o777);
    const dir = scratch('sec-env');
    writeTree(dir, { 'prog.c': PROGRAM });
    const fake = await fakeServer(wire.socketPath(open, wire.passDigest(), 0));
    try {
      const r = await buildAndRun(dir, { CC_WB_SERVER_DIR: open });
      expect(r.output).toBe('genuine');
      expect(fake.connections()).toBe(0);
    } finally {
      await new Promise<void>((r) => fake.server.close(() => r()));
    }
    if (isRoot) {
      // A private folder of ours, but the socket in it was made by someone else (root could plant
      // it; so could a past owner of the folder).
      const priv = mkdtempSync(join(tmpdir(), 'ccwb-priv-'));
      made.push(priv);
      const planted = wire.socketPath(priv, wire.passDigest(), 0);
      const fake2 = await fakeServer(planted);
      chownSync(planted, NOBODY, NOBODY);
      try {
        const r = await buildAndRun(dir, { CC_WB_SERVER_DIR: priv });
        expect(r.output).toBe('genuine');
        expect(fake2.connections()).toBe(0);
        expect(existsSync(planted)).toBe(true); // not ours to remove either
      } finally {
        await new Promise<void>((r) => fake2.server.close(() => r()));
      }
    }
  });

  it('keeps its sockets in $XDG_RUNTIME_DIR/cc-wb, mode 0700, when that folder exists', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'ccwb-xdg-'));
    made.push(xdg);
    const tmp = sharedTmp();
    const dir = scratch('sec-xdg');
    writeTree(dir, { 'prog.c': PROGRAM });
    const r = await buildAndRun(dir, { XDG_RUNTIME_DIR: xdg, TMPDIR: tmp });
    expect(r.output).toBe('genuine');
    const folder = join(xdg, 'cc-wb');
    const socket = wire.socketPath(folder, wire.passDigest(), 0);
    const end = Date.now() + 20_000;
    while (!existsSync(socket) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    expect(existsSync(socket)).toBe(true);
    const { statSync } = await import('node:fs');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o077).toBe(0);
    expect(readdirSync(tmp)).toEqual([]); // nothing in the shared temp dir
    await stopServers(folder);
  });
});

// The native launcher (toolchain/launcher/) applies the same checks in C before it connects to a
// drive socket; on any failure it runs the Node driver, which then refuses the folder too.
describe('the launcher on a multi-user machine', () => {
  beforeAll(() => {
    if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: run 'npm run build' first`);
  });

  async function expectGenuine(dir: string, env: Record<string, string>, fake: { connections: () => number }): Promise<void> {
    for (let i = 0; i < 2; i++) {
      const r = await buildAndRun(dir, env, 'launcher');
      expect(r.build, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.output).toBe('genuine');
    }
    expect(fake.connections()).toBe(0);
  }

  it(`refuses a drive socket in a folder made first by another user (${isRoot ? 'owned by nobody' : 'mode 0777'})`, async () => {
    const tmp = sharedTmp();
    const uid = process.getuid?.() ?? 0;
    const trap = join(tmp, `ccwb-pass-servers-${uid}`);
    mkdirSync(trap);
    chmodSync(trap, 0o777);
    const fake = await fakeDriveServer(driveSocket(trap));
    if (isRoot) {
      chownSync(trap, NOBODY, NOBODY);
      chownSync(driveSocket(trap), NOBODY, NOBODY);
    }
    try {
      const dir = scratch('lsec-trap');
      writeTree(dir, { 'prog.c': PROGRAM });
      await expectGenuine(dir, { TMPDIR: tmp }, fake);
    } finally {
      await new Promise<void>((r) => fake.server.close(() => r()));
    }
  });

  it('refuses a symlinked folder, an open CC_WB_SERVER_DIR, and a private folder under an open parent', async () => {
    const uid = process.getuid?.() ?? 0;
    // a symbolic link to a private folder of ours
    const tmp = sharedTmp();
    const target = mkdtempSync(join(tmpdir(), 'ccwb-llink-target-'));
    made.push(target);
    symlinkSync(target, join(tmp, `ccwb-pass-servers-${uid}`));
    // a folder others can write
    const open = mkdtempSync(join(tmpdir(), 'ccwb-lopen-'));
    made.push(open);
    chmodSync(open, 0o777);
    // a private folder whose parent anyone may rename entries of (not sticky)
    const parent = mkdtempSync(join(tmpdir(), 'ccwb-lparent-'));
    made.push(parent);
    chmodSync(parent, 0o777);
    const inner = join(parent, 'servers');
    mkdirSync(inner, { mode: 0o700 });
    const cases: [string, string, Record<string, string>][] = [
      ['symlink', target, { TMPDIR: tmp }],
      ['symlink named with a trailing slash', target, { CC_WB_SERVER_DIR: join(tmp, `ccwb-pass-servers-${uid}`) + '/' }],
      ['open CC_WB_SERVER_DIR', open, { CC_WB_SERVER_DIR: open }],
      ['open parent', inner, { CC_WB_SERVER_DIR: inner }],
    ];
    for (const [name, folder, env] of cases) {
      const fake = await fakeDriveServer(driveSocket(folder));
      try {
        const dir = scratch(`lsec-${name.replace(/\W/g, '')}`);
        writeTree(dir, { 'prog.c': PROGRAM });
        await expectGenuine(dir, env, fake);
      } finally {
        await new Promise<void>((r) => fake.server.close(() => r()));
      }
    }
  });

  it.runIf(isRoot)('as root: refuses a drive socket someone else made in a private folder of ours, and leaves it', async () => {
    const priv = mkdtempSync(join(tmpdir(), 'ccwb-lpriv-'));
    made.push(priv);
    const planted = driveSocket(priv);
    const fake = await fakeDriveServer(planted);
    chownSync(planted, NOBODY, NOBODY);
    try {
      const dir = scratch('lsec-planted');
      writeTree(dir, { 'prog.c': PROGRAM });
      await expectGenuine(dir, { CC_WB_SERVER_DIR: priv }, fake);
      expect(existsSync(planted)).toBe(true);
    } finally {
      await new Promise<void>((r) => fake.server.close(() => r()));
    }
  });

  it('a drive socket of its own is only reachable by its user (0700 folder, no group or other bits)', async () => {
    const xdg = mkdtempSync(join(tmpdir(), 'ccwb-lxdg-'));
    made.push(xdg);
    const dir = scratch('lsec-own');
    writeTree(dir, { 'prog.c': PROGRAM });
    const r = await buildAndRun(dir, { XDG_RUNTIME_DIR: xdg }, 'launcher');
    expect(r.output).toBe('genuine');
    const folder = join(xdg, 'cc-wb');
    const end = Date.now() + 20_000;
    while (!existsSync(driveSocket(folder)) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(driveSocket(folder)).isSocket()).toBe(true);
    expect(statSync(driveSocket(folder)).mode & 0o077).toBe(0);
    // and the launcher uses it: the next build is the server's
    const before = await serverUsage(folder);
    const again = await buildAndRun(dir, { XDG_RUNTIME_DIR: xdg }, 'launcher');
    expect(again.output).toBe('genuine');
    expect((await serverUsage(folder)).driven).toBe(before.driven + 1);
    await stopServers(folder);
  });
});

// The same checks as a unit: what privatedir.ts accepts.
describe('privatedir', async () => {
  const pd = await import('../../toolchain/privatedir.js');
  it('accepts a fresh folder it makes and refuses files, symlinks and open modes', () => {
    const base = mkdtempSync(join(tmpdir(), 'ccwb-pd-'));
    made.push(base);
    expect(pd.ensurePrivateDir(join(base, 'fresh'))).toBe(true);
    writeFileSync(join(base, 'file'), '');
    expect(pd.ensurePrivateDir(join(base, 'file'))).toBe(false);
    symlinkSync(join(base, 'fresh'), join(base, 'link'));
    expect(pd.ensurePrivateDir(join(base, 'link'))).toBe(false);
    mkdirSync(join(base, 'group'), { mode: 0o770 });
    chmodSync(join(base, 'group'), 0o770);
    expect(pd.ensurePrivateDir(join(base, 'group'))).toBe(false);
    // under a world-writable, non-sticky parent nothing is private
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(pd.ensurePrivateDir(join(open, 'inner'))).toBe(false);
    expect(pd.socketEntry(join(base, 'absent.sock'))).toBe('missing');
    expect(pd.socketEntry(join(base, 'file'))).toBe('own-other');
  });
});
