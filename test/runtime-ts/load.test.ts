// load()'s memory-management choice: the runtime's manager by default, given hooks, or none.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { load, MemoryManager, stats, type LibraryModule, type MemoryHooks } from '../../runtime-ts/index.js';

let path: string;

beforeAll(async () => {
  await requireBuilt();
  path = await buildLibrary('hw-load', [join(fixtures, 'hw.c')]);
});

describe('load(): memory management', () => {
  it("gives a library with the runtime the runtime's one memory manager", () => {
    const a = load(path);
    expect(a.$lib.hooks).toBeInstanceOf(MemoryManager);
    expect(load(path)).toBe(a);
    expect(stats(a).live).toBeGreaterThanOrEqual(0);
  });

  it('uses the hooks given in its options', () => {
    const created: Array<number | undefined> = [];
    let reached = 0;
    const hooks: MemoryHooks = {
      reached() {
        reached++;
      },
      created(_addr, _proxy, size) {
        created.push(size);
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path, { hooks }) as LibraryModule & Record<string, any>;
    expect(lib.$lib.hooks).toBe(hooks);
    const h = new lib.hw({ x: 3 });
    expect(created).toEqual([lib.$sizeof('struct hw')]);
    expect(lib.hw_p_x(h)).toBe(3);
    const p = lib.hw_p_zero();
    expect(reached).toBe(1);
    lib.hw_p_free(p);
    expect(() => stats(lib)).toThrow(/without memory management/);
  });

  it('manages nothing with { memory: false }', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path, { memory: false }) as LibraryModule & Record<string, any>;
    expect(lib.$lib.hooks).not.toBeInstanceOf(MemoryManager);
    expect(new lib.hw({ x: 1 }).release()).toBe(false);
    expect(() => stats(lib)).toThrow(/without memory management/);
  });
});
