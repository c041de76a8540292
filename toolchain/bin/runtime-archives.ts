// The C runtime (libwbrt.a, libwbrt_dso.a, libwbrt.so and the versioned file it links to) is built from the sources shipped in the
// package on first use rather than at install time, so that installing cc-wb runs no script of its
// own and works with install scripts disabled. The build goes to a fresh folder and its results
// are renamed into place: concurrent first compiles (make -j) each build, and any of them may win.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_TARGETS, runtimeDir } from '../driver.js';

type Env = Record<string, string | undefined>;

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sources = join(packageRoot, 'runtime-c');

/** Set while cc-wb builds its runtime: a compile that gets here again is a loop, not a first use. */
const BUILDING = 'CC_WB_BUILDING_RUNTIME';

/** Requests that never compile or link: a command made only of these needs no runtime. */
const INFO = /^(--help|--version|-v|-dumpmachine|-dumpversion|-dumpfullversion|-print-.*|--print-.*|--wb-print-valgrind-supp)$/;

export class RuntimeBuildError extends Error {}

const HINT =
  'cc-wb builds its C runtime on first use, which needs make and a C compiler (cc): on Debian, ' +
  "'apt-get install gcc make'. Or build it elsewhere ('make -C runtime-c' in a cc-wb checkout) and " +
  'set CC_WB_RUNTIME_DIR to the folder holding libwbrt.a, libwbrt_dso.a and libwbrt.so.';

function archivesIn(dir: string): string[] {
  return RUNTIME_TARGETS.map((f) => join(dir, f));
}

/** Where a user who cannot write to the package keeps the archives (one folder per installed copy). */
function userCacheDir(env: Env): string {
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  const id = createHash('sha256').update(packageRoot).digest('hex').slice(0, 12);
  return join(base, 'cc-wb', `runtime-${id}`);
}

/** The environment of the runtime's make: none of the outer build's make state or compiler choice. */
function buildEnv(env: Env): Env {
  const out: Env = { ...env, [BUILDING]: '1' };
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS', 'CFLAGS', 'CPPFLAGS', 'CC']) delete out[k];
  return out;
}

function build(target: string, env: Env): void {
  mkdirSync(target, { recursive: true });
  const scratch = mkdtempSync(join(target, '.building-'));
  try {
    // CC and CFLAGS on the command line: an outer `make CC=cc-wb` must not reach this make.
    const r = spawnSync('make', ['-s', '-C', sources, `B=${scratch}`, 'CC=cc', 'CFLAGS=-O2', ...archivesIn(scratch)], {
      env: buildEnv(env),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.error) {
      const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new RuntimeBuildError(`${missing ? 'make not found' : `cannot run make: ${r.error.message}`}. ${HINT}`);
    }
    if (r.status !== 0) {
      const output = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-15).join('\n');
      throw new RuntimeBuildError(`building the C runtime in ${sources} failed:\n${output}\n${HINT}`);
    }
    // libwbrt.so links to libwbrt.so.<ABI version>, which must come along (before the link)
    const made = readdirSync(scratch).filter((f) => f.startsWith('libwbrt')).sort((a, b) => b.length - a.length);
    for (const f of made) renameSync(join(scratch, f), join(target, f));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function writable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS';
}

/**
 * The environment cc-wb's driver should run with when the runtime archives are already built (the
 * package's own, or a per-user cache named by CC_WB_RUNTIME_DIR), or undefined when a build is due.
 */
export function builtRuntime(args: readonly string[], env: Env): Env | undefined {
  if (env.CC_WB_RUNTIME_DIR || (args.length > 0 && args.every((a) => INFO.test(a))) || args.includes('--help')) return env;
  const own = runtimeDir({});
  if (archivesIn(own).every(existsSync)) return env;
  const cache = userCacheDir(env);
  if (archivesIn(cache).every(existsSync)) return { ...env, CC_WB_RUNTIME_DIR: cache };
  return undefined;
}

/**
 * The environment cc-wb's driver should run with, after making sure the runtime archives exist:
 * the package's own runtime-c/build, or (when the package folder is read-only, as in a system-wide
 * install) a per-user cache named by CC_WB_RUNTIME_DIR. Throws RuntimeBuildError with what to do.
 */
export function withRuntime(args: readonly string[], env: Env): Env {
  const built = builtRuntime(args, env);
  if (built !== undefined) return built;
  if (env[BUILDING]) throw new RuntimeBuildError(`the C runtime's build invoked cc-wb itself (is CC=cc-wb in the environment?). ${HINT}`);
  if (!existsSync(join(sources, 'Makefile'))) throw new RuntimeBuildError(`${sources}/Makefile is missing: reinstall cc-wb. ${HINT}`);
  const own = runtimeDir({});
  try {
    build(own, env);
    return env;
  } catch (err) {
    if (err instanceof RuntimeBuildError || writable(err)) throw err;
  }
  const cache = userCacheDir(env);
  build(cache, env);
  return { ...env, CC_WB_RUNTIME_DIR: cache };
}
