/* An instrumented shared library as cc-wb links one (libwbrt_dso.a + libwbrt.so), for test_dso.c:
 * its own __wb_active, a constructor that records the flag as the library's own code first sees
 * it, and pointer stores in the barrier's x86-64 asm form (the portable form elsewhere). */
#include "wb_abi.h"

int dso_seen_at_load = -1;

__attribute__((constructor)) static void at_load(void) { dso_seen_at_load = __wb_active; }

int dso_active(void) { return __wb_active; }
/* The library's copy of the spans its stubs test (wb_abi.h, "spans"). */
const __wb_uintptr_t *dso_spans(void) { return __wb_spans; }

void **dso_new_slot(void)
{
  void **s = __wb_malloc(sizeof *s);
  *s = 0;
  return s;
}

void dso_store(void **slot, void *v)
{
#if defined(__x86_64__) && !defined(__ILP32__)
  __asm__ __volatile__(WB_ABI_X86_STORE_ASM(WB_ABI_STORE_HOOK) : : "r"(slot), "re"(v), "m"(*slot) : "cc");
#else
  if (__builtin_expect(__wb_active != 0, 0)) __wb_store_before(slot, v);
#endif
  *slot = v;
}

void dso_free(void *p) { __wb_free(p); }
