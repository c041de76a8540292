/* cc-wb host API, version 1: what the TypeScript host (runtime-ts, through koffi) calls in a
 * library linked with libwbrt. All functions are safe to call with any pointer value: stack,
 * static, freed, unmapped or foreign memory is answered as "foreign", never dereferenced.
 *
 * Threads: the thread that calls wb_host_register is "the host thread". Only it receives the
 * flush callback. Events appended by any thread are kept until drained (nothing is lost); the
 * drain side (wb_drain) must be called from one thread at a time.
 *
 * Safe points: wb_detach may free memory, so the host calls it only when no native frame of
 * this library is active (DESIGN.md, "Safe points"). Everything else may be called any time.
 */
#ifndef WB_HOST_H
#define WB_HOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { WB_HOST_API_VERSION = 1 };

/* Policy bits. Memory is released when both are clear. */
enum {
  WB_EXPLICIT = 1u,   /* C is expected to free() it (set by malloc & co.) */
  WB_HOST = 2u,       /* the host holds it */
};

/* wb_info.flags */
enum {
  WB_INFO_TRACKED = 1u,        /* the runtime keeps a record (attached now or before) */
  WB_INFO_C_FREED = 2u,        /* C has called free(); the release is deferred */
  WB_INFO_HOST_CREATED = 4u,   /* allocated by wb_host_alloc */
};

/* wb_query result. 32 bytes, no padding: u64 base, u64 size, u32 policy, u32 flags,
 * u32 type_id, u32 kind. */
enum { WB_KIND_FOREIGN = 0, WB_KIND_HEAP = 1 };
typedef struct wb_info {
  uint64_t base;      /* start of the allocation; 0 when foreign */
  uint64_t size;      /* requested size in bytes */
  uint32_t policy;    /* WB_EXPLICIT | WB_HOST */
  uint32_t flags;     /* WB_INFO_* */
  uint32_t type_id;   /* set by wb_host_alloc / wb_set_type, 0 otherwise */
  uint32_t kind;      /* WB_KIND_* */
} wb_info;

/* Error codes (negative returns). */
enum {
  WB_OK = 0,
  WB_EFOREIGN = -1,   /* not inside a live allocation made through the runtime */
  WB_ENOTBASE = -2,   /* an interior pointer where a base is required */
  WB_ESTATE = -3,     /* wrong state (detach of an object the host does not hold...) */
  WB_ENOMEM = -4,
};

/* ---- events --------------------------------------------------------------------------- */
/* The log is a sequence of fixed 32-byte records: u32 kind, u32 origin, u64 a, u64 b, u64 c
 * (little-endian, naturally aligned: a Uint32Array view reads kind at [8i], origin at [8i+1],
 * a as [8i+2] + [8i+3] * 2^32, and so on). Addresses are below 2^47, exact as JS numbers. */
enum {
  WB_EV_REF = 1,      /* slot a now refers to HOST object c (0: none). b is 0 when the slot held
                         no counted reference; otherwise the HOST object its old value lies in
                         (0: none), which is the object counted for it unless the program
                         advanced the pointer past its object's end (p++ and p += n carry no
                         barrier): key counts by slot and take b as a hint. A counted slot is
                         always reported, even with b == c. */
  WB_EV_MOVE = 2,     /* HOST object a moved to b (realloc); c = new size. Its policies, type
                         and outgoing references moved with it (REF events follow for them). */
  WB_EV_CFREE = 3,    /* C called free() on HOST object a: EXPLICIT is clear; the memory stays
                         until the host detaches. */
};
/* Which operation produced an event (diagnostics only). */
enum {
  WB_ORIGIN_STORE = 1, WB_ORIGIN_RANGE_ASSIGN, WB_ORIGIN_MEMCPY, WB_ORIGIN_MEMMOVE,
  WB_ORIGIN_MEMSET, WB_ORIGIN_FREE, WB_ORIGIN_REALLOC, WB_ORIGIN_QSORT, WB_ORIGIN_RELEASE,
  WB_ORIGIN_HOST,
};
typedef struct wb_event {
  uint32_t kind;
  uint32_t origin;
  uint64_t a, b, c;
} wb_event;

/* Called on the host thread when a log chunk fills (4096 events). It should call wb_drain until
 * it returns 0 and account the events; it must not release memory (not a safe point). It is
 * never called re-entrantly. */
typedef void (*wb_flush_fn)(void *ctx);

/* Makes the calling thread the host thread, enables the event log and the range accounting.
 * fn may be NULL (events then accumulate until drained). Returns WB_OK, or WB_ESTATE when
 * stress mode (WB_STRESS=1) already owns the log. */
int wb_host_register(wb_flush_fn fn, void *ctx);
/* Stops logging; pending events are discarded. Objects keep their policies. */
void wb_host_unregister(void);

