/* Found by: the conformance projects suite (gawk 5.2.1 profile.c:269, `if (! rule_count[rule]++)`;
 * cc-wb compiled the unit without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/)
 *
 * Expected (as plain cc): postfix ++ binds tighter than prefix !, so `!a[i]++` is `!(a[i]++)`:
 * the program instruments cleanly and exits 0.
 * cc-wb: the pass takes the operand of ++ to be `! a[i]` (tree-sitter-c 0.24 groups `!x++` as
 * `(!x)++`) and emits `__auto_type __wb_s = &(! a[i]);`, which does not compile ("lvalue required
 * as unary '&' operand"); the driver falls back to a plain compile of the whole unit, so the
 * pointer store in `!slots[i]++` below goes unbarriered (and with --wb-strict the build fails).
 */
static int counts[4];
static char buf[8];
static char *slots[4] = {0, buf, 0, 0};

int main(void) {
  int r = 0;
  if (!counts[1]++) r++;     /* counts[1] 0 -> 1, taken */
  if (!counts[1]++) r += 10; /* counts[1] 1 -> 2, not taken */
  if (!slots[1]++) r += 100; /* pointer increment through !: slots[1] = buf + 1, not taken */
  return r == 1 && counts[1] == 2 && slots[1] == buf + 1 ? 0 : 1;
}
