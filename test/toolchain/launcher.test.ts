// The native launcher (toolchain/launcher/) and the drive server it talks to (driveserver.ts): a
// command served by the server gives byte for byte what the Node driver gives (stdout, stderr,
// exit status, files written); what the server cannot serve exactly goes to the Node driver; an
// interrupted launcher stops the compilers the server started for it.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUsage, stopServers } from '../../toolchain/passclient.js';
import { CCWB, listTree, removeScratch, requireBuilt, root, scratch, writeTree } from './helpers.js';

type DriveWire = typeof import('../../toolchain/drivewire.js');
const drivewire = (await import(pathToFileURL(join(root, 'dist', 'toolchain', 'drivewire.js')).href)) as DriveWire;

const LAUNCHER = join(root, 'toolchain', 'launcher', 'build', 'cc-wb-launch');
const servers = mkdtempSync(join(tmpdir(), 'ccwb-launch-servers-'));
const tmp = mkdtempSync(join(tmpdir(), 'ccwb-launch-tmp-'));
const driveSocket = drivewire.driveSocketPath(servers, drivewire.packageIdOf(realpathSync(root)), 0);

beforeAll(async () => {
  await requireBuilt();
  if (!existsSync(LAUNCHER) || statSync(LAUNCHER).mtimeMs < statSync(join(root, 'toolchain', 'launcher', 'cc-wb-launch.c')).mtimeMs) {
    throw new Error(`${LAUNCHER} is missing or older than its source: run 'npm run build' first`);
  }
}, 120_000);

