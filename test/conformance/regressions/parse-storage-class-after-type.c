/* Found by: GCC torture execute/20180921-1 (cc-wb warns "cannot parse 'g'" and compiles the unit
 * without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: open (reported to the lead, 2026-11-22)
 *
 * Expected: cc-wb instruments this unit and the program exits 0 as under cc. C allows the
 * storage class after the type specifier (`struct a {...} static g`, C11 6.11.5 calls it
 * obsolescent, gcc accepts it silently); tree-sitter-c 0.24 does not, and the pass falls back to a
 * plain compile for the whole unit, so the pointer store in set() goes unbarriered.
 */
struct a {
  int *p;
  int c;
} static g = {0, 5};

static int x;

void set(int *v) { g.p = v; }

int main(void) {
  set(&x);
  return g.p == &x && g.c == 5 ? 0 : 1;
}
