/* Micro-benchmarks of the runtime's costs. Each mode runs one noinline function N times so
 * callgrind can count its instructions alone (--toggle-collect); run.sh prints per-operation
 * figures. Built twice: with -DWB (the cc-wb spelling of each operation) and without (plain). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef WB
/* The plain build includes nothing of cc-wb, so it links nothing of the runtime. */
#include "wb_abi.h"
#include "wb_host.h"
#define MALLOC __wb_malloc
#define FREE __wb_free
/* The forms the pass emits for `lv = v` (a pointer store): on x86-64 the asm statement
 * (wb_abi.h's template, which test/instrument/barrier-abi.test.ts keeps equal to the pass's),
 * elsewhere the C gate and call. */
#if defined(__x86_64__) && !defined(__ILP32__)
#define STORE(lv, v)                                                                            \
  do {                                                                                          \
    __typeof__(lv) *s_ = &(lv);                                                                 \
    __typeof__(lv) v_ = (v);                                                                    \
    __asm__ __inline__ __volatile__(WB_ABI_X86_STORE_ASM(WB_ABI_STORE_HOOK)                     \
      : : "r"((__wb_word_t *)s_), "re"((void *)v_), "m"(*(__wb_word_t *)s_) : "cc");           \
    *s_ = v_;                                                                                   \
  } while (0)
#else
#define STORE(lv, v)                                                                            \
  do {                                                                                          \
    __typeof__(lv) *s_ = &(lv);                                                                 \
    __typeof__(lv) v_ = (v);                                                                    \
    if (__builtin_expect(__wb_active != 0, 0)) __wb_store_before((__wb_word_t *)s_, (void *)v_); \
    *s_ = v_;                                                                                   \
  } while (0)
#endif
#else
#define MALLOC malloc
#define FREE free
#define STORE(lv, v) ((lv) = (v))
#endif

#define N 1000000
static void *volatile sink;
void *slots[1024];               /* extern: the plain stores must not be dead */

/* Pointer stores into a heap-like array, no host: the inline fast path. */
__attribute__((noinline)) void bench_store(void **vals)
{
  for (int i = 0; i < N; i++) STORE(slots[i & 1023], vals[i & 1023]);
}

/* malloc + free of the same size (libc's tcache fast path). */
__attribute__((noinline)) void bench_malloc_free(void)
{
  for (int i = 0; i < N; i++) {
    void *p = MALLOC(32);
    sink = p;
    FREE(p);
  }
}

/* Mixed sizes, 64 live at a time: closer to a real program's pattern. */
__attribute__((noinline)) void bench_malloc_mixed(void)
{
  void *live[64];
  for (int i = 0; i < N / 64; i++) {
    for (int j = 0; j < 64; j++) live[j] = MALLOC(16 + (size_t)((i * 7 + j * 13) % 240));
    for (int j = 0; j < 64; j++) FREE(live[j]);
  }
}

/* binary-trees (the allocation-heavy classic): nodes with two pointer stores each. */
struct node { struct node *l, *r; };
static struct node *make(int d)
{
  struct node *n = MALLOC(sizeof *n);
  if (d > 0) {
    struct node *l = make(d - 1), *r = make(d - 1);
    STORE(n->l, l);
    STORE(n->r, r);
  } else {
    STORE(n->l, NULL);
    STORE(n->r, NULL);
  }
  return n;
}
static long check(struct node *n) { return n->l ? 1 + check(n->l) + check(n->r) : 1; }
static void drop(struct node *n)
{
  if (n->l) {
    drop(n->l);
    drop(n->r);
  }
  FREE(n);
}
__attribute__((noinline)) long bench_trees(int depth)
{
  long total = 0;
  struct node *longlived = make(depth);
  for (int d = 4; d <= depth; d += 2) {
    int iters = 1 << (depth - d + 4);
    for (int i = 0; i < iters; i++) {
      struct node *t = make(d);
      total += check(t);
      drop(t);
    }
  }
  total += check(longlived);
  drop(longlived);
  return total;
}

#ifdef WB
static char *objA, *objB;
static void **heap_slot;

/* Slow path with a host: every store switches between two HOST objects (one event each). */
__attribute__((noinline)) void bench_slow(void)
{
  for (int i = 0; i < N; i++) STORE(*heap_slot, (i & 1) ? (void *)objA : (void *)objB);
}

/* Slow path that finds nothing to count: the granule holds a HOST object, these do not. */
__attribute__((noinline)) void bench_slow_miss(void **vals)
{
  for (int i = 0; i < N; i++) STORE(*heap_slot, vals[i & 1]);
}

/* A host is active but the store touches no HOST granule (the common case in a hosted program):
 * the gate, the call and the runtime's shadow filter. */
static char statics[2][64];
__attribute__((noinline)) void bench_active_miss(void)
{
  for (int i = 0; i < N; i++) STORE(*heap_slot, (void *)statics[i & 1]);
}

__attribute__((noinline)) size_t bench_drain_empty(void)
{
  const wb_event *ev;
  size_t k = 0;
  for (int i = 0; i < N; i++) k += wb_drain(&ev);
  return k;
}

static size_t drained;
static void flush(void *ctx)
{
  (void)ctx;
  const wb_event *ev;
  size_t n;
  while ((n = wb_drain(&ev)) > 0) drained += n;
}
#endif

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "store";
  static void *vals[1024];
  for (int i = 0; i < 1024; i++) vals[i] = MALLOC(32);
  double t0 = now();
  if (strcmp(mode, "store") == 0) bench_store(vals);
  else if (strcmp(mode, "malloc") == 0) bench_malloc_free();
  else if (strcmp(mode, "mixed") == 0) bench_malloc_mixed();
  else if (strcmp(mode, "trees") == 0) printf("%ld\n", bench_trees(argc > 2 ? atoi(argv[2]) : 16));
#ifdef WB
  else {
    wb_host_register(flush, NULL);
    objA = MALLOC(64);
    objB = MALLOC(64);
    heap_slot = MALLOC(sizeof(void *));
    wb_attach(objA);
    wb_attach(objB);
    void *miss[2] = { MALLOC(64), MALLOC(64) };
    if (strcmp(mode, "slow") == 0) bench_slow();
    else if (strcmp(mode, "slowmiss") == 0) bench_slow_miss(miss);
    else if (strcmp(mode, "drain") == 0) bench_drain_empty();
    else if (strcmp(mode, "active") == 0) bench_active_miss();
    else return 2;
  }
#endif
  double t1 = now();
  fprintf(stderr, "%s: %.2f ns/op\n", mode, (t1 - t0) * 1e9 / N);
  return 0;
}
