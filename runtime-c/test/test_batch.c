/* The batch host API: attach-and-query in one call, detach of many objects (with the references
 * their release kills), and resolution of slot addresses to the allocations holding them. */
#include <stdint.h>
#include "t.h"

static t_log lg;

static void test_attach_info(void)
{
  char *p = __wb_malloc(64);
  wb_info in;
  CHECK_EQ(wb_attach_info(p + 10, &in), WB_KIND_HEAP);
  CHECK_EQ(in.base, (uintptr_t)p);
  CHECK_EQ(in.size, 64);
  CHECK_EQ(in.policy, WB_EXPLICIT | WB_HOST);
  CHECK(in.flags & WB_INFO_TRACKED);
  int local = 0;
  CHECK_EQ(wb_attach_info(&local, &in), WB_KIND_FOREIGN);
  CHECK_EQ(in.base, 0);
  CHECK_EQ(wb_attach_info(NULL, &in), WB_KIND_FOREIGN);
  void *h = wb_host_alloc(24, 0, 3);
  CHECK_EQ(wb_attach_info(h, &in), WB_KIND_HEAP);
  CHECK_EQ(in.policy, WB_HOST);
  CHECK(in.flags & WB_INFO_HOST_CREATED);
  CHECK_EQ(in.type_id, 3);
  CHECK_EQ(wb_detach(p), 0);
  CHECK_EQ(wb_detach(h), 1);
  __wb_free(p);
}

/* Three host objects in a cycle through their first word: detaching all of them releases all
 * three; a killed slot is reported only while its target is still HOST. */
static void test_detach_many(void)
{
  void **a = wb_host_alloc(16, 0, 0), **b = wb_host_alloc(16, 0, 0), **c = wb_host_alloc(16, 0, 0);
  char *keep = __wb_malloc(32);
  wb_attach(keep);
  WB_STORE(a[0], (void *)b);
  WB_STORE(b[0], (void *)c);
  WB_STORE(c[0], (void *)a);
  lg.n = 0;
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&a[0], 0, (uintptr_t)b), 1);
  double bases[4] = { (double)(uintptr_t)a, (double)(uintptr_t)b, (double)(uintptr_t)c,
                      (double)(uintptr_t)keep };
  int32_t res[4] = { 9, 9, 9, 9 };
  wb_stats before = t_stats();
  CHECK_EQ(wb_detach_many(bases, 4, res), 3);
  CHECK_EQ(res[0], 1);
  CHECK_EQ(res[1], 1);
  CHECK_EQ(res[2], 1);
  CHECK_EQ(res[3], 0);                               /* C still owns it */
  CHECK_EQ(t_stats().releases - before.releases, 3);
  lg.n = 0;
  t_drain(&lg);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&a[0], (uintptr_t)b, 0), 1);
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&b[0], (uintptr_t)c, 0), 1);
  /* a was already released when c's slot died: that reference is not reported (the host drops
   * references among the objects it releases together itself). */
  CHECK_EQ(t_count(&lg, WB_EV_REF, (uintptr_t)&c[0], (uintptr_t)a, 0), 0);
  res[0] = 9;
  CHECK_EQ(wb_detach_many(bases, 1, res), 0);        /* already released */
  CHECK_EQ(res[0], WB_EFOREIGN);
  CHECK_EQ(wb_detach_many(bases, 0, NULL), 0);
  __wb_free(keep);
}

static void test_resolve_many(void)
{
  char *p = __wb_malloc(40);
  char *big = __wb_malloc(200000);                   /* the large list */
  void *h = wb_host_alloc(3000, 0, 0);                 /* a tracked BIG allocation */
  static int global;
  double in[7] = { (double)(uintptr_t)p, (double)(uintptr_t)(p + 39), (double)(uintptr_t)(p + 40),
                   (double)(uintptr_t)(big + 150000), (double)(uintptr_t)((char *)h + 2500),
                   (double)(uintptr_t)&global, 0 };
  double out[7];
  wb_resolve_many(in, out, 7);
  CHECK_EQ((uintptr_t)out[0], (uintptr_t)p);
  CHECK_EQ((uintptr_t)out[1], (uintptr_t)p);
  CHECK(out[2] != (double)(uintptr_t)p);             /* one past the end is not inside */
  CHECK_EQ((uintptr_t)out[3], (uintptr_t)big);
  CHECK_EQ((uintptr_t)out[4], (uintptr_t)h);
  CHECK_EQ(out[5], 0);
  CHECK_EQ(out[6], 0);
  __wb_free(p);
  __wb_free(big);
  CHECK_EQ(wb_detach(h), 1);
}

int main(void)
{
  CHECK_EQ(wb_host_register(NULL, NULL), WB_OK);
  test_attach_info();
  test_detach_many();
  test_resolve_many();
  CHECK_EQ(t_stats().misuse, 0);
  wb_host_unregister();
  T_DONE();
}
