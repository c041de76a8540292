#include <stdlib.h>
#include "stack.h"

int stack_push(struct stack *s, const char *key) {
  if (s->count == s->capacity) {
    size_t capacity = s->capacity ? 2 * s->capacity : 2;
    struct pair *slots = realloc(s->slots, capacity * sizeof *slots);
    if (!slots) return -1;
    /* prev pointers point into the old array: rebase them. */
    for (size_t i = 1; i < s->count; i++) slots[i].prev = &slots[i - 1];
    s->slots = slots;
    s->capacity = capacity;
  }
  struct pair *p = &s->slots[s->count];
  p->key = key;
  p->prev = s->count ? &s->slots[s->count - 1] : NULL;
  s->count++;
  return 0;
}

const char *stack_top(const struct stack *s) {
  return s->count ? s->slots[s->count - 1].key : NULL;
}

void stack_clear(struct stack *s) {
  free(s->slots);
  s->slots = NULL;
  s->count = s->capacity = 0;
}
