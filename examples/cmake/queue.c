#include <stdlib.h>
#include <string.h>
#include "queue.h"

struct queue *queue_new(void) {
  return calloc(1, sizeof(struct queue));
}

int queue_push(struct queue *q, const char *text) {
  struct item *it = malloc(sizeof *it);
  if (!it) return -1;
  size_t n = strlen(text) + 1;
  it->text = malloc(n);
  if (!it->text) {
    free(it);
    return -1;
  }
  memcpy(it->text, text, n);
  it->next = NULL;
  if (q->tail) q->tail->next = it;
  else q->head = it;
  q->tail = it;
  q->length++;
  return 0;
}

char *queue_pop(struct queue *q) {
  struct item *it = q->head;
  if (!it) return NULL;
  q->head = it->next;
  if (!q->head) q->tail = NULL;
  q->length--;
  char *text = it->text;
  free(it);
  return text;
}

void queue_free(struct queue *q) {
  char *text;
  while ((text = queue_pop(q))) free(text);
  free(q);
}
