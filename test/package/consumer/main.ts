// Strict TypeScript against the declarations cc-wb-dts wrote for libshelf.so.
import { fileURLToPath } from 'node:url';
import { collect, load, scope, stats } from 'cc-wb/runtime-ts';
import type { Library, book } from './libshelf.js';

const lib = load<Library>(fileURLToPath(new URL('./libshelf.so', import.meta.url)));
const shelf = lib.shelf_new();
if (!shelf) throw new Error('shelf_new returned NULL');

// The books are host memory; once the scope releases their proxies only C's pointers keep them.
scope(() => {
  for (const [title, year] of [['Dubliners', 1914], ['Ulysses', 1922], ['Finnegans Wake', 1939]] as const) {
    lib.shelf_add(shelf, new lib.book({ title, year }));
  }
});

const first: book | null = shelf.first;
const titles: string[] = [];
for (let b = first; b; b = b.next) titles.push(b.title ?? '?');

// Two books that only point at each other: unreachable, found by the cycle collector.
scope(() => lib.shelf_ring(new lib.book({ title: 'a', year: 1 }), new lib.book({ title: 'b', year: 2 })));
collect(lib);
const s = stats(lib);

console.log(JSON.stringify({
  count: lib.shelf_count(shelf),
  oldest: lib.shelf_oldest(shelf),
  titles,
  maxTitle: lib.SHELF_MAX_TITLE,
  cycleObjects: s.cycleObjects,
}));
