/* The event log: a chain of fixed chunks of 32-byte records in memory the host reads through a
 * zero-copy view. Producers (any thread) reserve a record with one atomic add on the current
 * chunk and commit it with another; a full chunk is sealed onto a FIFO and a fresh one takes
 * its place, so nothing is ever overwritten or dropped. The single consumer takes whole chunks:
 * the oldest full one, or the current one after swapping in a fresh chunk and waiting for the
 * records already reserved in it to be committed. Chunks are recycled, never unmapped, so a
 * producer holding a stale chunk pointer can only find it sealed and retry. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define WB_CHUNK_EVENTS 4096u
#define WB_SEAL (1u << 30)

/* A record is committed when its kind (never 0) is stored, last, with release order; chunks
 * come back from the consumer with every kind zeroed. */
typedef struct wb_chunk {
  uint32_t reserved;           /* records handed out (>= WB_CHUNK_EVENTS once sealed) */
  struct wb_chunk *next;
  wb_event ev[WB_CHUNK_EVENTS] __attribute__((aligned(64)));
} wb_chunk;

int wb_log_enabled;
wb_flush_fn wb_flush_cb;
void *wb_flush_ctx;
WB_HIDDEN int wb_flush_any_thread;
static pthread_t host_thread;
static int host_thread_set;
static int host_in_flush;

static wb_chunk *cur;
wb_lock wb_log_lock;
static wb_chunk *full_head, *full_tail;   /* sealed, oldest first */
static wb_chunk *spare;                   /* recycled chunks */
static wb_chunk *taken;                   /* returned by the last take, recycled by the next */
static uint32_t taken_n;
static uint32_t hint;            /* relaxed atomics; the host may read it through a view */

static wb_chunk *chunk_get_locked(void)
{
  wb_chunk *c = spare;
  if (c != NULL) {
    spare = c->next;
  } else {
    c = aligned_alloc(64, sizeof *c);
    if (c == NULL) return NULL;
    memset(c, 0, sizeof *c);
    WB_STAT(log_chunks, 1);
  }
  c->next = NULL;
  __atomic_store_n(&c->reserved, 0, __ATOMIC_RELEASE);
  return c;
}

int wb_is_host_thread(void)
{
  return host_thread_set && pthread_equal(pthread_self(), host_thread);
}

/* The host's flush is the one foreign code a store can run. On x86-64 the store hook does not save
 * the x87 stack, on which the interrupted code may hold long doubles (the runtime's own code has no
 * x87 instructions): FNSAVE keeps it, with the control and status words, and gives the host the
 * empty stack the ABI promises a callee; FRSTOR puts it back. Some 100 ns, once per chunk. */
static WB_NOINLINE void call_flush(wb_flush_fn fn)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  struct { unsigned char b[108]; } x87;
  __asm__ volatile("fnsave %0" : "=m"(x87));
  fn(wb_flush_ctx);
  /* Tests: host code that left the x87 unit changed (two values pushed, an exception flag set). */
  if (wb_unlikely(wb_config.poison_vectors)) __asm__ volatile("fldz\n\tfld1\n\tfdiv %%st(1), %%st" ::: "st", "st(1)");
  __asm__ volatile("frstor %0" : : "m"(x87));
#else
  fn(wb_flush_ctx);
#endif
}

static void maybe_flush(void)
{
  wb_flush_fn fn = wb_flush_cb;
  if (fn == NULL) return;
  if (wb_flush_any_thread) {
    call_flush(fn);
    return;
  }
  if (!wb_is_host_thread() || host_in_flush) return;
  host_in_flush = 1;
  WB_STAT(flushes, 1);
  call_flush(fn);
  host_in_flush = 0;
}

/* The current chunk c is full (or missing): put a fresh one in its place. */
static WB_NOINLINE int overflow(wb_chunk *c)
{
  int ok = 1, swapped = 0;
  wb_lock_acquire(&wb_log_lock);
  if (__atomic_load_n(&cur, __ATOMIC_RELAXED) == c) {
    wb_chunk *n = chunk_get_locked();
    if (n == NULL) {
      ok = 0;
    } else {
      if (c != NULL) {
        if (full_tail) full_tail->next = c;
        else __atomic_store_n(&full_head, c, __ATOMIC_RELEASE);
        full_tail = c;
        __atomic_store_n(&hint, 1, __ATOMIC_RELAXED);
        swapped = 1;
      }
      __atomic_store_n(&cur, n, __ATOMIC_RELEASE);
    }
  }
  wb_lock_release(&wb_log_lock);
  if (swapped) maybe_flush();
  return ok;
}

void wb_event_append_slow(uint32_t kind, uint32_t origin, uintptr_t a, uintptr_t b, uintptr_t c)
{
  for (;;) {
    wb_chunk *ch = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
    if (wb_likely(ch != NULL)) {
      uint32_t i = __atomic_fetch_add(&ch->reserved, 1, __ATOMIC_ACQ_REL);
      if (wb_likely(i < WB_CHUNK_EVENTS)) {
        wb_event *e = &ch->ev[i];
        e->origin = origin;
        e->a = a;
        e->b = b;
        e->c = c;
        __atomic_store_n(&e->kind, kind, __ATOMIC_RELEASE);
        if (i == 0) __atomic_store_n(&hint, 1, __ATOMIC_RELAXED);
        return;
      }
    }
    if (!overflow(ch)) {
      WB_STAT(events_lost, 1);
      return;
    }
  }
}

