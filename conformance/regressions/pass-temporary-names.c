/* Found by: adversarial input for the pass.
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (the barrier's temporaries take a prefix that no identifier
 *   of the unit contains)
 *
 * Expected (as plain cc): prints "1 1 1".
 * cc-wb: the barrier declared its temporaries `__wb_s1`, `__wb_v1`..., so `g = __wb_s1` read the
 * barrier's own slot pointer instead of the parameter and stored the wrong value.
 */
#include <stdio.h>

int *g;

static int f(int *__wb_s1, int *__wb_v1, int *__wb_r2) {
  int ok = 0;
  g = __wb_s1;
  ok += g == __wb_s1;
  g = __wb_v1;
  ok += g == __wb_v1;
  g = __wb_r2;
  ok += g == __wb_r2;
  return ok;
}

int main(void) {
  int a, b, c;
  int r = f(&a, &b, &c);
  printf("%d %d %d\n", r >= 1, r >= 2, r == 3);
  return 0;
}
