/* Internal declarations shared by the runtime's files. Nothing here is visible outside the
 * archive's objects: every non-static symbol is hidden, so a shared library that links
 * libwbrt_pic.a exports only the ABI (__wb_*) and the host API (wb_*). */
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "namespace.h"
#include "wb_abi.h"
#include "wb_host.h"

#define WB_HIDDEN __attribute__((visibility("hidden")))
#define wb_likely(x) __builtin_expect(!!(x), 1)
#define wb_unlikely(x) __builtin_expect(!!(x), 0)
#define WB_NOINLINE __attribute__((noinline))

/* Statistics that would cost something on the compulsory path (malloc/free counters) are
 * compiled in only with -DWB_STATS=1; slow-path counters are always kept. */
#ifndef WB_STATS
#define WB_STATS 0
#endif

/* ---- address space ---------------------------------------------------------------------- */
#define WB_ADDR_BITS 47
#define WB_ADDR_LIMIT ((uintptr_t)1 << WB_ADDR_BITS)
/* libc malloc returns 16-aligned chunks (glibc x86-64 MALLOC_ALIGNMENT); the start map has one
 * byte per 16 bytes of address space. */
#define WB_GRAIN_SHIFT 4
#define WB_GRAIN ((uintptr_t)1 << WB_GRAIN_SHIFT)
/* Allocations of at least this size live in the large list with their exact size, so the
 * start map only ever needs to be scanned back this far to find an allocation's start. */
#define WB_LARGE ((size_t)64 << 10)
#define WB_PAGE_SHIFT 12

/* ---- atomics and locks ------------------------------------------------------------------ */
#define wb_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define wb_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define wb_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define WB_STAT(field, v) wb_add_relaxed(&wb_stats_g.field, (uint64_t)(v))
/* For counters on the slow paths: no locked instruction, so concurrent increments may be lost
 * (the figures are indicative). */
#define WB_STAT_APPROX(field, v)                                                                \
  wb_store_relaxed(&wb_stats_g.field, wb_load_relaxed(&wb_stats_g.field) + (uint64_t)(v))

typedef struct { int v; } wb_lock;
WB_HIDDEN void wb_lock_slow(wb_lock *l);
static inline void wb_lock_acquire(wb_lock *l)
{
  if (wb_likely(__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0)) return;
  wb_lock_slow(l);
}
static inline int wb_lock_try(wb_lock *l)
{
  return __atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0 &&
         __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0;
}
static inline void wb_lock_release(wb_lock *l) { __atomic_store_n(&l->v, 0, __ATOMIC_RELEASE); }

/* Every lock of the runtime, outermost first: fork takes them all in this order (so the child
 * finds each structure consistent) and code that nests them follows it. */
extern WB_HIDDEN wb_lock wb_stress_lock, wb_quar_lock, wb_log_lock, wb_large_lock, wb_seg_lock,
    wb_activate_lock, wb_flags_lock, wb_counts_lock, wb_slot_leaf_lock, wb_map_leaf_lock,
    wb_arena_lock, wb_spans_lock;
WB_HIDDEN void wb_rec_fork(int acquire);    /* the record stripes: after the stress lock */

/* ---- configuration (config.c) ----------------------------------------------------------- */
typedef struct {
  int abort_on_error;   /* WB_ABORT_ON_ERROR=1: misuse reports abort() */
  int quiet;            /* WB_QUIET=1: count misuse without printing */
  int stress;           /* WB_STRESS=1: null host, every allocation HOST-held */
  int scan_all;         /* WB_SCAN_ALL=1: copies scan every source word, not just counted pages */
  size_t quarantine;    /* WB_QUARANTINE=N: hold the last N C frees to prove double frees */
  int poison_vectors;   /* WB_POISON_VECTORS=1 (tests): the x86-64 store hook's C half zeroes
                           every vector register and resets the x87 stack */
} wb_config_t;
extern WB_HIDDEN wb_config_t wb_config;
WB_HIDDEN void wb_config_init(void);
extern WB_HIDDEN wb_stats wb_stats_g;
WB_HIDDEN void *wb_os_reserve(size_t bytes);   /* zeroed, NORESERVE, NULL on failure */
WB_HIDDEN void wb_activate(void);               /* sets __wb_active and the range maps up */
/* Defined only in libwbrt.so (src/dso/interposed.c): whether an instrumented executable's own
 * runtime serves the process instead, so that this copy stays idle (no stress mode, no
 * statistics line). */
