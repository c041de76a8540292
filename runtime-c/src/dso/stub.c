/* libwbrt_dso.a: the part of the runtime every instrumented shared object holds itself (wb_abi.h,
 * "shared objects"). Everything here is hidden, so the object's export list stays the one its
 * plain build has; the rest of the runtime is libwbrt.so.<WB_ABI_VERSION>, its dependency. */
#include "../../include/wb_abi.h"

#define WB_STUB_PASTE_(a, b) a##b
#define WB_STUB_PASTE(a, b) WB_STUB_PASTE_(a, b)

/* The flag this object's barriers test (declared hidden in the prelude). */
int __wb_active;
/* The version symbol the prelude makes every unit refer to: the runtime behind this stub is
 * libwbrt.so.<WB_ABI_VERSION>, the soname the link records. */
const unsigned char WB_STUB_PASTE(__wb_abi_version_, WB_ABI_VERSION) = WB_ABI_VERSION;

/* This object's copy of the spans its barriers test (wb_abi.h, "spans"): the runtime writes it
 * when the object registers and whenever it widens a span; empty until then, as the flag is 0. */
__wb_uintptr_t __wb_spans[WB_SPAN_WORDS] = WB_SPANS_EMPTY;

static struct __wb_dso self = { &__wb_active, __wb_spans, 0, 0 };

/* First among this object's constructors, so its own constructors find the flag set when the
 * process's runtime is already active. */
__attribute__((constructor(101))) static void wb_dso_register(void) { __wb_dso_register(&self); }
__attribute__((destructor(101))) static void wb_dso_unregister(void) { __wb_dso_unregister(&self); }

#if defined(__x86_64__) && !defined(__ILP32__)
/* The hooks the stubs call, as this object's own: one indirect jump through the GOT (resolved
 * when the object is loaded, never lazily, so nothing runs between the stub and the hook and no
 * register changes) to the runtime's exported entry. The hook finds its frame as before. */
#define WB_FORWARD(hook)                                                                        \
  "\t.pushsection " WB_ABI_STUB_SECTION ",\"ax\",@progbits\n"                                  \
  "\t.globl " hook "\n"                                                                          \
  "\t.hidden " hook "\n"                                                                         \
  "\t.type " hook ", @function\n"                                                                \
  hook ":\n"                                                                                     \
  "\t.cfi_startproc\n"                                                                           \
  WB_HOOK_ENTRY_CFI                                                                              \
  "\tjmp *" WB_DSO_HOOK(hook) "@GOTPCREL(%rip)\n"                                                \
  "\t.cfi_endproc\n"                                                                             \
  "\t.size " hook ", .-" hook "\n"                                                               \
  "\t.popsection\n"
__asm__(WB_FORWARD(WB_ABI_STORE_HOOK) WB_FORWARD(WB_ABI_STORE_HOOK_AVX)
        WB_FORWARD(WB_ABI_RANGE_HOOK) WB_FORWARD(WB_ABI_RANGE_HOOK_AVX));
#endif
