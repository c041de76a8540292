/* Misuse reports: what was done, to which address, the allocation it concerns and the caller.
 * Reports count in the statistics, print on stderr (unless WB_QUIET) and abort under
 * WB_ABORT_ON_ERROR. Only what can be proved is reported: a pointer libc may own is not. */
#define _GNU_SOURCE 1
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

static const char *kind_name(int kind)
{
  switch (kind) {
  case WB_MISUSE_DOUBLE_FREE: return "double free";
  case WB_MISUSE_INTERIOR_FREE: return "free of an interior pointer";
  case WB_MISUSE_NONHEAP_FREE: return "free of a pointer that is not heap memory";
  case WB_MISUSE_FREE_AFTER_RELEASE: return "free of memory the host has already released";
  case WB_MISUSE_REALLOC_AFTER_FREE: return "realloc of freed memory";
  default: return "misuse of the host API";
  }
}

void wb_report(int kind, const void *addr, const wb_hit *obj, const char *what, const void *pc)
{
  WB_STAT(misuse, 1);
  switch (kind) {
  case WB_MISUSE_DOUBLE_FREE: WB_STAT(double_frees, 1); break;
  case WB_MISUSE_INTERIOR_FREE:
  case WB_MISUSE_NONHEAP_FREE: WB_STAT(invalid_frees, 1); break;
  case WB_MISUSE_FREE_AFTER_RELEASE: WB_STAT(frees_after_release, 1); break;
  case WB_MISUSE_REALLOC_AFTER_FREE: WB_STAT(reallocs_after_free, 1); break;
  default: break;
  }
  if (!wb_config.quiet) {
    char obj_text[160] = "";
    if (obj != NULL && obj->base != 0 && obj->size != 0)
      snprintf(obj_text, sizeof obj_text,
               "; allocation %p, %zu bytes, policy %s%s%s", (void *)obj->base, obj->size,
               (obj->policy & WB_EXPLICIT) ? "EXPLICIT" : "",
               (obj->policy & WB_HOST) ? ((obj->policy & WB_EXPLICIT) ? "|HOST" : "HOST") : "",
               (obj->flags & WB_INFO_C_FREED) ? ", freed by C" : "");
    fprintf(stderr, "cc-wb: %s: %s(%p) called from %p%s\n", kind_name(kind), what, addr, pc,
            obj_text);
  }
  if (wb_config.abort_on_error) abort();
}

/* Loaded objects' PT_LOAD segments, rebuilt when the loader's counters say objects came or
 * went (the first dl_iterate_phdr callback can read them and stop). */
typedef struct { uintptr_t lo, hi; } wb_seg;
wb_lock wb_seg_lock;
static wb_seg *segs;
static size_t nsegs, segs_cap;
static unsigned long long seen_adds = ~0ull, seen_subs = ~0ull;

struct counters { unsigned long long adds, subs; };

static int read_counters(struct dl_phdr_info *info, size_t size, void *data)
{
  struct counters *c = data;
  if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
    c->adds = info->dlpi_adds;
    c->subs = info->dlpi_subs;
  }
  return 1;
}

static int add_segments(struct dl_phdr_info *info, size_t size, void *data)
{
  (void)size;
  (void)data;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD) continue;
    if (nsegs == segs_cap) {
      size_t cap = segs_cap ? segs_cap * 2 : 64;
      wb_seg *n = realloc(segs, cap * sizeof *n);
      if (n == NULL) return 1;
      segs = n;
      segs_cap = cap;
    }
    segs[nsegs].lo = info->dlpi_addr + ph->p_vaddr;
    segs[nsegs].hi = segs[nsegs].lo + ph->p_memsz;
    nsegs++;
  }
  return 0;
}

static int in_static_segment(uintptr_t p)
{
  struct counters c = { 0, 0 };
  dl_iterate_phdr(read_counters, &c);
  wb_lock_acquire(&wb_seg_lock);
  if (c.adds != seen_adds || c.subs != seen_subs || c.adds == 0) {
    nsegs = 0;
    dl_iterate_phdr(add_segments, NULL);
    seen_adds = c.adds;
    seen_subs = c.subs;
  }
  int hit = 0;
  for (size_t i = 0; i < nsegs && !hit; i++) hit = p >= segs[i].lo && p < segs[i].hi;
  wb_lock_release(&wb_seg_lock);
  return hit;
}

int wb_check_foreign_free(uintptr_t p, const char *what, const void *pc)
{
  wb_hit h;
  /* Every malloc returns memory aligned for a pointer at least. */
  if (p & (sizeof(void *) - 1)) {
    wb_report(WB_MISUSE_NONHEAP_FREE, (void *)p, NULL, what, pc);
    return 1;
  }
  if (wb_index_find(p, &h)) {
    wb_report(WB_MISUSE_INTERIOR_FREE, (void *)p, &h, what, pc);
    return 1;
  }
  if (wb_on_stack(p, 1)) {
    wb_report(WB_MISUSE_NONHEAP_FREE, (void *)p, NULL, what, pc);
    return 1;
  }
  if (in_static_segment(p)) {
    wb_report(WB_MISUSE_NONHEAP_FREE, (void *)p, NULL, what, pc);
    return 1;
  }
  /* Host arena memory that is no live object: only the host creates objects there, so this one
   * was released already (and libc never owned it). */
  if (wb_arena_owns(p)) {
    wb_report(WB_MISUSE_FREE_AFTER_RELEASE, (void *)p, NULL, what, pc);
    return 1;
  }
  return 0;
}
