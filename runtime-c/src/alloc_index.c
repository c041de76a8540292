/* Knowing what is ours: the start map (a byte per 16-byte grain, see internal.h) and
 * the large list. A pointer is resolved to its allocation by finding the nearest start byte (or
 * back marker) at or before it, at most 2 KiB back for anything under WB_LARGE; larger
 * allocations are found in the large list. Only the runtime's own tables are read, so any
 * pointer value is safe to ask about. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

uintptr_t wb_map_top[WB_TOP_ENTRIES];
wb_lock wb_map_leaf_lock;

unsigned char *wb_map_leaf_create(uintptr_t p)
{
  if (p >= WB_ADDR_LIMIT) return NULL;
  size_t i = p >> WB_LEAF_SHIFT;
  wb_lock_acquire(&wb_map_leaf_lock);
  if (wb_map_top[i] == 0) {
    unsigned char *leaf = wb_os_reserve(WB_LEAF_BYTES + 4096);
    if (leaf != NULL) {
      uintptr_t bias = (uintptr_t)leaf - ((uintptr_t)i << (WB_LEAF_SHIFT - WB_GRAIN_SHIFT));
      __atomic_store_n(&wb_map_top[i], bias, __ATOMIC_RELEASE);
    }
  }
  wb_lock_release(&wb_map_leaf_lock);
  return wb_map_byte(p);
}

size_t wb_map_size(uintptr_t p, unsigned b)
{
  if (wb_map_is_small(b)) return b - 1u;
  /* The continuation bytes follow the start byte in the same leaf (or its pad). */
  const unsigned char *m = wb_map_byte(p);
  if (m == NULL) return 0;
  size_t n = 0;
  for (int i = 3; i >= 1; i--) n = (n << 6) | (wb_load_relaxed(&m[i]) & 63);
  return n;
}

/* Highest non-zero byte of map bytes [lo, hi], or -1. */
static ptrdiff_t scan_back(const unsigned char *map, size_t lo, size_t hi)
{
  size_t i = hi + 1;                       /* scan [lo, i) from the top */
  while (i > lo && (i & 7) != 0) {
    i--;
    if (wb_load_relaxed(&map[i])) return (ptrdiff_t)i;
  }
  while (i >= lo + 8) {
    uint64_t w = __atomic_load_n((const uint64_t *)(map + i - 8), __ATOMIC_RELAXED);
    if (w != 0) return (ptrdiff_t)(i - 8 + (size_t)((63 - __builtin_clzll(w)) >> 3));
    i -= 8;
  }
  while (i > lo) {
    i--;
    if (wb_load_relaxed(&map[i])) return (ptrdiff_t)i;
  }
  return -1;
}

/* The start byte at or before grain g (scanning back at most to grain lo), or -1. */
static intptr_t scan_grains(uintptr_t g, uintptr_t lo)
{
  const uintptr_t per_leaf = WB_LEAF_BYTES;
  for (;;) {
    uintptr_t first = g & ~(per_leaf - 1);
    uintptr_t stop = first > lo ? first : lo;
    uintptr_t t = __atomic_load_n(&wb_map_top[g / per_leaf], __ATOMIC_ACQUIRE);
    if (t != 0) {
      const unsigned char *leaf = (const unsigned char *)(t + first);
      ptrdiff_t hit = scan_back(leaf, stop - first, g - first);
      if (hit >= 0) return (intptr_t)(first + (uintptr_t)hit);
    }
    if (stop == lo) return -1;
    g = stop - 1;
  }
}

uintptr_t wb_index_scan_start(uintptr_t v, unsigned *byte)
{
  if (v >= WB_ADDR_LIMIT) return 0;
  uintptr_t g = v >> WB_GRAIN_SHIFT;
  const unsigned char *mv = wb_map_byte(v);
  unsigned x = mv ? wb_load_relaxed(mv) : 0;
  if (x != 0 && !wb_map_is_cont(x) && !wb_map_is_back(x)) {   /* v is in a start's first grain */
    *byte = x;
    return g << WB_GRAIN_SHIFT;
  }
  /* Anything under WB_LARGE has its start or a back marker within WB_SCAN_GRAINS. */
  intptr_t hit = scan_grains(g, g >= WB_SCAN_GRAINS - 1 ? g - (WB_SCAN_GRAINS - 1) : 0);
  if (hit < 0) return 0;
  uintptr_t at = (uintptr_t)hit;
  x = wb_map_get(at << WB_GRAIN_SHIFT);
  if (wb_map_is_back(x)) {                 /* 128*k grains into a 2 KiB+ allocation */
    uintptr_t s = at - ((uintptr_t)(x - WB_MAP_BACK) << 7);
    x = wb_map_get(s << WB_GRAIN_SHIFT);
    if (x != WB_MAP_BIG && x != WB_MAP_TRACKED) return 0;   /* torn by a racing free */
    *byte = x;
    return s << WB_GRAIN_SHIFT;
  }
  if (wb_map_is_cont(x)) {                 /* inside a MEDIUM/BIG start: the start is close */
    const unsigned char *m = wb_map_byte(at << WB_GRAIN_SHIFT);
    for (uintptr_t k = 1; k <= 3 && (at & (WB_LEAF_BYTES - 1)) >= k; k++) {
      unsigned s = wb_load_relaxed(m - k);
      if (s == WB_MAP_MEDIUM || s == WB_MAP_BIG) {
        *byte = s;
        return (at - k) << WB_GRAIN_SHIFT;
      }
      if (!wb_map_is_cont(s)) break;
    }
    return 0;                              /* torn by a racing free: nothing here */
  }
  *byte = x;
  return at << WB_GRAIN_SHIFT;
}

