/* Lifetime policies: EXPLICIT (C will free it) and HOST (the host holds it). Memory goes back to
 * libc only when both are clear; a C free of a HOST object clears EXPLICIT and defers, with the
 * contents left intact until the host detaches. Released memory passes through a quarantine so
 * a late free of it can be proved to be misuse rather than guessed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int wb_policy_track(uintptr_t base, size_t size, unsigned map, uint32_t policy, uint32_t flags)
{
  wb_stripe *s = wb_rec_lock(base);
  wb_rec *r = wb_rec_insert(s, base);
  if (r == NULL) {
    wb_rec_unlock(s);
    return WB_ENOMEM;
  }
  r->size = size;
  r->policy = policy;
  r->flags = flags;
  /* The record holds the size now; the back markers stay meaningful for a tracked start. */
  if (map == WB_MAP_MEDIUM || map == WB_MAP_BIG) wb_map_clear(base, map, size);
  wb_map_set(base, WB_MAP_TRACKED);
  wb_map_markers(base, size, 1);
  wb_rec_unlock(s);
  if (policy & WB_HOST) {
    wb_shadow_adjust(base, size, +1);
    WB_STAT(host_objects, 1);
  }
  return WB_OK;
}

static void hit_from_rec(wb_hit *h, const wb_rec *r)
{
  memset(h, 0, sizeof *h);
  h->base = r->base;
  h->size = r->size;
  h->map = WB_MAP_TRACKED;
  h->policy = r->policy;
  h->flags = WB_INFO_TRACKED | ((r->flags & WB_REC_C_FREED) ? WB_INFO_C_FREED : 0) |
             ((r->flags & WB_REC_HOST_CREATED) ? WB_INFO_HOST_CREATED : 0);
  h->type_id = r->type_id;
}

void wb_policy_free_tracked(uintptr_t p, const void *pc)
{
  wb_stripe *s = wb_rec_lock(p);
  wb_rec *r = wb_rec_find(s, p);
  if (r == NULL) {                 /* freed by another thread in between: not ours any more */
    wb_rec_unlock(s);
    if (!wb_check_foreign_free(p, "free", pc)) {
      WB_STAT(foreign_frees, 1);
      free((void *)p);
    }
    return;
  }
  if (r->flags & WB_REC_C_FREED) {
    wb_hit h;
    hit_from_rec(&h, r);
    wb_rec_unlock(s);
    wb_report(WB_MISUSE_DOUBLE_FREE, (void *)p, &h, "free", pc);
    return;
  }
  if (r->policy & WB_HOST) {
    r->policy &= ~(uint32_t)WB_EXPLICIT;
    r->flags |= WB_REC_C_FREED;
    wb_rec_unlock(s);
    WB_STAT(deferred, 1);
    wb_emit(WB_EV_CFREE, WB_ORIGIN_FREE, p, 0, 0);
    return;
  }
  /* Tracked once, no longer held by the host: an ordinary free. */
  size_t size = r->size;
  wb_rec_erase(s, r);
  wb_rec_unlock(s);
  wb_alloc_release(p, size, WB_MAP_TRACKED, wb_config.quarantine ? WB_MAP_QUAR_C : 0);
}

int wb_policy_release(uintptr_t base)
{
  wb_stripe *s = wb_rec_lock(base);
  wb_rec *r = wb_rec_find(s, base);
  if (r == NULL || !(r->policy & WB_HOST)) {
    wb_rec_unlock(s);
    return r == NULL ? WB_EFOREIGN : WB_ESTATE;
  }
  r->policy &= ~(uint32_t)WB_HOST;
  size_t size = r->size;
  int c_freed = (r->flags & WB_REC_C_FREED) != 0;
  int free_now = (r->policy & WB_EXPLICIT) == 0;
  if (free_now) wb_rec_erase(s, r);
  wb_rec_unlock(s);
  wb_shadow_adjust(base, size, -1);
  WB_STAT(host_objects, -1);
  WB_STAT(detaches, 1);
  if (!free_now) return 0;
  if (c_freed) WB_STAT(deferred, -1);
  WB_STAT(releases, 1);
  wb_alloc_release(base, size, WB_MAP_TRACKED, WB_MAP_QUAR_HOST);
  return 1;
}

