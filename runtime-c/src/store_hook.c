/* x86-64: the cold half of the barrier as the pass emits it there (one asm statement per store or
 * record assignment; the templates and the stub frame are in wb_abi.h). The inline part tests
 * __wb_active and, once a host is active, jumps to a stub in its own section that puts the slot,
 * the new value and the address to come back to in its frame (struct __wb_stub_frame), then
 * calls a hook defined here. Nothing is clobbered but the flags: the compiler sees a two-instruction asm
 * that calls nothing, so the barrier costs the surrounding code no registers, no spills and no
 * inlining budget. In exchange the hook saves what it touches, and before it calls C, what the C
 * code could clobber: the general registers; then, for the stores the first C half finds the
 * host cares about, the vector registers (by moves, or XSAVEC/XSAVE where AVX state is live). The
 * x87 stack the runtime leaves alone (see the hook's body).
 *
 * On entry the hook finds the return address into the stub at 0(%rsp) and the stub's frame
 * (struct __wb_stub_frame) from 8(%rsp) on: HOOK_AT(k) below is slot k's offset from the entry
 * %rsp; the interrupted function's own %rsp is at HOOK_AT(WB_ABI_STUB_FRAME), its red zone below
 * that. A plain `ret` goes back to the stub, which pops the rest: a return straight into the
 * interrupted function (`ret $160`) would, to valgrind, end a call there and make memcheck take
 * the 128 bytes below its stack pointer, that function's live red zone, for undefined. While the
 * hook runs, the CFI below describes the instrumented function as its caller (the stubs have no
 * CFI of their own), so debuggers and profilers unwind from the runtime into it. */
/* Self-contained (wb_abi.h only, no internal.h): the pass's tests link it into their stand-in
 * runtime. */
#include "../include/wb_abi.h"

/* wb_range_gate (internal.h): 1 until the runtime computes it, so that a runtime that never does
 * (the pass's stand-in) sends every record assignment to its filter. */
__attribute__((visibility("hidden"))) int __wbrt_range_gate = 1;
/* The spans the barriers test (wb_abi.h): empty, so no store leaves the inline test, until the
 * runtime publishes its own (shadow.c); a stand-in runtime sets them full itself. */
__attribute__((visibility("hidden"))) __wb_uintptr_t __wb_spans[WB_SPAN_WORDS] = WB_SPANS_EMPTY;

#if defined(__x86_64__) && !defined(__ILP32__)
#include <cpuid.h>

/* Offsets of the stub frame's slot k (wb_abi.h), as assembler expressions: from the hook's entry
 * %rsp (above the return address into the stub), after the prefilter's three pushes, and from
 * %rbp, which the hook sets after those and one more push. */
#define HOOK_AT(k) (8 + (k))
#define HOOK_PUSHED3(k) (24 + HOOK_AT(k))   /* past the first tests, %rax, %rcx and %rdx pushed */
#define HOOK_RBP(k) (32 + HOOK_AT(k))
/* The shadow index mask, for the assembler (no integer suffixes). */
#define HOOK_SHADOW_MASK ((1 << WB_ABI_SHADOW_BITS) - 1)
#define HOOK_S(x) WB_ABI_STR(x)

/* What XSAVE(C) may save: SSE, AVX, MPX bounds, AVX-512 (opmask, upper ZMM halves, ZMM16-31), as
 * far as the OS enabled them (the hook also masks out x87, bit 0). Not AMX tile data: 8 KiB that no
 * code the runtime runs touches, and whose save would cost more than the rest together. */
enum { wb_xsave_wanted = 0xef };

/* Bytes of stack for the save area (standard layout, an upper bound for the compacted one), 0
 * where XSAVE is unavailable and FXSAVE's 512 bytes are used instead; the component mask; whether
 * XSAVEC (compacted, skips components in their initial state) is there. Set before __wb_active
 * can become 1 (wb_activate calls __wbrt_store_hook_init), read only by the slow path. */
