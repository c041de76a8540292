/* The barrier's out-of-line half: what instrumented code calls once a host is active (the entry
 * points in wb_prelude.h and the C halves of the x86-64 hooks in store_hook.c), and the range
 * operations while a host is active. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

WB_HIDDEN void wb_store_note(void *slot, void *old_value, void *new_value, uint32_t origin);

static inline __attribute__((always_inline)) void
store_note(void *slot, void *old_value, void *new_value, uint32_t origin)
{
  WB_STAT_APPROX(slow_stores, 1);
  uintptr_t ob = __wb_shadow_hit(old_value) ? wb_index_host_base((uintptr_t)old_value) : 0;
  uintptr_t nb = __wb_shadow_hit(new_value) ? wb_index_host_base((uintptr_t)new_value) : 0;
  uintptr_t s = (uintptr_t)slot;
  if (wb_on_stack(s, sizeof(void *))) return; /* locals are not counted */
  /* The host keys counts by slot. A counted slot is always reported, even when it keeps its
   * object or the old value lies in no HOST object (a pointer the program advanced past its
   * object's end: p++ has no barrier). An uncounted slot is reported when it starts referring to
   * a HOST object, whatever its old bits were: stale contents of reused memory can equal the new
   * pointer, and returning on "same object" would leave the reference uncounted. */
  int counted = nb != 0 ? wb_slot_counted(s) : wb_slot_take(s);  /* a slot that stays counted keeps its bit */
  if (!counted) {
    if (nb == 0) return;
    ob = 0;
    wb_slot_note(s);
  }
  WB_STAT_APPROX(counted_stores, 1);
  wb_emit(WB_EV_REF, origin, s, ob, nb);
}

void wb_store_note(void *slot, void *old_value, void *new_value, uint32_t origin)
{
  store_note(slot, old_value, new_value, origin);
}

/* Out of line so that the filter below stays a leaf with no frame to set up. */
static WB_NOINLINE void store_counted(void *slot, void *old_value, void *new_value)
{
  store_note(slot, old_value, new_value, WB_ORIGIN_STORE);
}

/* Every pointer store of instrumented code while a host is active, just before it happens: the
 * old value is read here rather than in the caller, so the inlined branch is a call and nothing
 * else (no load a compiler could call uninitialised, nothing that changes its inlining). */
void __wb_store_before(__wb_word_t *slot, void *new_value)
{
  if (wb_likely(!wb_spans_may_count(slot, new_value) || !wb_store_may_count(slot, new_value)))
    return;
  void *old_value;
  memcpy(&old_value, (const void *)slot, sizeof old_value);
  store_counted((void *)slot, old_value, new_value);
}

