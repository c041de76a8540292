/* A small C program with the pointer traffic cc-wb exists for: a linked list and a tree built on
 * the heap, pointers moved with memcpy and realloc, a struct copied by assignment, and frees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shape { const char *name; double area; };
struct item { struct item *next; struct shape *shape; };
struct tree { struct tree *left, *right; int key; };

static struct item *list;
static struct tree *root;

static struct shape *shape_new(const char *name, double area) {
  struct shape *s = malloc(sizeof *s);
  s->name = strdup(name);
  s->area = area;
  return s;
}

static void push(struct shape *s) {
  struct item *it = malloc(sizeof *it);
  it->shape = s;
  it->next = list;
  list = it;
}

static struct tree **find_slot(struct tree **at, int key) {
  while (*at) at = key < (*at)->key ? &(*at)->left : &(*at)->right;
  return at;
}

static void insert(int key) {
  struct tree *t = calloc(1, sizeof *t);
  t->key = key;
  *find_slot(&root, key) = t;
}

static long walk(const struct tree *t, int depth) {
  return t ? walk(t->left, depth + 1) + (long)t->key * depth + walk(t->right, depth + 1) : 0;
}

static void free_tree(struct tree *t) {
  if (!t) return;
  free_tree(t->left);
  free_tree(t->right);
  free(t);
}

int main(void) {
  push(shape_new("square", 4.0));
  push(shape_new("circle", 3.14159));
  push(shape_new("triangle", 0.5));
  for (int i = 0; i < 1000; i++) insert((i * 7919) % 1009);

  struct shape **all = NULL;
  size_t n = 0;
  for (struct item *it = list; it; it = it->next) {
    all = realloc(all, (n + 1) * sizeof *all);
    all[n++] = it->shape;
  }
  struct shape **copy = malloc(n * sizeof *copy);
  memcpy(copy, all, n * sizeof *copy);
  struct shape biggest = *copy[0];
  for (size_t i = 1; i < n; i++)
    if (copy[i]->area > biggest.area) biggest = *copy[i];

  printf("%zu shapes, biggest %s (%.2f), tree checksum %ld\n", n, biggest.name, biggest.area, walk(root, 1));

  while (list) {
    struct item *it = list;
    list = it->next;
    free((char *)it->shape->name);
    free(it->shape);
    free(it);
  }
  free(all);
  free(copy);
  free_tree(root);
  return 0;
}
