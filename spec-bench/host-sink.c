/* The host of spec-bench's wb-hosted configuration: a shared object LD_PRELOADed into a program
 * built by cc-wb (the wb build, unchanged) that attaches to the program's runtime the way the
 * TypeScript host does, before main runs:
 *
 *   - wb_host_register(flush, ...) makes the main thread the host thread and turns the barriers'
 *     active path on (__wb_active = 1: every pointer store takes the out-of-line hook and its
 *     shadow test, every free asks whether the host holds the object, memcpy & co. go through
 *     the accounted paths, the event log is on);
 *   - wb_host_alloc creates WB_HOST_SINK_OBJECTS small host-owned objects (default 0), which the
 *     host holds for the whole run, as a host holding a few records would;
 *   - the flush callback drains the event log into a counting sink (what the TypeScript host does
 *     minus its JavaScript accounting), and so does an atexit handler.
 *
 * A static executable does not export the runtime's host API, so the functions are found in the
 * executable's own symbol table (its file, .symtab: the bench builds are not stripped) and
 * relocated by its load address. Anything missing is fatal: a run of this configuration either
 * has a host attached or fails with a message, never silently measures the unhosted program.
 *
 * WB_HOST_SINK_SKIP_OTHERS=1 leaves a program without the runtime alone instead (for profiles under
 * valgrind, whose launcher is a program too).
 *
 * WB_HOST_SINK_REPORT=FILE appends one JSON line per process at exit: the events drained and the
 * runtime's counters that show the active path ran (slow_stores, range_ops, ...). */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* From runtime-c/include/wb_host.h (host API version 1), declared here so that this file builds
 * on its own: only the layouts it reads. */
typedef struct sink_event { uint32_t kind, origin; uint64_t a, b, c; } sink_event;
typedef void (*sink_flush_fn)(void *ctx);
enum { SINK_STATS_WORDS = 30 };
static const char *const stat_names[SINK_STATS_WORDS] = {
  "version", "mallocs", "frees", "foreign_frees", "tracked", "host_objects", "deferred",
  "attaches", "detaches", "adopts", "host_allocs", "releases", "moves", "slow_stores",
  "counted_stores", "range_ops", "range_words", "events", "events_drained", "flushes",
  "log_chunks", "events_lost", "misuse", "double_frees", "invalid_frees",
  "frees_after_release", "reallocs_after_free", "quarantined", "stress_refs", "stress_released",
};

static int (*host_register)(sink_flush_fn, void *);
static size_t (*drain)(const sink_event **);
static void *(*host_alloc)(size_t, size_t, uint32_t);
static void (*get_stats)(uint64_t *, size_t);

static uint64_t drained, refs, frees, flushes;
static void **held;
static unsigned long nheld;

static void die(const char *what)
{
  fprintf(stderr, "spec-bench host sink: %s\n", what);
  _exit(99);
}

