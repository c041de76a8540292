/* Found by: adversarial input for the pass.
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (escapes are resolved to the declaration in scope, and a
 *   register variable never escapes)
 *
 * Expected (as plain cc): builds and prints "ok".
 * cc-wb: the pass took `r` as address-taken because an inner variable of the same name has its
 * address taken (and, in g, because the function contains a nested function), so its barrier
 * wrote `&r`, which gcc rejects ("address of register variable 'r' requested"); the unit was
 * compiled without barriers.
 */
#include <stdio.h>

int *gp;

static int f(int *p) {
  register int *r = p;
  {
    int *r = 0;
    int **q = &r;
    *q = p;
    if (r != p) return 1;
  }
  r = gp;
  gp = r;
  return 0;
}

static int g(int *p) {
  register int *r = p;
  int k = 2;
  int n(void) { return k; }
  r = gp;
  gp = r + n() - 2;
  return gp == r ? 0 : 1;
}

int main(void) {
  int v[4];
  gp = v;
  puts(f(v) == 0 && g(v) == 0 ? "ok" : "wrong");
  return 0;
}
