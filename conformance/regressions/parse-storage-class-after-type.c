/* Found by: GCC torture execute/20180921-1 (cc-wb warns "cannot parse 'g'" and compiles the unit
 * without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/normalize.ts: the end of a struct/union/enum
 * body or of an initializer no longer counts as the start of a declaration, so the `static` after it
 * is not taken for a K&R implicit-int declaration and rewritten to `int` in the parse copy)
 *
 * Expected: cc-wb instruments this unit and the program exits 0 as under cc. C allows the
 * storage class after the type specifier (`struct a {...} static g`, C11 6.11.5 calls it
 * obsolescent, gcc accepts it silently); tree-sitter-c 0.24 does not, and the pass falls back to a
 * plain compile for the whole unit, so the pointer store in set() goes unbarriered.
 * (tree-sitter-c itself parses `T static x`; the pass's normalization of K&R `static x = 0;` took the
 * `static` after the closing brace for the start of an implicit-int declaration. The same inside a
 * function, where the static local h must be barriered too.)
 */
struct a {
  int *p;
  int c;
} static g = {0, 5};

static int x;

void set(int *v) { g.p = v; }

int *keep(int *v) {
  struct b {
    int *q;
  } static h;
  union {
    int *r;
    long l;
  } static u = {0};
  h.q = v;
  u.r = v;
  return u.r == h.q ? h.q : 0;
}

int main(void) {
  set(&x);
  return g.p == &x && g.c == 5 && keep(&x) == &x ? 0 : 1;
}
