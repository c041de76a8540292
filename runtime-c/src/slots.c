/* Counted slots: one bit per aligned word that currently holds a reference the host was told
 * about (set when a REF event creates it, cleared when one kills it). Range operations use it
 * in both directions: freeing, clearing or overwriting memory retracts exactly the counted
 * words in it, and copying memory propagates exactly the counted words of the source, so
 * garbage that merely looks like a pointer (a realloc'd tail, padding) is never counted, and
 * memory that never held a counted slot costs a few bitmap reads.
 *
 * Slots on the calling thread's stack are never counted: locals are not barriered and the
 * host releases only at safe points. A copy *from* the stack therefore scans every word. The
 * bitmap is two-level like the start map: one lazily reserved 16 MiB leaf per GiB. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define LEAF_SHIFT 30
#define LEAF_BITS ((uintptr_t)1 << (LEAF_SHIFT - 3))          /* words per GiB */
#define LEAF_WORDS (LEAF_BITS / 64)
static uint64_t *slot_top[(size_t)1 << (WB_ADDR_BITS - LEAF_SHIFT)];
wb_lock wb_slot_leaf_lock;

void wb_slots_init(void) {}

/* Counted slots in all: while 0 the paths that would look for counted slots (free, realloc,
 * ranges) skip the search, and wb_flags_update keeps free and realloc on their inline paths. Each
 * granule's count is kept too (the shadow's SLOTS bit, shadow.c). Both change exactly where a bit
 * of the bitmap changes, by the number of bits that changed, after the bits themselves. */
int64_t wb_slots_counted;

/* n bits of the bitmap word for the address `at` were set (n > 0) or cleared (n < 0). */
static void counted_changed(uintptr_t at, int n)
{
  if (n == 0) return;
  wb_shadow_slots_adjust(at, n);
  int64_t now = __atomic_add_fetch(&wb_slots_counted, (int64_t)n, __ATOMIC_SEQ_CST);
  if (now == 0 || now == (int64_t)n) wb_flags_update();      /* to or from none at all */
}

/* Bitmap word holding bit i (i = address >> 3), optionally creating its leaf. */
static uint64_t *bits_word(uintptr_t i, int create)
{
  uintptr_t leaf_i = (i / LEAF_BITS) & ((1u << (WB_ADDR_BITS - LEAF_SHIFT)) - 1);
  uint64_t *leaf = __atomic_load_n(&slot_top[leaf_i], __ATOMIC_ACQUIRE);
  if (wb_unlikely(leaf == NULL)) {
    if (!create) return NULL;
    wb_lock_acquire(&wb_slot_leaf_lock);
    leaf = slot_top[leaf_i];
    if (leaf == NULL) {
      leaf = wb_os_reserve(LEAF_WORDS * sizeof(uint64_t));
      if (leaf != NULL) __atomic_store_n(&slot_top[leaf_i], leaf, __ATOMIC_RELEASE);
    }
    wb_lock_release(&wb_slot_leaf_lock);
    if (leaf == NULL) return NULL;
  }
  return &leaf[(i % LEAF_BITS) / 64];
}

void wb_slot_note(uintptr_t slot)
{
  uintptr_t i = (slot & (WB_ADDR_LIMIT - 1)) >> 3;
  uint64_t *w = bits_word(i, 1);
  if (w == NULL) return;
  uint64_t bit = (uint64_t)1 << (i & 63);
  if (wb_load_relaxed(w) & bit) return;
  if (!(__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit)) counted_changed(slot, 1);
}

int wb_slot_counted(uintptr_t slot)
{
  uintptr_t i = (slot & (WB_ADDR_LIMIT - 1)) >> 3;
  uint64_t *w = bits_word(i, 0);
  return w != NULL && (wb_load_relaxed(w) & ((uint64_t)1 << (i & 63))) != 0;
}

/* Clears a slot's bit; returns whether it was set (the host holds a count for that slot). */
int wb_slot_take(uintptr_t slot)
{
  uintptr_t i = (slot & (WB_ADDR_LIMIT - 1)) >> 3;
  uint64_t *w = bits_word(i, 0);
  if (w == NULL) return 0;
  uint64_t bit = (uint64_t)1 << (i & 63);
  if (!(wb_load_relaxed(w) & bit)) return 0;
  if (!(__atomic_fetch_and(w, ~bit, __ATOMIC_RELAXED) & bit)) return 0;
  counted_changed(slot, -1);
  return 1;
}