__attribute__((visibility("hidden"))) unsigned long __wbrt_xsave_size;
__attribute__((visibility("hidden"))) unsigned __wbrt_xsave_mask;
__attribute__((visibility("hidden"))) unsigned char __wbrt_xsavec;
/* XGETBV with ECX=1 (which state components are in use) is available. */
__attribute__((visibility("hidden"))) unsigned char __wbrt_xinuse;

__attribute__((visibility("hidden"))) void __wbrt_store_hook_init(void)
{
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return;
  if (__get_cpuid_max(0, 0) < 0xD) return;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  unsigned mask = xcr0_lo & wb_xsave_wanted;
  unsigned long size = 576;                     /* legacy area and header */
  for (unsigned i = 2; i < 8; i++) {
    if (!(mask & (1u << i))) continue;
    __cpuid_count(0xD, i, a, b, c, d);          /* a: size, b: offset in the standard layout */
    if ((unsigned long)a + b > size) size = (unsigned long)a + b;
  }
  __cpuid_count(0xD, 1, a, b, c, d);
  __wbrt_xsavec = (a & 2) != 0;
  __wbrt_xinuse = (a & 4) != 0;
  __wbrt_xsave_mask = mask;
  __wbrt_xsave_size = size;
}

/* The hooks' first tests, in asm with nothing saved: they use %rax alone and, when they let the
 * store or copy go, reload it from the stub frame's scratch slot, where the stub left the
 * interrupted function's %rax (it stores it there first and only reads it back: wb_abi.h). Most
 * stores and record assignments while a host is active end here, at a dozen instructions. */
__attribute__((visibility("hidden"))) unsigned char *const __wbrt_shadow_at = __wb_shadow;

/* %rax = &__wb_shadow[granule of the word at off(%rsp)]. */
#define WB_SHADOW_OF(off) \
  "\tmovq " HOOK_S(off) "(%rsp), %rax\n" \
  "\tshrq $" HOOK_S(WB_ABI_SHADOW_SHIFT) ", %rax\n" \
  "\tandl $" HOOK_S(HOOK_SHADOW_MASK) ", %eax\n" \
  "\taddq __wbrt_shadow_at(%rip), %rax\n"
#define WB_PREFILTER_PASS \
  "\tmovq " HOOK_S(HOOK_AT(WB_ABI_STUB_SCRATCH)) "(%rsp), %rax\n" \
  "\tret\n"

/* A store can change what the host counts only if its slot is counted (then the slot's granule
 * has the SLOTS bit) or its new value refers to a HOST object (then the value's granule has the
 * HOST bit): barrier.c's store_note returns at once otherwise, whatever the old value. */
#define WB_STORE_PREFILTER \
  WB_SHADOW_OF(HOOK_AT(WB_ABI_STUB_SLOT)) \
  "\ttestb $" HOOK_S(WB_ABI_SHADOW_SLOTS) ", (%rax)\n" \
  "\tjnz 1f\n" \
  WB_SHADOW_OF(HOOK_AT(WB_ABI_STUB_VALUE)) \
  "\ttestb $" HOOK_S(WB_ABI_SHADOW_HOST) ", (%rax)\n" \
  "\tjnz 1f\n" \
  WB_PREFILTER_PASS

/* While no slot is counted anywhere (__wbrt_range_gate clear), a record assignment can change
 * what the host counts only by copying words from the calling thread's stack (slots.c,
 * wb_range_hook_filter). Any range of the stack the interrupted code may read lies above this
 * frame: one that ends at or below the hook's %rsp is not there. */
#define WB_RANGE_PREFILTER \
  "\tcmpl $0, __wbrt_range_gate(%rip)\n" \
  "\tjne 1f\n" \
  "\tmovq " HOOK_S(HOOK_AT(WB_ABI_STUB_VALUE)) "(%rsp), %rax\n" \
  "\taddq " HOOK_S(HOOK_AT(WB_ABI_STUB_SIZE)) "(%rsp), %rax\n" \
  "\tcmpq %rsp, %rax\n" \
  "\tja 1f\n" \
  WB_PREFILTER_PASS

