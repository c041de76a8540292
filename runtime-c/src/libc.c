/* libc functions that realloc a buffer the caller passes in. Left alone they would free or move
 * memory of ours behind the runtime's back; these versions keep the start map true. Declared in
 * wb_prelude.h as __wb_getline / __wb_getdelim (the stream is void * there because the prelude
 * cannot name FILE). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

WB_HIDDEN __PTRDIFF_TYPE__ wb_getdelim(char **lineptr, size_t *n, int delim, void *stream);

__PTRDIFF_TYPE__ wb_getdelim(char **lineptr, size_t *n, int delim, void *stream)
{
  FILE *f = stream;
  uintptr_t a = (uintptr_t)*lineptr;
  unsigned b = a != 0 && (a & (WB_GRAIN - 1)) == 0 ? wb_map_get(a) : WB_MAP_NONE;
  if (b == WB_MAP_NONE || b == WB_MAP_QUAR_C || b == WB_MAP_QUAR_HOST)
    return getdelim(lineptr, n, delim, f);      /* NULL or foreign: libc's business */
  if (b != WB_MAP_TRACKED) {
    /* An ordinary buffer of ours: libc may realloc it, so it leaves the map for the call and
     * whatever libc hands back comes in as ours. */
    size_t size = 0;
    if (b == WB_MAP_LARGE) wb_large_size(a, &size);
    else size = wb_map_size(a, b);
    if (wb_load_relaxed(&__wb_active)) wb_range_kill(a, size, WB_ORIGIN_REALLOC);
    if (b == WB_MAP_LARGE) wb_large_remove(a);
    wb_map_clear(a, b, size);
    __PTRDIFF_TYPE__ r = getdelim(lineptr, n, delim, f);
    if (*lineptr != NULL) wb_alloc_register(*lineptr, *n);
    return r;
  }
  /* A tracked (host-visible) buffer must not be moved by libc: read into a temporary and copy,
   * growing the buffer with __wb_realloc (which moves it with its policies) when needed. */
  char *tmp = NULL;
  size_t cap = 0;
  ssize_t r = getdelim(&tmp, &cap, delim, f);
  if (r < 0) {
    free(tmp);
    return r;
  }
  size_t need = (size_t)r + 1;
  if (need > *n) {
    char *q = __wb_realloc(*lineptr, need);
    if (q == NULL) {
      free(tmp);
      errno = ENOMEM;
      return -1;
    }
    *lineptr = q;
    *n = need;
  }
  memcpy(*lineptr, tmp, need);
  free(tmp);
  return r;
}

__PTRDIFF_TYPE__ __wb_getdelim(char **lineptr, __wb_size_t *n, int delim, void *stream)
{
  return wb_getdelim(lineptr, n, delim, stream);
}

__PTRDIFF_TYPE__ __wb_getline(char **lineptr, __wb_size_t *n, void *stream)
{
  return wb_getdelim(lineptr, n, '\n', stream);
}
