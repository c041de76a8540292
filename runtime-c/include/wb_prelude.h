/* cc-wb barrier ABI, version 1.
 *
 * This file is spliced verbatim at the top of every instrumented translation unit (after the
 * preprocessor has run, so it must contain no preprocessor directives) and is #included by the
 * runtime itself. Everything here is spelled with reserved names (__wb_*) so it cannot collide
 * with user code, and with GNU keywords (__inline__, __typeof__) so it compiles under any -std=.
 *
 * The pass rewrites a pointer store `L = R` into: evaluate &L and R once; if a host is active
 * (`__builtin_expect(__wb_active != 0, 0)`), __wb_store_before(slot, new), a call to the runtime,
 * which reads the old value
 * and tests two shadow bytes before doing anything else; then the store. The __wb_active test is the whole cost a
 * program pays when no host is attached.
 *
 * On x86-64 the pass spells the same thing as one `asm inline` statement instead (the template is
 * x86StoreAsm in instrument/rewrite.ts): `cmpl $0, __wb_active(%rip); jne cold`, where the cold
 * stub in .text.unlikely.__wb_stubs passes the slot and the new value on the stack to __wb_store_hook
 * (runtime-c/src/store_hook.c; __wb_store_hook_avx in units built with AVX), which runs the same
 * filter and saves every register before it calls C. The compiler then sees no call and no
 * clobbered register at a store. Record assignments take the same shape (x86RangeAsm, calling
 * __wb_range_hook with the destination, the source and the size).
 */
enum { __wb_abi_version = 1 };

/* Slots are read and written through this type so a barrier on a `struct foo *` field does not
 * break strict-aliasing assumptions of the surrounding code. */
typedef void *__attribute__((__may_alias__)) __wb_word_t;
/* No predefined macros here: the prelude is compiled as already-preprocessed text. */
typedef __typeof__(sizeof 0) __wb_size_t;
typedef __wb_size_t __wb_uintptr_t; /* size_t is pointer-wide on every target we build for */

/* One shadow byte per 1 MiB granule of the 47-bit user address space (128 MiB of zero pages in
 * .bss, touched only where the host marks). Non-zero means "may hold HOST allocations"; the mask
 * folds any 64-bit value (old contents can be arbitrary bits) into range. */
enum { __wb_shadow_shift = 20, __wb_shadow_bits = 27 };
/* Hidden: the runtime is linked as a static archive into the same executable or shared object as
 * the code that reads these, so -fPIC code reaches them directly instead of through the GOT (one
 * load less per barrier). */
extern unsigned char __wb_shadow[] __attribute__((__visibility__("hidden")));
/* Non-zero once a host (or stress mode) has attached anything; gates the range operations. */
extern int __wb_active __attribute__((__visibility__("hidden")));

void __wb_store_slow(__wb_word_t *slot, void *old_value, void *new_value) __attribute__((__cold__));
void __wb_store_before(__wb_word_t *slot, void *new_value) __attribute__((__cold__));
void __wb_range_assign_slow(void *dst, const void *src, __wb_size_t n);

static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) int
__wb_shadow_hit(const void *p)
{
  /* A plain load: a relaxed atomic one stops gcc folding it into the `or` (one more instruction).
   * The host thread marking a granule while another thread stores is a race on a byte, which the
   * hardware we target reads whole; runtime-c/test/tsan.supp records it. */
  return __wb_shadow[((__wb_uintptr_t)p >> __wb_shadow_shift) &
                     (((__wb_uintptr_t)1 << __wb_shadow_bits) - 1)];
}

/* Reads a slot's value before a store. The empty asm hides where the slot is from the compiler's
 * flow analysis: the first store into a fresh local (`struct s st; st.p = q;`, address taken)
 * must not draw a "may be used uninitialized" warning the plain build never gave. */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_load_old(__wb_word_t *slot)
{
  __asm__("" : "+r"(slot));
  return *slot;
}

/* __wb_active goes from 0 to 1 once, before the host (or stress mode) marks its first granule, so
 * while it is 0 no store can involve a HOST object. The pass spells the test and the call out at
 * each store, `if (__builtin_expect(__wb_active != 0, 0)) __wb_store_before(slot, new); store`,
 * rather than through an inline wrapper: gcc's early inliner counts a wrapper call before it
 * inlines it, which changed its inlining of small user functions (GCC torture 990208-1). */

/* The first form of the ABI (old value read by the caller), kept for code built against it: called
 * just before the store, once __wb_active is set; the host acts on events only at safe points. The
 * shadow test that filters out stores touching no HOST object is out of line too: inlined at
 * every store it made the cold branch big enough to stop gcc inlining small functions of the
 * program (lua's prepCallInfo, precallC), which cost more with no host than the call costs
 * with one (spec-bench/results/analysis.md). */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void
__wb_note_store(__wb_word_t *slot, void *old_value, void *new_value)
{
  __wb_store_slow(slot, old_value, new_value);
}

/* Struct/union assignment: called *before* the copy with the destination and the source value,
 * so the runtime can kill the references being overwritten and count the ones being copied. */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void
__wb_note_range_assign(void *dst, const void *src, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0))
    __wb_range_assign_slow(dst, src, n);
}

