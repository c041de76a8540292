/* Misuse is reported (and counted), never handed to libc; WB_ABORT_ON_ERROR turns reports into
 * aborts. Runs its cases in child processes with the switches set. */
#include <signal.h>
#include <stdint.h>
#include "t.h"

static int static_obj[4];

static int child_main(const char *mode)
{
  wb_host_register(NULL, NULL);
  if (strcmp(mode, "interior") == 0) {
    char *p = __wb_malloc(64);
    strcpy(p, "still here");
    __wb_free(p + 16);
    CHECK_EQ(t_stats().invalid_frees, 1);
    CHECK(strcmp(p, "still here") == 0);
    wb_info in;
    CHECK_EQ(wb_query(p, &in), WB_KIND_HEAP);
    __wb_free(p);
    /* realloc of an interior pointer too. */
    char *q = __wb_malloc(64);
    CHECK(__wb_realloc(q + 8, 100) == NULL);
    CHECK_EQ(t_stats().invalid_frees, 2);
    __wb_free(q);
  } else if (strcmp(mode, "nonheap") == 0) {
    int local[4];
    int *volatile lp = local;
    __wb_free(lp);
    __wb_free(static_obj);
    __wb_free((char *)__wb_malloc(32) + 3);        /* misaligned: never a malloc result */
    CHECK_EQ(t_stats().invalid_frees, 3);
  } else if (strcmp(mode, "deferred") == 0) {
    char *p = __wb_malloc(32);
    wb_attach(p);
    __wb_free(p);
    __wb_free(p);                                   /* double free of a deferred object */
    CHECK_EQ(t_stats().double_frees, 1);
    CHECK(__wb_realloc(p, 64) == NULL);             /* realloc after free */
    CHECK_EQ(t_stats().reallocs_after_free, 1);
    CHECK_EQ(wb_detach(p), 1);
  } else if (strcmp(mode, "released") == 0) {
    char *h = wb_host_alloc(40, 0, 0);
    CHECK_EQ(wb_detach(h), 1);
    __wb_free(h);                                   /* the host already released it */
    CHECK_EQ(t_stats().frees_after_release, 1);
  } else if (strcmp(mode, "double") == 0) {       /* run with WB_QUARANTINE */
    char *p = __wb_malloc(32);
    __wb_free(p);
    __wb_free(p);
    CHECK_EQ(t_stats().double_frees, 1);
    char *big = __wb_malloc(200000);
    __wb_free(big);
    __wb_free(big);
    CHECK_EQ(t_stats().double_frees, 2);
  } else if (strcmp(mode, "foreign") == 0) {      /* legitimate: no report */
    char *f = strdup("libc");
    __wb_free(f);
    CHECK_EQ(t_stats().misuse, 0);
    CHECK_EQ(t_stats().foreign_frees, 1);
  } else if (strcmp(mode, "abort") == 0) {        /* run with WB_ABORT_ON_ERROR */
    char *p = __wb_malloc(64);
    __wb_free(p + 8);
    return 0;                                       /* not reached */
  } else {
    return 2;
  }
  /* The heap still works after every report. */
  for (int i = 0; i < 1000; i++) __wb_free(__wb_malloc((size_t)i * 7));
  if (t_failures) T_DONE();
  return 0;
}

static void expect(const char *mode, char *const env[], int want_signal, const char *stderr_has)
{
  char err[4096];
  int st = t_child(mode, env, err, sizeof err);
  if (want_signal) {
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == want_signal);
  } else {
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  if (stderr_has) CHECK(strstr(err, stderr_has) != NULL);
  if (t_failures) fprintf(stderr, "--- %s stderr:\n%s\n", mode, err);
}

int main(int argc, char **argv)
{
  if (argc > 1) return child_main(argv[1]);
  char *plain[] = { NULL };
  char *quar[] = { "WB_QUARANTINE=64", NULL };
  char *abrt[] = { "WB_ABORT_ON_ERROR=1", NULL };
  char *quiet[] = { "WB_QUIET=1", NULL };
  expect("interior", plain, 0, "cc-wb: free of an interior pointer: free(0x");
  expect("nonheap", plain, 0, "cc-wb: free of a pointer that is not heap memory");
  expect("deferred", plain, 0, "cc-wb: double free: free(0x");
  expect("released", plain, 0, "cc-wb: free of memory the host has already released");
  expect("double", quar, 0, "cc-wb: double free");
  expect("foreign", plain, 0, NULL);
  expect("abort", abrt, SIGABRT, "cc-wb: free of an interior pointer");
  char err[256];
  int st = t_child("interior", quiet, err, sizeof err);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && err[0] == 0);
  T_DONE();
}
