/* One runtime per process (README, "Linking"): a program that is no instrumented code itself (a
 * host) loads instrumented shared libraries, each with its own active flag registered with
 * libwbrt.so. Flags follow the runtime's activation, whenever the library is loaded; stores through
 * a library's hook forwarder reach the runtime; objects made by one library are the other's too. */
#define _GNU_SOURCE 1
#define T_HOST_ONLY 1
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include "t.h"

typedef struct {
  void *handle;
  int *seen_at_load;
  int (*active)(void);
  const uintptr_t *(*spans)(void);
  void **(*new_slot)(void);
  void (*store)(void **, void *);
  void (*free)(void *);
} dso;

static char dir[PATH_MAX];

static dso open_dso(const char *name)
{
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  dso d = { 0 };
  d.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (d.handle == NULL) {
    fprintf(stderr, "%s\n", dlerror());
    exit(2);
  }
  d.seen_at_load = dlsym(d.handle, "dso_seen_at_load");
  *(void **)&d.active = dlsym(d.handle, "dso_active");
  *(void **)&d.spans = dlsym(d.handle, "dso_spans");
  *(void **)&d.new_slot = dlsym(d.handle, "dso_new_slot");
  *(void **)&d.store = dlsym(d.handle, "dso_store");
  *(void **)&d.free = dlsym(d.handle, "dso_free");
  return d;
}

static uint64_t counted(void)
{
  wb_stats s;
  wb_get_stats(&s, sizeof s);
  return s.counted_stores;
}

static void flush(void *ctx) { (void)ctx; }

/* Whether p lies in a library's copy of the SLOTS span (k = 0) or the HOST span (k = 2). */
static int in_span(const dso *d, int k, const void *p)
{
  const uintptr_t *w = d->spans();
  return (uintptr_t)p >= w[k] && (uintptr_t)p < w[k + 1];
}

int main(int argc, char **argv)
{
  (void)argc;
  snprintf(dir, sizeof dir, "%s", dirname(argv[0]));
  dso a = open_dso("dso_a.so");
  CHECK_EQ(*a.seen_at_load, 0);
  CHECK_EQ(a.active(), 0);
  void **slot_a = a.new_slot();
  a.store(slot_a, slot_a);                   /* no host: the inline test only */
  CHECK_EQ(counted(), 0);

  wb_host_register(flush, NULL);
  void *obj = wb_host_alloc(64, 16, 0);     /* the first HOST object activates the runtime */
  CHECK(obj != NULL);
  CHECK_EQ(a.active(), 1);
  CHECK(in_span(&a, 2, obj));                 /* the runtime widened the library's copy too */
  CHECK_EQ(a.spans()[0], UINTPTR_MAX);       /* no counted slot yet */

  /* A library loaded after activation finds its flag set before its own constructors run. */
  dso b = open_dso("dso_b.so");
  CHECK_EQ(*b.seen_at_load, 1);
  CHECK_EQ(b.active(), 1);
  CHECK(in_span(&b, 2, obj));                 /* set when it registered */

  /* Stores in either library reach the one runtime through the forwarders: a slot one library
   * allocated, written by the other, counted once each. */
  uint64_t before = counted();
  a.store(slot_a, obj);
  CHECK_EQ(counted(), before + 1);
  CHECK(in_span(&a, 0, slot_a));              /* slot_a is counted now: both copies widened */
  CHECK(in_span(&b, 0, slot_a));
  CHECK_EQ(memcmp(a.spans(), b.spans(), 5 * sizeof(uintptr_t)), 0);
  b.store(slot_a, NULL);
  CHECK_EQ(counted(), before + 2);
  wb_info info;
  CHECK_EQ(wb_query(slot_a, &info), WB_KIND_HEAP);   /* made by a, known to the runtime b uses */
  b.free(slot_a);
  CHECK_EQ(wb_query(slot_a, &info), WB_KIND_FOREIGN);

  /* Unloading unregisters: the runtime keeps no pointer into an unmapped library, and one loaded
   * again registers again. */
  dlclose(a.handle);
  dlclose(b.handle);
  dso again = open_dso("dso_a.so");
  CHECK_EQ(*again.seen_at_load, 1);
  void **slot = again.new_slot();
  before = counted();
  again.store(slot, obj);
  CHECK_EQ(counted(), before + 1);
  again.store(slot, NULL);
  again.free(slot);
  dlclose(again.handle);
  T_DONE();
}
