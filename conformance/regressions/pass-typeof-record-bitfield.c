/* Found by: adversarial input for the pass.
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (`__typeof__(struct { ... })` keeps the record visible to
 *   the pass; the base of a field store is typed through ++, ?:, + and -)
 *
 * Expected (as plain cc): builds and prints "1 1 1 1 3".
 * cc-wb: the pass did not see the bit-field `p` of the record declared through __typeof__ and
 * barriered `v.p = 1` (taking a bit-field's address, which gcc rejects); and it could not type
 * the bases `b++`, `(++b)`, `(c ? b : b)`, so it could not tell the bit-field `w.p` from the
 * pointer `u.p`. Either way the unit was compiled without barriers.
 */
#include <stdio.h>

struct u { int *p; };
__typeof__(struct { int p : 3; int q; }) v;
typeof(struct w2 { int p : 2; int *r; }) v2;
struct w { int p : 3; };

static int f(struct w *b, int c) {
  b++->p = 1;
  (++b)->p = 2;
  (c ? b : b)->p = 3;
  (b + 1)->p = 1;
  (b - 1)->p = 1;
  return b->p;
}

int main(void) {
  struct w a[8] = {{0}};
  struct u keep = {0};
  v.p = 1;
  v2.p = 1;
  v2.r = keep.p;
  int r = f(a + 3, 1);
  printf("%d %d %d %d %d\n", v.p, v2.p, a[3].p, a[4].p, r);
  return 0;
}
