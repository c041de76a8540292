#include <stdio.h>
#include <string.h>
#include "stack.h"

int main(void) {
  static const char *keys[] = {"a", "b", "c", "d", "e"};
  struct stack s = {0};
  for (int i = 0; i < 5; i++)
    if (stack_push(&s, keys[i]) != 0) return 1;
  /* Walk back from the top through the prev pointers. */
  int n = 0;
  for (const struct pair *p = &s.slots[s.count - 1]; p; p = p->prev) n++;
  int ok = n == 5 && strcmp(stack_top(&s), "e") == 0;
  printf("stack of %d, top %s: %s\n", n, stack_top(&s), ok ? "ok" : "WRONG");
  stack_clear(&s);
  return ok ? 0 : 1;
}
