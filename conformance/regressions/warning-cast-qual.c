/* Found by: the conformance projects suite (lz4 1.9.4 builds with -Wcast-qual: 0 warnings under
 * cc, 613 "cast discards 'const' qualifier from pointer target type" under cc-wb).
 * conformance-flags: -O2 -Wcast-qual -Werror
 * conformance-status: fixed 2026-12-04 (the barrier converts slot and value addresses through
 *   __wb_uintptr_t, which drops qualifiers without a -Wcast-qual warning)
 *
 * Expected (as plain cc): no warning, so it builds under -Werror, with the store `s.name = n`
 * barriered, and exits 0.
 * cc-wb: the barrier casts the slot and value addresses of a `const char *` lvalue to
 * `__wb_word_t *` (void **), which -Wcast-qual reports; with -Werror the instrumented unit does not
 * build and the driver compiles it without barriers. Casting through `const volatile void *` /
 * `(__wb_word_t *)(__UINTPTR_TYPE__)` or a may_alias union avoids the warning.
 */
struct rec {
  const char *name;
};

static struct rec s;

void set(const char *n) { s.name = n; }

int main(void) {
  set("x");
  return s.name[0] == 'x' ? 0 : 1;
}
