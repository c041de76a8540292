#include <stdio.h>
#include <stdlib.h>
#include "queue.h"

int main(void) {
  struct queue *q = queue_new();
  if (!q) return 1;
  const char *words[] = {"first", "second", "third"};
  for (int i = 0; i < 3; i++)
    if (queue_push(q, words[i]) != 0) return 1;
  printf("%d queued:", q->length);
  char *text;
  while ((text = queue_pop(q))) {
    printf(" %s", text);
    free(text);
  }
  printf("\n");
  queue_free(q);
  return 0;
}
