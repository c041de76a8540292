#include <limits.h>
#include <stdlib.h>
#include "shelf.h"

struct shelf *shelf_new(void) {
  return calloc(1, sizeof(struct shelf));
}

void shelf_add(struct shelf *s, struct book *b) {
  b->next = s->first;
  s->first = b;
  s->count++;
}

int shelf_count(const struct shelf *s) {
  int n = 0;
  for (const struct book *b = s->first; b; b = b->next) n++;
  return n;
}

int shelf_oldest(const struct shelf *s) {
  int oldest = INT_MAX;
  for (const struct book *b = s->first; b; b = b->next)
    if (b->year < oldest) oldest = b->year;
  return oldest;
}

void shelf_ring(struct book *a, struct book *b) {
  a->next = b;
  b->next = a;
}
