/* Found by: GCC torture execute/920812-1, 920908-2, 921113-1 (cc-wb warns "cannot parse" and
 * compiles the unit without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/normalize.ts: when there is no room in the
 * parse copy for a type name before a one- or two-letter name, the parameter list keeps only the
 * names, `f2(      x) {`, which the rewriter handles as an implicit-int definition)
 *
 * Expected: cc-wb instruments this unit (the stores to g, h and saved are pointer stores into
 * globals) and the program exits 0 as under cc.
 * gnu17 still accepts K&R-era definitions with an implicit int return type. The parse copy gives
 * them a type name taken from the blanks before the name, or from the name itself, and had none
 * for a short name right after the previous line (`}\nf2(float x, float y)`, `;\nf(t y)`).
 * Definitions with a K&R declaration list (`k(x, y) int x; char **y; {`) are kept as a guard.
 */
typedef int t;
struct s {
  int *m;
};
static int v;
static int *g;
static struct s h;
static char *saved;
static char buf[4];
f(t y){g = &v; return y + 1;}
f2(float x, struct s q)
{
  h = q;
  return x > 0;
}
k(x, y) register int x; char **y; { *y = saved; return x; }
g2(a, b) int a; char *b; { saved = b; return a; }
static h3(void) { return 7; }

int main(void) {
  struct s q = {&v};
  char *cp = 0;
  if (f(1) != 2 || g != &v) return 1;
  if (f2(1.0f, q) != 1 || h.m != &v) return 2;
  if (g2(3, buf) != 3 || saved != buf) return 3;
  if (k(5, &cp) != 5 || cp != buf) return 4;
  return h3() == 7 ? 0 : 5;
}
