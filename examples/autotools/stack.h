/* A stack of key/value pairs that grows by realloc: the runtime moves its pointers with it. */
#ifndef STACK_H
#define STACK_H

#include <stddef.h>

struct pair {
  const char *key;
  struct pair *prev; /* the pair pushed before this one, or NULL */
};

struct stack {
  struct pair *slots;
  size_t count, capacity;
};

int stack_push(struct stack *s, const char *key);
const char *stack_top(const struct stack *s);
void stack_clear(struct stack *s);

#endif
