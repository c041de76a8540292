/* Found by: the conformance projects suite (xz-utils 5.4.1, src/liblzma/lzma/lzma_decoder.c:372:
 * cc-wb warns "cannot parse 'switch (coder->sequence)'" and compiles the LZMA decoder without
 * write barriers).
 * conformance-flags: -O2 -w
 * conformance-status: fixed (2026-11-22, instrument/normalize.ts: in the parse copy, a `switch (e)`
 * whose body is not a block becomes `while (e)`, same length; the analysis treats it as a loop)
 *
 * Expected: cc-wb instruments this unit (the pointer stores through coder->out, *to and last are
 * barriered) and the program exits 0 as under cc.
 * C allows any statement as the body of a switch, and case labels anywhere inside it: xz's decoder
 * resumes its state machine with `switch (coder->sequence) while (true) { ... case SEQ_X: ... }`,
 * most labels coming from macros (`rc_bit_case(...)` expands to `case seq: ...`), and Duff's
 * device is `switch (n % 4) do { case 0: ... } while (...)`. tree-sitter-c 0.24 only accepts a
 * block after `switch (e)`.
 */
#define STEP_CASE(seq, stmt) \
  case seq:                  \
    stmt

enum { SEQ_A, SEQ_B, SEQ_DONE };

struct coder {
  int sequence;
  int *out;
};

static int buf[8];
static int *from[5] = {&buf[0], &buf[1], &buf[2], &buf[3], &buf[4]};
static int *to[5];
static int *last;

static int resume(struct coder *coder, int n) {
  int i = 0;
  switch (coder->sequence)
  while (1) {
    STEP_CASE(SEQ_A, coder->out = &buf[i]);
    STEP_CASE(SEQ_B, i++);
    if (i >= n) {
      coder->sequence = SEQ_DONE;
      return i;
    }
  }
  return -1;
}

static void duff(int **dst, int **src, int count) {
  int n = (count + 3) / 4;
  switch (count % 4)
  do {
  case 0: *dst++ = *src++;
  case 3: *dst++ = *src++;
  case 2: *dst++ = *src++;
  case 1: *dst++ = *src++;
  } while (--n > 0);
}

static void one(int k) {
  switch (k)
  case 1: last = &buf[7];
}

int main(void) {
  struct coder c = {SEQ_B, 0};
  if (resume(&c, 3) != 3 || c.out != &buf[2] || c.sequence != SEQ_DONE) return 1;
  if (resume(&c, 3) != -1) return 2;
  duff(to, from, 5);
  for (int i = 0; i < 5; i++)
    if (to[i] != &buf[i]) return 3;
  one(0);
  if (last) return 4;
  one(1);
  return last == &buf[7] ? 0 : 5;
}
