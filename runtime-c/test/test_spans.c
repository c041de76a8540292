/* The store stub's span test (wb_abi.h, "spans") against the hooks' shadow test: whenever the
 * shadow test would let a store through (SLOTS at the slot's granule or HOST at the value's, for
 * addresses a program can hold), the stub calls the hook; outside both spans it does not; the
 * spans follow the granules the runtime marks, widen before the bits are set and never narrow.
 * The stub here is the pass's template with a hook of the test's own that counts its calls. */
#include <stdint.h>
#include "t.h"

/* The runtime's own (internal.h). */
void __wbrt_shadow_adjust(uintptr_t base, size_t size, int delta);
void __wbrt_shadow_slots_adjust(uintptr_t slot, int32_t delta);

#define G ((uintptr_t)1 << WB_ABI_SHADOW_SHIFT)
#define USER_TOP ((uintptr_t)1 << (WB_ABI_SHADOW_SHIFT + WB_ABI_SHADOW_BITS))

static int failures_before;
static void flush(void *ctx) { (void)ctx; }

#if defined(__x86_64__) && !defined(__ILP32__)
long spans_test_calls;
/* A hook as the stub calls it: a real call with the stub's frame above; it touches only the flags
 * (the asm's one clobber) and the counter. */
__asm__(".text\n"
        "\t.globl spans_test_hook\n"
        "\t.type spans_test_hook, @function\n"
        "spans_test_hook:\n"
        "\tincq spans_test_calls(%rip)\n"
        "\tret\n"
        "\t.size spans_test_hook, .-spans_test_hook\n");

/* Whether the pass's store stub for (slot, v) calls its hook. Neither is dereferenced: the
 * template's memory operand is a dummy. "memory": the hook writes the counter. */
__attribute__((noinline)) static int stub_calls(uintptr_t slot, uintptr_t v)
{
  long dummy = 0, before = spans_test_calls;
  __asm__ __volatile__(WB_ABI_X86_STORE_ASM("spans_test_hook") : : "r"(slot), "re"(v), "m"(dummy) : "cc", "memory");
  return spans_test_calls != before;
}
/* The same with the value as an immediate, as the pass emits a NULL or constant store. */
__attribute__((noinline)) static int stub_calls_null(uintptr_t slot)
{
  long dummy = 0, before = spans_test_calls;
  __asm__ __volatile__(WB_ABI_X86_STORE_ASM("spans_test_hook") : : "r"(slot), "re"((void *)0), "m"(dummy) : "cc", "memory");
  return spans_test_calls != before;
}
__attribute__((noinline)) static int stub_calls_minus8(uintptr_t slot)
{
  long dummy = 0, before = spans_test_calls;
  __asm__ __volatile__(WB_ABI_X86_STORE_ASM("spans_test_hook") : : "r"(slot), "re"((void *)-8), "m"(dummy) : "cc", "memory");
  return spans_test_calls != before;
}
/* The record stub for (dst, src, n), n an immediate as the pass emits sizeof; `rsp` gets the stack
 * pointer the stub saw (this function's, constant through its body). */
#define RANGE_STUB(name, n)                                                                     \
  __attribute__((noinline)) static int name(uintptr_t dst, uintptr_t src, uintptr_t *rsp)      \
  {                                                                                             \
    long dummy = 0, before = spans_test_calls;                                                  \
    __asm__ __volatile__("mov %%rsp, %0" : "=r"(*rsp));                                         \
    __asm__ __volatile__(WB_ABI_X86_RANGE_ASM("spans_test_hook")                                \
                         : : "r"(dst), "r"(src), "re"((__wb_size_t)(n)), "m"(dummy), "m"(dummy) \
                         : "cc", "memory");                                                     \
    return spans_test_calls != before;                                                          \
  }