WB_HIDDEN int wb_runtime_interposed(void) __attribute__((weak));

/* ---- start map (alloc_index.c) ---------------------------------------------------------- */
/* One byte per 16-byte grain, describing allocations made by __wb_malloc & co. without ever
 * reading libc's metadata (so a stale byte left when uninstrumented code frees our memory can
 * give a wrong answer but never a crash, and any malloc works):
 *   1..128     an allocation of (byte - 1) bytes starts here;
 *   MEDIUM     one of 128..2047 bytes starts here; the next three grains' bytes are
 *              continuations (0xC0 | 6 bits) holding its size, written with one 32-bit store;
 *   BIG        the same for 2 KiB..WB_LARGE-1 bytes;
 *   BACK+k     (k = 1..31) inside an allocation of 2 KiB..WB_LARGE-1 bytes (BIG or TRACKED),
 *              128*k grains after its start: one every 2 KiB, so the start of anything smaller
 *              than WB_LARGE is found within 128 grains (16 map words) of any interior pointer;
 *   TRACKED    a record in the object table holds size and policies;
 *   LARGE      size in the large list;
 *   QUAR_*     freed memory held in quarantine. */
enum {
  WB_MAP_NONE = 0,
  WB_MAP_SMALL_MAX = 128,
  WB_MAP_TRACKED = 0x81,
  WB_MAP_LARGE = 0x82,
  WB_MAP_QUAR_C = 0x83,       /* freed by C */
  WB_MAP_QUAR_HOST = 0x84,    /* released by the host */
  WB_MAP_MEDIUM = 0x85,
  WB_MAP_BIG = 0x86,
  WB_MAP_BACK = 0xA0,         /* 0xA1..0xBF: back markers */
  WB_MAP_CONT = 0xC0,         /* 0xC0..0xFF: continuation of a MEDIUM or BIG start */
};
#define WB_BIG_MIN ((size_t)2048)
#define WB_SCAN_GRAINS (WB_BIG_MIN >> WB_GRAIN_SHIFT)
/* Two levels: a table indexed by the GiB of the address (1 MiB of .bss) whose entries are the
 * leaf's address biased by the GiB's first grain, so the byte for p is top[p >> 30] + (p >> 4)
 * with no masking; leaves (64 MiB of NORESERVE address space, plus a pad so a start's four
 * bytes never cross into the next leaf) appear where the heap is. Valgrind, which caps a single
 * mapping at 32 GiB, rules out one flat map. */
#define WB_LEAF_SHIFT 30
#define WB_LEAF_BYTES ((size_t)1 << (WB_LEAF_SHIFT - WB_GRAIN_SHIFT))
#define WB_TOP_ENTRIES ((size_t)1 << (WB_ADDR_BITS - WB_LEAF_SHIFT))
extern WB_HIDDEN uintptr_t wb_map_top[WB_TOP_ENTRIES];
WB_HIDDEN unsigned char *wb_map_leaf_create(uintptr_t p);   /* the byte for p; NULL on failure */

