/* The host API (wb_host.h) on top of the index, the records and the policies. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static void info_from_hit(wb_info *out, const wb_hit *h)
{
  out->base = h->base;
  out->size = h->size;
  out->policy = h->policy;
  out->flags = h->flags;
  out->type_id = h->type_id;
  out->kind = WB_KIND_HEAP;
}

int wb_query(const void *p, wb_info *out)
{
  wb_hit h;
  memset(out, 0, sizeof *out);
  if (!wb_index_find((uintptr_t)p, &h)) return WB_KIND_FOREIGN;
  info_from_hit(out, &h);
  return WB_KIND_HEAP;
}

/* Sets the given policies (and clears `clear`) on the allocation containing p. */
static intptr_t set_policy(const void *p, uint32_t set, uint32_t clear)
{
  wb_hit h;
  if (!wb_index_find((uintptr_t)p, &h)) return WB_EFOREIGN;
  wb_activate();
  if (h.map != WB_MAP_TRACKED) {
    if (wb_policy_track(h.base, h.size, h.map, (WB_EXPLICIT | set) & ~clear, 0) != WB_OK)
      return WB_ENOMEM;
    return (intptr_t)h.base;
  }
  wb_stripe *s = wb_rec_lock(h.base);
  wb_rec *r = wb_rec_find(s, h.base);
  if (r == NULL) {
    wb_rec_unlock(s);
    return WB_EFOREIGN;
  }
  uint32_t was = r->policy;
  r->policy = (r->policy | set) & ~clear;
  size_t size = r->size;
  int became_host = !(was & WB_HOST) && (r->policy & WB_HOST);
  wb_rec_unlock(s);
  if (became_host) {
    wb_shadow_adjust(h.base, size, +1);
    WB_STAT(host_objects, 1);
  }
  return (intptr_t)h.base;
}

intptr_t wb_attach(const void *p)
{
  intptr_t r = set_policy(p, WB_HOST, 0);
  if (r > 0) WB_STAT(attaches, 1);
  return r;
}

intptr_t wb_adopt(const void *p)
{
  intptr_t r = set_policy(p, WB_HOST, WB_EXPLICIT);
  if (r > 0) WB_STAT(adopts, 1);
  return r;
}

int wb_detach(const void *base)
{
  wb_hit h;
  if (!wb_index_find((uintptr_t)base, &h)) return WB_EFOREIGN;
  if (h.base != (uintptr_t)base) return WB_ENOTBASE;
  return wb_policy_release(h.base);
}

/* From the host arena (arena.c), so that host-created objects mark shadow granules of their own;
 * from libc where the arena cannot serve (an alignment beyond its granule, no address space). */
void *wb_host_alloc(size_t size, size_t align, uint32_t type_id)
{
  if (align & (align - 1)) return NULL;
  void *p = wb_arena_alloc(size, align);
  if (p == NULL) {
    if (align <= 16) {
      p = calloc(1, size ? size : 1);
    } else {
      if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
      memset(p, 0, size);
    }
    if (p == NULL) return NULL;
  }
  uintptr_t a = (uintptr_t)p;
  wb_activate();
  if (size >= WB_LARGE) wb_large_insert(a, size);
  if (wb_policy_track(a, size, WB_MAP_NONE, WB_HOST, WB_REC_HOST_CREATED) != WB_OK) {
    if (size >= WB_LARGE) wb_large_remove(a);
    wb_heap_free(a, size);
    return NULL;
  }
  if (type_id != 0) wb_set_type(p, type_id);
  WB_STAT(host_allocs, 1);
  return p;
}

int wb_set_type(const void *base, uint32_t type_id)
{
  uintptr_t b = (uintptr_t)base;
  wb_stripe *s = wb_rec_lock(b);
  wb_rec *r = wb_rec_find(s, b);
  if (r != NULL) r->type_id = type_id;
  wb_rec_unlock(s);
  return r ? WB_OK : WB_EFOREIGN;
}

WB_HIDDEN void wb_store_note(void *slot, void *old_value, void *new_value, uint32_t origin);
WB_HIDDEN uint64_t wb_log_pending(void);

void wb_store_ptr(void **slot, void *value)
{
  void *old = *slot;
  *slot = value;
  if (wb_store_may_count(slot, value))
    wb_store_note(slot, old, value, WB_ORIGIN_HOST);
}

void wb_get_stats(wb_stats *out, size_t size)
{
  wb_stats s;
  memcpy(&s, &wb_stats_g, sizeof s);          /* a snapshot, not atomic across fields */
  s.version = WB_HOST_API_VERSION;
  s.events = s.events_drained + wb_log_pending();
  s.quarantined = wb_quarantine_count();
  memcpy(out, &s, size < sizeof s ? size : sizeof s);
}

/* ---- batches ----------------------------------------------------------------------------- */
int wb_attach_info(const void *p, wb_info *out)
{
  memset(out, 0, sizeof *out);
  intptr_t base = wb_attach(p);
  if (base == WB_EFOREIGN) return WB_KIND_FOREIGN;
  if (base < 0) return (int)base;
  wb_hit h;
  if (!wb_index_find((uintptr_t)base, &h)) return WB_KIND_FOREIGN;
  info_from_hit(out, &h);
  return WB_KIND_HEAP;
}

size_t wb_detach_many(const double *bases, size_t n, int32_t *results)
{
  size_t released = 0;
  enum { AHEAD = 8 };
  for (size_t i = 0; i < n && i < AHEAD; i++) wb_rec_prefetch((uintptr_t)bases[i]);
  for (size_t i = 0; i < n; i++) {
    if (i + AHEAD < n) {
      wb_rec_prefetch((uintptr_t)bases[i + AHEAD]);
      __builtin_prefetch((const void *)(uintptr_t)bases[i + AHEAD], 0);
    }
    /* Records are keyed by base: one lookup settles the usual case; wb_detach sorts out the
     * errors (foreign, interior, not held). Each lookup is a likely cache miss at this scale. */
    int r = wb_policy_release((uintptr_t)bases[i]);
    if (r < 0) r = wb_detach((const void *)(uintptr_t)bases[i]);
    if (results != NULL) results[i] = r;
    released += r == 1;
  }
  return released;
}

void wb_resolve_many(const double *addrs, double *bases, size_t n)
{
  wb_hit h;
  for (size_t i = 0; i < n; i++)
    bases[i] = wb_index_find((uintptr_t)addrs[i], &h) ? (double)h.base : 0.0;
}