/* One hook: PREFILTER (asm, may return at once), then FILTER(args) (C, general registers only),
 * then, if that returns non-zero, SLOW(args) with everything saved. ARGS loads the arguments from
 * the stub's frame (HOOK_RBP). CHECK picks between the
 * XMM moves and XSAVE(C). */
#define WB_HOOK(NAME, PREFILTER, FILTER, SLOW, ARGS, CHECK)                                      \
  "\t.text\n" \
  "\t.globl " NAME "\n" \
  "\t.hidden " NAME "\n" \
  "\t.type " NAME ", @function\n" \
  "\t.globl " WB_DSO_HOOK(NAME) "\n" \
  "\t.type " WB_DSO_HOOK(NAME) ", @function\n" \
  /* The exported entry, a jump of its own so that profilers and debuggers, which prefer a \
   * global name, still call the hook by its name. */ \
  "\t.p2align 4\n" \
  "" WB_DSO_HOOK(NAME) ":\n" \
  "\t.cfi_startproc\n" \
  WB_HOOK_ENTRY_CFI \
  "\tjmp " NAME "\n" \
  "\t.cfi_endproc\n" \
  "\t.size " WB_DSO_HOOK(NAME) ", .-" WB_DSO_HOOK(NAME) "\n" \
  "\t.p2align 4\n" \
  "" NAME ":\n" \
  "\t.cfi_startproc\n" \
  WB_HOOK_ENTRY_CFI \
  PREFILTER \
  "1:\n" \
  "\tmovq " HOOK_S(HOOK_AT(WB_ABI_STUB_SCRATCH)) "(%rsp), %rax\n" \
  "\tpushq %rax\n" \
  "\t.cfi_adjust_cfa_offset 8\n" \
  "\tpushq %rcx\n" \
  "\t.cfi_adjust_cfa_offset 8\n" \
  "\tpushq %rdx\n" \
  "\t.cfi_adjust_cfa_offset 8\n" \
  "\tpushq %rbp\n" \
  "\t.cfi_adjust_cfa_offset 8\n" \
  "\t.cfi_rel_offset %rbp, 0\n" \
  "\tmovq %rsp, %rbp\n" \
  "\t.cfi_def_cfa_register %rbp\n" \
  "\tpushq %rsi\n" \
  "\tpushq %rdi\n" \
  "\tpushq %r8\n" \
  "\tpushq %r9\n" \
  "\tpushq %r10\n" \
  "\tpushq %r11\n" \
  /* Most stores past the shadow test (a HOST object's 1 MiB granule holds other objects too) \
   * change nothing the host counts: a C test with only these registers saved says so before \
   * the vector state is saved, which costs more than the rest of the hook. */ \
  "\tandq $-16, %rsp\n" \
  ARGS \
  "\tcall " FILTER "\n" \
  "\ttestl %eax, %eax\n" \
  "\tjz 3f\n" \
  /* Code built without AVX (the common case) can hold values in the sixteen XMM registers and \
   * MXCSR and nowhere else the C half changes: 32 moves instead of an XSAVEC/XRSTOR pair, which \
   * costs some 70 ns here. Code built with AVX takes that path too while the CPU reports (XGETBV \
   * 1) no upper YMM/ZMM halves and no opmasks in use. Not the x87 stack, which the interrupted \
   * code may also hold values on (long doubles): the runtime's own code has no x87 instructions \
   * (test/toolchain/store-hook.test.ts checks), and around the one foreign code it can run, the \
   * host's flush, events.c saves the x87 state itself. */ \
  CHECK \
  "\tsubq $272, %rsp\n" \
  "\tandq $-16, %rsp\n" \
  "\tmovaps %xmm0, 0(%rsp)\n" \
  "\tmovaps %xmm1, 16(%rsp)\n" \
  "\tmovaps %xmm2, 32(%rsp)\n" \
  "\tmovaps %xmm3, 48(%rsp)\n" \
  "\tmovaps %xmm4, 64(%rsp)\n" \
  "\tmovaps %xmm5, 80(%rsp)\n" \
  "\tmovaps %xmm6, 96(%rsp)\n" \
  "\tmovaps %xmm7, 112(%rsp)\n" \
  "\tmovaps %xmm8, 128(%rsp)\n" \
  "\tmovaps %xmm9, 144(%rsp)\n" \
  "\tmovaps %xmm10, 160(%rsp)\n" \
  "\tmovaps %xmm11, 176(%rsp)\n" \
  "\tmovaps %xmm12, 192(%rsp)\n" \
  "\tmovaps %xmm13, 208(%rsp)\n" \
  "\tmovaps %xmm14, 224(%rsp)\n" \
  "\tmovaps %xmm15, 240(%rsp)\n" \
  "\tstmxcsr 256(%rsp)\n"  /* the status flags: a flush can run host code that raises some */ \
  ARGS \
  "\tcall " SLOW "\n" \
  "\tmovaps 0(%rsp), %xmm0\n" \
  "\tmovaps 16(%rsp), %xmm1\n" \
  "\tmovaps 32(%rsp), %xmm2\n" \
  "\tmovaps 48(%rsp), %xmm3\n" \
  "\tmovaps 64(%rsp), %xmm4\n" \
  "\tmovaps 80(%rsp), %xmm5\n" \
  "\tmovaps 96(%rsp), %xmm6\n" \
  "\tmovaps 112(%rsp), %xmm7\n" \
  "\tmovaps 128(%rsp), %xmm8\n" \
  "\tmovaps 144(%rsp), %xmm9\n" \
  "\tmovaps 160(%rsp), %xmm10\n" \
  "\tmovaps 176(%rsp), %xmm11\n" \
  "\tmovaps 192(%rsp), %xmm12\n" \
  "\tmovaps 208(%rsp), %xmm13\n" \
  "\tmovaps 224(%rsp), %xmm14\n" \
  "\tmovaps 240(%rsp), %xmm15\n" \
  "\tldmxcsr 256(%rsp)\n" \
  "\tjmp 3f\n" \
  "6:\n" \
  "\tmovq __wbrt_xsave_size(%rip), %rax\n" \
  "\ttestq %rax, %rax\n" \
  "\tjz 2f\n" \
  "\tsubq %rax, %rsp\n" \
  "\tandq $-64, %rsp\n" \
  /* XRSTOR faults on non-zero reserved bytes in the XSAVE header, which XSAVE(C) leaves as it \
   * finds them (XSAVE also leaves XCOMP_BV). */ \
  "\txorl %edx, %edx\n" \
  "\tmovq %rdx, 512(%rsp)\n" \
  "\tmovq %rdx, 520(%rsp)\n" \
  "\tmovq %rdx, 528(%rsp)\n" \
  "\tmovq %rdx, 536(%rsp)\n" \
  "\tmovq %rdx, 544(%rsp)\n" \
  "\tmovq %rdx, 552(%rsp)\n" \
  "\tmovq %rdx, 560(%rsp)\n" \
  "\tmovq %rdx, 568(%rsp)\n" \
  "\tmovl __wbrt_xsave_mask(%rip), %eax\n" \
  "\tandl $0xfe, %eax\n"                  /* not x87 (see above) */ \
  "\tcmpb $0, __wbrt_xsavec(%rip)\n" \
  "\tje 4f\n" \
  "\txsavec64 (%rsp)\n" \
  "\tjmp 5f\n" \
  "4:\n" \
  "\txsave64 (%rsp)\n" \
  "5:\n" \
  ARGS \
  "\tcall " SLOW "\n" \
  "\tmovl __wbrt_xsave_mask(%rip), %eax\n" \
  "\tandl $0xfe, %eax\n"                  /* not x87 (see above) */ \
  "\txorl %edx, %edx\n" \
  "\txrstor64 (%rsp)\n" \
  "\tjmp 3f\n" \
  "2:\n" \
  "\tsubq $512, %rsp\n" \
  "\tandq $-64, %rsp\n" \
  "\tfxsave64 (%rsp)\n" \
  ARGS \
  "\tcall " SLOW "\n" \
  "\tfxrstor64 (%rsp)\n" \
  "3:\n" \
  "\tleaq -48(%rbp), %rsp\n" \
  "\tpopq %r11\n" \
  "\tpopq %r10\n" \
  "\tpopq %r9\n" \
  "\tpopq %r8\n" \
  "\tpopq %rdi\n" \
  "\tpopq %rsi\n" \
  "\tpopq %rbp\n" \
  "\t.cfi_def_cfa %rsp, " HOOK_S(HOOK_PUSHED3(WB_ABI_STUB_FRAME)) "\n" \
  "\t.cfi_restore %rbp\n" \
  "\tpopq %rdx\n" \
  "\t.cfi_adjust_cfa_offset -8\n" \
  "\tpopq %rcx\n" \
  "\t.cfi_adjust_cfa_offset -8\n" \
  "\tpopq %rax\n" \
  "\t.cfi_adjust_cfa_offset -8\n" \
  "\tret\n" \
  "\t.cfi_endproc\n" \
  "\t.size " NAME ", .-" NAME "\n"