static inline unsigned char *wb_map_byte(uintptr_t p)      /* p < WB_ADDR_LIMIT */
{
  uintptr_t t = __atomic_load_n(&wb_map_top[p >> WB_LEAF_SHIFT], __ATOMIC_ACQUIRE);
  return t ? (unsigned char *)(t + (p >> WB_GRAIN_SHIFT)) : NULL;
}
static inline unsigned wb_map_get(uintptr_t p)
{
  if (p >= WB_ADDR_LIMIT) return WB_MAP_NONE;
  unsigned char *b = wb_map_byte(p);
  return b ? wb_load_relaxed(b) : WB_MAP_NONE;
}
static inline void wb_map_set(uintptr_t p, unsigned v)
{
  unsigned char *b = wb_map_byte(p);
  if (wb_unlikely(b == NULL) && (b = wb_map_leaf_create(p)) == NULL) return;
  wb_store_relaxed(b, (unsigned char)v);
}
static inline int wb_map_is_small(unsigned b) { return b - 1u < WB_MAP_SMALL_MAX; }
static inline int wb_map_is_cont(unsigned b) { return b >= WB_MAP_CONT; }
static inline int wb_map_is_back(unsigned b) { return b > WB_MAP_BACK && b < WB_MAP_CONT; }
static inline int wb_map_has_size(unsigned b) { return wb_map_is_small(b) || b == WB_MAP_MEDIUM || b == WB_MAP_BIG; }
/* Writes (or clears) the back markers of an allocation of n bytes at p. */
static inline void wb_map_markers(uintptr_t p, size_t n, int set)
{
  if (n < WB_BIG_MIN || n >= WB_LARGE) return;
  for (uintptr_t k = 1; (k << 11) < n; k++)
    wb_map_set(p + (k << 11), set ? (unsigned)(WB_MAP_BACK + k) : WB_MAP_NONE);
}
/* The four bytes of a MEDIUM (or BIG) start, little-endian. */
static inline uint32_t wb_map_medium(size_t n)
{
  return (n < WB_BIG_MIN ? WB_MAP_MEDIUM : WB_MAP_BIG) | (WB_MAP_CONT | (uint32_t)(n & 63)) << 8 |
         (WB_MAP_CONT | (uint32_t)((n >> 6) & 63)) << 16 | (WB_MAP_CONT | (uint32_t)((n >> 12) & 15)) << 24;
}
/* Four map bytes in one store. ThreadSanitizer cannot see that libc orders a free and the
 * malloc that reuses the address in another thread, so its builds store byte by byte with
 * relaxed atomics instead. */
static inline void wb_map_put4(unsigned char *m, uint32_t v)
{
#ifdef __SANITIZE_THREAD__
  for (int i = 0; i < 4; i++) wb_store_relaxed(&m[i], (unsigned char)(v >> (8 * i)));
#else
  __builtin_memcpy(m, &v, 4);
#endif
}
/* Writes the start of an untracked allocation of n < WB_LARGE bytes. */
static inline void wb_map_start(uintptr_t p, size_t n)
{
  unsigned char *b = wb_map_byte(p);
  if (wb_unlikely(b == NULL) && (b = wb_map_leaf_create(p)) == NULL) return;
  if (n < WB_MAP_SMALL_MAX) {
    wb_store_relaxed(b, (unsigned char)(n + 1));
  } else {
    wb_map_put4(b, wb_map_medium(n));
    wb_map_markers(p, n, 1);
  }
}
/* Clears the start (start byte b) and back markers of an allocation of size bytes. */
static inline void wb_map_clear(uintptr_t p, unsigned b, size_t size)
{
  unsigned char *m = wb_map_byte(p);
  if (wb_unlikely(m == NULL)) return;
  if (b == WB_MAP_MEDIUM || b == WB_MAP_BIG) {
    wb_map_put4(m, 0);
  } else {
    wb_store_relaxed(m, WB_MAP_NONE);
  }
  wb_map_markers(p, size, 0);
}
/* Size of the untracked allocation starting at p with start byte b (small, MEDIUM or BIG). */
WB_HIDDEN size_t wb_map_size(uintptr_t p, unsigned b);

/* What the index knows about one address. */
typedef struct {
  uintptr_t base;
  size_t size;
  unsigned map;        /* start byte of the allocation (WB_MAP_*) */
  uint32_t policy;     /* WB_EXPLICIT|WB_HOST for tracked objects, WB_EXPLICIT otherwise */
  uint32_t flags;      /* WB_INFO_* */
  uint32_t type_id;
} wb_hit;
/* Live allocation of ours containing v (v == base counts for size 0). Reads nothing but the
 * runtime's own tables. */
WB_HIDDEN int wb_index_find(uintptr_t v, wb_hit *out);
/* Base of the live HOST object containing v, or 0. The barrier slow path's resolver. */
WB_HIDDEN uintptr_t wb_index_host_base(uintptr_t v);
/* Start of the allocation under WB_LARGE that contains v or is the nearest before it (found
 * within WB_SCAN_GRAINS): its address and start byte, or 0. */
WB_HIDDEN uintptr_t wb_index_scan_start(uintptr_t v, unsigned *byte);

