/* Found by: the conformance projects suite (xz-utils and lz4 build with -Wextra: "this statement
 * may fall through" appears only under cc-wb, 43 times in lz4).
 * conformance-flags: -O2 -Wextra -Werror
 * conformance-status: fixed (2026-11-22, toolchain/driver.ts + toolchain/comments.ts: when the
 * fall-through warning may be on and the unit has a switch, step 1 runs again with -C and that text
 * is used when its tokens are the plain text's (-C changes stringized/pasted macro arguments and
 * directives after a comment); comments gcc would not honour in the source are dropped, line
 * markers between a comment and its label become blank lines; instrument/ reads around comments)
 *
 * Expected (as plain cc): the `// fall through` comment silences -Wimplicit-fallthrough, so the file
 * builds under -Werror, with the pointer store barriered, and exits 0.
 * cc-wb: the unit is preprocessed without -C, so the comment is gone by the time the instrumented
 * .i is compiled and gcc warns; with -Werror the compile fails outright (the warning comes from the
 * user's own code, so the driver's fallback compiles the same comment-less text and fails too).
 * Preprocessing with -C (comments kept; gcc then still honours fall-through comments) fixes it.
 */
static int x;
static int *last;

int step(int state) {
  int r = 0;
  switch (state) {
  case 0:
    last = &x;
    r += 1;
    // fall through
  case 1:
    r += 2;
    break;
  default:
    r = -1;
  }
  return r;
}

int main(void) { return step(0) == 3 && last == &x ? 0 : 1; }
