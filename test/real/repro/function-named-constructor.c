/* cc-wb bug: an identifier that names an Object.prototype member (`constructor`, `valueOf`,
 * `toString`, `hasOwnProperty`, …) makes the pass fail and the unit compile without barriers. Found in
 * lua 5.4 lparser.c:925 (`static void constructor (LexState *ls, expdesc *t)`: 46 stores unbarriered).
 * Cause: instrument/normalize.ts tests `word in renameTo` on a plain object literal, which is true for
 * inherited keys ("internal error in the pass: replacement.charCodeAt is not a function"). Wanted: a
 * Map, or Object.hasOwn(renameTo, word), for every identifier-keyed table in the pass.
 *   CC_WB_REPORT=/tmp/r.jsonl cc-wb -c function-named-constructor.c   → "instrumented": false
 * expected: instrumented, sites at lines 15, 16, 21 and 22. */
struct ls { int *p; };
struct node { struct node *next; };
int *hasOwnProperty;

static void constructor (struct ls *ls, struct node *t)
{
  t->next = t;
  ls->p = 0;
}

static void valueOf (struct ls *toString)
{
  toString->p = hasOwnProperty;
  hasOwnProperty = 0;
}

void use(struct ls *l, struct node *n) { constructor(l, n); valueOf(l); }