/* Large list: every live allocation of at least WB_LARGE bytes, sorted by base. */
WB_HIDDEN void wb_large_insert(uintptr_t base, size_t size);
WB_HIDDEN void wb_large_remove(uintptr_t base);
WB_HIDDEN int wb_large_find(uintptr_t v, uintptr_t *base, size_t *size);  /* containing v */
WB_HIDDEN int wb_large_size(uintptr_t base, size_t *size);                /* exact base */
WB_HIDDEN void wb_large_resize(uintptr_t base, size_t size);

/* ---- object records (records.c) --------------------------------------------------------- */
enum {
  WB_REC_C_FREED = 1u,        /* C called free: EXPLICIT is gone for good */
  WB_REC_HOST_CREATED = 2u,   /* allocated by wb_host_alloc */
};
typedef struct {
  uintptr_t base;
  size_t size;
  uint32_t policy;
  uint32_t flags;
  uint32_t type_id;
  int32_t count;              /* stress mode's null host: counted references */
} wb_rec;
typedef struct wb_stripe wb_stripe;
WB_HIDDEN wb_stripe *wb_rec_lock(uintptr_t base);
WB_HIDDEN void wb_rec_unlock(wb_stripe *s);
WB_HIDDEN wb_rec *wb_rec_find(wb_stripe *s, uintptr_t base);     /* stripe locked */
WB_HIDDEN wb_rec *wb_rec_insert(wb_stripe *s, uintptr_t base);   /* stripe locked; NULL on OOM */
WB_HIDDEN void wb_rec_erase(wb_stripe *s, wb_rec *r);            /* stripe locked */
WB_HIDDEN int wb_rec_get(uintptr_t base, wb_rec *out);           /* copy, 0 if none */
/* A hint that base's record is wanted soon (batch operations walk many records at random). */
WB_HIDDEN void wb_rec_prefetch(uintptr_t base);

/* ---- shadow (shadow.c) ------------------------------------------------------------------ */
/* Adds delta (+1/-1) to the HOST-object count of every granule [base, base+size) touches and
 * keeps __wb_shadow equal to "count != 0". */
WB_HIDDEN void wb_shadow_adjust(uintptr_t base, size_t size, int delta);
/* Adds delta to the counted-slot count of slot's granule and keeps its SLOTS bit equal to
 * "count != 0" (slots.c calls it wherever bitmap bits change). */
WB_HIDDEN void wb_shadow_slots_adjust(uintptr_t slot, int32_t delta);
/* Writes the runtime's spans (wb_abi.h, "spans") into __wb_spans and every shared object's copy:
 * wb_activate calls it before __wb_active becomes 1. */
WB_HIDDEN void wb_spans_publish(void);
/* Writes them into a shared object's copy (config.c, when it registers); wb_spans_lock held. */
WB_HIDDEN void wb_spans_copy(__wb_uintptr_t *to);
/* Copies them into every registered shared object's copy (config.c); wb_spans_lock held. */
WB_HIDDEN void wb_dso_spans_update(void);
/* Whether a store of new_value into slot may change what the host counts: the slot's granule
 * holds counted slots, or the new value's granule may hold a HOST object (barrier.c's
 * store_note returns at once otherwise). */
