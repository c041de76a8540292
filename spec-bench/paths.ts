// Where spec-bench keeps things: a folder of its own in the shared cache (harness/cache.ts, so Debian
// sources and builds are shared with the tests and the conformance harness), and the results folder.
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../harness/cache.js';

export { repoRoot };

/** <cache>/spec-bench/<parts>, created on demand. */
export function benchCache(...parts: string[]): string {
  return cacheDir('spec-bench', ...parts);
}

export const resultsDir = join(repoRoot, 'spec-bench', 'results');