static void recycle(wb_chunk *c, uint32_t n)
{
  for (uint32_t i = 0; i < n; i++) c->ev[i].kind = 0;
  wb_lock_acquire(&wb_log_lock);
  c->next = spare;
  spare = c;
  wb_lock_release(&wb_log_lock);
}

static WB_NOINLINE size_t log_take_slow(const wb_event **out);

/* The empty case stays out of the way of the real work: a few loads and no frame. */
size_t wb_log_take(const wb_event **out)
{
  *out = NULL;
  if (wb_likely(taken == NULL) && __atomic_load_n(&full_head, __ATOMIC_ACQUIRE) == NULL && __atomic_load_n(&hint, __ATOMIC_RELAXED) == 0) {
    wb_chunk *c = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
    if (c == NULL || __atomic_load_n(&c->reserved, __ATOMIC_ACQUIRE) == 0) return 0;
  }
  return log_take_slow(out);
}

static size_t log_take_slow(const wb_event **out)
{
  if (taken != NULL) {
    recycle(taken, taken_n);
    taken = NULL;
  }
  if (__atomic_load_n(&full_head, __ATOMIC_ACQUIRE) == NULL) {
    wb_chunk *c = __atomic_load_n(&cur, __ATOMIC_ACQUIRE);
    if (c == NULL || __atomic_load_n(&c->reserved, __ATOMIC_ACQUIRE) == 0) {
      if (wb_likely(__atomic_load_n(&hint, __ATOMIC_RELAXED) == 0)) return 0;
      /* Clear the hint with a full fence before looking again: a producer that reserves
       * after the look sets it again itself. */
      __atomic_store_n(&hint, 0, __ATOMIC_SEQ_CST);
      if (c == NULL || __atomic_load_n(&c->reserved, __ATOMIC_SEQ_CST) == 0) return 0;
    }
  }
  wb_lock_acquire(&wb_log_lock);
  wb_chunk *ch = full_head;
  if (ch != NULL) {
    __atomic_store_n(&full_head, ch->next, __ATOMIC_RELEASE);
    if (full_head == NULL) full_tail = NULL;
  } else {
    ch = cur;
    if (ch == NULL || __atomic_load_n(&ch->reserved, __ATOMIC_ACQUIRE) == 0) {
      wb_lock_release(&wb_log_lock);
      return 0;
    }
    __atomic_store_n(&hint, 0, __ATOMIC_RELAXED);   /* before the fresh chunk's first record */
    wb_chunk *n = chunk_get_locked();
    if (n == NULL) {
      __atomic_store_n(&hint, 1, __ATOMIC_RELAXED);
      wb_lock_release(&wb_log_lock);
      return 0;
    }
    __atomic_store_n(&cur, n, __ATOMIC_RELEASE);
  }
  wb_lock_release(&wb_log_lock);
  /* Seal: later reservations land past the end and retry on the new current chunk. Then wait
   * for the records already reserved to be committed. */
  uint32_t r = __atomic_fetch_add(&ch->reserved, WB_SEAL, __ATOMIC_ACQ_REL);
  uint32_t k = r < WB_CHUNK_EVENTS ? r : WB_CHUNK_EVENTS;
  for (uint32_t i = 0; i < k; i++)
    for (unsigned spins = 0; __atomic_load_n(&ch->ev[i].kind, __ATOMIC_ACQUIRE) == 0; spins++)
      if (spins > 64) sched_yield();
  taken = ch;
  taken_n = k;
  *out = ch->ev;
  WB_STAT(events_drained, k);
  return k;
}

/* Records appended but not drained yet (for the statistics). */
WB_HIDDEN uint64_t wb_log_pending(void);
uint64_t wb_log_pending(void)
{
  uint64_t n = 0;
  wb_lock_acquire(&wb_log_lock);
  for (wb_chunk *c = full_head; c != NULL; c = c->next) n += WB_CHUNK_EVENTS;
  if (cur != NULL) {
    uint32_t r = __atomic_load_n(&cur->reserved, __ATOMIC_ACQUIRE);
    n += r < WB_CHUNK_EVENTS ? r : WB_CHUNK_EVENTS;
  }
  wb_lock_release(&wb_log_lock);
  return n;
}

/* Public: the log. */
int wb_host_register(wb_flush_fn fn, void *ctx)
{
  if (wb_config.stress) return WB_ESTATE;
  host_thread = pthread_self();
  host_thread_set = 1;
  wb_flush_ctx = ctx;
  wb_flush_cb = fn;
  wb_activate();
  __atomic_store_n(&wb_log_enabled, 1, __ATOMIC_SEQ_CST);
  return WB_OK;
}

void wb_host_unregister(void)
{
  if (wb_config.stress) return;
  __atomic_store_n(&wb_log_enabled, 0, __ATOMIC_SEQ_CST);
  wb_flush_cb = NULL;
  const wb_event *ev;
  while (wb_log_take(&ev) > 0) {
  }
  host_thread_set = 0;
}

size_t wb_drain(const wb_event **out) { return wb_log_take(out); }

const volatile uint32_t *wb_log_hint(void) { return (const volatile uint32_t *)&hint; }