static inline uint64_t bit_mask(uintptr_t lo, uintptr_t hi)   /* bits lo..hi of lo's word */
{
  unsigned a = lo & 63, z = (hi >> 6) == (lo >> 6) ? (hi & 63) : 63;
  return (~(uint64_t)0 >> (63 - z)) & (~(uint64_t)0 << a);
}

/* Word bits [lo, hi] of the bitmap, 64 at a time: calls fn(word_ptr_or_NULL, first_bit, mask). */
#define FOR_EACH_BITS(lo, hi, W, I, M, BODY)                                                     \
  for (uintptr_t I = (lo); I <= (hi); I = (I | 63) + 1) {                                       \
    uint64_t *W = bits_word(I, 0);                                                              \
    if (W == NULL) {                                                                            \
      I = ((I / LEAF_BITS) + 1) * LEAF_BITS - 1;                                                \
      continue;                                                                                 \
    }                                                                                           \
    uint64_t M = bit_mask(I, hi);                                                               \
    BODY                                                                                        \
  }

/* Whether a granule [p, p+n) touches holds counted slots (n > 0, p + n within the address space). */
static int granules_counted(uintptr_t p, size_t n)
{
  uintptr_t last = (p + n - 1) >> WB_ABI_SHADOW_SHIFT;
  for (uintptr_t g = p >> WB_ABI_SHADOW_SHIFT; g <= last; g++)
    if (wb_load_relaxed(&__wb_shadow[g & WB_SHADOW_MASK]) & WB_ABI_SHADOW_SLOTS) return 1;
  return 0;
}

int wb_slots_any(uintptr_t p, size_t n)
{
  if (wb_load_relaxed(&wb_slots_counted) == 0) return 0;
  if (n == 0 || p >= WB_ADDR_LIMIT || n > WB_ADDR_LIMIT - p) return 0;
  if (!granules_counted(p, n)) return 0;
  uintptr_t lo = p >> 3, hi = (p + n - 1) >> 3;
  FOR_EACH_BITS(lo, hi, w, i, m, {
    if (wb_load_relaxed(w) & m) return 1;
  })
  return 0;
}

/* The early returns of barrier.c's store_note, without its side effects or the stack test (which
 * may call libc the first time): a slot with no count that does not start referring to a HOST
 * object changes nothing the host counts, whatever the old value was. */
int wb_store_hook_filter(uintptr_t slot, uintptr_t new_value)
{
  if (__wb_shadow_hit((void *)new_value) && wb_index_host_base(new_value) != 0) return 1;
  uintptr_t i = (slot & (WB_ADDR_LIMIT - 1)) >> 3;
  uint64_t *w = bits_word(i, 0);
  if (w != NULL && (wb_load_relaxed(w) & ((uint64_t)1 << (i & 63)))) return 1;
  WB_STAT_APPROX(slow_stores, 1);
  return 0;
}

/* ---- the calling thread's stack ---------------------------------------------------------- */
/* In libwbrt.so, initial-exec: the default model would call __tls_get_addr on every slow-path
 * store; 16 bytes fit the static TLS glibc keeps for libraries loaded later. (A program's own
 * copy, -fPIE, gets local-exec.) */
#if defined(__PIC__) && !defined(__PIE__)
#define WB_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define WB_TLS_MODEL
#endif
static __thread WB_TLS_MODEL uintptr_t stack_lo, stack_hi;

static uintptr_t parse_hex(const char **p)
{
  uintptr_t v = 0;
  for (;; (*p)++) {
    unsigned c = (unsigned char)**p, d = c - '0' < 10 ? c - '0' : (c | 32) - 'a' < 6 ? (c | 32) - 'a' + 10 : 16;
    if (d == 16) return v;
    v = v << 4 | d;
  }
}

