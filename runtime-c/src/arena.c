/* The host arena: the memory of host-created objects (wb_host_alloc), in 1 MiB granules that hold
 * nothing else. A HOST object marks its granules in the shadow map, and every store whose new
 * value lies in a marked granule leaves the barrier's first test for its C filter; if the host's
 * records came from libc's heap they would mark the granules the program allocates from too.
 *
 * Small objects (up to ARENA_SMALL_MAX bytes) come from size classes: each class carves 1 MiB
 * chunks of its own into equal cells and keeps a free list of released cells, which are zeroed
 * when handed out again. Larger objects get a mapping of their own, granule-aligned. The shadow
 * byte's bits above HOST and SLOTS say which (the class's number, or ARENA_TAG_LARGE), so a
 * release finds its way back here from the address alone; the caller gives the size, which the
 * object's record kept. Chunks are never unmapped.
 *
 * The chunks come, in order, from one reservation of address space (CHUNK_RESERVE bytes, made on
 * first use, committed a granule at a time), so the granules of host-created objects stay together
 * whatever else the program maps: the HOST span (wb_abi.h, "spans") then covers them and little
 * else. The reservation goes as high as it can, between the main thread's stack (and the room
 * the stack may grow into) and everything else the system maps, which it places lower: the
 * barrier's inline test sends on at once every store of a value below the span, so the program's
 * heap, its libraries' data and its own then never reach the stub. Past the reservation, chunks
 * are mapped wherever the system puts them. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include "internal.h"

#define GRANULE ((uintptr_t)1 << WB_ABI_SHADOW_SHIFT)
#define ARENA_TAG_SHIFT 2
#define ARENA_TAG_LARGE 63
#define ARENA_SMALL_MAX ((size_t)32 << 10)

/* Cell sizes: multiples of 16, four per doubling from 128 on (a cell wastes under 25 %). Every
 * power of two is one, so an alignment up to ARENA_SMALL_MAX is a class whose cells, carved from a
 * granule-aligned chunk, are all aligned to it. */
enum { NCLASSES = 8 + 4 * 8 };
static size_t class_size(unsigned k)
{
  if (k < 8) return (size_t)(k + 1) * 16;
  unsigned d = (k - 8) / 4, q = (k - 8) % 4;      /* 128 << d, in quarters */
  return ((size_t)128 << d) + ((size_t)(q + 1) * (32u << d));
}

typedef struct cell { struct cell *next; } cell;
static struct {
  cell *free;            /* released cells */
  uintptr_t next, end;   /* the rest of the current chunk */
} classes[NCLASSES];
wb_lock wb_arena_lock;