static int in_extent(uintptr_t v, uintptr_t base, size_t size)
{
  return v == base || v - base < size;
}

static int fill_tracked(uintptr_t v, uintptr_t s, wb_hit *out)
{
  wb_rec r;
  if (!wb_rec_get(s, &r) || !in_extent(v, s, r.size)) return 0;
  out->base = s;
  out->size = r.size;
  out->map = WB_MAP_TRACKED;
  out->policy = r.policy;
  out->flags = WB_INFO_TRACKED | ((r.flags & WB_REC_C_FREED) ? WB_INFO_C_FREED : 0) |
               ((r.flags & WB_REC_HOST_CREATED) ? WB_INFO_HOST_CREATED : 0);
  out->type_id = r.type_id;
  return 1;
}

int wb_index_find(uintptr_t v, wb_hit *out)
{
  memset(out, 0, sizeof *out);
  if (v < 4096 || v >= WB_ADDR_LIMIT) return 0;
  unsigned b;
  uintptr_t s = wb_index_scan_start(v, &b);
  size_t size;
  if (s != 0) {
    /* The nearest start decides: any other allocation containing v would contain s too. */
    if (wb_map_has_size(b)) {
      size = wb_map_size(s, b);
    } else if (b == WB_MAP_TRACKED) {
      return fill_tracked(v, s, out);
    } else if (b == WB_MAP_LARGE) {
      if (!wb_large_size(s, &size)) return 0;
    } else {
      return 0;                              /* quarantined: freed memory */
    }
  } else {
    if (!wb_large_find(v, &s, &size)) return 0;
    b = wb_map_get(s);
    if (b == WB_MAP_TRACKED) return fill_tracked(v, s, out);
    if (b != WB_MAP_LARGE) return 0;
  }
  if (!in_extent(v, s, size)) return 0;
  out->base = s;
  out->size = size;
  out->map = b;
  out->policy = WB_EXPLICIT;
  return 1;
}

uintptr_t wb_index_host_base(uintptr_t v)
{
  if (v < 4096 || v >= WB_ADDR_LIMIT) return 0;
  unsigned b;
  uintptr_t s = wb_index_scan_start(v, &b);
  if (s == 0) {
    size_t size;
    if (!wb_large_find(v, &s, &size)) return 0;
    b = wb_map_get(s);
  }
  if (b != WB_MAP_TRACKED) return 0;          /* untracked objects are never HOST */
  wb_stripe *st = wb_rec_lock(s);
  wb_rec *r = wb_rec_find(st, s);
  uintptr_t base = r && (r->policy & WB_HOST) && in_extent(v, s, r->size) ? s : 0;
  wb_rec_unlock(st);
  return base;
}

/* ---- large list ------------------------------------------------------------------------- */
typedef struct { uintptr_t base; size_t size; } wb_large_t;
wb_lock wb_large_lock;
static wb_large_t *large;
static size_t large_n, large_cap;

/* Index of the last entry with base <= v, or -1. */
static ptrdiff_t large_pred(uintptr_t v)
{
  size_t lo = 0, hi = large_n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (large[mid].base <= v) lo = mid + 1;
    else hi = mid;
  }
  return (ptrdiff_t)lo - 1;
}

void wb_large_insert(uintptr_t base, size_t size)
{
  wb_lock_acquire(&wb_large_lock);
  if (large_n == large_cap) {
    size_t cap = large_cap ? large_cap * 2 : 256;
    wb_large_t *n = realloc(large, cap * sizeof *n);
    if (n == NULL) {
      wb_lock_release(&wb_large_lock);
      return;                                  /* interior lookups degrade, nothing breaks */
    }
    large = n;
    large_cap = cap;
  }
  size_t at = (size_t)(large_pred(base) + 1);
  memmove(&large[at + 1], &large[at], (large_n - at) * sizeof *large);
  large[at].base = base;
  large[at].size = size;
  large_n++;
  wb_lock_release(&wb_large_lock);
}

void wb_large_remove(uintptr_t base)
{
  wb_lock_acquire(&wb_large_lock);
  ptrdiff_t i = large_pred(base);
  if (i >= 0 && large[i].base == base) {
    memmove(&large[i], &large[i + 1], (large_n - (size_t)i - 1) * sizeof *large);
    large_n--;
  }
  wb_lock_release(&wb_large_lock);
}

void wb_large_resize(uintptr_t base, size_t size)
{
  wb_lock_acquire(&wb_large_lock);
  ptrdiff_t i = large_pred(base);
  if (i >= 0 && large[i].base == base) large[i].size = size;
  wb_lock_release(&wb_large_lock);
}

int wb_large_find(uintptr_t v, uintptr_t *base, size_t *size)
{
  if (wb_load_relaxed(&large_n) == 0) return 0;
  wb_lock_acquire(&wb_large_lock);
  ptrdiff_t i = large_pred(v);
  int ok = i >= 0 && in_extent(v, large[i].base, large[i].size);
  if (ok) {
    *base = large[i].base;
    *size = large[i].size;
  }
  wb_lock_release(&wb_large_lock);
  return ok;
}

int wb_large_size(uintptr_t base, size_t *size)
{
  wb_lock_acquire(&wb_large_lock);
  ptrdiff_t i = large_pred(base);
  int ok = i >= 0 && large[i].base == base;
  if (ok) *size = large[i].size;
  wb_lock_release(&wb_large_lock);
  return ok;
}