afterAll(async () => {
  await stopServers(servers);
  rmSync(servers, { recursive: true, force: true });
  removeScratch();
  expect(readdirSync(tmp).filter((e) => e.startsWith('cc-wb-'))).toEqual([]);
  rmSync(tmp, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, LC_ALL: 'C', CC_WB_SERVER_DIR: servers, CC_WB_SERVER_SLOTS: '1' };
  for (const k of Object.keys(out)) if (k.startsWith('CC_WB_') && k !== 'CC_WB_SERVER_DIR' && k !== 'CC_WB_SERVER_SLOTS') delete out[k];
  return { ...out, ...extra };
}

interface Result {
  exitCode: number;
  signal?: string;
  stdout: string;
  stderr: string;
  files: Record<string, string>;
}

/** Every file under dir and its bytes (base64), so that two runs compare in one expect. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listTree(dir)) out[f] = readFileSync(join(dir, f)).toString('base64');
  return out;
}

/** One folder per test, emptied before each run: objects built with -g name their directory. */
const folders = new Map<string, string>();
function freshFolder(key: string): string {
  let dir = folders.get(key);
  if (dir === undefined) {
    dir = scratch('launch');
    folders.set(key, dir);
  }
  for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
  return dir;
}

/** Runs cc-wb in a fresh copy of `files`, through the launcher or through node on the driver. */
async function runIn(files: Record<string, string>, how: 'launcher' | 'node', args: string[], extra: Record<string, string> = {}, input?: string): Promise<Result> {
  const dir = freshFolder(expect.getState().currentTestName ?? 'none');
  writeTree(dir, files);
  const command = how === 'launcher' ? CCWB : process.execPath;
  const argv = how === 'launcher' ? args : [CCWB, ...args];
  const r = await execa(command, argv, { cwd: dir, env: env(extra), extendEnv: false, reject: false, stripFinalNewline: false, input: input ?? '' });
  // gcc's own temp files (-v, -### print them) have random names
  const tempNames = (text: string) => text.replace(/\/cc\w{6}\.(\w+)/g, '/ccXXXXXX.$1').replace(/\/cc-wb-\w{6}\//g, '/cc-wb-XXXXXX/');
  return { exitCode: r.exitCode ?? -1, signal: r.signal ?? undefined, stdout: tempNames(String(r.stdout)), stderr: tempNames(String(r.stderr)), files: snapshot(dir) };
}

async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts this test's server (a Node driver's compile does) and waits for its drive socket. */
async function serverUp(): Promise<void> {
  if (existsSync(driveSocket)) return;
  await runIn(FILES, 'node', ['-c', 'list.c']);
  await waitFor(() => existsSync(driveSocket));
}

/** How many commands the server ran and declined while `body` ran. */
async function counted(body: () => Promise<void>): Promise<{ driven: number; declined: number }> {
  const before = await serverUsage(servers);
  await body();
  const after = await serverUsage(servers);
  return { driven: after.driven - before.driven, declined: after.declined - before.declined };
}

const FILES: Record<string, string> = {
  'list.c':
    '#include <stdlib.h>\n#include <string.h>\nstruct node { struct node *next; char *name; };\nstruct node *head;\n' +
    'void push(const char *s) { struct node *n = malloc(sizeof *n); n->name = strdup(s); n->next = head; head = n; }\n',
  'main.c': '#include <stdio.h>\nvoid push(const char *s);\nint main(void) { push("x"); puts("ran"); return 0; }\n',
  'warn.c': 'int f(int a) { int unused; return a; }\n',
  'error.c': 'int f(void) { return undeclared; }\n',
  'conftest.c': '#include <stdio.h>\nint main(void) { return printf("%d", (int)sizeof(long)) < 0; }\n',
  'conftest2.c': '#include <sys/types.h>\n#include <stdint.h>\nint main(void) { static int test_array[1 - 2 * !(sizeof(off_t) >= 8)]; test_array[0] = 0; return test_array[0]; }\n',
  'sub/part.c': '#include "../part.h"\nint part(int x) { return x * PART; }\n',
  'part.h': '#define PART 3\n',
  'args.rsp': '-c list.c\n',
  Makefile:
    'OBJS = list.o main.o sub/part.o\nprog: $(OBJS)\n\t$(CC) $(OBJS) -o $@\n%.o: %.c\n\t$(CC) -O2 -Wall -MD -c $< -o $@\n' +
    'sub/part.o: sub/part.c\n\t$(CC) -O2 -Wall -MD -c $< -o $@\n',
};

const SERVED: [string, string[]][] = [
  ['a compile with warnings and dependency files', ['-O2', '-Wall', '-Wextra', '-MD', '-MP', '-c', 'list.c', '-o', 'list.o']],
  ['a link of objects and a source', ['-O1', 'list.c', 'main.c', '-o', 'prog']],
  ['-Werror failure', ['-Wall', '-Werror', '-c', 'warn.c']],
  ['an error in the code', ['-c', 'error.c']],
  ['a missing file', ['-c', 'nosuch.c']],
  ['-M deps on stdout', ['-M', 'sub/part.c']],
  ['configure link test (one compile when the pass changes nothing)', ['-g', '-O2', 'conftest.c', '-o', 'conftest']],
  ['configure compile test', ['-c', '-g', '-O2', 'conftest2.c']],
  ['--wb-stats and --wb-keep', ['--wb-stats', '--wb-keep', '-c', 'list.c']],
  ['cc-wb gcc ... with CC_WB_REPORT', ['gcc', '-O2', '-c', 'list.c']],
  ['-S to stdout', ['-S', '-o', '-', 'warn.c']],
];

describe('the launcher with a server up', () => {
  for (const [name, args] of SERVED) {
    it(`${name}: served, and byte-identical to the Node driver`, async () => {
      await serverUp();
      const extra = name.includes('REPORT') ? { CC_WB_REPORT: 'units.jsonl' } : {};
      const viaNode = await runIn(FILES, 'node', args, extra);
      let viaLauncher: Result | undefined;
      const n = await counted(async () => {
        viaLauncher = await runIn(FILES, 'launcher', args, extra);
      });
      expect(n).toEqual({ driven: 1, declined: 0 });
      expect(viaLauncher).toEqual(viaNode);
    });
  }

  it('concurrent commands keep their own cwd and environment', async () => {
    await serverUp();
    // gcc quotes with ‘’ in a UTF-8 locale and '' otherwise; each folder has its own warn.c
    const cases = [
      { locale: 'C', files: { ...FILES, 'warn.c': 'int f(int a) { int unused_c; return a; }\n' } },
      { locale: 'C.UTF-8', files: { ...FILES, 'warn.c': 'int g(int a) { int unused_utf8; return a; }\n' } },
    ];
    const args = ['-Wall', '-c', 'warn.c'];
    const dirs = cases.map(() => scratch('launch-concurrent'));
    const run = (i: number, how: 'launcher' | 'node') => {
      const dir = dirs[i]!;
      for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
      writeTree(dir, cases[i]!.files);
      const argv = how === 'launcher' ? [CCWB, ...args] : [process.execPath, CCWB, ...args];
      return execa(argv[0]!, argv.slice(1), { cwd: dir, env: env({ LC_ALL: cases[i]!.locale }), extendEnv: false, reject: false })
        .then((r) => ({ exitCode: r.exitCode, stderr: r.stderr, files: snapshot(dir) }));
    };
    const viaNode = [await run(0, 'node'), await run(1, 'node')];
    expect(viaNode[0]!.stderr).toContain("'unused_c'");
    expect(viaNode[1]!.stderr).toContain('‘unused_utf8’');
    let viaLauncher: Awaited<ReturnType<typeof run>>[] = [];
    const n = await counted(async () => {
      viaLauncher = await Promise.all([run(0, 'launcher'), run(1, 'launcher')]);
    });
    expect(n).toEqual({ driven: 2, declined: 0 });
    expect(viaLauncher).toEqual(viaNode);
  });

  it('make -j2 of a small project: the same files, and every compile and link served', async () => {
    await serverUp();
    const build = async (cc: string) => {
      const dir = freshFolder('make');
      writeTree(dir, FILES);
      const r = await execa('make', ['-j2', `CC=${cc}`], { cwd: dir, env: env(), extendEnv: false, reject: false });
      return { exitCode: r.exitCode, stderr: r.stderr, files: snapshot(dir), stdout: r.stdout.replaceAll(cc, 'CC') };
    };
    const viaNode = await build(`${process.execPath} ${CCWB}`);
    let viaLauncher: Awaited<ReturnType<typeof build>> | undefined;
    const n = await counted(async () => {
      viaLauncher = await build(CCWB);
    });
    expect(viaNode.exitCode).toBe(0);
    expect(viaLauncher).toEqual(viaNode);
    expect(n).toEqual({ driven: 4, declined: 0 });
  });
});

describe('a compiler killed by a signal', () => {
  it('ends the launcher by the same signal, as it ends the Node driver', async () => {
    await serverUp();
    const files = { ...FILES, 'killedcc': '#!/bin/sh\nkill -HUP $$\n' };
    const run = async (how: 'launcher' | 'node') => {
      const dir = freshFolder('killed');
      writeTree(dir, files);
      chmodSync(join(dir, 'killedcc'), 0o755);
      const argv = how === 'launcher' ? [CCWB] : [process.execPath, CCWB];
      const r = await execa(argv[0]!, [...argv.slice(1), '-c', 'list.c'], { cwd: dir, env: env({ CC_WB_CC: join(dir, 'killedcc') }), extendEnv: false, reject: false });
      return { signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    };
    const viaNode = await run('node');
    let viaLauncher: Awaited<ReturnType<typeof run>> | undefined;
    const n = await counted(async () => {
      viaLauncher = await run('launcher');
    });
    expect(viaNode.signal).toBe('SIGHUP');
    expect(n).toEqual({ driven: 1, declined: 0 });
    expect(viaLauncher).toEqual(viaNode);
  });
});

describe('on a terminal', () => {
  /** Runs cc-wb with stdin, stdout and stderr on a pseudo-terminal (util-linux script). */
  async function onTerminal(how: 'launcher' | 'node', args: string[]): Promise<{ output: string; files: Record<string, string> }> {
    const dir = freshFolder(`tty ${args.join(' ')}`);
    writeTree(dir, FILES);
    const words = (how === 'launcher' ? [CCWB, ...args] : [process.execPath, CCWB, ...args]).map((w) => `'${w}'`).join(' ');
    const r = await execa('script', ['-qec', words, '/dev/null'], { cwd: dir, env: env(), extendEnv: false, reject: false });
    return { output: `${r.exitCode} ${r.stdout}`, files: snapshot(dir) };
  }

  it('a compile is served with the colours the Node driver gives a terminal', async () => {
    await serverUp();
    const args = ['-Wall', '-c', 'warn.c'];
    const viaNode = await onTerminal('node', args);
    expect(viaNode.output).toContain('\x1b['); // gcc's colours
    let viaLauncher: Awaited<ReturnType<typeof onTerminal>> | undefined;
    const n = await counted(async () => {
      viaLauncher = await onTerminal('launcher', args);
    });
    expect(n).toEqual({ driven: 1, declined: 0 });
    expect(viaLauncher).toEqual(viaNode);
  });

  it('a command whose compiler writes to the terminal itself goes to the Node driver', async () => {
    await serverUp();
    for (const args of [['-Wall', 'conftest.c', '-o', 'conftest'], ['-Wall', '-fsyntax-only', 'warn.c']]) {
      const viaNode = await onTerminal('node', args);
      let viaLauncher: Awaited<ReturnType<typeof onTerminal>> | undefined;
      const n = await counted(async () => {
        viaLauncher = await onTerminal('launcher', args);
      });
      expect(n.driven, args.join(' ')).toBe(0);
      expect(viaLauncher).toEqual(viaNode);
    }
  });
});

describe('what the server sends back to the Node driver', () => {
  const FALLBACK: [string, string[], Record<string, string>?, string?][] = [
    ['--version', ['--version']],
    ['-v', ['-v', '-c', 'list.c']],
    ['-###', ['-###', '-c', 'list.c']],
    ['-E to stdout', ['-E', 'sub/part.c']],
    ['--wb-help', ['--wb-help']],
    ['a response file', ['@args.rsp']],
    ['a unit on stdin', ['-x', 'c', '-c', '-', '-o', 'stdin.o'], {}, 'int *p; void f(int *q) { p = q; }\n'],
    ['CC_WB_PASS_MODULE', ['-c', 'list.c'], { CC_WB_PASS_MODULE: join(root, 'test', 'toolchain', 'fixtures', 'stub-pass.mjs'), STUB_PASS_MODE: 'identity' }],
    ['CC_WB_SERVER=0', ['-c', 'list.c'], { CC_WB_SERVER: '0' }],
  ];
  for (const [name, args, extra, input] of FALLBACK) {
    it(`${name}: the Node driver runs it, with the same result`, async () => {
      await serverUp();
      const viaNode = await runIn(FILES, 'node', args, extra, input);
      let viaLauncher: Result | undefined;
      const n = await counted(async () => {
        viaLauncher = await runIn(FILES, 'launcher', args, extra, input);
      });
      expect(n.driven).toBe(0);
      expect(viaLauncher).toEqual(viaNode);
    });
  }

  it('a launcher speaking another protocol version gets "fall back"', async () => {
    await serverUp();
    const { connect } = await import('node:net');
    const request = drivewire.encodeRequest({ tty: { stdin: false, stdout: false, stderr: false }, umask: 0o22, cwd: Buffer.from('/'), args: [], env: [] });
    request.writeUInt32LE(99, 4);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const s = connect(driveSocket, () => s.end(request));
      s.on('data', (b: Buffer) => chunks.push(b));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    expect(reply.toString('latin1', 0, 1)).toBe('f');
  });

  it('with no server, the launcher runs the Node driver (which starts one)', async () => {
    const own = mkdtempSync(join(tmpdir(), 'ccwb-launch-none-'));
    try {
      const dir = scratch('launch-none');
      writeTree(dir, FILES);
      const r = await execa(CCWB, ['-c', 'list.c'], { cwd: dir, env: env({ CC_WB_SERVER_DIR: own }), extendEnv: false, reject: false });
      expect(r.exitCode).toBe(0);
      expect(existsSync(join(dir, 'list.o'))).toBe(true);
      await waitFor(() => readdirSync(own).some((f) => f.startsWith('drive-')));
    } finally {
      await stopServers(own);
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('an interrupted launcher', () => {
  /** A compiler that records its pid and then hangs: the command is in the server when we strike. */
  function hangingCompiler(dir: string): string {
    const path = join(dir, 'hangcc');
    writeFileSync(path, `#!/bin/sh\necho $$ > "${dir}/pids/$$"\nexec sleep 60\n`);
    chmodSync(path, 0o755);
    mkdirSync(join(dir, 'pids'));
    return path;
  }
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    it(`${signal}: the server stops the command's compilers and removes its temp files`, async () => {
      await serverUp();
      const dir = scratch(`launch-${signal}`);
      writeTree(dir, FILES);
      const cc = hangingCompiler(dir);
      const before = await serverUsage(servers);
      const child = execa(CCWB, ['-c', 'list.c'], { cwd: dir, env: env({ CC_WB_CC: cc }), extendEnv: false, reject: false });
      await waitFor(() => readdirSync(join(dir, 'pids')).length > 0);
      const pids = readdirSync(join(dir, 'pids')).map(Number);
      expect((await serverUsage(servers)).requests).toBeGreaterThan(before.requests); // it is the server's
      child.kill(signal);
      const r = await child;
      expect(r.signal).toBe(signal); // the launcher ends by the signal, as the Node driver does
      await waitFor(() => pids.every((pid) => !alive(pid)), 10_000);
      await waitFor(() => readdirSync(tmp).filter((e) => e.startsWith('cc-wb-')).length === 0, 10_000);
      expect(existsSync(join(dir, 'list.o'))).toBe(false);
    });
  }
});

describe('choosing a server', () => {
  it('a launcher takes a slot whose lock is free, so that concurrent commands do not queue on one server', async () => {
    // Two slots, a server in each, slot 0's lock held by another process (as a running command
    // holds it): every command, whatever its pid's parity, must go to slot 1's server.
    const dir = mkdtempSync(join(tmpdir(), 'ccwb-launch-slots-'));
    chmodSync(dir, 0o700);
    const slotEnv = (extra: Record<string, string> = {}) => env({ CC_WB_SERVER_DIR: dir, CC_WB_SERVER_SLOTS: '2', ...extra });
    const passwire = (await import(pathToFileURL(join(root, 'dist', 'toolchain', 'passwire.js')).href)) as typeof import('../../toolchain/passwire.js');
    const id = drivewire.packageIdOf(realpathSync(root));
    const passSocket = (slot: number) => passwire.socketPath(dir, passwire.passDigest(), slot);
    // One process holds the lock (sh execs sleep with the locked descriptor: killing it frees the lock).
    const holder = execa('sh', ['-c', 'exec 9>"$1" && flock -x 9 && echo locked && exec sleep 600', 'sh', join(dir, `drive-${id}-0.lock`)], { reject: false });
    let locked = false;
    holder.stdout?.on('data', () => (locked = true));
    try {
      for (const slot of [0, 1]) {
        const server = execa(process.execPath, [join(root, 'dist', 'toolchain', 'passserver.js'), passSocket(slot), drivewire.driveSocketPath(dir, id, slot)], { cwd: '/', env: slotEnv(), detached: true, stdio: 'ignore', reject: false });
        server.unref();
      }
      await waitFor(() => locked && [0, 1].every((slot) => existsSync(drivewire.driveSocketPath(dir, id, slot))));
      const work = freshFolder('slots');
      writeTree(work, FILES);
      for (let i = 0; i < 8; i++) {
        const done = await execa(CCWB, ['-O2', '-c', 'list.c', '-o', `list${i}.o`], { cwd: work, env: slotEnv(), extendEnv: false, reject: false });
        expect(done.exitCode, String(done.stderr)).toBe(0);
      }
      const usage = await serverUsage(dir);
      const name = (slot: number) => passSocket(slot).slice(dir.length + 1);
      expect(usage.drivenBySocket.get(name(1))).toBe(8);
      expect(usage.drivenBySocket.get(name(0))).toBe(0);
    } finally {
      holder.kill('SIGTERM');
      await holder;
      await stopServers(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
