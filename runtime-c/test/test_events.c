/* The event log: order, flush callback, chunk chaining without a host drain, hint word. */
#include <pthread.h>
#include <stdint.h>
#include "t.h"

static t_log lg;
static int flushes;
static void on_flush(void *ctx)
{
  CHECK(ctx == &lg);
  flushes++;
  t_drain(&lg);
}

static char *A, *B;
static void **slots;
enum { NSLOTS = 50000 };

/* Alternating stores make one event each; the slot index tells the order. */
static void produce(size_t from, size_t to)
{
  for (size_t i = from; i < to; i++) WB_STORE(slots[i], (i & 1) ? (void *)A : (void *)B);
}

static int in_order(size_t first_slot, size_t n)
{
  int ok = 1;
  for (size_t i = 0; i < n; i++) ok &= lg.ev[i].a == (uintptr_t)&slots[first_slot + i];
  return ok;
}

static void *thread_produce(void *arg)
{
  (void)arg;
  produce(0, NSLOTS);
  return NULL;
}

int main(void)
{
  const volatile uint32_t *hint = wb_log_hint();
  /* No host: nothing is logged. */
  A = __wb_malloc(16);
  B = __wb_malloc(16);
  slots = __wb_calloc(NSLOTS, sizeof(void *));
  CHECK_EQ(wb_attach(A), (intptr_t)A);
  wb_attach(B);
  produce(0, 100);
  const wb_event *ev;
  CHECK_EQ(wb_drain(&ev), 0);
  CHECK_EQ(t_stats().events, 0);
  memset(slots, 0, NSLOTS * sizeof(void *));

  CHECK_EQ(wb_host_register(on_flush, &lg), WB_OK);
  CHECK_EQ(wb_drain(&ev), 0);
  CHECK_EQ(*hint, 0);
  produce(0, 1);
  CHECK(*hint != 0);
  t_drain(&lg);
  CHECK_EQ(*hint, 0);
  CHECK_EQ(lg.n, 1);

  /* Many chunks on the host thread: the callback drains as they fill. */
  lg.n = 0;
  produce(1, NSLOTS);
  CHECK(flushes >= (NSLOTS - 1) / 4096 - 1);
  t_drain(&lg);
  CHECK_EQ(lg.n, NSLOTS - 1);
  CHECK(in_order(1, NSLOTS - 1));
  CHECK_EQ(t_stats().events, t_stats().events_drained);

  /* Another thread fills many chunks while nobody drains: nothing is lost, order is kept. */
  memset(slots, 0, NSLOTS * sizeof(void *));
  lg.n = 0;
  int before = flushes;
  pthread_t th;
  pthread_create(&th, NULL, thread_produce, NULL);
  pthread_join(th, NULL);
  CHECK_EQ(flushes, before);                        /* never called off the host thread */
  CHECK(*hint != 0);
  t_drain(&lg);
  CHECK_EQ(lg.n, NSLOTS);
  CHECK(in_order(0, NSLOTS));
  CHECK_EQ(*hint, 0);
  CHECK_EQ(wb_drain(&ev), 0);

  /* Unregistering discards and stops logging. */
  produce(0, 10);
  wb_host_unregister();
  CHECK_EQ(wb_drain(&ev), 0);
  memset(slots, 0, NSLOTS * sizeof(void *));
  produce(0, 10);
  CHECK_EQ(wb_drain(&ev), 0);
  CHECK_EQ(t_stats().events_lost, 0);
  T_DONE();
}
