/* With no host, every ABI entry behaves exactly like libc; the index knows what is ours. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include "t.h"

static int static_var[16];

static int cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void test_passthrough(void)
{
  CHECK_EQ(__wb_active, 0);
  char *p = __wb_malloc(100);
  CHECK(p != NULL);
  __wb_memset(p, 'x', 100);
  CHECK(p[0] == 'x' && p[99] == 'x');
  p = __wb_realloc(p, 5000);
  CHECK(p[99] == 'x');
  p = __wb_realloc(p, 10);
  CHECK(p[9] == 'x');
  __wb_free(p);
  __wb_free(NULL);

  int *c = __wb_calloc(10, sizeof(int));
  int zero = 1;
  for (int i = 0; i < 10; i++) zero &= c[i] == 0;
  CHECK(zero);
  __wb_free(c);
  errno = 0;
  volatile size_t huge = SIZE_MAX / 2;
  CHECK(__wb_calloc(huge, 4) == NULL);
  errno = 0;
  CHECK(__wb_reallocarray(NULL, huge, 4) == NULL && errno == ENOMEM);
  int *ra = __wb_reallocarray(NULL, 8, sizeof(int));
  CHECK(ra != NULL);
  __wb_free(ra);

  void *a = __wb_aligned_alloc(256, 512);
  CHECK(a != NULL && ((uintptr_t)a & 255) == 0);
  __wb_free(a);
  a = __wb_memalign(4096, 100);
  CHECK(a != NULL && ((uintptr_t)a & 4095) == 0);
  __wb_free(a);
  a = __wb_valloc(10);
  CHECK(a != NULL && ((uintptr_t)a & 4095) == 0);
  __wb_free(a);
  void *pm = NULL;
  CHECK_EQ(__wb_posix_memalign(&pm, 64, 100), 0);
  CHECK(((uintptr_t)pm & 63) == 0);
  __wb_free(pm);
  CHECK_EQ(__wb_posix_memalign(&pm, 3, 100), EINVAL);

  char *s = __wb_strdup("hello");
  CHECK(strcmp(s, "hello") == 0);
  char *s2 = __wb_strndup("hello world", 5);
  CHECK(strcmp(s2, "hello") == 0);
  __wb_free(s);
  __wb_free(s2);

  char buf[32] = "abcdefghij";
  __wb_memmove(buf + 2, buf, 8);
  CHECK(memcmp(buf, "ababcdefgh", 10) == 0);
  CHECK(__wb_mempcpy(buf, "xy", 2) == buf + 2);
  __wb_bzero(buf, 4);
  CHECK(buf[0] == 0 && buf[3] == 0 && buf[4] == 'c');
  __wb_explicit_bzero(buf, 8);
  CHECK(buf[7] == 0);
  int arr[5] = { 5, 3, 9, 1, 2 };
  __wb_qsort(arr, 5, sizeof(int), cmp_int);
  CHECK(arr[0] == 1 && arr[4] == 9);

  /* realloc(p, 0) frees like glibc's. */
  p = __wb_malloc(10);
  CHECK(__wb_realloc(p, 0) == NULL);
}

static void test_foreign_heap(void)
{
  /* Memory from uninstrumented code goes back to libc unchanged. */
  char *f = strdup("libc's own");
  wb_info info;
  CHECK_EQ(wb_query(f, &info), WB_KIND_FOREIGN);
  __wb_free(f);
  char *line = NULL;
  size_t cap = 0;
  FILE *m = fmemopen("one\ntwo\n", 8, "r");
  CHECK(getline(&line, &cap, m) == 4);
  fclose(m);
  line = __wb_realloc(line, 1000);   /* foreign stays foreign */
  CHECK(strcmp(line, "one\n") == 0);
  CHECK_EQ(wb_query(line, &info), WB_KIND_FOREIGN);
  __wb_free(line);
  char *as = NULL;
  CHECK(asprintf(&as, "%d", 42) == 2);
  __wb_free(as);

  /* getline growing a buffer of ours: libc reallocs it behind the runtime's back. The
   * runtime survives (the stale start byte may give wrong answers, never a crash)... */
  char *mine = __wb_malloc(4);
  size_t mcap = 4;
  m = fmemopen("a much longer line than four bytes\n", 35, "r");
  CHECK(getline(&mine, &mcap, m) == 35);
  fclose(m);
  __wb_free(mine);
  CHECK_EQ(t_stats().misuse, 0);
  /* ... and __wb_getline keeps the map true: the grown buffer is ours again. */
  mine = __wb_malloc(4);
  mcap = 4;
  m = fmemopen("a much longer line than four bytes\nx\n", 37, "r");
  CHECK(__wb_getline(&mine, &mcap, m) == 35);
  CHECK(strcmp(mine, "a much longer line than four bytes\n") == 0);
  CHECK_EQ(wb_query(mine, &info), WB_KIND_HEAP);
  CHECK_EQ(info.base, (uintptr_t)mine);
  CHECK(info.size == mcap);
  CHECK(__wb_getdelim(&mine, &mcap, '\n', m) == 2);
  CHECK(__wb_getline(&mine, &mcap, m) == -1);
  fclose(m);
  __wb_free(mine);
  char *fresh = NULL;
  size_t fcap = 0;
  m = fmemopen("abc\n", 4, "r");
  CHECK(__wb_getline(&fresh, &fcap, m) == 4);        /* NULL buffer: libc's, foreign */
  fclose(m);
  __wb_free(fresh);
  CHECK_EQ(t_stats().misuse, 0);
}

