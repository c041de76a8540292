/* Found by: the conformance projects suite (bzip2's bzlib.c:1267, BZ2_bzBuffToBuffCompress, warns
 * "'strm' may be used uninitialized" only under cc-wb).
 * conformance-flags: -O2 -Wall -Werror
 * conformance-status: fixed (2026-11-22, instrument/)
 *
 * Expected (as plain cc): compiles cleanly with -Wall -Werror, with barriers on the two pointer
 * stores into `st` (a local whose address escapes), and exits 0.
 * cc-wb: the barrier loads the slot's old value (`__wb_o1 = *(__wb_word_t *)__wb_s1`) before the
 * first store, so gcc reports "'st' is used uninitialized [-Werror=uninitialized]"; the driver then
 * compiles the unit without barriers (a warning, but every pointer store in it goes unrecorded),
 * and without -Werror the build shows a new -Wmaybe-uninitialized warning it did not have before.
 * Fixed in the pass (the old value is now read through __wb_load_old); kept as a guard.
 * Any project built with -Werror, or whose first store to an address-taken local is a pointer store,
 * hits this.
 */
#include <stddef.h>

struct s {
  void *a;
  void *b;
};

int init(struct s *p);

int use(void) {
  struct s st;
  st.a = NULL;
  st.b = NULL;
  return init(&st);
}

int init(struct s *p) { return p->a == p->b; }

int main(void) { return use() == 1 ? 0 : 1; }