static unsigned arena_tag(uintptr_t p)
{
  if (p >= WB_ADDR_LIMIT) return 0;
  return wb_load_relaxed(&__wb_shadow[(p >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK]) >> ARENA_TAG_SHIFT;
}

int wb_arena_owns(uintptr_t p) { return arena_tag(p) != 0; }

static void tag_granules(uintptr_t base, size_t bytes, unsigned tag)
{
  for (uintptr_t g = base; g < base + bytes; g += GRANULE) {
    unsigned char *b = &__wb_shadow[(g >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK];
    if (tag) __atomic_fetch_or(b, (unsigned char)(tag << ARENA_TAG_SHIFT), __ATOMIC_SEQ_CST);
    else __atomic_fetch_and(b, (unsigned char)((1u << ARENA_TAG_SHIFT) - 1), __ATOMIC_SEQ_CST);
  }
}

/* bytes (a multiple of GRANULE) of zeroed memory at a granule boundary, or 0. */
static uintptr_t map_granules(size_t bytes)
{
  void *m = mmap(NULL, bytes + GRANULE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 0;
  uintptr_t a = (uintptr_t)m, base = (a + GRANULE - 1) & ~(GRANULE - 1);
  if (base > a) munmap(m, base - a);
  munmap((void *)(base + bytes), a + GRANULE - base);   /* base < a + GRANULE: never empty */
  return base;
}

/* The reservation: [chunk_next, chunk_end) is what is left of it; both 0 until the first chunk,
 * equal once it is used up or could not be made. Under wb_arena_lock. */
#define CHUNK_RESERVE ((size_t)1 << 30)
static uintptr_t chunk_next, chunk_end;
static int chunk_reserved;

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
/* The main thread's stack: glibc's (ld.so exports it), else this thread's. */
extern void *__libc_stack_end __attribute__((weak));

/* Where the reservation (bytes, granule-aligned) should start: below the main thread's stack by
 * the most the stack may grow (its limit, at least the 128 MiB below it the kernel keeps free of
 * mappings) and a margin; 0 where that does not fit. Linux maps libraries and everything else
 * downwards from below that gap, ASLR leaving on average hundreds of GiB free above them. */
static uintptr_t high_start(size_t bytes)
{
  int local;
  uintptr_t stack = (uintptr_t)(&__libc_stack_end != NULL && __libc_stack_end != NULL ? __libc_stack_end : (void *)&local);
  struct rlimit rl;
  uintptr_t grow = (uintptr_t)1 << 27;
  if (getrlimit(RLIMIT_STACK, &rl) == 0) {
    if (rl.rlim_cur == RLIM_INFINITY) grow = (uintptr_t)64 << 30;
    else if (rl.rlim_cur > grow) grow = rl.rlim_cur;
  }
  uintptr_t below = grow + ((uintptr_t)1 << 28) + bytes;
  if (stack < below + ((uintptr_t)1 << 32)) return 0;
  return (stack - below) & ~(GRANULE - 1);
}

/* PROT_NONE address space for the reservation, granule-aligned; 0 if the system refuses. */
static uintptr_t reserve(size_t bytes)
{
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  uintptr_t want = high_start(bytes);
  if (want != 0) {
    void *m = mmap((void *)want, bytes, PROT_NONE, flags | MAP_FIXED_NOREPLACE, -1, 0);
    if (m == (void *)want) return want;
    if (m != MAP_FAILED) munmap(m, bytes);       /* a kernel that took the flag for a hint */
  }
  void *m = mmap(NULL, bytes + GRANULE, PROT_NONE, flags, -1, 0);
  if (m == MAP_FAILED) return 0;
  uintptr_t a = (uintptr_t)m, base = (a + GRANULE - 1) & ~(GRANULE - 1);
  if (base > a) munmap(m, base - a);
  munmap((void *)(base + bytes), a + GRANULE - base);
  return base;
}

/* One granule of zeroed memory for a class's chunk; 0 when the system refuses. wb_arena_lock held. */
static uintptr_t chunk_granule(void)
{
  if (!chunk_reserved) {
    chunk_reserved = 1;
    uintptr_t base = reserve(CHUNK_RESERVE);
    if (base != 0) {
      chunk_next = base;
      chunk_end = base + CHUNK_RESERVE;
    }
  }
  if (chunk_next < chunk_end) {
    uintptr_t g = chunk_next;
    if (mprotect((void *)g, GRANULE, PROT_READ | PROT_WRITE) == 0) {
      chunk_next += GRANULE;
      return g;
    }
  }
  return map_granules(GRANULE);
}

static size_t large_bytes(size_t size) { return (size + GRANULE - 1) & ~(GRANULE - 1); }

/* The class for size bytes aligned to align (a power of two), or NCLASSES for a mapping. */
static unsigned class_for(size_t size, size_t align)
{
  if (size > ARENA_SMALL_MAX || align > ARENA_SMALL_MAX) return NCLASSES;
  for (unsigned k = 0; k < NCLASSES; k++) {
    size_t c = class_size(k);
    if (c >= size && (c & (align - 1)) == 0) return k;
  }
  return NCLASSES;
}

void *wb_arena_alloc(size_t size, size_t align)
{
  if (size == 0) size = 1;
  if (align < 16) align = 16;
  if (align > GRANULE) return NULL;
  unsigned k = class_for(size, align);
  if (k == NCLASSES) {
    size_t bytes = large_bytes(size);
    uintptr_t base = map_granules(bytes);
    if (base == 0) return NULL;
    tag_granules(base, bytes, ARENA_TAG_LARGE);
    return (void *)base;
  }
  size_t c = class_size(k);
  wb_lock_acquire(&wb_arena_lock);
  cell *p = classes[k].free;
  if (p != NULL) {
    classes[k].free = p->next;
    wb_lock_release(&wb_arena_lock);
    memset(p, 0, c);
    return p;
  }
  if (classes[k].end - classes[k].next < c) {
    uintptr_t base = chunk_granule();
    if (base == 0) {
      wb_lock_release(&wb_arena_lock);
      return NULL;
    }
    tag_granules(base, GRANULE, k + 1);
    classes[k].next = base;
    classes[k].end = base + GRANULE;
  }
  uintptr_t q = classes[k].next;                  /* fresh from the mapping: zero */
  classes[k].next += c;
  wb_lock_release(&wb_arena_lock);
  return (void *)q;
}

void wb_arena_free(uintptr_t p, size_t size)
{
  unsigned tag = arena_tag(p);
  if (tag == ARENA_TAG_LARGE) {
    size_t bytes = large_bytes(size ? size : 1);
    tag_granules(p, bytes, 0);
    munmap((void *)p, bytes);
    return;
  }
  cell *c = (cell *)p;
  wb_lock_acquire(&wb_arena_lock);
  c->next = classes[tag - 1].free;
  classes[tag - 1].free = c;
  wb_lock_release(&wb_arena_lock);
}

/* realloc of an arena object of size bytes to n > 0 bytes: stays where it is while its cell holds
 * n bytes (or its mapping keeps the same number of granules, which the free will unmap), else
 * moves to a new arena object. NULL if that fails (p intact). */
void *wb_arena_realloc(uintptr_t p, size_t size, size_t n)
{
  unsigned tag = arena_tag(p);
  int stays = tag == ARENA_TAG_LARGE ? n > ARENA_SMALL_MAX && large_bytes(n) == large_bytes(size ? size : 1)
                                     : n <= class_size(tag - 1);
  if (stays) return (void *)p;
  void *q = wb_arena_alloc(n, 16);
  if (q == NULL) return NULL;
  memcpy(q, (void *)p, size < n ? size : n);
  wb_arena_free(p, size);
  return q;
}

/* Memory of ours going back: to the arena, or to libc. */
void wb_heap_free(uintptr_t p, size_t size)
{
  if (wb_unlikely(arena_tag(p) != 0)) wb_arena_free(p, size);
  else free((void *)p);
}

void *wb_heap_realloc(uintptr_t p, size_t size, size_t n)
{
  if (wb_unlikely(arena_tag(p) != 0)) return wb_arena_realloc(p, size, n);
  return realloc((void *)p, n);
}
