/* The cc-wb barrier ABI: what the pass (instrument/), the runtime (runtime-c/src) and the code
 * that stands in for either (runtime-c/bench, the pass's recording runtime) must agree on.
 *
 * Two files make it up. wb_prelude.h holds the C declarations an instrumented unit needs; the
 * pass splices it into every unit after preprocessing, so it can hold no directives and spells
 * its few constants out. This file holds everything else: the constants, the x86-64 stub frame,
 * the asm templates' text, and the shadow map's layout. It includes the prelude, so the runtime
 * and its stand-ins include this file alone.
 *
 * The constants are `#define WB_ABI_<NAME> <value>` lines, one per line, whose value is a
 * decimal integer or one string literal: instrument/barrier-abi.ts reads them from this file when
 * the pass loads, and test/instrument/barrier-abi.test.ts checks that it reads what a C compiler
 * sees. Anything derived from them is a function-like macro or has another prefix. */
#ifndef WB_BARRIER_ABI_H
#define WB_BARRIER_ABI_H
#include "wb_prelude.h"

/* ---- version ------------------------------------------------------------------------------ */

/* The runtime defines the symbol __wb_abi_version_<N> and the prelude references it from every
 * instrumented unit (a data reference, hidden, so the link that puts the unit and the runtime
 * together must resolve it): objects and a runtime of different versions fail to link with
 * "undefined reference to `__wb_abi_version_<N>'". Raise it with any change below or to the
 * prelude's entry points, and spell the new name in wb_prelude.h. */
#define WB_ABI_VERSION 5

/* ---- entry points the pass emits calls or jumps to ---------------------------------------- */

/* Non-zero once a host (or stress mode) is active; never goes back to 0. The portable form and
 * the x86-64 stub for records of more than RANGE_SPAN_MAX bytes test it inline; the other x86-64
 * barriers test the spans (below) instead. */
#define WB_ABI_ACTIVE "__wb_active"
/* Portable form: `if (__wb_active) __wb_store_before(slot, new); *slot = new;`, and for a record
 * assignment `if (__wb_active) __wb_range_assign_slow(dst, src, size); *dst = *src;`. */
#define WB_ABI_STORE_BEFORE "__wb_store_before"
#define WB_ABI_RANGE_ASSIGN "__wb_range_assign_slow"
/* x86-64 form: one asm statement (templates below) whose cold stub calls these; the _avx ones
 * for units built with AVX (they also keep the upper vector state and the opmasks). */
#define WB_ABI_STORE_HOOK "__wb_store_hook"
#define WB_ABI_STORE_HOOK_AVX "__wb_store_hook_avx"
#define WB_ABI_RANGE_HOOK "__wb_range_hook"
#define WB_ABI_RANGE_HOOK_AVX "__wb_range_hook_avx"
/* The section the stubs go to: not .text.unlikely itself, where gcc may be emitting the store
 * (a block it split off as cold), so a stub never directly follows its `jne`. */
#define WB_ABI_STUB_SECTION ".text.unlikely.__wb_stubs"

/* ---- shared objects ----------------------------------------------------------------------- */

/* A shared object cannot reach another object's data with one PC-relative load, and the inline
 * tests below must stay one instruction each. So each instrumented shared object has its own hidden
 * __wb_active, __wb_spans and hook entry points, defined by the small archive libwbrt_dso.a that
 * cc-wb links into it (runtime-c/src/dso/stub.c). A constructor there registers them with the
 * process's one runtime (libwbrt.so.<WB_ABI_VERSION>, or the runtime an instrumented executable
 * carries, which then exports the __wb_* names and so serves its libraries too); the runtime writes
 * every registered copy whenever it changes its own, and a copy registered later at once. A
 * destructor unregisters it before the object is unmapped. The node lives in the shared object, so
 * registering never allocates. */
