/* Found by: adversarial input for the pass (a 10,000-deep parenthesized expression and a
 * 30,000-term sum, both from macros here).
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (the pass walks, renders and checks the tree with explicit
 *   stacks instead of recursion)
 *
 * Expected (as plain cc): builds, the stores to g barriered, prints "30000 1" and exits 0.
 * cc-wb: the pass overflowed its stack ("Maximum call stack size exceeded") and the unit was
 * compiled without barriers.
 */
#include <stdio.h>

#define P10(x) ((((((((((x))))))))))
#define P100(x) P10(P10(P10(P10(P10(P10(P10(P10(P10(P10(x))))))))))
#define P1000(x) P100(P100(P100(P100(P100(P100(P100(P100(P100(P100(x))))))))))
#define P10000(x) P1000(P1000(P1000(P1000(P1000(P1000(P1000(P1000(P1000(P1000(x))))))))))
#define S10(x) x + x + x + x + x + x + x + x + x + x
#define S100(x) S10(x) + S10(x) + S10(x) + S10(x) + S10(x) + S10(x) + S10(x) + S10(x) + S10(x) + S10(x)
#define S1000(x) S100(x) + S100(x) + S100(x) + S100(x) + S100(x) + S100(x) + S100(x) + S100(x) + S100(x) + S100(x)
#define S10000(x) S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x) + S1000(x)

int *g;
int total;

static int sum(int a) { return S10000(a) + S10000(a) + S10000(a); }

int main(void) {
  int v = 1;
  g = P10000(&v);
  total = sum(v);
  g = P10000(g = &total);
  printf("%d %d\n", total, g == &total);
  return 0;
}
