/* Minimal test harness shared by the runtime's C tests. */
#ifndef WB_T_H
#define WB_T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* T_HOST_ONLY: a test that is a host, not instrumented code (no prelude, so no ABI version
 * reference to resolve). */
#ifndef T_HOST_ONLY
#include "wb_abi.h"
#endif
#include "wb_host.h"

static int t_failures, t_checks;
#define CHECK(cond)                                                                             \
  do {                                                                                          \
    t_checks++;                                                                                 \
    if (!(cond)) {                                                                              \
      t_failures++;                                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                 \
    }                                                                                           \
  } while (0)
#define CHECK_EQ(a, b)                                                                          \
  do {                                                                                          \
    long long a_ = (long long)(a), b_ = (long long)(b);                                         \
    t_checks++;                                                                                 \
    if (a_ != b_) {                                                                             \
      t_failures++;                                                                             \
      fprintf(stderr, "%s:%d: check failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, \
              #b, a_, b_);                                                                      \
    }                                                                                           \
  } while (0)
#define T_DONE()                                                                                \
  do {                                                                                          \
    printf("%s: %d checks, %d failed\n", __FILE__, t_checks, t_failures);                      \
    return t_failures != 0;                                                                     \
  } while (0)

/* A pointer store `lv = v` in the pass's portable form: the report, then the store. (The x86-64
 * asm form reaches the same code through __wb_store_hook; test/toolchain/store-hook.test.ts runs
 * it.) */
#define WB_STORE(lv, v)                                                                         \
  do {                                                                                          \
    __typeof__(lv) *s_ = &(lv);                                                                 \
    __typeof__(lv) v_ = (v);                                                                    \
    if (__builtin_expect(__wb_active != 0, 0)) __wb_store_before((__wb_word_t *)s_, (void *)v_); \
    *s_ = v_;                                                                                   \
  } while (0)
/* A record assignment `*dst = src` in the same form. */
#define WB_ASSIGN(dst, src)                                                                     \
  do {                                                                                          \
    __typeof__(*(dst)) *d_ = (dst);                                                             \
    __typeof__(*(dst)) v_ = (src);                                                              \
    if (__builtin_expect(__wb_active != 0, 0)) __wb_range_assign_slow(d_, &v_, sizeof *d_);     \
    *d_ = v_;                                                                                   \
  } while (0)

static inline wb_stats t_stats(void)
{
  wb_stats s;
  wb_get_stats(&s, sizeof s);
  return s;
}

/* Events drained so far, kept by the tests' own host. */
typedef struct { wb_event *ev; size_t n, cap; } t_log;
static inline void t_drain(t_log *l)
{
  const wb_event *ev;
  size_t n;
  while ((n = wb_drain(&ev)) > 0) {
    if (l->n + n > l->cap) {
      l->cap = (l->n + n) * 2;
      l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
    }
    memcpy(l->ev + l->n, ev, n * sizeof *ev);
    l->n += n;
  }
}
static inline size_t t_count(const t_log *l, uint32_t kind, uint64_t a, uint64_t b, uint64_t c)
{
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->ev[i].kind == kind && l->ev[i].a == a && l->ev[i].b == b && l->ev[i].c == c) k++;
  return k;
}
#endif

/* Runs this test binary again as `self mode` with extra environment entries; returns the wait
 * status and the child's stderr (truncated to cap). */
#include <sys/wait.h>
#include <unistd.h>
static inline int t_child(const char *mode, char *const env[], char *err, size_t cap)
{
  int fd[2];
  if (pipe(fd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 2);
    close(fd[0]);
    close(fd[1]);
    for (char *const *e = env; e && *e; e++) putenv(*e);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) _exit(127);
    self[n] = 0;
    execl(self, self, mode, (char *)NULL);
    _exit(127);
  }
  close(fd[1]);
  size_t got = 0;
  ssize_t r;
  char sink[256];
  while ((r = read(fd[0], got + 1 < cap ? err + got : sink,
                   got + 1 < cap ? cap - 1 - got : sizeof sink)) > 0)
    if (got + 1 < cap) got += (size_t)r;
  if (cap) err[got] = 0;
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}