static inline int wb_store_may_count(const void *slot, const void *new_value)
{
  return (__wb_shadow[((uintptr_t)slot >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK] &
          WB_ABI_SHADOW_SLOTS) | __wb_shadow_hit(new_value);
}

/* The same question asked of the spans (wb_abi.h): a superset of wb_store_may_count's yes, in four
 * words that stay in one cache line where the shadow bytes are two random ones. */
static inline int wb_spans_may_count(const void *slot, const void *new_value)
{
  uintptr_t s = (uintptr_t)slot, v = (uintptr_t)new_value;
  const __wb_uintptr_t *w = __wb_spans;
  return (s >= wb_load_relaxed(&w[WB_ABI_SPAN_SLOT_LO / 8]) && s < wb_load_relaxed(&w[WB_ABI_SPAN_SLOT_HI / 8])) ||
         (v >= wb_load_relaxed(&w[WB_ABI_SPAN_HOST_LO / 8]) && v < wb_load_relaxed(&w[WB_ABI_SPAN_HOST_HI / 8]));
}

/* ---- the host arena (arena.c) ----------------------------------------------------------- */
/* Zeroed memory for a host-created object, in granules that hold only host-created objects (align
 * a power of two up to the granule); NULL when the OS refuses. */
WB_HIDDEN void *wb_arena_alloc(size_t size, size_t align);
WB_HIDDEN int wb_arena_owns(uintptr_t p);                        /* p lies in an arena granule */
WB_HIDDEN void wb_arena_free(uintptr_t p, size_t size);          /* size: what it was allocated or reallocated to */
WB_HIDDEN void *wb_arena_realloc(uintptr_t p, size_t size, size_t n);
/* An allocation of ours of size bytes going back, or moving (n > 0): to the arena or to libc. */
WB_HIDDEN void wb_heap_free(uintptr_t p, size_t size);
WB_HIDDEN void *wb_heap_realloc(uintptr_t p, size_t size, size_t n);

/* ---- counted slots and ranges (slots.c) ------------------------------------------------- */
WB_HIDDEN void wb_slots_init(void);
/* x86-64: sizes the store hook's register save area (store_hook.c); before __wb_active is set. */
WB_HIDDEN void wb_store_hook_init(void);
WB_HIDDEN void wb_store_hook_slow(__wb_word_t *slot, void *new_value);
/* x86-64: whether a store past the hook's shadow filter can change what the host counts (0: it
 * cannot, and the hook returns without saving vector state). Runs with only the general registers
 * saved: slots.c and everything it calls are compiled with -mgeneral-regs-only (Makefile). */
WB_HIDDEN int wb_store_hook_filter(uintptr_t slot, uintptr_t new_value);
/* The same for a record assignment of n bytes from src to dst, and its full path. */
WB_HIDDEN int wb_range_hook_filter(uintptr_t dst, uintptr_t src, size_t n);
WB_HIDDEN void wb_range_hook_slow(void *dst, const void *src, size_t n);
WB_HIDDEN void wb_store_note(void *slot, void *old_value, void *new_value, uint32_t origin);
WB_HIDDEN void wb_slot_note(uintptr_t slot);
WB_HIDDEN int wb_slot_take(uintptr_t slot);
WB_HIDDEN int wb_slot_counted(uintptr_t slot);          /* the slot's bit, unchanged */
/* Counted slots in all (0: nothing to search for anywhere). */
extern WB_HIDDEN int64_t wb_slots_counted;
/* Non-zero while a record assignment may have to do more than its source's place tells: some slot
 * is counted, or WB_SCAN_ALL. Read by the x86-64 range hook's first test (store_hook.c defines
 * it, starting at 1), written by wb_flags_update. */
extern WB_HIDDEN int wb_range_gate;
WB_HIDDEN int wb_slots_any(uintptr_t p, size_t n);
WB_HIDDEN int wb_on_stack(uintptr_t p, size_t n);        /* overlaps the calling thread's stack */
/* Counted references held in words overlapping [p, p+n) die (an event for each). */
WB_HIDDEN void wb_range_kill(uintptr_t p, size_t n, uint32_t origin);
/* The destination words of a copy dst <- src that will hold counted references: taken before
 * the copy (and before the kill of dst, which may share words with src). */
typedef struct {
  size_t off0;              /* offset of the first aligned destination word */
  size_t nwords;            /* aligned destination words */
  int all;                  /* every word may (stack source, misaligned copy) */
  uint64_t *bits;           /* else: bit k set if word k of the source is counted */
  uint64_t inline_bits[8];
} wb_slotmask;
WB_HIDDEN int wb_slots_snapshot(uintptr_t dst, uintptr_t src, size_t n, wb_slotmask *m);
WB_HIDDEN void wb_slotmask_release(wb_slotmask *m);
/* Creates the references of the masked words, reading their values from vals (dst itself after
 * the copy, or the source before it). */
WB_HIDDEN void wb_range_create(uintptr_t dst, const void *vals, size_t n, const wb_slotmask *m,
                               uint32_t origin);
/* realloc(p: size bytes -> n > 0 bytes) around libc's realloc: an in-place resize reports only
 * the cut-off tail, a move reports each counted slot's move. */
typedef struct { wb_slotmask m; int had; uintptr_t p; size_t size, n; } wb_realloc_acct;
WB_HIDDEN int wb_realloc_acct_begin(wb_realloc_acct *r, uintptr_t p, size_t size, size_t n);
WB_HIDDEN void wb_realloc_acct_end(wb_realloc_acct *r, void *q);

/* ---- events (events.c) ------------------------------------------------------------------ */
extern WB_HIDDEN int wb_log_enabled;
WB_HIDDEN void wb_event_append_slow(uint32_t kind, uint32_t origin, uintptr_t a, uintptr_t b, uintptr_t c);
static inline void wb_emit(uint32_t kind, uint32_t origin, uintptr_t a, uintptr_t b, uintptr_t c)
{
  if (wb_load_relaxed(&wb_log_enabled)) wb_event_append_slow(kind, origin, a, b, c);
}
WB_HIDDEN int wb_is_host_thread(void);
/* Single consumer side, used by wb_drain and by the null host. */
WB_HIDDEN size_t wb_log_take(const wb_event **out);
extern WB_HIDDEN wb_flush_fn wb_flush_cb;
extern WB_HIDDEN void *wb_flush_ctx;

/* ---- policies (policy.c) ---------------------------------------------------------------- */
/* Frees an allocation whose start byte says it is ours (called by __wb_free). */
WB_HIDDEN void wb_policy_free_tracked(uintptr_t p, const void *pc);
WB_HIDDEN void *wb_policy_realloc_tracked(uintptr_t p, size_t n, const void *pc);
/* Turns a live untracked allocation into a record with the given policies (attach). */
WB_HIDDEN int wb_policy_track(uintptr_t base, size_t size, unsigned map, uint32_t policy, uint32_t flags);
WB_HIDDEN void wb_quarantine_push(uintptr_t base, size_t size, unsigned why);
WB_HIDDEN size_t wb_quarantine_count(void);
WB_HIDDEN int wb_policy_release(uintptr_t base);        /* clears HOST; frees when no policy left */

/* ---- allocation (alloc.c) --------------------------------------------------------------- */
/* The fast paths read the map through these: wb_map_top itself normally, an all-zero table
 * (so every lookup misses and takes the slow path) when malloc must track everything (stress)
 * or free must do more than clear the start byte (a host is active and some slot is counted,
 * quarantine). */
extern WB_HIDDEN const uintptr_t *wb_alloc_top;
extern WB_HIDDEN const uintptr_t *wb_free_top;
/* Recomputes both from __wb_active, quarantine and stress mode. */
WB_HIDDEN void wb_flags_update(void);
/* Registers a fresh libc allocation of n bytes as ours (map byte or large list or record). */
WB_HIDDEN void wb_alloc_register(void *p, size_t n);
/* Releases ours: clears the start byte, kills its slots, hands memory to libc or quarantine. */
WB_HIDDEN void wb_alloc_release(uintptr_t p, size_t size, unsigned map, unsigned quarantine_why);
/* Reallocation of an allocation of ours whose records are already out of the way. */
WB_HIDDEN void *wb_alloc_realloc_untracked(uintptr_t p, size_t size, unsigned map, size_t n);

/* ---- libc wrappers (libc.c), proposed for the prelude ---------------------------------- */
__PTRDIFF_TYPE__ __wb_getdelim(char **lineptr, __wb_size_t *n, int delim, void *stream);
__PTRDIFF_TYPE__ __wb_getline(char **lineptr, __wb_size_t *n, void *stream);

/* ---- reports (report.c) ----------------------------------------------------------------- */
enum {
  WB_MISUSE_DOUBLE_FREE = 1,
  WB_MISUSE_INTERIOR_FREE,
  WB_MISUSE_NONHEAP_FREE,
  WB_MISUSE_FREE_AFTER_RELEASE,
  WB_MISUSE_REALLOC_AFTER_FREE,
  WB_MISUSE_HOST_API,
};
WB_HIDDEN void wb_report(int kind, const void *addr, const wb_hit *obj, const char *what, const void *pc);
/* Classifies a pointer that is not the start of a live allocation of ours being freed;
 * returns 1 if it was reported as misuse (and must not reach libc). */
WB_HIDDEN int wb_check_foreign_free(uintptr_t p, const char *what, const void *pc);

/* ---- stress mode (stress.c) ------------------------------------------------------------- */
WB_HIDDEN void wb_stress_init(void);
WB_HIDDEN void wb_stress_flush(void *ctx);

#endif