static int skip_others(void)
{
  const char *v = getenv("WB_HOST_SINK_SKIP_OTHERS");
  return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

/* A program this host cannot attach to: fatal, unless WB_HOST_SINK_SKIP_OTHERS says to leave it be. */
static int not_ours(const char *what)
{
  if (skip_others()) return 0;
  die(what);
  return 0;
}

static int first_object(struct dl_phdr_info *info, size_t size, void *out)
{
  (void)size;
  *(uintptr_t *)out = info->dlpi_addr; /* the first object is the executable */
  return 1;
}

/* Resolves the host API from the executable's symbol table; returns 0 when it is not there and
 * WB_HOST_SINK_SKIP_OTHERS is set (a profile runs the program under valgrind, whose launcher loads
 * this object too), and otherwise dies. */
static int resolve(void)
{
  /* The file the program was started from: AT_EXECFN rather than /proc/self/exe, which under
   * valgrind is the tool, not the program (the profiles run the hosted programs under callgrind). */
  const char *exe = (const char *)getauxval(AT_EXECFN);
  int fd = exe ? open(exe, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return not_ours("cannot open the program's file");
  const unsigned char *f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (f == MAP_FAILED) return not_ours("cannot map the program's file");
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
  if ((size_t)st.st_size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) {
    munmap((void *)f, (size_t)st.st_size);
    return not_ours("the program's file is not a 64-bit ELF file");
  }
  const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
  uintptr_t base = 0;
  dl_iterate_phdr(first_object, &base);
  struct { const char *name; void **slot; } want[] = {
    { "wb_host_register", (void **)&host_register },
    { "wb_drain", (void **)&drain },
    { "wb_host_alloc", (void **)&host_alloc },
    { "wb_get_stats", (void **)&get_stats },
  };
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_type != SHT_SYMTAB) continue;
    const Elf64_Sym *sym = (const Elf64_Sym *)(f + sh[i].sh_offset);
    const char *str = (const char *)(f + sh[sh[i].sh_link].sh_offset);
    size_t n = sh[i].sh_size / sizeof *sym;
    for (size_t k = 0; k < n; k++) {
      if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || sym[k].st_shndx == SHN_UNDEF) continue;
      for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
        if (strcmp(str + sym[k].st_name, want[w].name) == 0) *want[w].slot = (void *)(base + sym[k].st_value);
    }
  }
  munmap((void *)f, (size_t)st.st_size);
  for (size_t w = 0; w < sizeof want / sizeof want[0]; w++)
    if (*want[w].slot == NULL) {
      if (skip_others()) return 0;
      fprintf(stderr, "spec-bench host sink: %s not in the symbol table of %s\n", want[w].name, exe ? exe : "/proc/self/exe");
      die("the program is not linked with cc-wb's runtime, or it is stripped");
    }
  return 1;
}

/* The host's drain, minus the JavaScript: read every event, count what a host would account. */
static void flush(void *ctx)
{
  (void)ctx;
  const sink_event *ev;
  size_t n;
  flushes++;
  while ((n = drain(&ev)) > 0) {
    drained += n;
    for (size_t i = 0; i < n; i++) {
      if (ev[i].kind == 1) refs++;
      else if (ev[i].kind == 3) frees++;
    }
  }
}

/* The report is formatted into a static buffer and written with one write(2): stdio would allocate
 * its FILE and buffer at exit, and a 4 KiB malloc after the program freed its heap makes glibc
 * consolidate every free chunk (72 M instructions at the end of lua's workload, charged to the
 * hosted run though the program has nothing to do with it). */
static char report[4096];

static void at_exit(void)
{
  flush(NULL);
  const char *path = getenv("WB_HOST_SINK_REPORT");
  if (path == NULL || *path == '\0') return;
  uint64_t s[SINK_STATS_WORDS] = { 0 };
  get_stats(s, sizeof s);
  size_t n = 0;
  n += (size_t)snprintf(report + n, sizeof report - n,
                        "{\"pid\":%ld,\"held\":%lu,\"drained\":%llu,\"refs\":%llu,\"cfrees\":%llu,\"flushes\":%llu,\"runtime\":{",
                        (long)getpid(), nheld, (unsigned long long)drained, (unsigned long long)refs,
                        (unsigned long long)frees, (unsigned long long)flushes);
  for (int i = 0; i < SINK_STATS_WORDS && n < sizeof report; i++)
    n += (size_t)snprintf(report + n, sizeof report - n, "%s\"%s\":%llu", i ? "," : "", stat_names[i], (unsigned long long)s[i]);
  if (n < sizeof report) n += (size_t)snprintf(report + n, sizeof report - n, "}}\n");
  if (n >= sizeof report) return; /* cannot happen: 30 counters fit */
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (write(fd, report, n) != (ssize_t)n) {
    /* the runner notices a missing or short report */
  }
  close(fd);
}

__attribute__((constructor)) static void attach(void)
{
  if (!resolve()) return;
  if (host_register(flush, NULL) != 0) die("wb_host_register refused (WB_STRESS set?)");
  const char *n = getenv("WB_HOST_SINK_OBJECTS");
  nheld = n ? strtoul(n, NULL, 10) : 0;
  if (nheld) {
    held = calloc(nheld, sizeof *held);
    if (held == NULL) die("out of memory");
    for (unsigned long i = 0; i < nheld; i++)
      if ((held[i] = host_alloc(48 + 16 * (i % 4), 0, 1)) == NULL) die("wb_host_alloc failed");
  }
  atexit(at_exit);
}
