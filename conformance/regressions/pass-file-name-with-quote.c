/* Found by: adversarial input for the pass (a source file whose name holds a quote and a
 * backslash; the #line below names one).
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (such a unit gets the C call form of the barrier)
 *
 * Expected (as plain cc): builds and prints "ok".
 * cc-wb: gcc writes the file name unescaped into the line comment before each asm statement's
 * text, so the asm barrier made the assembler read the rest of the file as a string ("invalid
 * character in mnemonic"); the unit was compiled without barriers.
 */
#include <stdio.h>
#line 14 "dir/a\"b\\c.c"
int *g;
static void set(int *p) { g = p; }
int main(void) {
  int x;
  set(&x);
  puts(g == &x ? "ok" : "wrong");
  return 0;
}
