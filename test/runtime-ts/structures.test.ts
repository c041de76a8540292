// A linked list and a binary tree, built on either side, walked on the other; a library made of
// two units that share a header (their metadata merges).
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { load, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('structures', [join(fixtures, 'list.c'), join(fixtures, 'tree.c')])) as typeof lib;
});

describe('metadata of a library linked from several units', () => {
  it('merges both units (functions of each, one struct node)', () => {
    expect(lib.$meta.units).toHaveLength(2);
    expect(typeof lib.list_push).toBe('function');
    expect(typeof lib.tree_insert).toBe('function');
    expect(lib.$meta.conflicts).toEqual([]);
    expect(lib.node.size).toBe(16);
    expect(lib.tree.size).toBe(32);
  });
});

describe('linked list', () => {
  it('built in C, walked in TypeScript', () => {
    let head = null;
    for (let i = 1; i <= 5; i++) head = lib.list_push(head, i * 10);
    expect(lib.list_length(head)).toBe(5);
    const seen: number[] = [];
    for (let n = head; n; n = n.next) seen.push(n.value);
    expect(seen).toEqual([50, 40, 30, 20, 10]);
    expect(lib.list_nth(head, 0)).toBe(head);
    expect(lib.list_nth(head, 2)).toBe(head.next.next);
    expect(lib.list_nth(head, 9)).toBeNull();
    head = lib.list_reverse(head);
    expect(head.value).toBe(10);
    lib.list_free(head);
  });

  it('built in TypeScript, walked in C', () => {
    const c = new lib.node({ value: 3 });
    const b = new lib.node({ value: 2, next: c });
    const a = new lib.node({ value: 1, next: b });
    expect(lib.list_sum(a)).toBe(6);
    expect(lib.list_length(a)).toBe(3);
    expect(a.next).toBe(b);
    // Nested plain objects become nodes too.
    expect(lib.list_sum({ value: 1, next: { value: 2, next: { value: 4 } } })).toBe(7);
    // Mixed: C pushes onto a TypeScript list.
    const d = lib.list_push(a, 100);
    expect(d.next).toBe(a);
    expect(lib.list_sum(d)).toBe(106);
    a.next = null;
    expect(lib.list_sum(d)).toBe(101);
  });
});

describe('binary tree', () => {
  it('built in C, walked recursively in TypeScript', () => {
    let t = null;
    for (const k of [50, 30, 70, 20, 40, 60, 80, 35]) t = lib.tree_insert(t, k, `k${k}`);
    const keys: number[] = [];
    const walk = (n: any): void => {
      if (!n) return;
      walk(n.left);
      keys.push(n.key);
      walk(n.right);
    };
    walk(t);
    expect(keys).toEqual([20, 30, 35, 40, 50, 60, 70, 80]);
    expect(lib.tree_depth(t)).toBe(4);
    expect(lib.tree_find(t, 35).label).toBe('k35');
    expect(lib.tree_find(t, 35)).toBe(t.left.right.left);
    expect(lib.tree_find(t, 36)).toBeNull();
  });

  it('built in TypeScript from nested objects, searched in C', () => {
    const t = new lib.tree({ key: 10, label: 'root', left: { key: 5, left: { key: 1 } }, right: { key: 15, label: 'r' } });
    expect(lib.tree_count(t)).toBe(4);
    expect(lib.tree_sum(t)).toBe(31);
    expect(lib.tree_find(t, 15)).toBe(t.right);
    expect(lib.tree_find(t, 15).label).toBe('r');
    lib.tree_insert(t, 12, 'twelve');
    expect(t.right.left.key).toBe(12);
    expect(t.right.left.label).toBe('twelve');
  });
});
