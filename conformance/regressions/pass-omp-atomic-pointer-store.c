/* Found by: adversarial input for the pass.
 * conformance-flags: -O2 -w -fopenmp
 * conformance-status: fixed 2026-12-06 (the barrier's work moves before the pragma line, or after
 *   the statement for a read; the statement keeps the form OpenMP requires)
 *
 * Expected (as plain cc): builds and prints "ok 3".
 * cc-wb: the barrier wrapped the assignment under `#pragma omp atomic write`, which gcc rejects
 * ("expected '=' before ';' token"); the unit was compiled without barriers.
 */
#include <stdio.h>

struct node { struct node *next; };
struct node *g, *h;
int k;

static void f(struct node *p) {
#pragma omp atomic write
  g = p;
#pragma omp atomic read
  h = g;
#pragma omp atomic
  k = k + 1;
#pragma omp atomic write
  p->next = h;
#pragma omp atomic update
  k += 2;
}

int main(void) {
  struct node n = {0};
  f(&n);
  printf("%s %d\n", g == &n && h == &n && n.next == &n ? "ok" : "wrong", k);
  return 0;
}