/* The mapping [lo, hi) of /proc/self/maps that contains p; 0 if there is none or no /proc. */
static int mapping_of(uintptr_t p, uintptr_t *lo, uintptr_t *hi)
{
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  size_t have = 0;
  int found = 0, skip = 0;         /* skip: the buffer starts inside a line too long for it */
  for (;;) {
    ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
    if (r <= 0) break;
    have += (size_t)r;
    buf[have] = '\0';
    char *line = buf, *nl;
    while (!found && (nl = strchr(line, '\n')) != NULL) {
      const char *q = line;
      if (skip) {
        skip = 0;
        line = nl + 1;
        continue;
      }
      uintptr_t a = parse_hex(&q), b = 0;
      if (*q == '-') {
        q++;
        b = parse_hex(&q);
      }
      if (a <= p && p < b) {
        *lo = a;
        *hi = b;
        found = 1;
      }
      line = nl + 1;
    }
    if (found) break;
    have = (size_t)(buf + have - line);
    if (have == sizeof buf - 1) {                  /* a line longer than the buffer: skip it */
      have = 0;
      skip = 1;
    }
    memmove(buf, line, have);
  }
  close(fd);
  return found;
}

static WB_NOINLINE void stack_init(void)
{
  pthread_attr_t attr;
  void *addr;
  size_t size;
  uintptr_t here = (uintptr_t)__builtin_frame_address(0);
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && (uintptr_t)addr <= here &&
        here < (uintptr_t)addr + size) {
      stack_lo = (uintptr_t)addr;
      stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
  }
  if (stack_hi == 0) {
    /* The code runs on a stack the thread library does not know (koffi calls C on a stack of its
     * own): assume the usual 8 MiB below and a little above, within the mapping the frame lies in
     * when /proc tells it, so that memory mapped next to that stack (the host arena's granules,
     * large allocations) is not taken for locals. */
    stack_lo = here - ((uintptr_t)8 << 20);
    stack_hi = here + ((uintptr_t)1 << 20);
    uintptr_t lo, hi;
    if (mapping_of(here, &lo, &hi)) {
      if (lo > stack_lo) stack_lo = lo;
      if (hi < stack_hi) stack_hi = hi;
    }
  }
}

int wb_on_stack(uintptr_t p, size_t n)
{
  if (wb_unlikely(stack_hi == 0)) stack_init();
  return p < stack_hi && p + n > stack_lo;
}

/* Whether a copy of n bytes from the stack at src to dst brings a word that may refer to a HOST
 * object: the words wb_range_create would look at (dst's aligned words, read at the same
 * offsets of src), tested against the shadow's HOST bit. */
static int stack_source_hits(uintptr_t dst, uintptr_t src, size_t n)
{
  uintptr_t dst_al = (dst + 7) & ~(uintptr_t)7;
  if (n < 8 || dst_al - dst > n - 8) return 0;
  size_t off0 = dst_al - dst, nw = (n - off0) / 8;
  for (size_t k = 0; k < nw; k++) {
    uintptr_t v;
    memcpy(&v, (const void *)(src + off0 + 8 * k), sizeof v);
    if (__wb_shadow_hit((void *)v)) return 1;
  }
  return 0;
}

/* Whether __wb_range_assign_slow(dst, src, n) could do anything: kill counted slots of dst, or
 * count what the copy brings (counted words of src; from the stack, words that may refer to a HOST
 * object; under WB_SCAN_ALL, anything). A superset of its own early returns; without side effects
 * or libc. */
int wb_range_hook_filter(uintptr_t dst, uintptr_t src, size_t n)
{
  if (wb_config.scan_all || wb_unlikely(stack_hi == 0)) return 1;
  if (wb_slots_any(dst, n) || wb_slots_any(src, n)) return 1;
  if (src < stack_hi && src + n > stack_lo) return !wb_on_stack(dst, n) && stack_source_hits(dst, src, n);
  return 0;
}

/* ---- ranges ------------------------------------------------------------------------------ */
static inline uintptr_t load_word(uintptr_t w)
{
  uintptr_t v;
  memcpy(&v, (const void *)w, sizeof v);
  return v;
}

