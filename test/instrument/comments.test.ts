// Units preprocessed with -C (the driver does so when -Wimplicit-fallthrough may be on): comments
// anywhere, including inside expressions and declarations, between line markers, holding lines
// that look like directives. The pass parses and rewrites around them, keeps every one of them in
// place, and never lets a rewrite come between a fall-through comment and its case label.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankComments, scanLayout } from '../../instrument/comments.js';
import { instrumentPreprocessed, outputBytes } from '../../instrument/index.js';
import { LineMap } from '../../instrument/linemap.js';
import { blankDefineLines } from '../../instrument/metadata.js';
import { body, preprocess } from './helpers.js';

const program = `
#include <stdlib.h>
struct node { struct node * /* next */ next; int v; };
struct node *g; /* a comment with 'quotes', "strings", static and
#define NOT_A_MACRO 1
# 99 "not-a-marker.c"
   and a K&R-looking f(a) int a; { inside */
static struct node // line comment in a declaration
  *h = 0;
int f(struct node *n, int k) {
  int r = 0;
  switch (k) {
  case 0:
    g /* lhs */ = /* rhs, over
    two lines */ n;
    r += 1;
    /* fall through */
  case 1:
    h = ( // a line comment inside an expression
        n);
    r += 2;
    // fall through
  default:
    n->next = g;
  }
  return r;
}
static int unused_after;
int main(void) {
  struct node *n = calloc(1, sizeof *n);
  int r = f(n, 0);
  return r == 3 && g == n && h == n && n->next == n ? 0 : 1;
}
`;

describe('comments in the unit (cc -E -C)', () => {
  it('are found outside literals and directive lines; lines inside them are not directives', () => {
    const text = '# 1 "a.c"\nint a = \'/\'; /* x\n# 5 "b.c"\n*/ char *s = "/* no */"; // y \\\n z\n#define Q 1\n';
    const { comments, directiveLines } = scanLayout(text);
    expect(comments.map(([s, e]) => text.slice(s, e))).toEqual(['/* x\n# 5 "b.c"\n*/', '// y \\\n z']);
    expect(directiveLines.map(([s, e]) => text.slice(s, e))).toEqual(['# 1 "a.c"', '#define Q 1']);
    expect(blankComments(text)).toHaveLength(text.length);
    expect(new LineMap(text, 'x').map(text.indexOf('char')).file).toBe('a.c');
    expect(blankDefineLines(text)).toBe(text.replace('#define Q 1', ''));
  });

  it('are kept where they are, and the barriered program runs as the plain one', () => {
    const pp = preprocess(program, 'gcc', ['-C']);
    expect(pp.toString('latin1')).toContain('/* fall through */');
    const r = instrumentPreprocessed(pp, { fileName: 'snippet.c' });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.stats.barriered).toBe(3);
    const code = body(r);
    // The fall-through comments still sit right before their labels.
    expect(code).toMatch(/\/\* fall through \*\/\n {2}case 1:/);
    expect(code).toMatch(/\/\/ fall through\n {2}default:/);
    // The comments inside the stores' operands are still there (those between the operands and
    // the `=` go with it, but not their newlines).
    for (const c of ['// a line comment inside an expression', '/* next */']) expect(code).toContain(c);
    // The lines inside the comment were not taken for a marker or a macro.
    expect(r.sites.filter((s) => s.file.includes('not-a-marker'))).toEqual([]);
    expect(code).toContain('#define NOT_A_MACRO 1');

    const dir = mkdtempSync(join(tmpdir(), 'wb-comments-'));
    const wbi = join(dir, 't.wb.i');
    writeFileSync(wbi, outputBytes(r));
    const rt = join(import.meta.dirname, 'fixtures', 'recording_rt.c');
    // -Wextra: no "this statement may fall through", so the comments reach gcc next to their labels.
    const c = spawnSync('gcc', ['-O1', '-Wextra', '-Werror', '-c', '-x', 'cpp-output', wbi, '-o', join(dir, 't.o')], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
    // Lines after the rewritten stores keep their numbers: gcc reports unused_after where it is.
    const line = program.split('\n').findIndex((l) => l.includes('unused_after')) + 1;
    const w = spawnSync('gcc', ['-O1', '-Wall', '-c', '-x', 'cpp-output', wbi, '-o', join(dir, 't.o')], { encoding: 'utf8' });
    expect(w.stderr).toMatch(new RegExp(`\\.c:${line}:12: warning: .unused_after. defined but not used`));
    expect(spawnSync('gcc', ['-O1', join(dir, 't.o'), rt, '-o', join(dir, 'a.out')]).status).toBe(0);
    expect(spawnSync(join(dir, 'a.out')).status).toBe(0);
  });
});
