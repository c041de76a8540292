/* Object records: the allocations the host has touched (attached, adopted, created), keyed by
 * base in a striped open-addressing table. Each stripe has its own lock and grows on its own,
 * so threads freeing unrelated tracked objects rarely meet. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define WB_STRIPES 64

struct wb_stripe {
  wb_lock lock;
  uint32_t cap;        /* power of two, or 0 */
  uint32_t used;
  wb_rec *slots;       /* base == 0 marks an empty slot */
} __attribute__((aligned(64)));

static wb_stripe stripes[WB_STRIPES];

static inline uint64_t mix(uintptr_t base)
{
  uint64_t x = (uint64_t)base >> WB_GRAIN_SHIFT;
  x *= 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

wb_stripe *wb_rec_lock(uintptr_t base)
{
  wb_stripe *s = &stripes[mix(base) & (WB_STRIPES - 1)];
  wb_lock_acquire(&s->lock);
  return s;
}

void wb_rec_unlock(wb_stripe *s) { wb_lock_release(&s->lock); }

static inline uint32_t home(const wb_stripe *s, uintptr_t base)
{
  return (uint32_t)(mix(base) >> 6) & (s->cap - 1);
}

wb_rec *wb_rec_find(wb_stripe *s, uintptr_t base)
{
  if (s->cap == 0) return NULL;
  for (uint32_t i = home(s, base);; i = (i + 1) & (s->cap - 1)) {
    if (s->slots[i].base == base) return &s->slots[i];
    if (s->slots[i].base == 0) return NULL;
  }
}

enum { WB_STRIPE_MIN_CAP = 64 };

/* Rehashes the stripe into `cap` slots (a power of two above twice `used`). */
static int resize(wb_stripe *s, uint32_t cap)
{
  wb_rec *slots = calloc(cap, sizeof *slots);
  if (slots == NULL) return 0;
  wb_rec *old = s->slots;
  uint32_t oldcap = s->cap;
  s->slots = slots;
  s->cap = cap;
  for (uint32_t j = 0; j < oldcap; j++) {
    if (old[j].base == 0) continue;
    uint32_t i = home(s, old[j].base);
    while (slots[i].base != 0) i = (i + 1) & (cap - 1);
    slots[i] = old[j];
  }
  free(old);
  return 1;
}

wb_rec *wb_rec_insert(wb_stripe *s, uintptr_t base)
{
  wb_rec *r = wb_rec_find(s, base);
  if (r != NULL) return r;
  if ((s->used + 1) * 2 > s->cap && !resize(s, s->cap ? s->cap * 2 : WB_STRIPE_MIN_CAP)) return NULL;
  uint32_t i = home(s, base);
  while (s->slots[i].base != 0) i = (i + 1) & (s->cap - 1);
  s->used++;
  r = &s->slots[i];
  memset(r, 0, sizeof *r);
  r->base = base;
  WB_STAT(tracked, 1);
  return r;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
void wb_rec_erase(wb_stripe *s, wb_rec *r)
{
  uint32_t mask = s->cap - 1;
  uint32_t i = (uint32_t)(r - s->slots);
  uint32_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (s->slots[j].base == 0) break;
    uint32_t h = home(s, s->slots[j].base);
    /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
    if (i <= j ? (i < h && h <= j) : (i < h || h <= j)) continue;
    s->slots[i] = s->slots[j];
    i = j;
  }
  s->slots[i].base = 0;
  s->used--;
  WB_STAT(tracked, -1);
  /* Give back what a mass release left empty: at an eighth full, half the slots. Halving leaves
   * the stripe a quarter full, so an insert needs many more records before it grows again.
   * Record pointers are already invalid after an erase (the shift above moves records). A failed
   * allocation keeps the larger table. */
  if (s->cap > WB_STRIPE_MIN_CAP && s->used * 8 < s->cap) (void)resize(s, s->cap / 2);
}

void wb_rec_fork(int acquire)
{
  for (int i = 0; i < WB_STRIPES; i++) {
    if (acquire) wb_lock_acquire(&stripes[i].lock);
    else wb_lock_release(&stripes[i].lock);
  }
}

void wb_rec_prefetch(uintptr_t base)
{
  wb_stripe *s = &stripes[mix(base) & (WB_STRIPES - 1)];
  uint32_t cap = __atomic_load_n(&s->cap, __ATOMIC_RELAXED);
  wb_rec *slots = __atomic_load_n(&s->slots, __ATOMIC_RELAXED);
  if (cap != 0 && slots != NULL) __builtin_prefetch(&slots[(uint32_t)(mix(base) >> 6) & (cap - 1)], 1);
}

int wb_rec_get(uintptr_t base, wb_rec *out)
{
  wb_stripe *s = wb_rec_lock(base);
  wb_rec *r = wb_rec_find(s, base);
  if (r != NULL) *out = *r;
  wb_rec_unlock(s);
  return r != NULL;
}