void wb_range_kill(uintptr_t p, size_t n, uint32_t origin)
{
  if (!wb_slots_any(p, n)) return;
  WB_STAT_APPROX(range_ops, 1);
  uint64_t words = 0;
  /* Every counted word the range touches dies, even partly overwritten ones. */
  uintptr_t lo = p >> 3, hi = (p + n - 1) >> 3;
  FOR_EACH_BITS(lo, hi, w, i, m, {
    uint64_t set = wb_load_relaxed(w) & m;
    if (set == 0) continue;
    counted_changed(i << 3, -__builtin_popcountll(__atomic_fetch_and(w, ~set, __ATOMIC_RELAXED) & set));
    for (; set != 0; set &= set - 1) {
      uintptr_t slot = ((i & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(set)) << 3;
      uintptr_t v = load_word(slot);
      words++;
      /* Reported even when v is in no HOST object now: the host counted this slot for some
       * object, and a pointer the program advanced (p++, p += n: the pass leaves those alone)
       * may have moved one past its end. The host drops what it counted for the slot. */
      uintptr_t base = __wb_shadow_hit((void *)v) ? wb_index_host_base(v) : 0;
      wb_emit(WB_EV_REF, origin, slot, base, 0);
    }
  })
  WB_STAT_APPROX(range_words, words);
}

/* Which words of a copy's source carry counted references: a bit per destination word. */
int wb_slots_snapshot(uintptr_t dst, uintptr_t src, size_t n, wb_slotmask *m)
{
  m->bits = NULL;
  m->all = 0;
  m->nwords = 0;
  uintptr_t dst_al = (dst + 7) & ~(uintptr_t)7;
  if (n < 8 || dst_al - dst > n - 8) return 0;
  m->off0 = dst_al - dst;
  m->nwords = (n - m->off0) / 8;
  if (wb_config.scan_all || wb_on_stack(src, n) || ((src - dst) & 7) != 0) {
    /* The stack holds references nobody counted; a misaligned copy moves slots off the word
     * grid. Both look at every destination word. */
    m->all = wb_config.scan_all || wb_on_stack(src, n) || wb_slots_any(src, n);
    return m->all;
  }
  if (!wb_slots_any(src + m->off0, m->nwords * 8)) return 0;
  size_t nmask = (m->nwords + 63) / 64;
  m->bits = nmask <= sizeof m->inline_bits / sizeof m->inline_bits[0] ? m->inline_bits
                                                                      : calloc(nmask, 8);
  if (m->bits == NULL) {
    m->all = 1;
    return 1;
  }
  memset(m->bits, 0, nmask * 8);
  uintptr_t s0 = (src + m->off0) >> 3;
  size_t k = 0;
  FOR_EACH_BITS(s0, s0 + m->nwords - 1, w, i, mm, {
    uint64_t set = wb_load_relaxed(w) & mm;
    for (; set != 0; set &= set - 1) {
      k = ((i & ~(uintptr_t)63) + (uintptr_t)__builtin_ctzll(set)) - s0;
      m->bits[k / 64] |= (uint64_t)1 << (k % 64);
    }
  })
  return 1;
}

void wb_slotmask_release(wb_slotmask *m)
{
  if (m->bits != NULL && m->bits != m->inline_bits) free(m->bits);
  m->bits = NULL;
}

static void create_one(uintptr_t slot, uintptr_t v, uint32_t origin)
{
  if (wb_likely(!__wb_shadow_hit((void *)v))) return;
  uintptr_t base = wb_index_host_base(v);
  if (base == 0) return;
  wb_slot_note(slot);
  wb_emit(WB_EV_REF, origin, slot, 0, base);
}

void wb_range_create(uintptr_t dst, const void *vals, size_t n, const wb_slotmask *m,
                     uint32_t origin)
{
  if (m->nwords == 0 || n < m->off0 + 8 || wb_on_stack(dst, n)) return;
  size_t nw = (n - m->off0) / 8;               /* a shrinking realloc keeps a prefix */
  if (nw > m->nwords) nw = m->nwords;
  WB_STAT_APPROX(range_ops, 1);
  uintptr_t d0 = dst + m->off0, v0 = (uintptr_t)vals + m->off0;
  if (m->all) {
    for (size_t k = 0; k < nw; k++) create_one(d0 + 8 * k, load_word(v0 + 8 * k), origin);
    WB_STAT_APPROX(range_words, nw);
    return;
  }
  uint64_t words = 0;
  for (size_t j = 0; j < (nw + 63) / 64; j++) {
    for (uint64_t set = m->bits[j]; set != 0; set &= set - 1) {
      size_t k = j * 64 + (size_t)__builtin_ctzll(set);
      if (k >= nw) break;
      create_one(d0 + 8 * k, load_word(v0 + 8 * k), origin);
      words++;
    }
  }
  WB_STAT_APPROX(range_words, words);
}

/* ---- realloc ----------------------------------------------------------------------------- */
static void slots_clear(uintptr_t p, size_t n)
{
  if (n == 0) return;
  uintptr_t lo = p >> 3, hi = (p + n - 1) >> 3;
  FOR_EACH_BITS(lo, hi, w, i, m, {
    if (wb_load_relaxed(w) & m)
      counted_changed(i << 3, -__builtin_popcountll(__atomic_fetch_and(w, ~m, __ATOMIC_RELAXED) & m));
  })
}

/* Before libc's realloc: what was counted, the cut-off tail dies, and the kept prefix's bits are
 * cleared (if the block moves, libc may hand the old place to another thread at once). */
int wb_realloc_acct_begin(wb_realloc_acct *r, uintptr_t p, size_t size, size_t n)
{
  r->p = p;
  r->size = size;
  r->n = n;
  r->had = wb_load_relaxed(&__wb_active) && wb_slots_snapshot(p, p, size, &r->m);
  if (!r->had) return 0;
  if (n < size) wb_range_kill(p + n, size - n, WB_ORIGIN_REALLOC);
  slots_clear(p, n < size ? n : size);
  return 1;
}

static void restore_bits(uintptr_t p, size_t keep, const wb_slotmask *m)
{
  size_t nw = keep / 8 < m->nwords ? keep / 8 : m->nwords;
  for (size_t j = 0; j < (nw + 63) / 64; j++)
    for (uint64_t set = m->bits[j]; set != 0; set &= set - 1) {
      size_t k = j * 64 + (size_t)__builtin_ctzll(set);
      if (k < nw) wb_slot_note(p + 8 * k);
    }
}

/* After it: q is the new block, or NULL if realloc failed (n > 0; the old block is intact). */
void wb_realloc_acct_end(wb_realloc_acct *r, void *q)
{
  if (!r->had) return;
  uintptr_t p = r->p;
  size_t keep = r->n < r->size ? r->n : r->size;
  wb_slotmask *m = &r->m;
  if (m->all) {                                  /* WB_SCAN_ALL: no exact mask to go by */
    if (q == NULL || (uintptr_t)q == p) {
      wb_range_create(p, (void *)p, r->size, m, WB_ORIGIN_REALLOC);
    } else {
      for (size_t k = 0; k + 1 <= keep / 8; k++) {
        uintptr_t v = load_word((uintptr_t)q + 8 * k);
        uintptr_t base = __wb_shadow_hit((void *)v) ? wb_index_host_base(v) : 0;
        if (base) wb_emit(WB_EV_REF, WB_ORIGIN_REALLOC, p + 8 * k, base, 0);
      }
      wb_range_create((uintptr_t)q, q, keep, m, WB_ORIGIN_REALLOC);
    }
  } else if (q == NULL || (uintptr_t)q == p) {
    restore_bits(p, keep, m);                    /* nothing moved: the host heard nothing */
    if (q == NULL && r->n < r->size) {           /* the tail was reported dead too early */
      wb_slotmask tail = *m;
      tail.bits = m->bits;
      wb_range_create(p, (void *)p, r->size, &tail, WB_ORIGIN_REALLOC);
    }
  } else {                                       /* moved: each counted slot moves */
    size_t nw = keep / 8 < m->nwords ? keep / 8 : m->nwords;
    for (size_t j = 0; j < (nw + 63) / 64; j++)
      for (uint64_t set = m->bits[j]; set != 0; set &= set - 1) {
        size_t k = j * 64 + (size_t)__builtin_ctzll(set);
        if (k >= nw) break;
        uintptr_t v = load_word((uintptr_t)q + 8 * k);
        uintptr_t base = __wb_shadow_hit((void *)v) ? wb_index_host_base(v) : 0;
        if (base == 0) continue;
        wb_emit(WB_EV_REF, WB_ORIGIN_REALLOC, p + 8 * k, base, 0);
        wb_slot_note((uintptr_t)q + 8 * k);
        wb_emit(WB_EV_REF, WB_ORIGIN_REALLOC, (uintptr_t)q + 8 * k, 0, base);
      }
  }
  wb_slotmask_release(m);
}