void *wb_policy_realloc_tracked(uintptr_t p, size_t n, const void *pc)
{
  wb_stripe *s = wb_rec_lock(p);
  wb_rec *r = wb_rec_find(s, p);
  if (r == NULL) {
    wb_rec_unlock(s);
    if (wb_check_foreign_free(p, "realloc", pc)) {
      errno = EINVAL;
      return NULL;
    }
    return realloc((void *)p, n);
  }
  wb_rec old = *r;
  if (old.flags & WB_REC_C_FREED) {
    wb_hit h;
    hit_from_rec(&h, r);
    wb_rec_unlock(s);
    wb_report(WB_MISUSE_REALLOC_AFTER_FREE, (void *)p, &h, "realloc", pc);
    errno = EINVAL;
    return NULL;
  }
  if (!(old.policy & WB_HOST)) {
    /* Not held: drop the record and let the untracked path do the work. */
    wb_rec_erase(s, r);
    wb_rec_unlock(s);
    return wb_alloc_realloc_untracked(p, old.size, WB_MAP_TRACKED, n);
  }
  if (n == 0) {                                 /* realloc(p, 0) is free(p) in glibc */
    wb_rec_unlock(s);
    __wb_free((void *)p);
    return NULL;
  }
  /* A HOST object moves with its policies: kill its slots at the old place, move the memory
   * (libc's realloc: in place when it can), re-create them at the new one. The record leaves
   * the table before libc can hand the old address to another thread. */
  wb_rec_erase(s, r);
  wb_rec_unlock(s);
  wb_realloc_acct acct;
  wb_realloc_acct_begin(&acct, p, old.size, n);
  if (old.size >= WB_LARGE) wb_large_remove(p);
  wb_map_clear(p, WB_MAP_TRACKED, old.size);
  void *q = wb_heap_realloc(p, old.size, n);
  uintptr_t a = q ? (uintptr_t)q : p;
  size_t size = q ? n : old.size;
  s = wb_rec_lock(a);
  r = wb_rec_insert(s, a);
  if (r != NULL) {
    *r = old;
    r->base = a;
    r->size = size;
  }
  wb_map_set(a, WB_MAP_TRACKED);
  wb_map_markers(a, size, 1);
  wb_rec_unlock(s);
  if (size >= WB_LARGE) wb_large_insert(a, size);
  if (q != NULL) {
    wb_shadow_adjust(a, n, +1);
    wb_shadow_adjust(p, old.size, -1);
    if (a != p) {                  /* before the slots' moves, so they land in the moved object */
      WB_STAT(moves, 1);
      wb_emit(WB_EV_MOVE, WB_ORIGIN_REALLOC, p, a, n);
    }
  }
  wb_realloc_acct_end(&acct, q);
  return q;
}

/* ---- quarantine -------------------------------------------------------------------------- */
#define WB_QUAR_HOST_DEFAULT 256
#define WB_QUAR_BYTES ((size_t)16 << 20)

typedef struct { uintptr_t base; size_t size; } wb_quar_t;
wb_lock wb_quar_lock;
static wb_quar_t *quar;
static size_t quar_cap, quar_head, quar_n, quar_bytes;

static void quar_evict_locked(void)
{
  wb_quar_t e = quar[quar_head];
  quar_head = (quar_head + 1) % quar_cap;
  quar_n--;
  quar_bytes -= e.size;
  wb_map_set(e.base, WB_MAP_NONE);
  wb_heap_free(e.base, e.size);
}

void wb_quarantine_push(uintptr_t base, size_t size, unsigned why)
{
  (void)why;
  wb_lock_acquire(&wb_quar_lock);
  if (quar == NULL) {
    size_t cap = wb_config.quarantine > WB_QUAR_HOST_DEFAULT ? wb_config.quarantine
                                                               : WB_QUAR_HOST_DEFAULT;
    quar = calloc(cap, sizeof *quar);
    if (quar != NULL) quar_cap = cap;
  }
  if (quar == NULL || size > WB_QUAR_BYTES / 4) {
    wb_lock_release(&wb_quar_lock);
    wb_map_set(base, WB_MAP_NONE);
    wb_heap_free(base, size);
    return;
  }
  while (quar_n == quar_cap || (quar_n > 0 && quar_bytes + size > WB_QUAR_BYTES))
    quar_evict_locked();
  quar[(quar_head + quar_n) % quar_cap] = (wb_quar_t){ base, size };
  quar_n++;
  quar_bytes += size;
  wb_lock_release(&wb_quar_lock);
}

size_t wb_quarantine_count(void) { return wb_load_relaxed(&quar_n); }
