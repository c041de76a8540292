/* WB_STRESS=1: a built-in null host so whole programs exercise the slow path. Every allocation
 * is born HOST-held; the null host counts references per object from the REF events and
 * releases an object as soon as it hears that C freed it (it holds no proxies), at its next
 * drain, which any thread may run when a log chunk fills. */
#include "internal.h"

extern WB_HIDDEN int wb_flush_any_thread;
wb_lock wb_stress_lock;

static void count(uintptr_t base, int delta)
{
  wb_stripe *s = wb_rec_lock(base);
  wb_rec *r = wb_rec_find(s, base);
  if (r != NULL) r->count += delta;
  wb_rec_unlock(s);
}

void wb_stress_flush(void *ctx)
{
  (void)ctx;
  if (!wb_lock_try(&wb_stress_lock)) return;     /* someone is draining, or we are re-entered */
  WB_STAT(flushes, 1);
  const wb_event *ev;
  size_t n;
  while ((n = wb_log_take(&ev)) > 0) {
    for (size_t i = 0; i < n; i++) {
      switch (ev[i].kind) {
      case WB_EV_REF:
        if (ev[i].b) count(ev[i].b, -1);
        if (ev[i].c) count(ev[i].c, +1);
        WB_STAT(stress_refs, 1);
        break;
      case WB_EV_CFREE:
        if (wb_policy_release(ev[i].a) == 1) WB_STAT(stress_released, 1);
        break;
      default:
        break;
      }
    }
  }
  wb_lock_release(&wb_stress_lock);
}

void wb_stress_init(void)
{
  wb_flush_ctx = NULL;
  wb_flush_any_thread = 1;
  wb_flush_cb = wb_stress_flush;
  wb_activate();
  __atomic_store_n(&wb_log_enabled, 1, __ATOMIC_SEQ_CST);
}