struct __wb_dso {
  int *active;
  __wb_uintptr_t *spans;       /* the object's own copy of __wb_spans (below) */
  struct __wb_dso *next, *prev;
};
void __wb_dso_register(struct __wb_dso *dso);
void __wb_dso_unregister(struct __wb_dso *dso);
/* The exported entry point behind a hook (x86-64): the shared object's hidden hook jumps to it
 * through its GOT, so the stub's frame and registers reach it exactly as they reach the hook in a
 * static link. */
#define WB_DSO_HOOK(hook) hook "_dso"
/* The call frame information at a hook's (or its forwarder's) first instruction: the
 * interrupted function's %rsp is 8 + STUB_FRAME above, the stub's back slot its return address. */
#define WB_HOOK_ENTRY_CFI                                                                   \
  "\t.cfi_def_cfa_offset " WB_ABI_STR(8 + WB_ABI_STUB_FRAME) "\n"                               \
  "\t.cfi_offset %rip, -" WB_ABI_STR((WB_ABI_STUB_FRAME - WB_ABI_STUB_BACK)) "\n"

/* ---- shadow map --------------------------------------------------------------------------- */

/* One byte per 2^SHADOW_SHIFT-byte granule of a 2^(SHADOW_SHIFT + SHADOW_BITS)-byte address
 * space (1 MiB granules of the 47-bit user space: 128 MiB of zero pages in .bss, touched only
 * where the runtime marks; bits below); the index is masked, so any
 * 64-bit value (a slot's old contents can be arbitrary bits) folds into range. */
#define WB_ABI_SHADOW_SHIFT 20
#define WB_ABI_SHADOW_BITS 27
#define WB_SHADOW_MASK ((1ul << WB_ABI_SHADOW_BITS) - 1)
/* The bits of a shadow byte. HOST: the granule may hold HOST allocations. SLOTS: the granule holds
 * counted slots (words the host counts a reference for). The store hook's first test is
 * "SLOTS at the slot or HOST at the new value": only then can a store change what the host counts.
 * The other bits are the runtime's own (which allocator serves the granule). */
#define WB_ABI_SHADOW_HOST 1
#define WB_ABI_SHADOW_SLOTS 2

/* ---- spans -------------------------------------------------------------------------------- */

/* Words that bound the shadow's two bits by address, for tests that need no register:
 * [SLOT_LO, SLOT_HI) covers every granule that holds or held counted slots, [HOST_LO, HOST_HI)
 * every granule that overlaps or overlapped a HOST object (each as [first granule << SHIFT,
 * (last granule + 1) << SHIFT), by the objects' real addresses; empty as lo = ~0, hi = 0). The
 * runtime widens a span before it sets a bit in a granule outside it (with the same ordering as
 * the bit itself: see __wb_shadow_hit) and never narrows one, so "slot outside the SLOTS span and
 * value outside the HOST span" implies that the hooks' shadow test would let the store go too.
 *
 * The x86-64 store barrier tests the lower bounds inline, where they cost two compares and two
 * branches that fall through: "value below HOST_LO and slot below SLOT_LO" goes on at once, with
 * no host (both spans empty) and, once a host is active, for everything the program maps below the
 * host's objects (the host arena is reserved as high as the address space allows: arena.c). Only
 * the rest jumps to the stub, which tests the upper bounds and calls the hook inside either span.
 *
 * Hidden, for the same reason as __wb_active: each instrumented shared object holds a copy
 * (libwbrt_dso.a; struct __wb_dso's spans) that the runtime writes whenever it widens its own, and
 * at registration. The runtime's words and every copy start empty (WB_SPANS_EMPTY: no store leaves
 * the inline test); a stand-in runtime that never computes them sets them full (WB_SPANS_FULL),
 * which sends every store to its hook. Values are offsets in bytes into the array.
 *
 * The spans go by real addresses where the shadow folds them (its index is masked): a value with
 * bits above the user address space (non-canonical, kernel, or any integer that is no pointer)
 * whose folded granule has HOST is outside the HOST span, and rightly skipped: every HOST object
 * lies at real addresses inside the span, so that value points into none of them, and the hook
 * would find no reference to count. Likewise a slot the program can write lies at its real
 * address, inside the SLOTS span when counted.
 *
 * Two more words serve the record-assignment barrier, which cannot compute the end of a range
 * without a register. SLOT_NEAR is SLOT_LO - RANGE_SPAN_MAX (0 where that would wrap), so a record
 * of at most RANGE_SPAN_MAX bytes that starts below SLOT_NEAR ends before the SLOTS span. SRC_NEAR
 * bounds the source: SLOT_NEAR while no HOST object has existed, 0 (every source) once one has,
 * because from then on a record on any thread's stack may hold a reference the host counts. The
 * inline test is "destination below SLOT_NEAR and source below SRC_NEAR"; the stub then tests the
 * rest (the SLOTS span's upper bound, whether the source can lie on the calling thread's stack).
 * The pass emits that barrier for records of at most RANGE_SPAN_MAX bytes, and for larger ones
 * (RANGE_BIG) one that tests __wb_active and leaves every decision to the hook. Under WB_SCAN_ALL
 * (every copy scans its source) the runtime keeps the SLOTS span full, so every record assignment
 * and every store reaches its hook. */