RANGE_STUB(range_8, 8)
RANGE_STUB(range_24, 24)
RANGE_STUB(range_max, WB_ABI_RANGE_SPAN_MAX)
static int (*const range_stubs[3])(uintptr_t, uintptr_t, uintptr_t *) = { range_8, range_24, range_max };
static const uintptr_t range_sizes[3] = { 8, 24, WB_ABI_RANGE_SPAN_MAX };
#define HAVE_RANGE_STUB 1
#else
/* Elsewhere the portable form's runtime applies the same test (barrier.c). */
static int stub_calls(uintptr_t slot, uintptr_t v)
{
  const __wb_uintptr_t *w = __wb_spans;
  return (slot >= w[0] && slot < w[1]) || (v >= w[2] && v < w[3]);
}
static int stub_calls_null(uintptr_t slot) { return stub_calls(slot, 0); }
static int stub_calls_minus8(uintptr_t slot) { return stub_calls(slot, (uintptr_t)-8); }
#endif

/* The hooks' first test (store_hook.c's WB_STORE_PREFILTER, barrier.c's wb_store_may_count). */
static int shadow_passes(uintptr_t slot, uintptr_t v)
{
  return (__wb_shadow[(slot >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK] & WB_ABI_SHADOW_SLOTS) ||
         (__wb_shadow[(v >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK] & WB_ABI_SHADOW_HOST);
}
static int in_span(uintptr_t p, int lo) { return p >= __wb_spans[lo] && p < __wb_spans[lo + 1]; }

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void)
{
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

/* An address near one of `marks` (its granule's edges, one byte either side) or anywhere in the
 * user address space. */
static uintptr_t pick(const uintptr_t *marks, int n)
{
  uint64_t r = next();
  if (n == 0 || r % 4 == 0) return (uintptr_t)(next() % USER_TOP);
  uintptr_t g = marks[r / 4 % (uint64_t)n] & ~(G - 1);
  switch (r / 64 % 6) {
  case 0: return g;
  case 1: return g - 1;
  case 2: return g + G - 1;
  case 3: return g + G;
  case 4: return g + next() % G;
  default: return g + (next() % 64 - 32) * G;
  }
}

#ifdef HAVE_RANGE_STUB
/* Whether [p, p + n) meets a granule whose SLOTS bit is set (slots.c's wb_slots_any, by granule). */
static int range_slots(uintptr_t p, uintptr_t n)
{
  for (uintptr_t g = p >> WB_ABI_SHADOW_SHIFT; g <= (p + n - 1) >> WB_ABI_SHADOW_SHIFT; g++)
    if (__wb_shadow[g & WB_SHADOW_MASK] & WB_ABI_SHADOW_SLOTS) return 1;
  return 0;
}

/* The arena's reservation (1 GiB from the first HOST granule) lies above every mapping of the
 * program but the main stack's and the kernel's, whenever the room the system left below the stack
 * allows it: then the store barrier's inline test sends on every value the program maps. */
static void check_arena_high(uintptr_t arena_lo)
{
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) { CHECK(!"/proc/self/maps"); return; }
  char line[512];
  uintptr_t top_other = 0, stack_lo = 0, arena_hi = arena_lo + ((uintptr_t)1 << 30);
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
    if (strstr(line, "[stack]")) { stack_lo = lo; continue; }
    if (strstr(line, "[vsyscall]") || (lo >= arena_lo && hi <= arena_hi)) continue;
    if (stack_lo == 0 && hi > top_other) top_other = hi;     /* the lines come in address order */
  }
  fclose(f);
  CHECK(stack_lo != 0);
  if (stack_lo - top_other >= ((uintptr_t)2 << 30)) CHECK(arena_lo > top_other);
  else fprintf(stderr, "test_spans: only %lu MiB below the stack; arena at %#lx\n",
               (unsigned long)((stack_lo - top_other) >> 20), (unsigned long)arena_lo);
}

/* Record assignments: whenever the hook's filter could find work (a counted slot in either range,
 * or, once a HOST object has existed, a source reaching into the live stack, red zone included),
 * the barrier calls it; and its answer is the inline test's, then the spans' and the stack
 * margin's. */
