/* Found by: review of the pass's renaming of libc functions.
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (a variable named like a routed libc function is the
 *   program's own)
 *
 * Expected (as plain cc): prints "3": the calls go through the program's own function pointers.
 * cc-wb: `free(...)` and `memset(...)` were renamed to the runtime's __wb_free and __wb_memset,
 * so the calls reached libc (or did not build: memset with one argument).
 */
int printf(const char *, ...);

static int count;
static void mine(void *p) { (void)p; count++; }
static void (*free)(void *) = mine;

int main(void) {
  static void (*memset)(void *) = mine;
  free(0);
  free(&count);
  memset(0);
  printf("%d\n", count);
  return 0;
}