#define WB_ABI_SPANS "__wb_spans"
#define WB_ABI_SPAN_SLOT_LO 0
#define WB_ABI_SPAN_SLOT_HI 8
#define WB_ABI_SPAN_HOST_LO 16
#define WB_ABI_SPAN_HOST_HI 24
#define WB_ABI_SPAN_SLOT_NEAR 32
#define WB_ABI_SPAN_SRC_NEAR 40
#define WB_ABI_RANGE_SPAN_MAX 1048576
#define WB_SPAN_WORDS 6
_Static_assert(WB_ABI_SPAN_SRC_NEAR == 8 * (WB_SPAN_WORDS - 1), "spans: six words");
_Static_assert(WB_ABI_SPAN_SLOT_LO == 0 && WB_ABI_SPAN_SLOT_HI == 8 && WB_ABI_SPAN_HOST_HI == 24,
               "the prelude's copy tests spell the span words as indices 0, 1 and 3");
/* The words with nothing marked: what the runtime and every shared object's copy start from. */
#define WB_SPANS_EMPTY                                                                          \
  { ~(__wb_uintptr_t)0, 0, ~(__wb_uintptr_t)0, 0, ~(__wb_uintptr_t)0 - WB_ABI_RANGE_SPAN_MAX,      \
    ~(__wb_uintptr_t)0 - WB_ABI_RANGE_SPAN_MAX }
/* Full spans: every barrier goes to its hook (a stand-in runtime's choice). */
#define WB_SPANS_FULL { 0, ~(__wb_uintptr_t)0, 0, ~(__wb_uintptr_t)0, 0, 0 }

/* Hidden: the runtime is linked as a static archive into the executable or shared object that
 * holds the code reading it, so -fPIC code reaches it without the GOT. */
extern unsigned char __wb_shadow[1ul << WB_ABI_SHADOW_BITS] __attribute__((__visibility__("hidden")));

/* Whether p's granule may hold a HOST allocation. A plain load: the host marking a granule while
 * another thread reads it is a race on a byte, which the hardware we target reads whole
 * (runtime-c/test/tsan.supp records it). */
static inline __attribute__((__always_inline__, __unused__)) int __wb_shadow_hit(const void *p)
{
  return __wb_shadow[((__wb_uintptr_t)p >> WB_ABI_SHADOW_SHIFT) & WB_SHADOW_MASK] & WB_ABI_SHADOW_HOST;
}

/* ---- x86-64 stub frame -------------------------------------------------------------------- */

