// load(path, { deepBind: true }): a library's calls to its own functions bind to its own
// definitions even where node exports the same name (node's bundled zlib exports crc32).
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt, work } from './helpers.js';
import { load, type LibraryModule } from '../../runtime-ts/index.js';

let plainPath: string;
let deepPath: string;

beforeAll(async () => {
  await requireBuilt();
  plainPath = await buildLibrary('deepbind', [join(fixtures, 'deepbind.c')]);
  // A second file, since load() keeps one module per path.
  deepPath = join(work(), 'libdeepbind-deep.so');
  copyFileSync(plainPath, deepPath);
});

describe('deepBind', () => {
  it("binds the library's own calls to its own definitions, not node's", () => {
    const plain = load(plainPath) as LibraryModule & { call_own_crc32(): number; crc32(c: number, b: null, n: number): number };
    const deep = load(deepPath, { deepBind: true }) as typeof plain;
    // Without it, the library's call of crc32 reaches node's zlib (crc32 of nothing is 0).
    expect(plain.call_own_crc32()).toBe(0);
    expect(deep.call_own_crc32()).toBe(42);
    // Calls from TypeScript go to the library's symbol either way.
    expect(plain.crc32(0, null, 1)).toBe(43);
    expect(deep.crc32(0, null, 1)).toBe(43);
  });
});
