/* Process-wide switches read once from the environment, OS helpers and activation. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "internal.h"

wb_config_t wb_config;
wb_stats wb_stats_g;

/* WB_PRINT_STATS=1: the statistics as one JSON line on stderr at exit (for spec-bench). */
static void print_stats(void)
{
  wb_stats s;
  wb_get_stats(&s, sizeof s);
  static const char *const names[] = {
    "version", "mallocs", "frees", "foreign_frees", "tracked", "host_objects", "deferred",
    "attaches", "detaches", "adopts", "host_allocs", "releases", "moves", "slow_stores",
    "counted_stores", "range_ops", "range_words", "events", "events_drained", "flushes",
    "log_chunks", "events_lost", "misuse", "double_frees", "invalid_frees",
    "frees_after_release", "reallocs_after_free", "quarantined", "stress_refs",
    "stress_released",
  };
  _Static_assert(sizeof names / sizeof names[0] == sizeof(wb_stats) / sizeof(uint64_t),
                 "every wb_stats field has a name");
  const uint64_t *v = (const uint64_t *)&s;
  fprintf(stderr, "{\"cc-wb-stats\":{");
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    fprintf(stderr, "%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)v[i]);
  fprintf(stderr, "}}\n");
}

static int env_flag(const char *name)
{
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
}

static void fork_locks(int acquire)
{
  wb_lock *const after_records[] = {
    &wb_quar_lock, &wb_log_lock, &wb_large_lock, &wb_seg_lock, &wb_activate_lock,
    &wb_flags_lock, &wb_counts_lock, &wb_slot_leaf_lock, &wb_map_leaf_lock, &wb_arena_lock,
    &wb_spans_lock,
  };
  if (acquire) {
    wb_lock_acquire(&wb_stress_lock);
    wb_rec_fork(1);
    for (size_t i = 0; i < sizeof after_records / sizeof after_records[0]; i++)
      wb_lock_acquire(after_records[i]);
  } else {
    for (size_t i = 0; i < sizeof after_records / sizeof after_records[0]; i++)
      wb_lock_release(after_records[i]);
    wb_rec_fork(0);
    wb_lock_release(&wb_stress_lock);
  }
}
static void fork_prepare(void) { fork_locks(1); }
static void fork_after(void) { fork_locks(0); }

/* A constructor, so the switches hold before main; the allocation paths never depend on it
 * having run (other constructors may allocate first). */
__attribute__((constructor(101))) void wb_config_init(void)
{
  static int done;
  if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) return;
  pthread_atfork(fork_prepare, fork_after, fork_after);
  wb_config.abort_on_error = env_flag("WB_ABORT_ON_ERROR");
  wb_config.quiet = env_flag("WB_QUIET");
  wb_config.scan_all = env_flag("WB_SCAN_ALL");
  const char *q = getenv("WB_QUARANTINE");
  if (q != NULL) wb_config.quarantine = strtoul(q, NULL, 10);
  wb_config.poison_vectors = env_flag("WB_POISON_VECTORS");
  int serving = wb_runtime_interposed == NULL || !wb_runtime_interposed();
  wb_config.stress = serving && env_flag("WB_STRESS");
  if (wb_config.stress) wb_stress_init();
  wb_flags_update();
  if (serving && env_flag("WB_PRINT_STATS")) atexit(print_stats);
}

void wb_flags_update(void)
{
  wb_lock_acquire(&wb_flags_lock);
  static uintptr_t nothing[WB_TOP_ENTRIES];   /* zeros, never written: .bss, not 1 MiB of file */
  /* With a host active, free and realloc of an untracked block need more than the start map
   * only while some slot is counted (its slots die with it); HOST objects have a record, whose
   * start byte sends them to the slow path anyway. */
  int counted = __atomic_load_n(&wb_slots_counted, __ATOMIC_SEQ_CST) != 0;
  int slow = (__atomic_load_n(&__wb_active, __ATOMIC_ACQUIRE) && counted) ||
             wb_config.quarantine || wb_config.stress;
  __atomic_store_n(&wb_range_gate, counted || wb_config.scan_all, __ATOMIC_SEQ_CST);
  __atomic_store_n(&wb_free_top, slow ? nothing : wb_map_top, __ATOMIC_SEQ_CST);
  __atomic_store_n(&wb_alloc_top, wb_config.stress ? nothing : wb_map_top, __ATOMIC_SEQ_CST);
  wb_lock_release(&wb_flags_lock);
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

wb_lock wb_activate_lock, wb_flags_lock;

/* The active flags and span copies of the instrumented shared objects this runtime serves
 * (wb_abi.h, "shared objects"): a list through nodes the objects own, changed under
 * wb_activate_lock and wb_spans_lock both, so that widening a span (shadow.c, under the latter
 * alone) can walk it. */
static struct __wb_dso *dso_list;

void wb_dso_spans_update(void)
{
  for (struct __wb_dso *d = dso_list; d != NULL; d = d->next) wb_spans_copy(d->spans);
}

void __wb_dso_register(struct __wb_dso *dso)
{
  wb_lock_acquire(&wb_activate_lock);
  wb_lock_acquire(&wb_spans_lock);
  dso->prev = NULL;
  dso->next = dso_list;
  if (dso_list != NULL) dso_list->prev = dso;
  dso_list = dso;
  wb_spans_copy(dso->spans);                /* before the flag: the stubs read them once it is set */
  wb_lock_release(&wb_spans_lock);
  __atomic_store_n(dso->active, __atomic_load_n(&__wb_active, __ATOMIC_RELAXED), __ATOMIC_SEQ_CST);
  wb_lock_release(&wb_activate_lock);
}

void __wb_dso_unregister(struct __wb_dso *dso)
{
  wb_lock_acquire(&wb_activate_lock);
  wb_lock_acquire(&wb_spans_lock);
  for (struct __wb_dso *d = dso_list; d != NULL; d = d->next) {
    if (d != dso) continue;
    if (d->prev != NULL) d->prev->next = d->next;
    else dso_list = d->next;
    if (d->next != NULL) d->next->prev = d->prev;
    break;
  }
  wb_lock_release(&wb_spans_lock);
  wb_lock_release(&wb_activate_lock);
}

void wb_activate(void)
{
  wb_lock *lockp = &wb_activate_lock;
  if (wb_load_relaxed(&__wb_active)) return;
  wb_lock_acquire(lockp);
  if (!__wb_active) {
    wb_slots_init();
    wb_store_hook_init();
    wb_spans_publish();
    __atomic_store_n(&__wb_active, 1, __ATOMIC_SEQ_CST);
    for (struct __wb_dso *d = dso_list; d != NULL; d = d->next)
      __atomic_store_n(d->active, 1, __ATOMIC_SEQ_CST);
  }
  wb_lock_release(lockp);
  wb_flags_update();
}
