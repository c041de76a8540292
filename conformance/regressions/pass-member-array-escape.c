/* Found by: review of the pass's escape analysis.
 * conformance-flags: -O2 -w
 * conformance-check: barriers
 * conformance-status: fixed 2026-12-06 (a member array used as a value is an escape of its record)
 *
 * Expected: the stores `s.p = x` are barriered: each record's member array escapes (passed to
 * keep(), `s.arr + 1`, `&s.arr[1]`), and with it the record, so another function can read s.p
 * through it. Output is the same either way ("3"): the missing barriers show only in the report,
 * which `conformance-check: barriers` compares with clang's AST.
 * cc-wb: `&s.k` made s escape, but an escaping member array did not, so `s.p = x` was taken for
 * a private local and left unbarriered.
 */
#include <stdio.h>

struct s {
  int *arr[2];
  int *p;
};

static int *volatile *kept[3];

static void keep(int i, int **a) { kept[i] = (int *volatile *)a; }

static int one(int *x) { struct s s = {{0, 0}, 0}; keep(0, s.arr); s.p = x; return kept[0][2] == x; }
static int two(int *x) { struct s s = {{0, 0}, 0}; int **q = s.arr + 1; keep(1, q); s.p = x; return kept[1][1] == x; }
static int three(int *x, int i) { struct s s = {{0, 0}, 0}; keep(2, &s.arr[i]); s.p = x; return kept[2][2 - i] == x; }

int main(void) {
  int v;
  printf("%d\n", one(&v) + two(&v) + three(&v, 0));
  return 0;
}
