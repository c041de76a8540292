/* Found by: a session trying cc-wb on ordinary code (a unit with its own function pointer called
 * `free` and no libc header).
 * conformance-flags: -O2 -w
 * conformance-status: fixed 2026-12-06 (a libc name is routed only where the unit declared it as a
 *   function: instrument/rules/renames.ts meansLibcFunction)
 *
 * Expected output: "released 2 of 2" under cc and cc-wb. The calls through `free` are calls through
 * this unit's own pointer; cc-wb renamed them to the runtime's __wb_free, which handed the pointers
 * to libc's free: nothing counted, and free() of a static object's address crashed.
 */
int printf(const char *, ...);

struct slot { int used; };
static struct slot slots[2] = { { 1 }, { 1 } };
static int released;

static void release_slot(void *p) {
  ((struct slot *)p)->used = 0;
  released++;
}

static void (*free)(void *) = release_slot;

int main(void) {
  free(&slots[0]);
  (free)(&slots[1]);
  printf("released %d of %d\n", released, (int)(sizeof slots / sizeof slots[0]));
  return slots[0].used + slots[1].used;
}
