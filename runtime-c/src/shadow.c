/* The shadow map the barrier's hooks test: one byte per 1 MiB granule. Its HOST bit is set while
 * the granule overlaps a HOST object, its SLOTS bit while the granule holds counted slots; counts
 * per granule decide when a bit may go back to zero. The other bits name the host arena's
 * granules (arena.c), set and cleared by the arena alone. */
#include "internal.h"

unsigned char __wb_shadow[1ul << WB_ABI_SHADOW_BITS];
int __wb_active;

/* The runtime's spans (wb_abi.h, "spans"): what it has marked, by real address; empty at first.
 * Written under wb_spans_lock (a leaf: nothing else is taken while it is held), read without it. */
static uintptr_t spans[WB_SPAN_WORDS] = WB_SPANS_EMPTY;
#define SLOT_NEAR (WB_ABI_SPAN_SLOT_NEAR / 8)
#define SRC_NEAR (WB_ABI_SPAN_SRC_NEAR / 8)
wb_lock wb_spans_lock;

void wb_spans_copy(__wb_uintptr_t *to)
{
  for (int k = 0; k < WB_SPAN_WORDS; k++)
    __atomic_store_n(&to[k], __atomic_load_n(&spans[k], __ATOMIC_RELAXED), __ATOMIC_SEQ_CST);
}

void wb_spans_publish(void)
{
  wb_lock_acquire(&wb_spans_lock);
  if (wb_config.scan_all) {                     /* every copy scans its source: all to the hooks */
    __atomic_store_n(&spans[WB_ABI_SPAN_SLOT_LO / 8], 0, __ATOMIC_RELEASE);
    __atomic_store_n(&spans[WB_ABI_SPAN_SLOT_HI / 8], UINTPTR_MAX, __ATOMIC_RELEASE);
    __atomic_store_n(&spans[SLOT_NEAR], 0, __ATOMIC_RELEASE);
    __atomic_store_n(&spans[SRC_NEAR], 0, __ATOMIC_RELEASE);
  }
  wb_spans_copy(__wb_spans);
  wb_dso_spans_update();
  wb_lock_release(&wb_spans_lock);
}

/* Widens span `lo` (SLOT_LO or HOST_LO, as a word index; hi follows it) to cover the granules of
 * [first, last] (addresses), in __wb_spans and every shared object's copy, before the caller sets
 * a bit there; SLOT_NEAR follows SLOT_LO, and SRC_NEAR goes to 0 with the first HOST object
 * (wb_abi.h). A span never narrows, so a granule found inside needs nothing, and no lock. */
static void span_widen(int lo, uintptr_t first, uintptr_t last)
{
  uintptr_t from = first >> WB_ABI_SHADOW_SHIFT << WB_ABI_SHADOW_SHIFT;
  uintptr_t to = (last >> WB_ABI_SHADOW_SHIFT) + 1;
  /* The granule after the last one, as an address; the top granule's end saturates. */
  to = to >= (UINTPTR_MAX >> WB_ABI_SHADOW_SHIFT) + 1 ? UINTPTR_MAX : to << WB_ABI_SHADOW_SHIFT;
  if (__atomic_load_n(&spans[lo], __ATOMIC_ACQUIRE) <= from &&
      __atomic_load_n(&spans[lo + 1], __ATOMIC_ACQUIRE) >= to)
    return;
  wb_lock_acquire(&wb_spans_lock);
  if (from < spans[lo]) {
    __atomic_store_n(&spans[lo], from, __ATOMIC_RELEASE);
    uintptr_t near = from > WB_ABI_RANGE_SPAN_MAX ? from - WB_ABI_RANGE_SPAN_MAX : 0;
    if (lo == WB_ABI_SPAN_SLOT_LO / 8) {
      __atomic_store_n(&spans[SLOT_NEAR], near, __ATOMIC_RELEASE);
      if (spans[SRC_NEAR] != 0) __atomic_store_n(&spans[SRC_NEAR], near, __ATOMIC_RELEASE);
    } else {
      __atomic_store_n(&spans[SRC_NEAR], 0, __ATOMIC_RELEASE);
    }
  }
  if (to > spans[lo + 1]) __atomic_store_n(&spans[lo + 1], to, __ATOMIC_RELEASE);
  wb_spans_copy(__wb_spans);
  wb_dso_spans_update();
  wb_lock_release(&wb_spans_lock);
}

/* 2^27 counters per bit, reserved on first use. */
static uint32_t *host_counts, *slot_counts;
wb_lock wb_counts_lock;

static uint32_t *counts(uint32_t **table)
{
  uint32_t *c = __atomic_load_n(table, __ATOMIC_ACQUIRE);
  if (wb_likely(c != NULL)) return c;
  wb_lock_acquire(&wb_counts_lock);
  c = *table;
  if (c == NULL) {
    c = wb_os_reserve(sizeof(uint32_t) << WB_ABI_SHADOW_BITS);
    if (c != NULL) __atomic_store_n(table, c, __ATOMIC_RELEASE);
  }
  wb_lock_release(&wb_counts_lock);
  return c;
}

/* Sets or clears `bit` of granule i's byte; returns whether the count, read again afterwards,
 * still agrees (else the caller derives the bit once more). */
static int bit_settle(uintptr_t i, unsigned char bit, uint32_t now, const uint32_t *c)
{
  if (now != 0) __atomic_fetch_or(&__wb_shadow[i], bit, __ATOMIC_SEQ_CST);
  else __atomic_fetch_and(&__wb_shadow[i], (unsigned char)~bit, __ATOMIC_SEQ_CST);
  return (__atomic_load_n(&c[i], __ATOMIC_SEQ_CST) != 0) == (now != 0);
}

/* Adds delta to granule i's count in *table and keeps `bit` equal to "count != 0". Whoever moves
 * a count to or from zero re-derives the bit from it afterwards, so a racing 0->1 and 1->0 always
 * end with the bit matching the final count. Without room for counts a bit is only ever set
 * (which costs slow-path calls, never a missed store). */
static void granule_adjust(uint32_t **table, uintptr_t i, int32_t delta, unsigned char bit)
{
  uint32_t *c = counts(table);
  if (c == NULL) {
    if (delta > 0) __atomic_fetch_or(&__wb_shadow[i], bit, __ATOMIC_SEQ_CST);
    return;
  }
  uint32_t now = __atomic_add_fetch(&c[i], (uint32_t)delta, __ATOMIC_SEQ_CST);
  if (now != 0 && now != (uint32_t)delta) return;        /* not a move to or from zero */
  while (!bit_settle(i, bit, now, c)) now = __atomic_load_n(&c[i], __ATOMIC_SEQ_CST);
}

void wb_shadow_adjust(uintptr_t base, size_t size, int delta)
{
  uintptr_t first = base >> WB_ABI_SHADOW_SHIFT;
  uintptr_t end = base + (size ? size - 1 : 0);
  uintptr_t last = end >> WB_ABI_SHADOW_SHIFT;
  if (delta > 0) span_widen(WB_ABI_SPAN_HOST_LO / 8, base, end);
  for (uintptr_t g = first; g <= last; g++)
    granule_adjust(&host_counts, g & WB_SHADOW_MASK, delta, WB_ABI_SHADOW_HOST);
}

void wb_shadow_slots_adjust(uintptr_t slot, int32_t delta)
{
  if (delta > 0) span_widen(WB_ABI_SPAN_SLOT_LO / 8, slot, slot);
  granule_adjust(&slot_counts, (slot >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK, delta,
                 WB_ABI_SHADOW_SLOTS);
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
