// Where things live: the repository (found from this module, compiled or not) and the download/build
// cache (`<repo>/.cache`, gitignored; CC_WB_CACHE overrides it so CI can keep it between runs).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'runtime-c'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('conformance: cannot find the cc-wb repository root above ' + fileURLToPath(import.meta.url));
}

export const repoRoot = findRepoRoot();

export function cacheRoot(): string {
  const dir = process.env.CC_WB_CACHE ? resolve(process.env.CC_WB_CACHE) : join(repoRoot, '.cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A sub-folder of the cache, created on demand. */
export function cacheDir(...parts: string[]): string {
  const dir = join(cacheRoot(), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The driver under test as a command line: `node <repo>/toolchain/bin/cc-wb.js`. */
export function defaultWbCommand(): string {
  return `${process.execPath} ${join(repoRoot, 'toolchain', 'bin', 'cc-wb.js')}`;
}

export const regressionsDir = join(repoRoot, 'test', 'conformance', 'regressions');
