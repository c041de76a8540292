/* A shelf of books, each linked to the next: C keeps the pointers, TypeScript makes the books. */
#ifndef SHELF_H
#define SHELF_H

#define SHELF_MAX_TITLE 64

struct book {
  const char *title;
  int year;
  struct book *next;
};

struct shelf {
  struct book *first;
  int count;
};

struct shelf *shelf_new(void);
void shelf_add(struct shelf *s, struct book *b);
int shelf_count(const struct shelf *s);
int shelf_oldest(const struct shelf *s);
/* Links a and b to each other and forgets them: garbage only a cycle collector can find. */
void shelf_ring(struct book *a, struct book *b);

#endif
