/* The cc-wb barrier ABI as an instrumented unit sees it: the declarations of the runtime's entry
 * points that the pass's rewrites call, and the inline halves of the range operations. The rest
 * of the ABI (its version, constants, the x86-64 stub frame and asm templates) is in wb_abi.h,
 * which includes this file.
 *
 * The pass splices this file verbatim at the top of every instrumented translation unit, after
 * the preprocessor has run, so it must contain no preprocessor directives. Everything here is
 * spelled with reserved names (__wb_*) so it cannot collide with user code, and with GNU keywords
 * (__inline__, __typeof__) so it compiles under any -std=.
 *
 * A pointer store `L = R` becomes: evaluate &L and R once; if a host is active, report the slot
 * and the new value to the runtime; then the store. The portable form is
 * `if (__builtin_expect(__wb_active != 0, 0)) __wb_store_before(slot, new)`; on x86-64 the pass
 * emits one asm statement instead: two span tests inline, and a cold stub that calls
 * __wb_store_hook (wb_abi.h). A record assignment takes the same shapes with
 * __wb_range_assign_slow and __wb_range_hook. The inline test is the whole cost a program pays
 * when no host is attached.
 */

/* The ABI version (WB_ABI_VERSION in wb_abi.h): the runtime defines this symbol, and every unit
 * refers to it from data, never from code (no instruction in the unit uses the pointer). Hidden, so
 * the link that joins the unit with the runtime must resolve it, shared objects included: a
 * runtime of another version fails that link with this name. */
extern const unsigned char __wb_abi_version_5 __attribute__((__visibility__("hidden")));
static const unsigned char *const __wb_abi_version_ref __attribute__((__used__)) = &__wb_abi_version_5;

/* Slots are read and written through this type so a barrier on a `struct foo *` field does not
 * break strict-aliasing assumptions of the surrounding code. */
typedef void *__attribute__((__may_alias__)) __wb_word_t;
/* No predefined macros here: the prelude is compiled as already-preprocessed text. */
typedef __typeof__(sizeof 0) __wb_size_t;
typedef __wb_size_t __wb_uintptr_t; /* size_t is pointer-wide on every target we build for */

/* Non-zero once a host (or stress mode) has attached anything; goes from 0 to 1 once, before the
 * first HOST object exists, so while it is 0 no store can involve one. Hidden: the runtime is
 * linked as a static archive into the same executable or shared object as the code that reads
 * it, so -fPIC code reaches it directly instead of through the GOT (one load less per barrier). */
extern int __wb_active __attribute__((__visibility__("hidden")));
/* The address spans the x86-64 barriers test inline (wb_abi.h, "spans"), hidden like
 * __wb_active; empty while no host is active. */
extern __wb_uintptr_t __wb_spans[6] __attribute__((__visibility__("hidden")));

/* A pointer store, called just before it once __wb_active is set (the portable form): the runtime
 * reads the old value itself and tests two shadow bytes before doing anything else. */
void __wb_store_before(__wb_word_t *slot, void *new_value) __attribute__((__cold__));
/* A struct or union assignment, called before the copy once __wb_active is set, with the
 * destination and the source: the runtime kills the references being overwritten and counts the
 * ones being copied. */
void __wb_range_assign_slow(void *dst, const void *src, __wb_size_t n);

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

/* Whether a copy may change what the host counts once a host is active: only after some host
 * object has existed (its span, __wb_spans[3] = HOST_HI in wb_abi.h, is no longer empty); before
 * that no word anywhere refers to one and no slot is counted. */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) int
__wb_copy_may_count(void)
{
  return __wb_spans[3] != 0;
}
/* Whether overwriting [dst, dst + n) with no references may: only where it meets the SLOTS span
 * (__wb_spans[0] = SLOT_LO, [1] = SLOT_HI). */
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) int
__wb_clear_may_count(const void *dst, __wb_size_t n)
{
  __wb_uintptr_t d = (__wb_uintptr_t)dst;
  return d < __wb_spans[1] && d + n > __wb_spans[0];
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memcpy(void *dst, const void *src, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0) && __wb_copy_may_count()) __wb_memcpy_before(dst, src, n);
  return __builtin_memcpy(dst, src, n);
}
static __inline__ __attribute__((__always_inline__, __unused__, __no_instrument_function__)) void *
__wb_memmove(void *dst, const void *src, __wb_size_t n)
{
  if (__builtin_expect(__wb_active != 0, 0) && __wb_copy_may_count()) return __wb_memmove_slow(dst, src, n);
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
  if (__builtin_expect(__wb_active != 0, 0) && __wb_clear_may_count(dst, n)) __wb_memset_before(dst, n);
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
