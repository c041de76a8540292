/* WB_STRESS=1: every allocation is HOST-held by the built-in null host, frees are deferred and
 * released at its drains, and the program still computes the same thing (also threaded). */
#include <pthread.h>
#include <stdint.h>
#include "t.h"

struct tree { struct tree *l, *r; long v; char *name; };

static struct tree *build(int depth, long *next)
{
  struct tree *t = __wb_malloc(sizeof *t);
  t->v = (*next)++;
  WB_STORE(t->name, __wb_strdup("node"));
  if (depth == 0) {
    WB_STORE(t->l, NULL);
    WB_STORE(t->r, NULL);
  } else {
    struct tree *l = build(depth - 1, next), *r = build(depth - 1, next);
    WB_STORE(t->l, l);
    WB_STORE(t->r, r);
  }
  return t;
}

static long sum(const struct tree *t) { return t ? t->v + sum(t->l) + sum(t->r) : 0; }

static void destroy(struct tree *t)
{
  if (!t) return;
  destroy(t->l);
  destroy(t->r);
  __wb_free(t->name);
  __wb_free(t);
}

/* Mixed work: trees, a growing array of pointers with memcpy/memmove, realloc. */
static int rounds = 20;

static long workload(unsigned seed)
{
  long total = 0;
  for (int round = 0; round < rounds; round++) {
    long next = 0;
    struct tree *t = build(10, &next);
    total += sum(t);
    struct tree **arr = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 3000; i++) {
      if (n + 2 > cap) {
        cap = cap ? cap * 2 : 4;
        arr = __wb_realloc(arr, cap * sizeof *arr);
      }
      struct tree *leaf = __wb_calloc(1, sizeof *leaf);
      leaf->v = (long)(seed % 97) + i;
      WB_STORE(arr[n], leaf);
      n++;
      if (i % 100 == 99) {                       /* shift right, t goes in front */
        __wb_memmove(arr + 1, arr, n * sizeof *arr);
        WB_STORE(arr[0], t);
        n++;
      }
    }
    struct tree **copy = __wb_malloc(n * sizeof *copy);
    __wb_memcpy(copy, arr, n * sizeof *copy);
    for (size_t i = 0; i < n; i++) total += copy[i]->v;
    for (size_t i = 0; i < n; i++)
      if (arr[i] != t) {
        for (size_t j = i + 1; j < n; j++)       /* free each leaf once */
          if (arr[j] == arr[i]) arr[j] = t;
        __wb_free(arr[i]);
      }
    __wb_memset(copy, 0, n * sizeof *copy);
    __wb_free(copy);
    __wb_free(arr);
    destroy(t);
  }
  return total;
}

static void *thread_main(void *arg)
{
  *(long *)arg = workload(7);
  return NULL;
}

static int child(void)
{
  CHECK(__wb_active);
  CHECK_EQ(wb_host_register(NULL, NULL), WB_ESTATE);  /* the null host owns the log */
  char *p = __wb_malloc(10);
  wb_info in;
  CHECK_EQ(wb_query(p, &in), WB_KIND_HEAP);
  CHECK_EQ(in.policy, WB_EXPLICIT | WB_HOST);
  __wb_free(p);
  long single = workload(7);
  pthread_t th[3];
  long res[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, thread_main, &res[i]);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 3; i++) CHECK_EQ(res[i], single);
  wb_stats s = t_stats();
  CHECK(s.stress_refs > 10000u * (unsigned)rounds);
  CHECK(s.stress_released > 5000u * (unsigned)rounds);
  CHECK(s.counted_stores > 10000u * (unsigned)rounds);
  CHECK_EQ(s.misuse, 0);
  CHECK_EQ(s.events_lost, 0);
  /* Everything freed is released or still waiting for the next drain. */
  CHECK_EQ(s.deferred, s.host_objects);
  printf("stress: %llu refs, %llu released, %llu deferred\n", (unsigned long long)s.stress_refs,
         (unsigned long long)s.stress_released, (unsigned long long)s.deferred);
  if (t_failures) T_DONE();
  return 0;
}

/* `stress [rounds]`; the child (WB_STRESS=1) gets the rounds through T_ROUNDS. */
int main(int argc, char **argv)
{
  const char *r = getenv("T_ROUNDS");
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    if (r) rounds = atoi(r);
    return child();
  }
  if (argc > 1) {
    rounds = atoi(argv[1]);
    setenv("T_ROUNDS", argv[1], 1);
  }
  long plain = workload(7);                          /* no host: the reference result */
  CHECK(plain > 0);
  char *env[] = { "WB_STRESS=1", NULL };
  char err[4096];
  int st = t_child("child", env, err, sizeof err);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (t_failures) fprintf(stderr, "%s\n", err);
  T_DONE();
}