/* Range operations. The inline part keeps libc's speed (a constant-size __builtin_memcpy still
 * becomes a few moves) while no host is attached; the _slow functions do the copy *and* the
 * accounting. The *_slow names are the runtime's; the inline names are what user code calls. */
void *__wb_memcpy_slow(void *dst, const void *src, __wb_size_t n);
void *__wb_memmove_slow(void *dst, const void *src, __wb_size_t n);
void *__wb_memset_slow(void *dst, int c, __wb_size_t n);
/* The accounting alone, before the caller's own builtin: memcpy and memset stay one builtin at
 * the join, which gcc can still merge with the stores around it (`memset(r, 0, sizeof *r);
 * r->type = ...` is a few moves, not a second copy of the memset in a branch). */
void __wb_memcpy_before(void *dst, const void *src, __wb_size_t n) __attribute__((__cold__));
void __wb_memset_before(void *dst, __wb_size_t n) __attribute__((__cold__));

static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memcpy(void *dst, const void *src, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0)) __wb_memcpy_before(dst, src, n);
  return __builtin_memcpy(dst, src, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memmove(void *dst, const void *src, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0)) return __wb_memmove_slow(dst, src, n);
  return __builtin_memmove(dst, src, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_mempcpy(void *dst, const void *src, __wb_size_t n)
{
  return (char *)__wb_memcpy(dst, src, n) + n;
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memset(void *dst, int c, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0)) __wb_memset_before(dst, n);
  return __builtin_memset(dst, c, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void
__wb_bzero(void *dst, __wb_size_t n)
{
  __wb_memset(dst, 0, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void
__wb_bcopy(const void *src, void *dst, __wb_size_t n)
{
  __wb_memmove(dst, src, n);
}
/* `memcpy(&x, p, n)` into an arithmetic object x, with room = sizeof x. A constant n within x makes
 * the copy no more a pointer store than `x = ...` (which has no barrier), and it stays the builtin:
 * one load in the hot loops of compressors. Anything else (n too big: it also overwrites what
 * follows x, pointers included; n unknown) takes the accounted path. */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memcpy_into(void *dst, const void *src, __wb_size_t n, __wb_size_t room)
{
  if (__builtin_constant_p(n <= room) && n <= room) return __builtin_memcpy(dst, src, n);
  return __wb_memcpy(dst, src, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memmove_into(void *dst, const void *src, __wb_size_t n, __wb_size_t room)
{
  if (__builtin_constant_p(n <= room) && n <= room) return __builtin_memmove(dst, src, n);
  return __wb_memmove(dst, src, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memset_into(void *dst, int c, __wb_size_t n, __wb_size_t room)
{
  if (__builtin_constant_p(n <= room) && n <= room) return __builtin_memset(dst, c, n);
  return __wb_memset(dst, c, n);
}
/* explicit_bzero must not be optimised away, so it always goes out of line. */
void __wb_explicit_bzero(void *dst, __wb_size_t n);
/* qsort permutes pointers inside uninstrumented libc: the runtime re-reads the range afterwards. */
void __wb_qsort(void *base, __wb_size_t nmemb, __wb_size_t size,
                int (*cmp)(const void *, const void *));

/* Allocation. The runtime needs to see every allocation made by instrumented code (to answer
 * "is this pointer ours, and where does its allocation start") and every free (to defer it while
 * the host holds the object). Pointers that come from uninstrumented code (strdup in libc,
 * getline, asprintf...) are "foreign": __wb_free hands them to libc's free unchanged. */
void *__wb_malloc(__wb_size_t n) __attribute__((__malloc__, __alloc_size__(1)));
void *__wb_calloc(__wb_size_t nmemb, __wb_size_t size) __attribute__((__malloc__, __alloc_size__(1, 2)));
void *__wb_realloc(void *p, __wb_size_t n) __attribute__((__alloc_size__(2)));
void *__wb_reallocarray(void *p, __wb_size_t nmemb, __wb_size_t size) __attribute__((__alloc_size__(2, 3)));
void *__wb_aligned_alloc(__wb_size_t alignment, __wb_size_t n) __attribute__((__malloc__, __alloc_size__(2)));
void *__wb_memalign(__wb_size_t alignment, __wb_size_t n) __attribute__((__malloc__, __alloc_size__(2)));
int __wb_posix_memalign(void **out, __wb_size_t alignment, __wb_size_t n);
void *__wb_valloc(__wb_size_t n) __attribute__((__malloc__, __alloc_size__(1)));
char *__wb_strdup(const char *s) __attribute__((__malloc__));
char *__wb_strndup(const char *s, __wb_size_t n) __attribute__((__malloc__));
void __wb_free(void *p);
/* getline/getdelim realloc the caller's buffer inside libc: the runtime re-registers it. The
 * stream is void * so the prelude needs no <stdio.h>; ptrdiff_t is spelled without macros. */
__typeof__((char *)0 - (char *)0) __wb_getline(char **lineptr, __wb_size_t *n, void *stream);
__typeof__((char *)0 - (char *)0) __wb_getdelim(char **lineptr, __wb_size_t *n, int delim, void *stream);
