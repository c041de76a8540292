// The resident pass (toolchain/passserver.ts): units compiled through a server give the same
// objects, diagnostics and reports as the pass run in the cc-wb process; a missing, stale, stopped or
// foreign server costs only speed.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { serverUsage, stopServers } from '../../toolchain/passclient.js';
import { CCWB, driverTmp, removeScratch, requireBuilt, root, scratch, writeTree } from './helpers.js';

// The socket's name carries a digest of the code on disk, so it must come from the driver's own
// (compiled) copy of the wire module, not from this test's TypeScript source.
type Wire = typeof import('../../toolchain/passwire.js');
const wire = (await import(pathToFileURL(join(root, 'dist', 'toolchain', 'passwire.js')).href)) as Wire;

beforeAll(requireBuilt, 120_000);

const servers = mkdtempSync(join(tmpdir(), 'ccwb-srv-test-'));

afterAll(async () => {
  await stopServers(servers);
  rmSync(servers, { recursive: true, force: true });
  removeScratch();
  rmSync(driverTmp, { recursive: true, force: true });
});

const SOURCES = {
  'list.c':
    '#include <stdlib.h>\n#include <string.h>\nstruct node { struct node *next; char *name; };\nstruct node *head;\n' +
    'void push(const char *s) { struct node *n = malloc(sizeof *n); n->name = strdup(s); n->next = head; head = n; }\n',
  'bad.c': '#include <stdlib.h>\nstruct s { int *p; } g;\nint f(int *q) { g.p = q; return 0 }\n',
  'unparsed.c': 'struct a { int *p; } static g;\nvoid set(int *v) { g.p = v; }\n',
};

async function compile(dir: string, file: string, env: Record<string, string>) {
  rmSync(join(dir, file + '.report'), { force: true }); // the report is appended to
  const r = await execa('node', [CCWB, '-O2', '-c', file, '-o', file + '.o', `--wb-report=${file}.report`], {
    cwd: dir,
    reject: false,
    env: { TMPDIR: driverTmp, LC_ALL: 'C', CC_WB_SERVER_DIR: servers, CC_WB_SERVER_SLOTS: '1', ...env },
  });
  const obj = join(dir, file + '.o');
  const report = join(dir, file + '.report');
  return {
    exitCode: r.exitCode,
    stderr: r.stderr,
    object: existsSync(obj) ? readFileSync(obj) : undefined,
    report: existsSync(report) ? readFileSync(report, 'utf8') : '',
  };
}

const socket = (): string => wire.socketPath(servers, wire.passDigest(), 0);

function listen(server: ReturnType<typeof createServer>, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
}

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the resident pass', () => {
  // Whatever a test leaves running must not answer the next one.
  afterEach(async () => {
    await stopServers(servers);
  });

  it('is started by the first compile and serves the next ones with identical results', async () => {
    const dir = scratch('srv');
    writeTree(dir, SOURCES);
    const local: Record<string, Awaited<ReturnType<typeof compile>>> = {};
    for (const f of Object.keys(SOURCES)) local[f] = await compile(dir, f, { CC_WB_SERVER: '0' });
    expect(existsSync(socket())).toBe(false);

    await compile(dir, 'list.c', {}); // starts the server
    await waitFor(() => existsSync(socket()));
    for (const f of Object.keys(SOURCES)) {
      const served = await compile(dir, f, {});
      expect(served.exitCode, f).toBe(local[f]!.exitCode);
      expect(served.stderr, f).toBe(local[f]!.stderr);
      expect(served.object?.toString('base64'), f).toBe(local[f]!.object?.toString('base64'));
      expect(served.report, f).toBe(local[f]!.report);
    }
    expect(local['bad.c']!.exitCode).not.toBe(0);
    expect(local['unparsed.c']!.report).toContain('"instrumented":true');
    // Asking for the CPU used so far leaves the server up; stopping it reports the same server.
    const sofar = await serverUsage(servers);
    expect([sofar.servers, sofar.cpuMsByPid.size]).toEqual([1, 1]);
    expect(existsSync(socket())).toBe(true);
    const usage = await stopServers(servers);
    expect(usage.servers).toBe(1);
    expect([...usage.cpuMsByPid.keys()]).toEqual([...sofar.cpuMsByPid.keys()]);
    expect(usage.cpuMs).toBeGreaterThanOrEqual(sofar.cpuMs);
    // bad.c never reaches the pass: the diagnostics compile rejects it first
    expect(usage.requests).toBeGreaterThanOrEqual(Object.keys(SOURCES).length - 1);
    expect(usage.cpuMs).toBeGreaterThan(0);
    await waitFor(() => !existsSync(socket()));
  });

  it('a stale socket (its server killed) is replaced; the compile meanwhile runs the pass itself', async () => {
    const dir = scratch('srv-stale');
    writeTree(dir, SOURCES);
    const ref = await compile(dir, 'list.c', { CC_WB_SERVER: '0' });
    // A socket file nobody listens on: what a server killed with SIGKILL leaves behind.
    const dead = createServer();
    await listen(dead, socket());
    await new Promise<void>((r) => dead.close(() => r()));
    writeFileSync(socket(), '');
    const first = await compile(dir, 'list.c', {});
    expect(first.exitCode).toBe(0);
    expect(first.object?.equals(ref.object!)).toBe(true);
    await waitFor(() => readdirSync(servers).some((f) => f.endsWith('.sock')) && !readdirSync(servers).some((f) => f.endsWith('.starting')));
    const second = await compile(dir, 'list.c', {});
    expect(second.object?.equals(ref.object!)).toBe(true);
    expect((await stopServers(servers)).requests).toBeGreaterThanOrEqual(1);
  });

  it('a server that does not answer the protocol costs nothing but the wait', async () => {
    const dir = scratch('srv-mute');
    writeTree(dir, SOURCES);
    const ref = await compile(dir, 'list.c', { CC_WB_SERVER: '0' });
    const mute = createServer((s) => {
      s.on('error', () => {});
      s.resume(); // read the request to its end, or the socket never closes
      s.end('not json\n');
    });
    await listen(mute, socket());
    try {
      const r = await compile(dir, 'list.c', {});
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.object?.equals(ref.object!)).toBe(true);
    } finally {
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });

  it('CC_WB_PASS_MODULE and CC_WB_SERVER=0 keep the pass in the cc-wb process', async () => {
    const dir = scratch('srv-off');
    writeTree(dir, SOURCES);
    await compile(dir, 'list.c', { CC_WB_SERVER: '0' });
    await compile(dir, 'list.c', { CC_WB_SERVER: '0' });
    expect(readdirSync(servers).filter((f) => f.endsWith('.sock') || f.endsWith('.starting'))).toEqual([]);
  });
});
