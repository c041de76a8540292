/* Barrier slow path and range operations: which references the host hears about. */
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "t.h"

struct box { void *f; void *g; long n; };
struct pair { void *a, *b; };
static void *global_slot;
static t_log lg;

static void reset(void)
{
  t_drain(&lg);
  lg.n = 0;
}

static int cmp_ptr(const void *x, const void *y)
{
  uintptr_t a = *(const uintptr_t *)x, b = *(const uintptr_t *)y;
  return (a > b) - (a < b);
}

/* The host's view: net count of references from slots to a base, built from the events. */
static long net(uint64_t base)
{
  long k = 0;
  for (size_t i = 0; i < lg.n; i++) {
    if (lg.ev[i].kind != WB_EV_REF) continue;
    if (lg.ev[i].b == base) k--;
    if (lg.ev[i].c == base) k++;
  }
  return k;
}

/* REF events that leave slot referring to nothing, whatever old object they name. */
static long released_slots(const t_log *l, uint64_t slot)
{
  long k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->ev[i].kind == WB_EV_REF && l->ev[i].a == slot && l->ev[i].c == 0) k++;
  return k;
}

/* The runtime's own view (internal.h), for the checks below. */
extern int64_t __wbrt_slots_counted;
int __wbrt_range_hook_filter(__wb_uintptr_t dst, __wb_uintptr_t src, __wb_size_t n);
static int slots_bit(const void *p)
{
  return (__wb_shadow[((uintptr_t)p >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK] & WB_ABI_SHADOW_SLOTS) != 0;
}

/* The counts of counted slots (in all, and the shadow's SLOTS bit per granule) follow every way a
 * slot becomes counted or stops being counted, and the filters go by them. */
static void test_counted_granules(char *A, char *B)
{
  reset();
  int64_t base = __wbrt_slots_counted;
  void **far = __wb_malloc(4 << 20);               /* its middle granule holds nothing else */
  void **mid = far + (2 << 20) / sizeof(void *);
  mid = (void **)(((uintptr_t)mid + (1 << 20) - 1) & ~(uintptr_t)((1 << 20) - 1));
  CHECK(!slots_bit(mid));
  WB_STORE(mid[0], A);
  CHECK(slots_bit(mid));
  CHECK_EQ(__wbrt_slots_counted, base + 1);
  WB_STORE(mid[0], B);                             /* stays counted: no change */
  CHECK_EQ(__wbrt_slots_counted, base + 1);
  WB_STORE(mid[1], A);
  CHECK_EQ(__wbrt_slots_counted, base + 2);
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)mid, (uintptr_t)&far[0], 16), 1);  /* kills */
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)&far[0], (uintptr_t)mid, 16), 1);  /* copies */
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)&far[0], (uintptr_t)&far[2], 16), 0);
  WB_STORE(mid[0], NULL);
  CHECK(slots_bit(mid));
  __wb_memset(&mid[1], 0, sizeof(void *));         /* a range kill */
  CHECK(!slots_bit(mid));
  CHECK_EQ(__wbrt_slots_counted, base);
  WB_STORE(mid[5], B);
  __wb_free(far);                                  /* free kills */
  CHECK_EQ(__wbrt_slots_counted, base);
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), 0);
  CHECK_EQ(net((uintptr_t)B), 0);

  /* A record copied from the stack creates references only for words that may point into a HOST
   * object, and the filter lets through exactly those copies. */
  void **dst = __wb_calloc(4, sizeof(void *));
  void *with[2] = { NULL, A }, *without[2] = { &lg, NULL };  /* lg: static, no HOST granule */
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)dst, (uintptr_t)with, sizeof with), 1);
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)dst, (uintptr_t)without, sizeof without), 0);
  CHECK_EQ(__wbrt_range_hook_filter((uintptr_t)without, (uintptr_t)with, sizeof with), 0);  /* to the stack */
  __wb_free(dst);
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* The x86-64 forms, as the pass emits them (wb_abi.h's templates): the hooks' first asm tests
 * decide from the slot's and the value's granules, and from where a record's source lies. */
#define ASM_STORE(lv, v)                                                                        \
  __asm__ __inline__ __volatile__(WB_ABI_X86_STORE_ASM(WB_ABI_STORE_HOOK)                       \
    : : "r"((__wb_word_t *)&(lv)), "re"((void *)(v)), "m"(*(__wb_word_t *)&(lv)) : "cc");      \
  (lv) = (v)
#define ASM_ASSIGN(dst, src)                                                                    \
  __asm__ __inline__ __volatile__(WB_ABI_X86_RANGE_ASM(WB_ABI_RANGE_HOOK)                       \
    : : "r"(dst), "r"(&(src)), "i"(sizeof *(dst)), "m"(*(dst)), "m"(src) : "cc");             \
  *(dst) = (src)

static void test_hooks(char *A, char *plain)
{
  reset();
  void **slots = __wb_calloc(4, sizeof(void *));
  ASM_STORE(slots[0], A);                          /* HOST value: counted */
  ASM_STORE(slots[0], (void *)&lg);                /* counted slot, a value in no HOST granule: the kill */
  ASM_STORE(slots[1], plain);                      /* neither counted nor HOST: nothing */
  t_drain(&lg);
  CHECK_EQ(lg.n, 2);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&slots[0], 0, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&slots[0], (uintptr_t)A, 0), 1);
  reset();
  struct pair *pp = __wb_calloc(2, sizeof *pp);
  struct pair local = { A, NULL };
  ASM_ASSIGN(&pp[0], local);                       /* from the stack: creates */
  ASM_ASSIGN(&pp[1], pp[0]);                       /* a counted source: copies */
  struct pair none = { (void *)&lg, NULL };
  ASM_ASSIGN(&pp[0], none);                        /* kills pp[0].a */
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&pp[1].a, 0, (uintptr_t)A), 1);
  ASM_ASSIGN(&pp[1], none);
  __wb_free(pp);
  __wb_free(slots);
}
#endif