/* Code built without AVX holds nothing in the upper YMM/ZMM halves, ZMM16-31 or the opmasks (and
 * its callers, the ABI making every vector register caller-saved, hold nothing there across the
 * call into it), which the C half's libc calls may change (glibc's EVEX string functions use
 * ZMM16-31 and k registers, so XGETBV 1 reports them in use from start-up on): the XMM registers
 * and MXCSR are all it saves. */
#define WB_AVX_CHECK                                                                            \
  "\tcmpb $0, __wbrt_xinuse(%rip)\n"                                                             \
  "\tje 6f\n"                                                                                    \
  "\tmovl $1, %ecx\n"                                                                            \
  "\txgetbv\n"                                                                                   \
  "\ttestl $0xec, %eax\n" /* AVX, opmask, ZMM_Hi256, Hi16_ZMM, MPX */                            \
  "\tjnz 6f\n"
/* (slot, new value) */
#define WB_STORE_ARGS                                                                           \
  "\tmovq " HOOK_S(HOOK_RBP(WB_ABI_STUB_SLOT)) "(%rbp), %rdi\n"                                 \
  "\tmovq " HOOK_S(HOOK_RBP(WB_ABI_STUB_VALUE)) "(%rbp), %rsi\n"
/* (destination, source, size) */
#define WB_RANGE_ARGS                                                                           \
  WB_STORE_ARGS "\tmovq " HOOK_S(HOOK_RBP(WB_ABI_STUB_SIZE)) "(%rbp), %rdx\n"

