/* Process-wide switches read once from the environment, OS helpers and activation. */
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "internal.h"

wb_config_t wb_config;
wb_stats wb_stats_g;

static int env_flag(const char *name)
{
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
}

/* A constructor, so the switches hold before main; the allocation paths never depend on it
 * having run (other constructors may allocate first). */
__attribute__((constructor(101))) void wb_config_init(void)
{
  static int done;
  if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) return;
  wb_config.abort_on_error = env_flag("WB_ABORT_ON_ERROR");
  wb_config.quiet = env_flag("WB_QUIET");
  wb_config.scan_all = env_flag("WB_SCAN_ALL");
  const char *q = getenv("WB_QUARANTINE");
  if (q != NULL) wb_config.quarantine = strtoul(q, NULL, 10);
  wb_config.stress = env_flag("WB_STRESS");
  if (wb_config.stress) wb_stress_init();
  wb_flags_update();
}

void wb_flags_update(void)
{
  static wb_lock lock;
  wb_lock_acquire(&lock);
  int slow = __atomic_load_n(&__wb_active, __ATOMIC_ACQUIRE) || wb_config.quarantine;
  __atomic_store_n(&wb_free_flags, slow, __ATOMIC_SEQ_CST);
  __atomic_store_n(&wb_fast_limit, wb_config.stress ? 0 : WB_LARGE, __ATOMIC_SEQ_CST);
  wb_lock_release(&lock);
}

void wb_lock_slow(wb_lock *l)
{
  for (unsigned spins = 0;; spins++) {
    if (__atomic_load_n(&l->v, __ATOMIC_RELAXED) == 0 &&
        __atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE) == 0)
      return;
#if defined(__x86_64__) || defined(__i386__)
    if (spins < 64) { __builtin_ia32_pause(); continue; }
#endif
    if (spins < 64) continue;
    sched_yield();
  }
}

void *wb_os_reserve(size_t bytes)
{
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void wb_activate(void)
{
  static wb_lock lock;
  if (wb_load_relaxed(&__wb_active)) return;
  wb_lock_acquire(&lock);
  if (!__wb_active) {
    wb_slots_init();
    __atomic_store_n(&__wb_active, 1, __ATOMIC_SEQ_CST);
  }
  wb_lock_release(&lock);
  wb_flags_update();
}