/* The cold stub moves %rsp down by STUB_FRAME bytes, past the interrupted function's red zone
 * (the RED_ZONE bytes below its %rsp, which it may be using), fills the slots below and calls
 * the hook, which therefore finds slot k at k + 8 from its entry %rsp (above the return address
 * into the stub). The hook returns to the stub, which moves %rsp back up and jumps to
 * .Lwb_back. Offsets are from the stub's %rsp. */
#define WB_ABI_RED_ZONE 128
#define WB_ABI_STUB_FRAME 168
/* The address the stub jumps back to: the return address unwinders see for the hook. */
#define WB_ABI_STUB_BACK 0
/* The slot (range hook: the destination). */
#define WB_ABI_STUB_SLOT 8
/* The new value (range hook: the source). */
#define WB_ABI_STUB_VALUE 16
/* Where the stub keeps %rax while it computes the back address in it. */
#define WB_ABI_STUB_SCRATCH 24
/* Range hook: the size in bytes. */
#define WB_ABI_STUB_SIZE 32

struct __wb_stub_frame {
  void *back;
  void *slot;
  void *value;
  void *scratch;
  unsigned long size;
};
_Static_assert(__builtin_offsetof(struct __wb_stub_frame, back) == WB_ABI_STUB_BACK, "stub frame: back");
_Static_assert(__builtin_offsetof(struct __wb_stub_frame, slot) == WB_ABI_STUB_SLOT, "stub frame: slot");
_Static_assert(__builtin_offsetof(struct __wb_stub_frame, value) == WB_ABI_STUB_VALUE, "stub frame: value");
_Static_assert(__builtin_offsetof(struct __wb_stub_frame, scratch) == WB_ABI_STUB_SCRATCH, "stub frame: scratch");
_Static_assert(__builtin_offsetof(struct __wb_stub_frame, size) == WB_ABI_STUB_SIZE, "stub frame: size");
_Static_assert(sizeof(struct __wb_stub_frame) <= WB_ABI_STUB_FRAME, "stub frame: size");
/* Every slot the stubs write lies below the interrupted function's red zone, which a leaf
 * function may be using in full. */
_Static_assert(sizeof(struct __wb_stub_frame) <= WB_ABI_STUB_FRAME - WB_ABI_RED_ZONE, "stub frame overlaps the red zone");
_Static_assert(WB_ABI_STUB_BACK == 0, "the templates spell the back slot as (%rsp)");

/* ---- x86-64 asm templates ----------------------------------------------------------------- */

/* The asm statements the pass emits for a pointer store and a record assignment on x86-64, as C
 * string literals ({AT&T|Intel}: the compiler picks the unit's dialect). Operands: store %0 the
 * slot, %1 the new value (a register or an immediate), %2 the slot as a memory operand (tells
 * the compiler the hook reads it); range %0 the destination, %1 the source, %2 the size, %3 and
 * %4 the two records as memory operands. Clobbers: "cc" only; the hooks save everything else.
 * The pass builds the same text (instrument/barrier-text.ts, x86StoreAsm and x86RangeAsm, from these constants), and
 * test/instrument/barrier-abi.test.ts checks the two agree. */
#define WB_ABI_STR_(x) #x
#define WB_ABI_STR(x) WB_ABI_STR_(x)
#define WB_ABI_RSP_AT(off) WB_ABI_STR(off) "(%%rsp)"
/* `cmpq op, span word` computes word - op, for a register or (the new value) a sign-extended
 * 32-bit immediate alike: `ja` is op < word, `jbe` op >= word. */
#define WB_SPAN_AT(off) WB_ABI_SPANS "+" WB_ABI_STR(off) "(%%rip)"
#define WB_X86_SPAN_CMP(op, off)                                                              \
  "{cmpq " op ", " WB_SPAN_AT(off) "|cmp QWORD PTR " WB_ABI_SPANS "[rip+" WB_ABI_STR(off) "], " op "}\n\t"
