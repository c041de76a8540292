/* __wb_malloc & co.: libc allocates, the runtime records what it handed out. Pointers stay
 * plain libc pointers, so uninstrumented code may realloc or free them (getline does) and
 * __wb_free hands anything it does not know to libc unchanged. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#if WB_STATS
#define WB_HOT_STAT(f) WB_STAT(f, 1)
#else
#define WB_HOT_STAT(f) ((void)0)
#endif

const uintptr_t *wb_alloc_top = wb_map_top;
const uintptr_t *wb_free_top = wb_map_top;

static WB_NOINLINE void *register_slow(void *p, size_t n)
{
  uintptr_t a = (uintptr_t)p;
  /* A malloc that returns less than grain-aligned memory (none we know of) stays foreign. */
  if (p == NULL || (a & (WB_GRAIN - 1)) != 0) return p;
  if (n >= WB_LARGE) wb_large_insert(a, n);
  if (wb_config.stress && wb_policy_track(a, n, WB_MAP_NONE, WB_EXPLICIT | WB_HOST, 0) == WB_OK)
    return p;
  if (n >= WB_LARGE) wb_map_set(a, WB_MAP_LARGE);
  else wb_map_start(a, n);
  return p;
}

/* The inline half: a table load and one or four byte stores for every size under 2 KiB. */
static inline void *registered(void *p, size_t n)
{
  uintptr_t a = (uintptr_t)p;
  uintptr_t t;
  WB_HOT_STAT(mallocs);
  /* No NULL test: no leaf covers the first GiB in a PIE (and a byte written for address 0
   * would be harmless). libc returns canonical addresses. */
  if (wb_likely(n < WB_BIG_MIN) && wb_likely((a & (WB_GRAIN - 1)) == 0) &&
      wb_likely((t = __atomic_load_n(&wb_load_relaxed(&wb_alloc_top)[(a >> WB_LEAF_SHIFT) &
                                                                    (WB_TOP_ENTRIES - 1)],
                                __ATOMIC_ACQUIRE)) != 0)) {
    unsigned char *m = (unsigned char *)(t + (a >> WB_GRAIN_SHIFT));
    if (n < WB_MAP_SMALL_MAX) {
      wb_store_relaxed(m, (unsigned char)(n + 1));
    } else {
      wb_map_put4(m, wb_map_medium(n));
    }
    return p;
  }
  return register_slow(p, n);
}

void wb_alloc_register(void *p, size_t n) { registered(p, n); }

/* noinline: realloc(NULL, n) tail-calls it instead of growing a frame around an inlined copy. */
WB_NOINLINE void *__wb_malloc(__wb_size_t n) { return registered(malloc(n), n); }

void *__wb_calloc(__wb_size_t nmemb, __wb_size_t size)
{
  void *p = calloc(nmemb, size);
  return p ? registered(p, nmemb * size) : NULL;   /* success implies no overflow */
}

void *__wb_aligned_alloc(__wb_size_t alignment, __wb_size_t n)
{
  return registered(aligned_alloc(alignment, n), n);
}

void *__wb_memalign(__wb_size_t alignment, __wb_size_t n)
{
  return registered(memalign(alignment, n), n);
}

void *__wb_valloc(__wb_size_t n) { return registered(valloc(n), n); }

int __wb_posix_memalign(void **out, __wb_size_t alignment, __wb_size_t n)
{
  void *p;
  int rc = posix_memalign(&p, alignment, n);
  if (rc == 0) *out = registered(p, n);
  return rc;
}

char *__wb_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p == NULL) return NULL;
  memcpy(p, s, n);
  return registered(p, n);
}

char *__wb_strndup(const char *s, __wb_size_t max)
{
  size_t n = strnlen(s, max);
  char *p = malloc(n + 1);
  if (p == NULL) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return registered(p, n + 1);
}

/* The start byte for a pointer that may be an allocation's start: only grain-aligned addresses
 * are (a pointer inside the first grain of an object shares its byte). */
