// Where downloaded sources and shared builds live (one cache for the tests, conformance and spec-bench),
// and a cross-process lock so processes that run in parallel (vitest forks, a benchmark beside the
// tests) never fetch or build the same thing twice at once.
import { mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root (this file lives in <repo>/harness/, or <repo>/dist/harness/ once compiled). */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      if (statSync(join(dir, 'package.json')).isFile() && statSync(join(dir, 'runtime-c')).isDirectory()) return dir;
    } catch {
      // keep climbing
    }
    dir = dirname(dir);
  }
  throw new Error('harness: cannot locate the repository root (package.json + runtime-c/)');
})();

/** Cache root: $CC_WB_CACHE if set, else <repo>/.cache (gitignored). Debian sources go to <root>/debian. */
export function cacheRoot(): string {
  const root = process.env.CC_WB_CACHE ? resolve(process.env.CC_WB_CACHE) : join(repoRoot, '.cache');
  mkdirSync(root, { recursive: true });
  return root;
}

/** A sub-folder of the cache, created on demand. */
export function cacheDir(...parts: string[]): string {
  const dir = join(cacheRoot(), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Runs `fn` while holding an exclusive lock named by `lockPath` (a directory created atomically with
 * mkdir). A lock whose owner process has died is broken; a live owner is waited for up to `timeoutMs`.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  mkdirSync(dirname(lockPath), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockPath);
      writeFileSync(join(lockPath, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockPath, 'owner'), 'utf8'));
      } catch {
        // owner file not written yet: the holder is between mkdir and writeFile
      }
      const ownerless = !(owner > 0) && ageMs(lockPath) > 10_000;
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || ownerless) {
        rmSync(lockPath, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > timeoutMs) throw new Error(`${lockPath}: still locked by pid ${owner} after ${timeoutMs} ms`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockPath, { recursive: true, force: true });
  }
}