__asm__(WB_HOOK(WB_ABI_STORE_HOOK, WB_STORE_PREFILTER, "__wbrt_store_hook_filter",
                "__wbrt_store_hook_slow", WB_STORE_ARGS, ""));
/* Code built with AVX may hold values in all of it: XSAVE(C) when any of it is in use. */
__asm__(WB_HOOK(WB_ABI_STORE_HOOK_AVX, WB_STORE_PREFILTER, "__wbrt_store_hook_filter",
                "__wbrt_store_hook_slow", WB_STORE_ARGS, WB_AVX_CHECK));
/* Record assignments (`*p = *q` of a struct or union): past the asm test, the C filter looks at the
 * counted-slot bits of both ranges and at a stack source's words. */
__asm__(WB_HOOK(WB_ABI_RANGE_HOOK, WB_RANGE_PREFILTER, "__wbrt_range_hook_filter",
                "__wbrt_range_hook_slow", WB_RANGE_ARGS, ""));
__asm__(WB_HOOK(WB_ABI_RANGE_HOOK_AVX, WB_RANGE_PREFILTER, "__wbrt_range_hook_filter",
                "__wbrt_range_hook_slow", WB_RANGE_ARGS, WB_AVX_CHECK));

#else
__attribute__((visibility("hidden"))) void __wbrt_store_hook_init(void) {}
#endif
