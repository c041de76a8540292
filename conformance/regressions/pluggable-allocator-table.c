/* Found by: a session driving a library with a pluggable allocator (cJSON, jansson) from TypeScript.
 * conformance-flags: -O2 -w
 * conformance-check: barriers
 * conformance-status: fixed 2026-12-06 (every use of a declared libc allocation function is the
 *   runtime's, file-scope initializers included: instrument/rules/renames.ts)
 *
 * Expected output: "hooks 1 1 1, abc" under cc and cc-wb, and every use of malloc, realloc, free and
 * strdup below, called or taken as a value, in cc-wb's report (`call` and `value` sites), as the
 * oracle counts them. The pass renamed only calls in function bodies: the hooks initialized at file
 * scope stayed libc's, so the library's objects were never the runtime's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hooks {
  void *(*alloc)(size_t);
  void *(*grow)(void *, size_t);
  void (*release)(void *);
};

static struct hooks hooks = { malloc, realloc, free };
static char *(*const copy_string)(const char *) = strdup;

static void set_hooks(void *(*a)(size_t), void (*r)(void *)) {
  hooks.alloc = a ? a : malloc;
  hooks.release = r ? r : &free;
  hooks.grow = (hooks.alloc == malloc && hooks.release == free) ? realloc : NULL;
}

int main(void) {
  set_hooks(NULL, NULL);
  char *s = hooks.alloc(2);
  s[0] = 'a';
  s[1] = 0;
  s = hooks.grow(s, 4);
  strcat(s, "bc");
  char *t = copy_string(s);
  printf("hooks %d %d %d, %s\n", hooks.alloc == malloc, hooks.release == free, hooks.grow == realloc, t);
  hooks.release(s);
  hooks.release(t);
  return 0;
}
