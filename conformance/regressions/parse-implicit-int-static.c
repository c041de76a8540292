/* Found by: GCC torture execute/pr34176 (cc-wb warns "cannot parse: expected identifier" at
 * `static count = 0;` and compiles the unit without write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/)
 *
 * Expected: cc-wb instruments this unit (the store to `last` is a pointer store into static
 * memory) and the program exits 0 as under cc. `static count = 0;` declares an implicit-int
 * local, which gnu17 still accepts; tree-sitter-c 0.24 does not parse it.
 */
static int *last;

int *next(int *p) {
  static count = 0;
  count++;
  last = p;
  return last;
}

int main(void) {
  int v;
  return next(&v) == &v && last == &v ? 0 : 1;
}