static void check_ranges(const uintptr_t *slots, int ns, int rounds)
{
  uintptr_t local = 0, *here = &local;
  for (int i = 0; i < rounds; i++) {
    int k = (int)(next() % 3);
    uintptr_t n = range_sizes[k], rsp;
    uintptr_t d = pick(slots, ns), s = pick(slots, ns);
    switch (next() % 4) {                          /* sources on and near the stack */
    case 0: s = (uintptr_t)here - next() % 4096; break;
    case 1: s = (uintptr_t)here - WB_ABI_RED_ZONE - WB_ABI_RANGE_SPAN_MAX - 8192 + next() % 16384; break;
    default: break;
    }
    if (d + n < d || s + n < s) continue;          /* wraps: no record lies there */
    int called = range_stubs[k](d, s, &rsp);
    /* A record on the stack may hold a reference only once a HOST object has existed. */
    int stack = s + n > rsp - WB_ABI_RED_ZONE && s < (uintptr_t)here + 65536 && __wb_copy_may_count();
    if (range_slots(d, n) || range_slots(s, n) || stack) CHECK(called);
    const __wb_uintptr_t *w = __wb_spans;
    int inline_cold = d >= w[WB_ABI_SPAN_SLOT_NEAR / 8] || s >= w[WB_ABI_SPAN_SRC_NEAR / 8];
    int model = inline_cold &&
                ((d >= w[4] && d < w[1]) || (s >= w[4] && s < w[1]) ||
                 (intptr_t)(s - rsp) >= -(intptr_t)(WB_ABI_RED_ZONE + WB_ABI_RANGE_SPAN_MAX));
    CHECK_EQ(called, model);
    if (t_failures > failures_before) {
      fprintf(stderr, "dst %#lx src %#lx n %lu rsp %#lx\n", (unsigned long)d, (unsigned long)s,
              (unsigned long)n, (unsigned long)rsp);
      return;
    }
  }
}
#endif

/* The prelude's memset test: whenever [dst, dst + n) meets a granule with counted slots, it calls
 * the runtime; it skips only ranges outside the SLOTS span. */
static void check_clears(const uintptr_t *slots, int ns, int rounds)
{
  for (int i = 0; i < rounds; i++) {
    uintptr_t d = pick(slots, ns), n = next() % 3 == 0 ? next() % (4 * G) : next() % 256;
    if (d + n < d || n == 0) continue;
    int calls = __wb_clear_may_count((void *)d, n);
    int granules = 0;
    for (uintptr_t g = d >> WB_ABI_SHADOW_SHIFT; g <= (d + n - 1) >> WB_ABI_SHADOW_SHIFT; g++)
      granules |= (__wb_shadow[g & WB_SHADOW_MASK] & WB_ABI_SHADOW_SLOTS) != 0;
    if (granules) CHECK(calls);
    CHECK_EQ(calls, d < __wb_spans[1] && d + n > __wb_spans[0]);
    if (t_failures > failures_before) return;
  }
}

/* Every pair the shadow lets through reaches the hook, and the stub's answer is the spans'. */
static void check_pairs(const uintptr_t *slots, int ns, const uintptr_t *hosts, int nh, int rounds)
{
  for (int i = 0; i < rounds; i++) {
    uintptr_t s = pick(slots, ns), v = pick(hosts, nh);
    int called = stub_calls(s, v);
    if (shadow_passes(s, v)) CHECK(called);
    CHECK_EQ(called, in_span(s, 0) || in_span(v, 2));
    CHECK_EQ(stub_calls_null(s), in_span(s, 0) || in_span(0, 2));
    if (t_failures > failures_before) {
      fprintf(stderr, "slot %#lx value %#lx\n", (unsigned long)s, (unsigned long)v);
      return;
    }
  }
}

