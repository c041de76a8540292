// What the conformance harness adds to the compilers it compares (harness/compilers.ts): a one-word
// wrapper for build systems, and a cache of the reference compiler's results: plain cc's outcome for a
// given source, flags and compiler version never changes, so a second run (and CI with a kept cache)
// only pays for the compiler under test.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Compiler } from '../harness/compilers.js';
import { cacheDir } from '../harness/cache.js';

/**
 * A shell-free executable wrapper (`<cache>/conformance/bin/<name>`) for build systems that want one
 * word in CC=: autoconf and Makefiles mostly cope with "node x.js", but not all of them.
 */
export function compilerShim(c: Compiler): string {
  if (c.words.length === 1 && c.words[0]!.startsWith('/')) return c.words[0]!;
  const dir = cacheDir('conformance', 'bin');
  const path = join(dir, c.label.replace(/[^\w.-]/g, '_'));
  const quoted = c.words.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const text = `#!/bin/sh\nexec ${quoted} "$@"\n`;
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    chmodSync(tmp, 0o755);
    renameSync(tmp, path);
  }
  return path;
}

export function sha1(...parts: string[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** Results of the reference compiler keyed by content; persisted as one JSON file per compiler identity. */
export class ResultCache<T> {
  private readonly path: string;
  private readonly data: Record<string, T>;
  private dirty = 0;

  constructor(suite: string, compiler: Compiler, private readonly enabled: boolean) {
    this.path = join(cacheDir('conformance', 'ref'), `${suite}-${sha1(compiler.fingerprint()).slice(0, 12)}.json`);
    let data: Record<string, T> = {};
    if (enabled && existsSync(this.path)) {
      try {
        data = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, T>;
      } catch {
        data = {}; // a torn write from a killed run: start over
      }
    }
    this.data = data;
  }

  get(key: string): T | undefined {
    return this.enabled ? this.data[key] : undefined;
  }

  set(key: string, value: T): void {
    if (!this.enabled) return;
    this.data[key] = value;
    if (++this.dirty >= 100) this.save();
  }

  save(): void {
    if (!this.enabled || this.dirty === 0) return;
    // Two runs may share the cache (npm test beside npm run conformance): private temp, atomic rename.
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data));
    renameSync(tmp, this.path);
    this.dirty = 0;
  }
}