/* Where the inline part ends and the stub, in its own section, begins. */
#define WB_X86_STUB_OPEN                                                                    \
  ".Lwb_back%=:\n\t"                                                                            \
  ".pushsection " WB_ABI_STUB_SECTION ",\"ax\",@progbits\n\t"                                  \
  ".Lwb_cold%=:\n\t"
/* The store barrier's inline part: the value against HOST_LO and the slot against SLOT_LO (spans,
 * above); both below, and it falls through. */
#define WB_X86_STORE_INLINE                                                                 \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_HOST_LO)                                                    \
  "jbe .Lwb_cold%=\n\t"                                                                         \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_LO)                                                    \
  "jbe .Lwb_cold%=\n\t"                                                                         \
  WB_X86_STUB_OPEN
/* The record barrier's: the destination against SLOT_NEAR, the source against SRC_NEAR. */
#define WB_X86_RANGE_INLINE                                                                 \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_NEAR)                                                  \
  "jbe .Lwb_cold%=\n\t"                                                                         \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_SRC_NEAR)                                                   \
  "jbe .Lwb_cold%=\n\t"                                                                         \
  WB_X86_STUB_OPEN
/* A record of more than RANGE_SPAN_MAX bytes: __wb_active, and the hook decides. */
#define WB_X86_ACTIVE_INLINE                                                                \
  "{cmpl $0, " WB_ABI_ACTIVE "(%%rip)|cmp DWORD PTR " WB_ABI_ACTIVE "[rip], 0}\n\t"              \
  "jne .Lwb_cold%=\n\t"                                                                         \
  WB_X86_STUB_OPEN
/* The store stub's first test (spans, above): slot below SLOT_LO or at or above SLOT_HI, and
 * value below HOST_LO or at or above HOST_HI, go straight back. No register, no stack. (The inline
 * part sent only stores with the value or the slot at or above its lower bound; the stub tests both
 * bounds of both, which keeps it right for any inline part.) */
#define WB_X86_SPAN_TEST                                                                    \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_LO)                                                    \
  "ja .Lwb_val%=\n\t"                                                                           \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_HI)                                                    \
  "ja .Lwb_full%=\n\t"                                                                          \
  ".Lwb_val%=:\n\t"                                                                             \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_HOST_LO)                                                    \
  "ja .Lwb_back%=\n\t"                                                                          \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_HOST_HI)                                                    \
  "jbe .Lwb_back%=\n\t"                                                                         \
  ".Lwb_full%=:\n\t"
#define WB_X86_STACK_MARGIN (WB_ABI_RED_ZONE + WB_ABI_RANGE_SPAN_MAX)
/* The record stub's first test: the destination and the source each against the SLOTS span
 * (from SLOT_NEAR: the record may start below SLOT_LO and reach into it), then whether the source
 * may lie on the calling thread's stack, whose live part starts RED_ZONE bytes below %rsp: a
 * source that starts more than RED_ZONE + RANGE_SPAN_MAX bytes below %rsp ends below that (src -
 * %rsp computed in the source's own register, which `leaq` restores without touching the flags).
 * Outside all three, no count can change (slots.c, wb_range_hook_filter): straight back. */
#define WB_X86_RANGE_SPAN_TEST                                                              \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_NEAR)                                                  \
  "ja .Lwb_src%=\n\t"                                                                           \
  WB_X86_SPAN_CMP("%0", WB_ABI_SPAN_SLOT_HI)                                                    \
  "ja .Lwb_full%=\n\t"                                                                          \
  ".Lwb_src%=:\n\t"                                                                             \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_SLOT_NEAR)                                                  \
  "ja .Lwb_stk%=\n\t"                                                                           \
  WB_X86_SPAN_CMP("%1", WB_ABI_SPAN_SLOT_HI)                                                    \
  "ja .Lwb_full%=\n\t"                                                                          \
  ".Lwb_stk%=:\n\t"                                                                             \
  "{subq %%rsp, %1|sub %1, rsp}\n\t"                                                            \
  "{cmpq $-" WB_ABI_STR(WB_X86_STACK_MARGIN) ", %1|cmp %1, -" WB_ABI_STR(WB_X86_STACK_MARGIN) "}\n\t" \
  "{leaq (%%rsp,%1), %1|lea %1, [rsp+%1]}\n\t"                                                  \
  "jl .Lwb_back%=\n\t"                                                                          \
  ".Lwb_full%=:\n\t"