static inline unsigned char *start_byte(uintptr_t a)
{
  if (wb_unlikely((a & (WB_GRAIN - 1)) != 0 || a >= WB_ADDR_LIMIT)) return NULL;
  return wb_map_byte(a);
}

/* ---- free -------------------------------------------------------------------------------- */
void wb_alloc_release(uintptr_t p, size_t size, unsigned map, unsigned quarantine_why)
{
  if (wb_load_relaxed(&__wb_active)) wb_range_kill(p, size, WB_ORIGIN_FREE);
  if (size >= WB_LARGE || map == WB_MAP_LARGE) wb_large_remove(p);
  /* The start bytes go before the memory does: once libc has it, another thread may get the
   * same address from malloc and write its own. */
  wb_map_clear(p, map, size);
  if (quarantine_why != 0) {
    wb_map_set(p, quarantine_why);
    wb_quarantine_push(p, size, quarantine_why);
    return;
  }
  wb_heap_free(p, size);
}

static WB_NOINLINE void free_slow(uintptr_t a, unsigned b, const void *pc)
{
  if (wb_map_has_size(b) || b == WB_MAP_LARGE) {
    size_t size = 0;
    if (b == WB_MAP_LARGE) wb_large_size(a, &size);
    else size = wb_map_size(a, b);
    wb_alloc_release(a, size, b, wb_config.quarantine ? WB_MAP_QUAR_C : 0);
    return;
  }
  if (b == WB_MAP_TRACKED) {
    wb_policy_free_tracked(a, pc);
    return;
  }
  if (b == WB_MAP_QUAR_C || b == WB_MAP_QUAR_HOST) {
    wb_hit h = { .base = a, .map = b };
    wb_report(b == WB_MAP_QUAR_C ? WB_MISUSE_DOUBLE_FREE : WB_MISUSE_FREE_AFTER_RELEASE,
              (void *)a, &h, "free", pc);
    return;
  }
  if (wb_check_foreign_free(a, "free", pc)) return;
  WB_STAT(foreign_frees, 1);
  free((void *)a);
}

static WB_NOINLINE void free_entry_slow(void *p, const void *pc)
{
  uintptr_t a = (uintptr_t)p;
  if (p == NULL) return;
  unsigned char *mb = start_byte(a);
  free_slow(a, mb ? wb_load_relaxed(mb) : WB_MAP_NONE, pc);
}

void __wb_free(void *p)
{
  uintptr_t a = (uintptr_t)p;
  WB_HOT_STAT(frees);
  /* Grain-aligned, canonical, in a mapped leaf, no host: clear the start and hand it to libc. */
  uintptr_t t;
  if (wb_likely((a & ((WB_GRAIN - 1) | ~(WB_ADDR_LIMIT - 1))) == 0) &&
      wb_likely((t = __atomic_load_n(&wb_load_relaxed(&wb_free_top)[a >> WB_LEAF_SHIFT],
                                __ATOMIC_ACQUIRE)) != 0)) {
    unsigned char *m = (unsigned char *)(t + (a >> WB_GRAIN_SHIFT));
    unsigned b = wb_load_relaxed(m);
    if (wb_likely(wb_map_is_small(b))) {
      wb_store_relaxed(m, WB_MAP_NONE);
      free(p);
      return;
    }
    if (b == WB_MAP_MEDIUM) {
      wb_map_put4(m, 0);
      free(p);
      return;
    }
  }
  free_entry_slow(p, __builtin_return_address(0));
}

/* ---- realloc ----------------------------------------------------------------------------- */
void *wb_alloc_realloc_untracked(uintptr_t p, size_t size, unsigned map, size_t n)
{
  if (n == 0) {                                /* glibc's realloc(p, 0) is free(p) */
    wb_alloc_release(p, size, map, 0);
    return NULL;
  }
  wb_realloc_acct acct;
  wb_realloc_acct_begin(&acct, p, size, n);
  if (size >= WB_LARGE || map == WB_MAP_LARGE) wb_large_remove(p);
  wb_map_clear(p, map, size);
  void *q = wb_heap_realloc(p, size, n);
  if (q == NULL) {
    if (map == WB_MAP_TRACKED) {
      /* The record is gone: the block comes back untracked. */
      if (size >= WB_LARGE) wb_large_insert(p, size);
      wb_alloc_register((void *)p, size);
    } else if (map == WB_MAP_LARGE) {
      wb_large_insert(p, size);
      wb_map_set(p, map);
    } else {
      wb_map_start(p, size);
    }
  } else {
    wb_alloc_register(q, n);
  }
  wb_realloc_acct_end(&acct, q);
  return q;
}

