// The barrier, observed from inside a running program: each store in fixtures/stores.c is checked
// against what the recording runtime saw, under gcc and clang, with and without optimisation.
import { describe, expect, it } from 'vitest';
import { buildAndRun, buildAndRunPlain, readFixture } from './helpers.js';

const source = readFixture('stores.c');

describe('barrier semantics', () => {
  for (const cc of ['gcc', 'clang']) {
    for (const opt of ['-O0', '-O2']) {
      for (const form of ['call', 'x86-64-asm', 'x86-64-avx-asm'] as const) {
        it(`reports every pointer store and nothing else (${cc} ${opt}, ${form} form)`, () => {
          const run = buildAndRun(source, cc, [opt], form);
          expect(run.stderr).toBe('');
          expect(run.status).toBe(0);
          expect(run.stdout).toMatch(/failures=0/);
          expect(run.result.stats.barriered).toBeGreaterThanOrEqual(24);
          expect(run.result.stats.arithmetic).toBeGreaterThanOrEqual(5);
        });
      }
    }
  }

  it('leaves the program computing what it computed before', () => {
    const prog = `
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      struct n { struct n *next; int v; };
      struct n *head;
      static int cmp(const void *a, const void *b) { return (*(struct n *const *)a)->v - (*(struct n *const *)b)->v; }
      int main(void) {
        struct n *arr[64];
        for (int i = 0; i < 64; i++) { struct n *x = malloc(sizeof *x); x->v = (i * 37) % 64; x->next = head; head = x; arr[i] = x; }
        qsort(arr, 64, sizeof arr[0], cmp);
        long sum = 0; for (struct n *p = head; p; p = p->next) sum = sum * 3 + p->v;
        printf("%ld %d %d\\n", sum, arr[0]->v, arr[63]->v);
        while (head) { struct n *x = head; head = head->next; free(x); }
        return 0;
      }`;
    const plain = buildAndRunPlain(prog);
    const inst = buildAndRun(prog);
    expect(inst.status).toBe(0);
    expect(inst.stdout).toBe(plain.stdout);
  });
});
