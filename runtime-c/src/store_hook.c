/* x86-64: the cold half of the pointer store barrier as the pass emits it there (one inline asm
 * statement, see wb_prelude.h). The inline part tests __wb_active and, once a host is active,
 * jumps to a stub in .text.unlikely that pushes the slot, the new value and the address to come
 * back to, then jumps here. Nothing is clobbered but the flags: the compiler sees a two-
 * instruction asm that calls nothing, so the barrier costs the surrounding code no registers,
 * no spills and no inlining budget. In exchange this code saves what it touches, and before it
 * calls C, everything the C calling convention lets a callee clobber (general registers and the
 * whole extended state, by XSAVE).
 *
 * Stack on entry (set up by the stub, see the template in instrument/rewrite.ts):
 *   0(%rsp)  the address after the inline test: where `ret` goes back to
 *   8(%rsp)  the slot
 *  16(%rsp)  the new value
 *  24(%rsp)  scratch (the stub kept %rax there)
 *  32..160   untouched: the interrupted function's red zone starts at 160(%rsp)
 * `ret $152` pops all of it. The CFI below says so, so debuggers and profilers unwind from the
 * runtime into the instrumented function. */
/* Self-contained (no internal.h): the pass's tests link it into their stand-in runtime. */
#if defined(__x86_64__) && !defined(__ILP32__)
#include <cpuid.h>

/* Bytes XSAVE needs for the state components the OS enabled (CPUID leaf 0xD), or 0 where XSAVE
 * is unavailable and FXSAVE's 512 bytes are used instead. Set before __wb_active can become 1
 * (wb_activate calls __wbrt_store_hook_init), read only by the slow path. */
__attribute__((visibility("hidden"))) unsigned long __wbrt_xsave_size;

__attribute__((visibility("hidden"))) void __wbrt_store_hook_init(void)
{
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return;
  if (__get_cpuid_max(0, 0) < 0xD) return;
  __cpuid_count(0xD, 0, a, b, c, d);
  if (b >= 576) __wbrt_xsave_size = b;
}

/* The C half (barrier.c), called with everything saved: __wbrt_store_hook_slow(slot, new). */
__asm__(
  "\t.text\n"
  "\t.globl __wb_store_hook\n"
  "\t.hidden __wb_store_hook\n"
  "\t.type __wb_store_hook, @function\n"
  "\t.p2align 4\n"
  "__wb_store_hook:\n"
  "\t.cfi_startproc\n"
  "\t.cfi_def_cfa_offset 160\n"
  "\t.cfi_offset %rip, -160\n"
  "\tpushq %rax\n"
  "\t.cfi_adjust_cfa_offset 8\n"
  "\tpushq %rcx\n"
  "\t.cfi_adjust_cfa_offset 8\n"
  "\tpushq %rdx\n"
  "\t.cfi_adjust_cfa_offset 8\n"
  /* The filter of __wb_store_before: the old and the new value's shadow bytes. */
  "\tmovq 32(%rsp), %rax\n"              /* slot */
  "\tmovq (%rax), %rax\n"                /* old value */
  "\tmovq 40(%rsp), %rcx\n"              /* new value */
  "\tshrq $20, %rax\n"
  "\tandl $0x7ffffff, %eax\n"
  "\tshrq $20, %rcx\n"
  "\tandl $0x7ffffff, %ecx\n"
  "\tleaq __wb_shadow(%rip), %rdx\n"
  "\tmovzbl (%rdx,%rax), %eax\n"
  "\torb (%rdx,%rcx), %al\n"
  "\tjnz 1f\n"
  "\tpopq %rdx\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tpopq %rcx\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tpopq %rax\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tret $152\n"
  "1:\n"
  "\t.cfi_adjust_cfa_offset 24\n"
  "\tpushq %rbp\n"
  "\t.cfi_adjust_cfa_offset 8\n"
  "\t.cfi_rel_offset %rbp, 0\n"
  "\tmovq %rsp, %rbp\n"
  "\t.cfi_def_cfa_register %rbp\n"
  "\tpushq %rsi\n"
  "\tpushq %rdi\n"
  "\tpushq %r8\n"
  "\tpushq %r9\n"
  "\tpushq %r10\n"
  "\tpushq %r11\n"
  "\tmovq __wbrt_xsave_size(%rip), %rax\n"
  "\ttestq %rax, %rax\n"
  "\tjz 2f\n"
  "\tsubq %rax, %rsp\n"
  "\tandq $-64, %rsp\n"
  /* XRSTOR faults on non-zero reserved bytes in the XSAVE header, which XSAVE leaves as it
   * finds them. */
  "\txorl %eax, %eax\n"
  "\tmovq %rax, 512(%rsp)\n"
  "\tmovq %rax, 520(%rsp)\n"
  "\tmovq %rax, 528(%rsp)\n"
  "\tmovq %rax, 536(%rsp)\n"
  "\tmovq %rax, 544(%rsp)\n"
  "\tmovq %rax, 552(%rsp)\n"
  "\tmovq %rax, 560(%rsp)\n"
  "\tmovq %rax, 568(%rsp)\n"
  "\tmovl $-1, %eax\n"
  "\tmovl $-1, %edx\n"
  "\txsave64 (%rsp)\n"
  "\tmovq 40(%rbp), %rdi\n"
  "\tmovq 48(%rbp), %rsi\n"
  "\tcall __wbrt_store_hook_slow\n"
  "\tmovl $-1, %eax\n"
  "\tmovl $-1, %edx\n"
  "\txrstor64 (%rsp)\n"
  "\tjmp 3f\n"
  "2:\n"
  "\tsubq $512, %rsp\n"
  "\tandq $-64, %rsp\n"
  "\tfxsave64 (%rsp)\n"
  "\tmovq 40(%rbp), %rdi\n"
  "\tmovq 48(%rbp), %rsi\n"
  "\tcall __wbrt_store_hook_slow\n"
  "\tfxrstor64 (%rsp)\n"
  "3:\n"
  "\tleaq -48(%rbp), %rsp\n"
  "\tpopq %r11\n"
  "\tpopq %r10\n"
  "\tpopq %r9\n"
  "\tpopq %r8\n"
  "\tpopq %rdi\n"
  "\tpopq %rsi\n"
  "\tpopq %rbp\n"
  "\t.cfi_def_cfa %rsp, 184\n"
  "\t.cfi_restore %rbp\n"
  "\tpopq %rdx\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tpopq %rcx\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tpopq %rax\n"
  "\t.cfi_adjust_cfa_offset -8\n"
  "\tret $152\n"
  "\t.cfi_endproc\n"
  "\t.size __wb_store_hook, .-__wb_store_hook\n");

#else
__attribute__((visibility("hidden"))) void __wbrt_store_hook_init(void) {}
#endif
