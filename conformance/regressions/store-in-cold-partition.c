/* Found by: spec-bench's gawk workload hanging under the x86-64 asm store barrier (gawk 5.2.1
 * support/dfa.c:4423, dfacopysyntax, whose tail gcc moved to .text.unlikely after the cold call
 * of the memset barrier).
 * conformance-flags: -O2
 * conformance-status: fixed (2026-12-04, instrument/)
 *
 * Expected (as plain cc): prints "ok 4" and exits 0.
 * cc-wb: the asm store barrier put its cold stub in .text.unlikely with .pushsection; when gcc
 * itself emitted the store into .text.unlikely (the unlikely branch below, split off by
 * -freorder-blocks-and-partition), the stub followed the `jne` directly, so with no host the code
 * fell through into the stub, which "returned" to just before itself: an endless loop.
 */
#include <stdio.h>

struct node { struct node *next; int v; };

__attribute__((cold, noinline)) static void note(const char *what) { fprintf(stderr, "%s\n", what); }

__attribute__((noinline)) static int link_rarely(struct node *a, struct node *b, int rare)
{
  if (__builtin_expect(rare, 0)) {
    note("rare path");
    a->next = b;          /* a pointer store in gcc's cold partition */
    b->next = 0;
    return a->v + b->v;
  }
  a->next = 0;
  return a->v;
}

int main(void)
{
  struct node x = { 0, 1 }, y = { 0, 2 };
  int r = link_rarely(&x, &y, 0) + link_rarely(&x, &y, 1) - 1;
  printf("ok %d\n", r + (x.next == &y));
  return 0;
}
