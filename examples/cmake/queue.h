/* A FIFO queue of strings, as a singly linked list with a tail pointer. */
#ifndef QUEUE_H
#define QUEUE_H

struct item {
  char *text;
  struct item *next;
};

struct queue {
  struct item *head;
  struct item *tail;
  int length;
};

struct queue *queue_new(void);
int queue_push(struct queue *q, const char *text);
/* Returns the oldest text (the caller frees it), or NULL when the queue is empty. */
char *queue_pop(struct queue *q);
void queue_free(struct queue *q);

#endif