static void test_index(void)
{
  wb_info info;
  int local = 0;
  CHECK_EQ(wb_query(&local, &info), WB_KIND_FOREIGN);
  CHECK_EQ(wb_query(static_var, &info), WB_KIND_FOREIGN);
  CHECK_EQ(wb_query(NULL, &info), WB_KIND_FOREIGN);
  CHECK_EQ(wb_query((void *)(uintptr_t)0xdeadbeefcafe0000ull, &info), WB_KIND_FOREIGN);
  CHECK_EQ(wb_query((void *)(uintptr_t)0x00007ffffffff000ull, &info), WB_KIND_FOREIGN);
  void *unmapped = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK_EQ(wb_query((char *)unmapped + 4096, &info), WB_KIND_FOREIGN);
  munmap(unmapped, 1 << 20);
  CHECK(info.base == 0 && info.size == 0);

  /* Exact sizes and interior pointers for every small size and a few large ones. */
  enum { N = 600 };
  static char *ps[N];
  static size_t ns[N];
  int ok = 1;
  for (int i = 0; i < N; i++) {
    ns[i] = i < 300 ? (size_t)i : (size_t)(i - 300) * 997 + (i % 7 == 0 ? 70000 : 0);
    ps[i] = __wb_malloc(ns[i]);
  }
  for (int i = 0; i < N; i++) {
    ok &= wb_query(ps[i], &info) == WB_KIND_HEAP && info.base == (uintptr_t)ps[i] &&
          info.size == ns[i] && info.policy == WB_EXPLICIT;
    if (ns[i] > 1) {
      ok &= wb_query(ps[i] + ns[i] - 1, &info) == WB_KIND_HEAP && info.base == (uintptr_t)ps[i];
      ok &= wb_query(ps[i] + ns[i] / 2, &info) == WB_KIND_HEAP && info.base == (uintptr_t)ps[i];
    }
    if (!ok) {
      fprintf(stderr, "index wrong for size %zu\n", ns[i]);
      break;
    }
  }
  CHECK(ok);
  /* One past the end is not inside (unless another allocation starts there). */
  char *e = __wb_malloc(40);
  wb_query(e + 40, &info);
  CHECK(info.base != (uintptr_t)e);
  __wb_free(e);
  for (int i = 0; i < N; i += 2) __wb_free(ps[i]);
  for (int i = 0; i < N; i += 2) CHECK(wb_query(ps[i], &info) != WB_KIND_HEAP || info.base != (uintptr_t)ps[i]);
  for (int i = 1; i < N; i += 2) {
    ok &= wb_query(ps[i], &info) == WB_KIND_HEAP && info.size == ns[i];
    ps[i] = __wb_realloc(ps[i], ns[i] + 3000);
    ok &= wb_query(ps[i] + ns[i] + 2999, &info) == WB_KIND_HEAP && info.size == ns[i] + 3000;
  }
  CHECK(ok);
  for (int i = 1; i < N; i += 2) __wb_free(ps[i]);

  /* A huge allocation (mmapped by libc): interior pointers far from the start. */
  char *big = __wb_malloc(10u << 20);
  CHECK(wb_query(big + (9u << 20) + 12345, &info) == WB_KIND_HEAP && info.base == (uintptr_t)big &&
        info.size == 10u << 20);
  __wb_free(big);
  CHECK_EQ(t_stats().misuse, 0);
}

int main(void)
{
  test_passthrough();
  test_foreign_heap();
  test_index();
  T_DONE();
}
