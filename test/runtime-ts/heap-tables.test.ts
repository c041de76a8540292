// The host's object tables after a mass release: they shrink back (typed arrays are malloc'd, and
// a table sized for the peak would keep that memory), and a recycled id never passes for the
// object it held before, even after the tables shrank and grew again.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { HostObjects, ALIVE } from '../../runtime-ts/heap/objects.js';
import { MemoryManager, collect, load, scope, stats, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('list-tables', [join(fixtures, 'list.c')])) as typeof lib;
});

describe('HostObjects', () => {
  it('shrinks when at most an eighth is used, and never reissues a generation', () => {
    const objs = new HostObjects();
    const ids: number[] = [];
    for (let i = 0; i < 20_000; i++) ids.push(objs.add(0x10000 + 16 * i, 16, 0));
    const keep = ids[5]!;
    const keptGen = objs.gen[keep];
    const old = ids[7]!;
    const oldGen = objs.gen[old]!;
    expect(objs.base.length).toBeGreaterThanOrEqual(32_768);
    objs.removeMany(ids.filter((id) => id !== keep));
    expect(objs.compact()).toBe(keep + 1); // the free ids past the last live one are dropped
    expect(objs.base.length).toBe(1024);
    expect(objs.byBase.keys.length).toBeLessThanOrEqual(2048);
    // What is left is intact and found by its base.
    expect(objs.flags[keep]! & ALIVE).toBe(ALIVE);
    expect(objs.gen[keep]).toBe(keptGen);
    expect(objs.byBase.get(0x10000 + 16 * 5)).toBe(keep);
    // Id 7 is given out again: to a new generation, which an old hold's cannot match.
    const again: number[] = [];
    for (let i = 0; i < 20_000; i++) again.push(objs.add(0x900000 + 16 * i, 16, 0));
    expect(again).toContain(old);
    expect(objs.gen[old]).not.toBe(oldGen);
    expect(new Set(again.map((id) => objs.gen[id])).size).toBe(again.length);
  });
});

describe('the memory manager after a mass release', () => {
  it('gives its tables back once a scope let go of 50,000 objects', () => {
    const manager = lib.$lib.hooks as MemoryManager;
    const before = stats(lib).freed;
    scope(() => {
      let sum = 0;
      for (let i = 0; i < 50_000; i++) sum += new lib.node({ value: i }).value;
      expect(sum).toBe((49_999 * 50_000) / 2);
      expect(manager.objs.base.length).toBeGreaterThanOrEqual(65_536);
      return null;
    });
    collect(lib);
    expect(stats(lib).live).toBe(0);
    expect(stats(lib).freed - before).toBe(50_000);
    expect(manager.objs.base.length).toBeLessThanOrEqual(2048);
    expect(manager.objs.byBase.keys.length).toBeLessThanOrEqual(4096);
    // And the manager goes on: an object made now is accounted and freed as before.
    scope(() => expect(lib.list_length(new lib.node({ value: 1 }))).toBe(1));
    collect(lib);
    expect(stats(lib).live).toBe(0);
  });
});