static WB_NOINLINE void *realloc_slow(uintptr_t a, unsigned b, size_t n, const void *pc)
{
  if (wb_map_has_size(b) || b == WB_MAP_LARGE) {
    size_t size = 0;
    if (b == WB_MAP_LARGE) wb_large_size(a, &size);
    else size = wb_map_size(a, b);
    return wb_alloc_realloc_untracked(a, size, b, n);
  }
  if (b == WB_MAP_TRACKED) return wb_policy_realloc_tracked(a, n, pc);
  if (b == WB_MAP_QUAR_C || b == WB_MAP_QUAR_HOST) {
    wb_hit h = { .base = a, .map = b };
    wb_report(WB_MISUSE_REALLOC_AFTER_FREE, (void *)a, &h, "realloc", pc);
    errno = EINVAL;
    return NULL;
  }
  if (wb_check_foreign_free(a, "realloc", pc)) {
    errno = EINVAL;
    return NULL;
  }
  /* Foreign memory stays foreign: the runtime only tracks what it allocated itself. */
  return realloc((void *)a, n);
}

/* realloc of a block whose start byte b says it is small or MEDIUM, with no slot counted anywhere
 * (no host active, or nothing of the host's referenced from counted slots yet): the
 * start bytes go before libc sees the block (it may give the old place to another thread). */
static WB_NOINLINE void *realloc_untracked_fast(void *p, unsigned char *m, unsigned b, size_t n)
{
  uint32_t saved = b;
  if (b == WB_MAP_MEDIUM) {
    for (int i = 1; i < 4; i++) saved |= (uint32_t)wb_load_relaxed(&m[i]) << (8 * i);
    wb_map_put4(m, 0);
  } else {
    wb_store_relaxed(m, WB_MAP_NONE);
  }
  void *q = realloc(p, n);
  if (wb_unlikely(q == NULL)) {
    if (n != 0) {
      if (b == WB_MAP_MEDIUM) wb_map_put4(m, saved);
      else wb_store_relaxed(m, (unsigned char)b);
    }
    return NULL;
  }
  return registered(q, n);
}

void *__wb_realloc(void *p, __wb_size_t n)
{
  uintptr_t a = (uintptr_t)p;
  uintptr_t t;
  if (p == NULL) return __wb_malloc(n);
  if (wb_likely((a & ((WB_GRAIN - 1) | ~(WB_ADDR_LIMIT - 1))) == 0) && wb_likely(n < WB_LARGE) &&
      wb_likely((t = __atomic_load_n(&wb_load_relaxed(&wb_free_top)[a >> WB_LEAF_SHIFT],
                                __ATOMIC_ACQUIRE)) != 0)) {
    unsigned char *m = (unsigned char *)(t + (a >> WB_GRAIN_SHIFT));
    unsigned b = wb_load_relaxed(m);
    if (wb_likely(wb_map_is_small(b) || b == WB_MAP_MEDIUM)) return realloc_untracked_fast(p, m, b, n);
  }
  unsigned char *mb = start_byte(a);
  return realloc_slow(a, mb ? wb_load_relaxed(mb) : WB_MAP_NONE, n, __builtin_return_address(0));
}

void *__wb_reallocarray(void *p, __wb_size_t nmemb, __wb_size_t size)
{
  size_t n;
  if (__builtin_mul_overflow(nmemb, size, &n)) {
    errno = ENOMEM;
    return NULL;
  }
  return __wb_realloc(p, n);
}