/* A record assignment's accounting, for callers that ran wb_range_hook_filter already. */
static void range_assign(void *dst, const void *src, size_t n)
{
  uintptr_t d = (uintptr_t)dst;
  wb_slotmask m;
  int counts = wb_slots_snapshot(d, (uintptr_t)src, n, &m);
  wb_range_kill(d, n, WB_ORIGIN_RANGE_ASSIGN);
  if (counts) {                               /* the copy has not happened: read the source */
    wb_range_create(d, src, n, &m, WB_ORIGIN_RANGE_ASSIGN);
    wb_slotmask_release(&m);
  }
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* What a vector-using libc routine (memcpy's AVX2 variant ends in vzeroupper) would do to the
 * caller's registers: lets a test prove the store hook restores them. (Not the x87 stack: no code
 * the store path runs touches it but the host's flush, which events.c wraps.) */
static void poison_vectors(void)
{
  if (__builtin_cpu_supports("avx"))
    __asm__ volatile("vzeroall" ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                     "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
  else
    __asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
                     "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
                     "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm8, %%xmm8\n\t"
                     "pxor %%xmm9, %%xmm9\n\tpxor %%xmm10, %%xmm10\n\tpxor %%xmm11, %%xmm11\n\t"
                     "pxor %%xmm12, %%xmm12\n\tpxor %%xmm13, %%xmm13\n\tpxor %%xmm14, %%xmm14\n\t"
                     "pxor %%xmm15, %%xmm15"
                     ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                     "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* The x86-64 store hook's C half (store_hook.c), called past its shadow filter with every
 * register saved. */
void wb_store_hook_slow(__wb_word_t *slot, void *new_value)
{
  void *old_value;
  memcpy(&old_value, (const void *)slot, sizeof old_value);
  store_note((void *)slot, old_value, new_value, WB_ORIGIN_STORE);
  if (wb_unlikely(wb_config.poison_vectors)) poison_vectors();
}

/* The x86-64 range hook's C half (store_hook.c), past its filter with every register saved. */
void wb_range_hook_slow(void *dst, const void *src, size_t n)
{
  range_assign(dst, src, n);
  if (wb_unlikely(wb_config.poison_vectors)) poison_vectors();
}
#endif

/* The portable form's entry: the same filter the x86-64 hook runs first, then the accounting. */
void __wb_range_assign_slow(void *dst, const void *src, __wb_size_t n)
{
  if (wb_range_hook_filter((uintptr_t)dst, (uintptr_t)src, n)) range_assign(dst, src, n);
}

static inline void *copy_accounted(void *dst, const void *src, size_t n, int move, uint32_t origin)
{
  uintptr_t d = (uintptr_t)dst;
  if (!wb_range_hook_filter(d, (uintptr_t)src, n)) return move ? memmove(dst, src, n) : memcpy(dst, src, n);
  /* Taken before the kill, which clears the bits of words src may share with dst. */
  wb_slotmask m;
  int counts = wb_slots_snapshot(d, (uintptr_t)src, n, &m);
  wb_range_kill(d, n, origin);
  if (move) memmove(dst, src, n);
  else memcpy(dst, src, n);
  if (counts) {
    wb_range_create(d, dst, n, &m, origin);
    wb_slotmask_release(&m);
  }
  return dst;
}

void *__wb_memcpy_slow(void *dst, const void *src, __wb_size_t n)
{
  return copy_accounted(dst, src, n, 0, WB_ORIGIN_MEMCPY);
}

void *__wb_memmove_slow(void *dst, const void *src, __wb_size_t n)
{
  return copy_accounted(dst, src, n, 1, WB_ORIGIN_MEMMOVE);
}

void *__wb_memset_slow(void *dst, int c, __wb_size_t n)
{
  wb_range_kill((uintptr_t)dst, n, WB_ORIGIN_MEMSET);
  return memset(dst, c, n);
}

/* The accounting of memcpy and memset without the operation, called just before the caller's own
 * __builtin_memcpy/__builtin_memset (the prelude's inline forms). memcpy's ranges do not overlap,
 * so reading the copied references from src before the copy reads what will land in dst. */
void __wb_memcpy_before(void *dst, const void *src, __wb_size_t n)
{
  uintptr_t d = (uintptr_t)dst;
  if (!wb_range_hook_filter(d, (uintptr_t)src, n)) return;
  wb_slotmask m;
  int counts = wb_slots_snapshot(d, (uintptr_t)src, n, &m);
  wb_range_kill(d, n, WB_ORIGIN_MEMCPY);
  if (counts) {
    wb_range_create(d, src, n, &m, WB_ORIGIN_MEMCPY);
    wb_slotmask_release(&m);
  }
}

void __wb_memset_before(void *dst, __wb_size_t n)
{
  wb_range_kill((uintptr_t)dst, n, WB_ORIGIN_MEMSET);
}

void __wb_explicit_bzero(void *dst, __wb_size_t n)
{
  if (wb_load_relaxed(&__wb_active)) wb_range_kill((uintptr_t)dst, n, WB_ORIGIN_MEMSET);
  explicit_bzero(dst, n);
}

void __wb_qsort(void *base, __wb_size_t nmemb, __wb_size_t size,
                int (*cmp)(const void *, const void *))
{
  size_t total;
  uintptr_t b = (uintptr_t)base;
  int counted = wb_load_relaxed(&__wb_active) && !__builtin_mul_overflow(nmemb, size, &total) &&
                wb_slots_any(b, total);
  /* libc moves the elements without a barrier: retract the slots, sort, count them again. */
  if (!counted) {
    qsort(base, nmemb, size, cmp);
    return;
  }
  /* The counted words end up anywhere in the range: look at all of them afterwards. */
  wb_slotmask m;
  wb_slots_snapshot(b, b, total, &m);
  wb_slotmask_release(&m);
  m.all = 1;
  wb_range_kill(b, total, WB_ORIGIN_QSORT);
  qsort(base, nmemb, size, cmp);
  wb_range_create(b, base, total, &m, WB_ORIGIN_QSORT);
}