/* Code running on a stack the thread library does not know (koffi calls C on one of its own):
 * the runtime's guess of that stack stays within the mapping the frame lies in, so memory mapped
 * just above it (host arena granules, in practice) is not taken for locals. */
int __wbrt_on_stack(uintptr_t p, size_t n);
static ucontext_t back_ctx, foreign_ctx;
static char *neighbour;
static int own_local_on_stack, neighbour_on_stack;
static void on_foreign_stack(void)
{
  volatile int local = 0;
  own_local_on_stack = __wbrt_on_stack((uintptr_t)&local, sizeof local);
  neighbour_on_stack = __wbrt_on_stack((uintptr_t)neighbour, 8);
}
static void *foreign_stack_thread(void *stack)
{
  getcontext(&foreign_ctx);
  foreign_ctx.uc_stack.ss_sp = stack;
  foreign_ctx.uc_stack.ss_size = 256 << 10;
  foreign_ctx.uc_link = &back_ctx;
  makecontext(&foreign_ctx, on_foreign_stack, 0);
  swapcontext(&back_ctx, &foreign_ctx);          /* the thread's first runtime call is there */
  return NULL;
}
static void test_foreign_stack(void)
{
  /* [stack 256 KiB][hole 64 KiB][neighbour 256 KiB]: two mappings, the neighbour within the
   * 1 MiB above the frame that the runtime's bare guess would take for stack. */
  char *r = mmap(NULL, 576 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(r != MAP_FAILED);
  if (r == MAP_FAILED) return;
  munmap(r + (256 << 10), 64 << 10);
  neighbour = r + (320 << 10);
  pthread_t t;
  CHECK_EQ(pthread_create(&t, NULL, foreign_stack_thread, r), 0);
  pthread_join(t, NULL);
  CHECK_EQ(own_local_on_stack, 1);
  CHECK_EQ(neighbour_on_stack, 0);
  munmap(r, 256 << 10);
  munmap(neighbour, 256 << 10);
}

int main(void)
{
  wb_host_register(NULL, NULL);
  char *A = __wb_malloc(64), *B = __wb_malloc(64), *plain = __wb_malloc(64);
  wb_attach(A);
  wb_attach(B);
  struct box *c = __wb_calloc(1, sizeof *c);
  reset();

  /* Stores. */
  WB_STORE(c->f, A);
  WB_STORE(c->f, B);
  WB_STORE(c->f, A + 10);                    /* interior pointers count for their object */
  WB_STORE(c->f, A + 20);                    /* same object: reported (the host keys by slot) */
  WB_STORE(c->g, plain);                     /* not HOST: no event */
  WB_STORE(c->f, NULL);
  t_drain(&lg);
  CHECK_EQ(lg.n, 5);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)A, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, 0, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)A, (uintptr_t)B), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)B, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)A, 0), 1);
  CHECK_EQ(lg.ev[0].origin, WB_ORIGIN_STORE);
  CHECK_EQ(net((uint64_t)A), 0);
  CHECK_EQ(net((uint64_t)B), 0);

  /* A pointer the program advanced past its object's end (the pass puts no barrier on p++ or
   * p += n: the result points into the same object) still holds the count it was given: the
   * store that replaces it, and a range operation that overwrites it, report the slot. */
  reset();
  WB_STORE(c->f, A);
  c->f = A + 64;                             /* one past the end: no barrier */
  WB_STORE(c->f, NULL);
  WB_STORE(c->g, B);
  c->g = B + 64;
  __wb_memset(c, 0, sizeof *c);
  t_drain(&lg);
  /* What the old value lies in is only a hint here (A + 64 may be A's padding, nothing, or the
   * object allocated right after A): the slot is what counts. */
  CHECK_EQ(released_slots(&lg, (uintptr_t)&c->f), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->g, 0, (uintptr_t)B), 1);
  CHECK_EQ(released_slots(&lg, (uintptr_t)&c->g), 1);
  CHECK_EQ(lg.n, 4);
  /* ...and both slots are uncounted afterwards: storing NULL again reports nothing. */
  reset();
  WB_STORE(c->f, NULL);
  WB_STORE(c->g, NULL);
  t_drain(&lg);
  CHECK_EQ(lg.n, 0);

  /* Stale bits: memory that is reused (a realloc'd tail, a recycled block) can already hold the
   * very pointer being stored. The slot was never counted, so the store must count it: found by
   * the host's lifetime tests as a box freed while a C array still referred to it. */
  reset();
  void **fresh = __wb_malloc(2 * sizeof(void *));
  memcpy(&fresh[1], &A, sizeof A);             /* raw bytes, no barrier */
  WB_STORE(fresh[1], A);
  WB_STORE(fresh[1], A);                       /* now counted: reported again, same object */
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&fresh[1], 0, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&fresh[1], (uintptr_t)A, (uintptr_t)A), 1);
  CHECK_EQ(net((uint64_t)A), 1);
  WB_STORE(fresh[1], NULL);
  __wb_free(fresh);

  /* Globals count; the calling thread's stack does not. */
  reset();
  WB_STORE(global_slot, A);
  void *locals[2] = { 0, 0 };
  void **volatile lp = locals;
  WB_STORE(lp[1], B);
  t_drain(&lg);
  CHECK_EQ(lg.n, 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&global_slot, 0, (uintptr_t)A), 1);
  WB_STORE(global_slot, NULL);

  /* Host-side stores go through the same accounting. */
  reset();
  wb_store_ptr(&c->g, B);
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->g, 0, (uintptr_t)B), 1);
  CHECK_EQ(lg.ev[0].origin, WB_ORIGIN_HOST);
  CHECK(c->g == B);
  wb_store_ptr(&c->g, NULL);

  /* memcpy from counted slots creates at the destination and kills what it overwrites. */
  struct box *d = __wb_calloc(1, sizeof *d);
  WB_STORE(c->f, A);
  WB_STORE(d->g, B);
  reset();
  __wb_memcpy(d, c, sizeof *d);
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&d->g, (uintptr_t)B, 0), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&d->f, 0, (uintptr_t)A), 1);
  CHECK_EQ(lg.n, 2);
  CHECK(d->f == A && d->g == NULL);

  /* memset kills. */
  reset();
  __wb_memset(d, 0, sizeof *d);
  t_drain(&lg);
  CHECK_EQ(lg.n, 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&d->f, (uintptr_t)A, 0), 1);
  CHECK_EQ(lg.ev[0].origin, WB_ORIGIN_MEMSET);

  /* Copying from the stack creates (locals hold references the host did not see). */
  reset();
  void *stackbuf[4] = { B, 0, A, plain };
  void **arr = __wb_malloc(sizeof stackbuf);
  __wb_memcpy(arr, stackbuf, sizeof stackbuf);
  t_drain(&lg);
  CHECK_EQ(lg.n, 2);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&arr[0], 0, (uintptr_t)B), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&arr[2], 0, (uintptr_t)A), 1);

  /* ... copying into the stack does not. */
  reset();
  void *out[4];
  __wb_memcpy(out, arr, sizeof out);
  t_drain(&lg);
  CHECK_EQ(lg.n, 0);

  /* memmove within a counted array. */
  reset();
  __wb_memmove(arr + 1, arr, 3 * sizeof(void *));   /* arr = {B, B, 0, A} */
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)B), 1);
  CHECK_EQ(net((uintptr_t)A), 0);
  CHECK(arr[0] == B && arr[1] == B && arr[2] == NULL && arr[3] == A);

  /* Struct assignment: reported before the copy. */
  reset();
  struct pair *pp = __wb_calloc(2, sizeof *pp);
  struct pair val = { A, B };
  WB_ASSIGN(&pp[1], val);
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&pp[1].a, 0, (uintptr_t)A), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&pp[1].b, 0, (uintptr_t)B), 1);
  reset();
  WB_ASSIGN(&pp[0], pp[1]);
  WB_ASSIGN(&pp[1], ((struct pair){ B, 0 }));
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), 0);                    /* +1 at pp[0].a, -1 at pp[1].a */
  CHECK_EQ(net((uintptr_t)B), 1);                    /* +1 pp[0].b, -1 pp[1].b, +1 pp[1].a */

  /* qsort: the references move with the elements. */
  reset();
  void **sorted = __wb_calloc(8, sizeof(void *));
  for (int i = 0; i < 8; i++) WB_STORE(sorted[i], (i & 1) ? (void *)A : (void *)B);
  __wb_qsort(sorted, 8, sizeof(void *), cmp_ptr);
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), 4);
  CHECK_EQ(net((uintptr_t)B), 4);
  int slots_ok = 1;
  for (int i = 0; i < 8; i++) {              /* replaying a slot's events ends at its value */
    uint64_t cur = 0;
    for (size_t e = 0; e < lg.n; e++) {
      if (lg.ev[e].a != (uintptr_t)&sorted[i]) continue;
      slots_ok &= lg.ev[e].b == cur;
      cur = lg.ev[e].c;
    }
    slots_ok &= cur == (uintptr_t)sorted[i];
  }
  CHECK(slots_ok);

  /* realloc moves the references of a counted array; free kills them. */
  reset();
  void **moved = __wb_realloc(sorted, 100000);
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), 0);
  CHECK_EQ(net((uintptr_t)B), 0);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&moved[7], 0, (uintptr_t)moved[7]), 1);
  reset();
  __wb_free(moved);
  t_drain(&lg);
  CHECK_EQ(net((uintptr_t)A), -4);
  CHECK_EQ(net((uintptr_t)B), -4);
  CHECK_EQ(lg.ev[0].origin, WB_ORIGIN_FREE);

  /* Releasing a HOST object kills the references it holds. */
  char *H = wb_host_alloc(32, 0, 0);
  WB_STORE(*(void **)H, A);
  reset();
  wb_detach(H);
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)H, (uintptr_t)A, 0), 1);

  /* Memory with no counted slot costs no scan. */
  wb_stats before = t_stats();
  char *big = __wb_malloc(1 << 20);
  __wb_memset(big, 1, 1 << 20);
  __wb_memcpy(big, big + (1 << 19), 1 << 19);
  __wb_free(big);
  CHECK_EQ(t_stats().range_words, before.range_words);

  /* Interior pointers far into 2 KiB..64 KiB objects resolve to the base (back markers), for
   * objects attached after allocation and for host-created ones. */
  WB_STORE(c->f, NULL);
  reset();
  char *Big = __wb_malloc(40000), *HBig = wb_host_alloc(5000, 0, 0);
  wb_attach(Big + 30000);
  WB_STORE(c->f, Big + 39999);
  WB_STORE(c->f, HBig + 4100);
  WB_STORE(c->f, Big + 2048);
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, 0, (uintptr_t)Big), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)Big, (uintptr_t)HBig), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c->f, (uintptr_t)HBig, (uintptr_t)Big), 1);
  wb_info bi;
  CHECK_EQ(wb_query(Big + 20000, &bi), WB_KIND_HEAP);
  CHECK_EQ(bi.size, 40000);
  WB_STORE(c->f, NULL);
  __wb_free(Big);
  CHECK_EQ(wb_detach(Big), 1);
  CHECK(wb_query(Big + 20000, &bi) == WB_KIND_FOREIGN || bi.base != (uintptr_t)Big);

  /* Unaligned pointer stores are events too; their slot is the exact address. */
  reset();
  struct __attribute__((packed)) odd { char c; void *p; } *raw = __wb_calloc(1, sizeof *raw);
  /* What the pass does for a packed member: the slot's address as a word pointer. */
  __wb_store_before((__wb_word_t *)((char *)raw + 1), B);
  raw->p = B;
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)raw + 1, 0, (uintptr_t)B), 1);
  test_counted_granules(A, B);
  test_foreign_stack();
#if defined(__x86_64__) && !defined(__ILP32__)
  test_hooks(A, plain);
#endif
  T_DONE();
}