/* Takes the oldest batch of events: *out points to n records that stay valid until the next
 * wb_drain call. Returns 0 when the log is empty. */
size_t wb_drain(const wb_event **out);
/* A word that is non-zero whenever wb_drain may return events, so a host can skip the call
 * (read it through a zero-copy view). It may be non-zero while the log is empty. */
const volatile uint32_t *wb_log_hint(void);

/* ---- objects -------------------------------------------------------------------------- */
/* Fills *out for the allocation containing p (interior pointers resolve to the base) and
 * returns its kind; a foreign pointer gives WB_KIND_FOREIGN and a zeroed *out. */
int wb_query(const void *p, wb_info *out);
/* Sets HOST on the allocation containing p. Returns the base as an integer, or a negative
 * error code. Attaching twice is allowed (idempotent). */
intptr_t wb_attach(const void *p);
/* Clears HOST on the object at base. If no policy remains (C already freed it, or the host
 * created or adopted it), the memory is released now: call at safe points only. Returns 1 if
 * the memory was released, 0 if C still owns it, or a negative error code. */
int wb_detach(const void *base);
/* The host takes over C's duty to free: clears EXPLICIT, sets HOST. C must not free it after
 * this (a later free() is tolerated once, as for host-created objects). */
intptr_t wb_adopt(const void *p);
/* Allocates a zeroed object owned by the host (policies = HOST). align is a power of two
 * (0 means the malloc alignment). Returns NULL on failure. */
void *wb_host_alloc(size_t size, size_t align, uint32_t type_id);
/* Records a type id for the host's own use. */
int wb_set_type(const void *base, uint32_t type_id);
/* Stores value into the pointer slot with the same accounting as an instrumented C store
 * (for the host's pointer-field writes). */
void wb_store_ptr(void **slot, void *value);

/* ---- batches (for hosts that pay per call: a JavaScript host through koffi) ---------------- */
/* Addresses travel as IEEE doubles, the natural element type of a JavaScript host's arrays: every
 * user-space address is below 2^47, so the conversion is exact both ways. */

/* wb_attach and wb_query in one call: attaches the allocation containing p and fills *out with
 * its state after the attach (policy has WB_HOST). Returns WB_KIND_HEAP, WB_KIND_FOREIGN (*out
 * zeroed, nothing attached) or a negative error code. */
int wb_attach_info(const void *p, wb_info *out);
/* wb_detach of each bases[i], in order; results[i] (if results is not NULL) gets its return
 * value. Call at safe points only. Returns how many allocations were released. A released
 * object's counted slots die with it, and as for any kill, a REF event reports one only if its
 * target is still HOST: references among objects released together that point to an object
 * released earlier in the batch are not reported (the host, which chose the batch, drops them). */
size_t wb_detach_many(const double *bases, size_t n, int32_t *results);
/* bases[i] = base of the live allocation of the runtime containing addrs[i], or 0 (foreign).
 * The host's cycle collector uses it to find which object holds each counted slot. */
void wb_resolve_many(const double *addrs, double *bases, size_t n);

/* ---- statistics ----------------------------------------------------------------------- */
/* 30 u64 counters. slow_stores, counted_stores, range_ops and range_words are indicative (kept
 * without locked instructions, concurrent increments may be lost); the others are exact. */
typedef struct wb_stats {
  uint64_t version;            /* WB_HOST_API_VERSION */
  uint64_t mallocs, frees;     /* only with a -DWB_STATS=1 build, 0 otherwise */
  uint64_t foreign_frees;      /* frees handed unchanged to libc (not ours) */
  uint64_t tracked;            /* live records (attached now or earlier, host-created) */
  uint64_t host_objects;       /* live objects with HOST set */
  uint64_t deferred;           /* HOST objects C has freed, waiting for the host */
  uint64_t attaches, detaches, adopts, host_allocs, releases, moves;
  uint64_t slow_stores;        /* stores that passed the shadow filter */
  uint64_t counted_stores;     /* ... that produced an event */
  uint64_t range_ops;          /* range operations that had to look at their range */
  uint64_t range_words;        /* words those scanned */
  uint64_t events, events_drained, flushes, log_chunks;
  uint64_t events_lost;        /* appends dropped because no log chunk could be allocated */
  uint64_t misuse;             /* total misuse reports */
  uint64_t double_frees, invalid_frees, frees_after_release, reallocs_after_free;
  uint64_t quarantined;        /* objects currently held in quarantine */
  uint64_t stress_refs;        /* null host: REF events accounted */
  uint64_t stress_released;    /* null host: objects released */
} wb_stats;
/* Copies min(size, sizeof(wb_stats)) bytes of the current statistics into out. */
void wb_get_stats(wb_stats *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif
