/* Found by: the conformance projects suite's barrier-completeness check: expat 2.5.0
 * tests/runtests.c:7548 and :7629, `memset(&document[2], ' ', big - 2)` with `char *document` a
 * heap buffer, are left unbarriered (the oracle counts them: the destination is reached through a
 * pointer, so nothing bounds what the call overwrites).
 * conformance-flags: -O2 -w
 * conformance-check: barriers
 * conformance-status: fixed 2026-12-04 (a copy into an arithmetic object is barriered; the prelude's
 *   __wb_memcpy_into reduces it to the builtin only for a constant size within the object)
 *
 * Expected: the memcpy in load() is barriered (a `call` site in cc-wb's report), because it
 * overwrites `n->next`, a pointer. Output is the same either way ("7 1"): the missing barrier shows
 * only in the report, which `conformance-check: barriers` compares with clang's AST.
 * cc-wb: Rewriter.copiesIntoScalar (instrument/rewrite.ts) keeps `memcpy(&x, p, len)` a plain
 * builtin whenever `x` has an arithmetic type, without looking at `len` or at the object `x` lies
 * in. Here `x` is `n->v`, an int, but the copy is `sizeof *n` bytes and also writes `next`. The
 * same holds for `memcpy(&s.n, p, sizeof s)` on a struct variable holding pointers. Sound would be:
 * `x` inside a variable (through `.` and array subscripts, not `->` or `*`) whose whole type holds
 * no pointer (what the oracle now accepts, harness/oracle/oracle.ts COPY_CALLS), or `len` a constant
 * no larger than `sizeof x`.
 */
#include <stdio.h>
#include <string.h>

struct node { int v; struct node *next; };

struct node a, b;

/* Copies a whole node over `n`, naming its first member as the destination. */
void load(struct node *n, const struct node *from) {
  memcpy(&n->v, from, sizeof *n);
}

int main(void) {
  struct node src = { 7, &b };
  load(&a, &src);
  printf("%d %d\n", a.v, a.next == &b);
  return 0;
}
