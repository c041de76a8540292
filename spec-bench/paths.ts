// Where spec-bench keeps things: test/real's repository root and cache (so Debian sources and builds
// are shared with the real-program tests), a folder of its own in that cache, and the results folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, repoRoot } from '../test/real/cache.js';

export { repoRoot };

/** <cache>/spec-bench/<parts>, created on demand. */
export function benchCache(...parts: string[]): string {
  const dir = join(cacheRoot(), 'spec-bench', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export const resultsDir = join(repoRoot, 'spec-bench', 'results');