#define WB_X86_STUB_FRAME                                                                   \
  "{leaq -" WB_ABI_RSP_AT(WB_ABI_STUB_FRAME) ", %%rsp|lea rsp, [rsp-" WB_ABI_STR(WB_ABI_STUB_FRAME) "]}\n\t" \
  "{movq %%rax, " WB_ABI_RSP_AT(WB_ABI_STUB_SCRATCH) "|mov [rsp+" WB_ABI_STR(WB_ABI_STUB_SCRATCH) "], rax}\n\t" \
  "{movq %0, " WB_ABI_RSP_AT(WB_ABI_STUB_SLOT) "|mov [rsp+" WB_ABI_STR(WB_ABI_STUB_SLOT) "], %0}\n\t"
#define WB_X86_STUB_TAIL(hook)                                                              \
  "{leaq .Lwb_back%=(%%rip), %%rax|lea rax, .Lwb_back%=[rip]}\n\t"                               \
  "{movq %%rax, (%%rsp)|mov [rsp], rax}\n\t"                                                    \
  "{movq " WB_ABI_RSP_AT(WB_ABI_STUB_SCRATCH) ", %%rax|mov rax, [rsp+" WB_ABI_STR(WB_ABI_STUB_SCRATCH) "]}\n\t" \
  "call " hook "\n\t"                                                                          \
  "{leaq " WB_ABI_RSP_AT(WB_ABI_STUB_FRAME) ", %%rsp|lea rsp, [rsp+" WB_ABI_STR(WB_ABI_STUB_FRAME) "]}\n\t" \
  "jmp .Lwb_back%=\n\t"                                                                         \
  ".popsection"
#define WB_ABI_X86_STORE_ASM(hook)                                                              \
  WB_X86_STORE_INLINE                                                                        \
  WB_X86_SPAN_TEST                                                                          \
  WB_X86_STUB_FRAME                                                                         \
  "{movq %1, " WB_ABI_RSP_AT(WB_ABI_STUB_VALUE) "|mov QWORD PTR [rsp+" WB_ABI_STR(WB_ABI_STUB_VALUE) "], %1}\n\t" \
  WB_X86_STUB_TAIL(hook)
#define WB_ABI_X86_RANGE_ASM(hook)                                                              \
  WB_X86_RANGE_INLINE                                                                        \
  WB_X86_RANGE_SPAN_TEST                                                                    \
  WB_X86_RANGE_STUB_REST(hook)
/* A record of more than RANGE_SPAN_MAX bytes: no span test, the hook decides. */
#define WB_ABI_X86_RANGE_BIG_ASM(hook)                                                          \
  WB_X86_ACTIVE_INLINE                                                                        \
  WB_X86_RANGE_STUB_REST(hook)
#define WB_X86_RANGE_STUB_REST(hook)                                                        \
  WB_X86_STUB_FRAME                                                                         \
  "{movq %1, " WB_ABI_RSP_AT(WB_ABI_STUB_VALUE) "|mov [rsp+" WB_ABI_STR(WB_ABI_STUB_VALUE) "], %1}\n\t" \
  "{movq %2, " WB_ABI_RSP_AT(WB_ABI_STUB_SIZE) "|mov QWORD PTR [rsp+" WB_ABI_STR(WB_ABI_STUB_SIZE) "], %2}\n\t" \
  WB_X86_STUB_TAIL(hook)

#endif
