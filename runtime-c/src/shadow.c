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
 * the host API, which nothing in the program calls but the host finds by name in the library. */
__attribute__((used)) static void *const wb_keep_host_api[] = {
  (void *)wb_host_register, (void *)wb_host_unregister, (void *)wb_drain, (void *)wb_log_hint,
  (void *)wb_query, (void *)wb_attach, (void *)wb_detach, (void *)wb_adopt, (void *)wb_host_alloc,
  (void *)wb_set_type, (void *)wb_store_ptr, (void *)wb_get_stats,
};
