/* The shadow map the inline barrier tests: one byte per 1 MiB granule, non-zero while the
 * granule overlaps a HOST object. Counts per granule decide when a byte may go back to zero. */
#include "internal.h"

unsigned char __wb_shadow[1ul << WB_ABI_SHADOW_BITS];
int __wb_active;

static uint32_t *granule_counts;   /* 2^27 counters, reserved on first use */
wb_lock wb_counts_lock;

static uint32_t *counts(void)
{
  uint32_t *c = __atomic_load_n(&granule_counts, __ATOMIC_ACQUIRE);
  if (wb_likely(c != NULL)) return c;
  wb_lock_acquire(&wb_counts_lock);
  c = granule_counts;
  if (c == NULL) {
    c = wb_os_reserve(sizeof(uint32_t) << WB_ABI_SHADOW_BITS);
    if (c != NULL) __atomic_store_n(&granule_counts, c, __ATOMIC_RELEASE);
  }
  wb_lock_release(&wb_counts_lock);
  return c;
}

void wb_shadow_adjust(uintptr_t base, size_t size, int delta)
{
  uintptr_t mask = WB_SHADOW_MASK;
  uintptr_t first = base >> WB_ABI_SHADOW_SHIFT;
  uintptr_t last = (base + (size ? size - 1 : 0)) >> WB_ABI_SHADOW_SHIFT;
  uint32_t *c = counts();
  for (uintptr_t g = first; g <= last; g++) {
    uintptr_t i = g & mask;
    if (c == NULL) {             /* no room for counts: marks stay (only costs slow-path calls) */
      if (delta > 0) __atomic_store_n(&__wb_shadow[i], 1, __ATOMIC_SEQ_CST);
      continue;
    }
    uint32_t now = __atomic_add_fetch(&c[i], (uint32_t)delta, __ATOMIC_SEQ_CST);
    /* Whoever changed the count last re-derives the byte from it, so a racing 0->1 and 1->0
     * always end with the byte matching the final count. */
    for (;;) {
      unsigned char want = now != 0;
      __atomic_store_n(&__wb_shadow[i], want, __ATOMIC_SEQ_CST);
      uint32_t again = __atomic_load_n(&c[i], __ATOMIC_SEQ_CST);
      if ((again != 0) == want) break;
      now = again;
    }
  }
}

/* Every instrumented unit references __wb_active, so this object is always linked: it pulls in
 * the host API, which nothing in the program calls but the host finds by name, and every entry
 * point an instrumented shared library may call, which an executable exports (`__wb_*`) so that
 * the libraries it loads use its runtime rather than an idle libwbrt.so of their own. */
#if defined(__x86_64__) && !defined(__ILP32__)
/* store_hook.c: entered only from the stubs' frames (wb_abi.h), never called from C. */
extern char __wb_store_hook_dso[], __wb_store_hook_avx_dso[], __wb_range_hook_dso[],
    __wb_range_hook_avx_dso[];
#endif
__attribute__((used)) static void *const wb_keep_entry_points[] = {
  (void *)wb_host_register, (void *)wb_host_unregister, (void *)wb_drain, (void *)wb_log_hint,
  (void *)wb_query, (void *)wb_attach, (void *)wb_detach, (void *)wb_adopt, (void *)wb_host_alloc,
  (void *)wb_set_type, (void *)wb_store_ptr, (void *)wb_get_stats,
  (void *)__wb_dso_register, (void *)__wb_store_before, (void *)__wb_range_assign_slow,
  (void *)__wb_memcpy_slow, (void *)__wb_memmove_slow, (void *)__wb_memset_slow,
  (void *)__wb_memcpy_before, (void *)__wb_memset_before, (void *)__wb_explicit_bzero,
  (void *)__wb_qsort, (void *)__wb_malloc, (void *)__wb_calloc, (void *)__wb_realloc,
  (void *)__wb_reallocarray, (void *)__wb_aligned_alloc, (void *)__wb_memalign,
  (void *)__wb_posix_memalign, (void *)__wb_valloc, (void *)__wb_strdup, (void *)__wb_strndup,
  (void *)__wb_free, (void *)__wb_getline, (void *)__wb_getdelim,
#if defined(__x86_64__) && !defined(__ILP32__)
  (void *)__wb_store_hook_dso, (void *)__wb_store_hook_avx_dso, (void *)__wb_range_hook_dso,
  (void *)__wb_range_hook_avx_dso,
#endif
};
