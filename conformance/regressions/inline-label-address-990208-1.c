/* Found by: GCC torture execute/990208-1.c, -O1 and -O2 (SIGABRT under cc-wb, exit 0 under cc).
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-04 (the store's barrier is one gated call, spelled out without
 *   the prelude's inline wrappers, which gcc's early inliner counted against doit())
 *
 * Expected (as plain cc): exit 0. GCC inlines doit() into f() and g(), so each copy of the label
 * `here` has its own address and ptr1 != ptr2.
 * cc-wb: the barrier on `*pptr = &&here` makes doit() big enough that GCC's ipa-split outlines
 * its conditional body into one shared `doit.part.0`; both calls then store the same label
 * address and the program aborts. The program depends on an optimisation decision (GCC keeps it
 * as a quality-of-implementation test), but it is a behaviour change caused by the barrier's
 * size: a smaller inline fast path, or the slow path kept out of line and cold, keeps GCC's
 * inlining decisions as they were.
 */
#include <stdlib.h>

static void *ptr1, *ptr2;
static int i = 1;

static __inline__ void doit(void **pptr, int cond) {
  if (cond) {
  here:
    *pptr = &&here;
  }
}

__attribute__((noinline)) static void f(int cond) { doit(&ptr1, cond); }
__attribute__((noinline)) static void g(int cond) { doit(&ptr2, cond); }

int main(void) {
  f(i);
  g(i);
  if (ptr1 == ptr2)
    abort();
  return 0;
}