int main(void)
{
  /* With no host the spans are empty: no barrier leaves its inline test, whatever it stores, and
   * no copy or clear calls the runtime. */
  CHECK(!__wb_copy_may_count());
  CHECK(!__wb_clear_may_count((void *)&rng, 8));
  for (int i = 0; i < 10000; i++) CHECK(!stub_calls(pick(NULL, 0), pick(NULL, 0)));
  CHECK(!stub_calls_null((uintptr_t)&rng));
  CHECK(!stub_calls_minus8((uintptr_t)&rng));
#ifdef HAVE_RANGE_STUB
  {
    uintptr_t rsp, local = 0;
    CHECK(!range_24(0x100000000000u, (uintptr_t)&local, &rsp));  /* from the stack: no host object */
    failures_before = t_failures;
    check_ranges(NULL, 0, 20000);
  }
#endif
  /* Active, no HOST object yet: still nothing. */
  wb_host_register(flush, NULL);
  CHECK(!stub_calls(0x100000000000u, (uintptr_t)&rng));
#ifdef HAVE_RANGE_STUB
  {
    uintptr_t rsp, local = 0;
    CHECK(!range_24(0x100000000000u, (uintptr_t)&local, &rsp));
  }
#endif
  void *obj = wb_host_alloc(64, 16, 0);           /* activates; a HOST object in the arena */
  CHECK(obj != NULL);
  CHECK_EQ(__wb_spans[WB_ABI_SPAN_SRC_NEAR / 8], 0);  /* from now on every record source may count */
  check_arena_high(__wb_spans[2]);
  CHECK_EQ(__wb_spans[0], UINTPTR_MAX);           /* no counted slot yet */
  CHECK_EQ(__wb_spans[1], 0);
  CHECK(in_span((uintptr_t)obj, 2));
  CHECK_EQ(__wb_spans[2], (uintptr_t)obj & ~(G - 1));
  CHECK(stub_calls(0, (uintptr_t)obj));
  CHECK(!stub_calls(0, (uintptr_t)&rng));
#ifdef HAVE_RANGE_STUB
  {
    uintptr_t rsp, local = 0;
    CHECK_EQ(__wb_spans[4], UINTPTR_MAX - WB_ABI_RANGE_SPAN_MAX);
    CHECK(!range_24(0x100000000000u, (uintptr_t)obj, &rsp));   /* heap to heap, nothing counted */
    CHECK(range_24(0x100000000000u, (uintptr_t)&local, &rsp)); /* from the stack */
    CHECK(range_8(0x100000000000u, rsp - 8, &rsp));            /* from the red zone */
    failures_before = t_failures;
    check_ranges(NULL, 0, 20000);
  }
#endif

  /* Host objects of six size classes (arena.c): six chunks, one granule each, side by side in the
   * arena's reservation, so the HOST span is those six granules and nothing the program maps. */
  for (size_t size = 16; size <= 96; size += 16) CHECK(wb_host_alloc(size, 16, 0) != NULL);
  CHECK_EQ(__wb_spans[3] - __wb_spans[2], 6 * G);
  uintptr_t arena_lo = __wb_spans[2], arena_hi = __wb_spans[3];

  /* Counted slots in three granules far apart, HOST objects in two more: each span is exactly
   * [first granule, last granule + 1). */
  uintptr_t slots[3] = { 0x100000000000u + 5, 0x100000000000u + 7 * G + 100, 0x100000000000u + 40 * G };
  uintptr_t hosts[3] = { (uintptr_t)obj, 0x200000000000u + G / 2, 0x200000000000u + 9 * G - 8 };
  for (int i = 0; i < 3; i++) __wbrt_shadow_slots_adjust(slots[i], +1);
  __wbrt_shadow_adjust(hosts[1], 16, +1);
  __wbrt_shadow_adjust(hosts[2], 16, +1);          /* straddles into the next granule */
  CHECK_EQ(__wb_spans[0], 0x100000000000u);
  CHECK_EQ(__wb_spans[1], 0x100000000000u + 41 * G);
  uintptr_t host_lo = arena_lo < 0x200000000000u ? arena_lo : 0x200000000000u;
  uintptr_t host_hi = arena_hi > 0x200000000000u + 10 * G ? arena_hi : 0x200000000000u + 10 * G;
  CHECK_EQ(__wb_spans[2], host_lo);
  CHECK_EQ(__wb_spans[3], host_hi);
  CHECK(stub_calls(slots[1], 0));
  CHECK(stub_calls_null(slots[2]));
  CHECK(!stub_calls_null(0x100000000000u - 1));
  CHECK(!stub_calls_null(0x100000000000u + 41 * G));
  CHECK(stub_calls(0, host_hi - 1));
  CHECK(!stub_calls(0, host_hi));
  CHECK(stub_calls(0, host_lo));
  CHECK(!stub_calls(0, host_lo - 1));
  CHECK(!stub_calls_minus8(0x100000000000u - 1)); /* a sign-extended immediate, above every span */
  CHECK(stub_calls_minus8(slots[0]));
  failures_before = t_failures;
  check_pairs(slots, 3, hosts, 3, 200000);
  CHECK(__wb_copy_may_count());                   /* host objects exist: copies are accounted */
  CHECK(__wb_clear_may_count((void *)(0x100000000000u - 8), 9));
  CHECK(!__wb_clear_may_count((void *)(0x100000000000u - 8), 8));
  CHECK(!__wb_clear_may_count((void *)(0x100000000000u + 41 * G), 4096));
  failures_before = t_failures;
  check_clears(slots, 3, 100000);
#ifdef HAVE_RANGE_STUB
  CHECK_EQ(__wb_spans[4], 0x100000000000u - WB_ABI_RANGE_SPAN_MAX);
  uintptr_t rsp;
  CHECK(range_max(0x100000000000u - WB_ABI_RANGE_SPAN_MAX, 0x10000, &rsp));    /* reaches the span */
  CHECK(!range_max(0x100000000000u - WB_ABI_RANGE_SPAN_MAX - 1, 0x10000, &rsp));
  CHECK(range_8(0x10000, 0x100000000000u + 41 * G - 8, &rsp));               /* counted source */
  CHECK(!range_8(0x10000, 0x100000000000u + 41 * G, &rsp));
  failures_before = t_failures;
  check_ranges(slots, 3, 100000);
#endif

  /* A value whose folded granule has HOST but that lies above the user address space: the shadow
   * test passes it, the span test does not, and no HOST object is there to count. */
  uintptr_t folded = hosts[1] | ((uintptr_t)1 << 60);
  CHECK(shadow_passes(0, folded));
  CHECK(!stub_calls(0, folded));

  /* Bits cleared again: the spans stay (never narrowed), the stub still calls inside them, and
   * the property holds with the shadow now letting nothing through there. */
  for (int i = 0; i < 3; i++) __wbrt_shadow_slots_adjust(slots[i], -1);
  __wbrt_shadow_adjust(hosts[1], 16, -1);
  __wbrt_shadow_adjust(hosts[2], 16, -1);
  CHECK(!shadow_passes(slots[1], 0));
  CHECK(stub_calls(slots[1], 0));
  CHECK_EQ(__wb_spans[1], 0x100000000000u + 41 * G);
  failures_before = t_failures;
  check_pairs(slots, 3, hosts, 3, 50000);

  /* A slot in the top granule of the address space: its span ends at the top, not at zero. */
  __wbrt_shadow_slots_adjust(UINTPTR_MAX - 7, +1);
  CHECK_EQ(__wb_spans[1], UINTPTR_MAX);
  CHECK(stub_calls_null(UINTPTR_MAX - 7));
  __wbrt_shadow_slots_adjust(UINTPTR_MAX - 7, -1);
  T_DONE();
}
