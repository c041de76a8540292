// instrument/system-pieces.ts: a unit's system headers parsed only as far as its own code needs
// them, with the readers' results the same as on the whole parse.
import { describe, expect, it } from 'vitest';
import { parsePrepared, prepareUnit, type Node } from '../../instrument/parse.js';
import { readWithSystemOnDemand, type NameSink } from '../../instrument/system-pieces.js';
import { Rewriter, nothingToRewrite } from '../../instrument/rewrite.js';
import { metadataAppendix } from '../../instrument/metadata.js';
import { blankComments } from '../../instrument/comments.js';

const header = [
  '# 0 "u.c"',
  '# 1 "/usr/include/sys.h" 1 3 4',
  'typedef unsigned long sys_size;',
  'struct sys_node { struct sys_node *next; sys_size n; };',
  'typedef struct sys_node sys_node_t;',
  'extern void *malloc (sys_size __n);',
  'extern void free (void *__p);',
  'extern int sys_unused (int __x) { return __x; }',
  'enum sys_e { SYS_A = 1 };',
  '# 2 "u.c" 2',
];

/** The rewriter's output, report and the metadata, as one string: what the pass makes of a parse. */
function passOutput(text: string, root: Node, onName: NameSink, previousTokenEnd?: (offset: number) => number): string {
  const unit = prepareUnit(text, 'u.c');
  const rewritten = new Rewriter(text, unit.lines, unit.normalized.complexPartEnds, 'call', onName).run(root);
  const meta = metadataAppendix(root, blankComments(text, unit.lines.comments), unit.lines, { fileName: 'u.c', onName, previousTokenEnd });
  return JSON.stringify({ code: rewritten.code, sites: rewritten.sites, stats: rewritten.stats, diagnostics: rewritten.diagnostics }) + meta;
}

/** The top-level nodes each round of reading saw, by the text they start with. */
function rounds(text: string): { seen: string[][]; result: string | null } {
  const unit = prepareUnit(text, 'u.c');
  const seen: string[][] = [];
  const result = readWithSystemOnDemand(unit, (root, onName, previousTokenEnd) => {
    seen.push(root.namedChildren.map((n) => text.slice(n.startIndex, n.startIndex + 24)));
    return passOutput(text, root, onName, previousTokenEnd);
  });
  return { seen, result };
}

function whole(text: string): string {
  const unit = prepareUnit(text, 'u.c');
  return passOutput(text, parsePrepared(unit).tree.rootNode, () => {});
}

describe('system headers on demand', () => {
  it('reads no system declaration for code that names none', () => {
    const text = [...header, '#define ANSWER 42', 'int x = sizeof (int);', 'int main (void) { return 0; }', ''].join('\n');
    const { seen, result } = rounds(text);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.every((s) => !s.includes('sys'))).toBe(true);
    expect(result).toBe(whole(text));
  });

  it('adds the declarations of the names the code uses, and of the names those use, until none is missing', () => {
    const text = [...header, 'sys_node_t *head;', 'void push (sys_node_t *n) { n->next = head; head = n; free (malloc (4)); }', ''].join('\n');
    const { seen, result } = rounds(text);
    expect(seen.length).toBeGreaterThan(1);
    const last = seen[seen.length - 1]!;
    expect(last.some((s) => s.startsWith('struct sys_node'))).toBe(true);
    expect(last.some((s) => s.startsWith('extern void *malloc'))).toBe(true);
    expect(last.some((s) => s.startsWith('extern int sys_unused'))).toBe(false);
    expect(result).toBe(whole(text));
    expect(result).toContain('__wb_free');
  });

  it('leaves to the whole parse a system header included inside a declaration or a body', () => {
    const inBody = ['# 0 "u.c"', 'int f (void) {', '# 1 "/usr/include/in.h" 1 3 4', 'int y;', '# 3 "u.c" 2', 'return y; }', ''].join('\n');
    expect(rounds(inBody).result).toBeNull();
    const inInitializer = ['# 0 "u.c"', 'int a[] = {', '# 1 "/usr/include/in.h" 1 3 4', '1, 2', '# 3 "u.c" 2', '};', ''].join('\n');
    expect(rounds(inInitializer).result).toBeNull();
  });

  it('leaves to the whole parse a unit whose own code does not parse', () => {
    const text = [...header, 'int f (void) { return ; ) }', ''].join('\n');
    expect(rounds(text).result).toBeNull();
  });

  it('names unnamed bit-fields of the system pieces it reads, as the whole parse does', () => {
    const text = ['# 0 "u.c"', '# 1 "/usr/include/t.h" 1 3 4', 'struct sys_t { int a : 3; int : 5; int *p; };', '# 2 "u.c" 2', 'struct sys_t *g;', 'void set (int *q) { g->p = q; }', ''].join('\n');
    const { seen, result } = rounds(text);
    expect(seen[seen.length - 1]!.some((s) => s.startsWith('struct sys_t {'))).toBe(true);
    expect(result).toBe(whole(text));
  });
});

describe('system headers on demand, where a reader looks at the text before a node', () => {
  it('reads a declaration after a stretch left out as the whole parse does (a `_Complex` before it is not its own)', () => {
    const text = ['# 0 "u.c"', '# 1 "/usr/include/c.h" 1 3 4', 'extern int sys_first;', 'extern double _Complex sys_cplx (void);', '# 2 "u.c" 2', 'char buf[2];', 'int *gp;', 'void g (void) { gp = &sys_first; }', ''].join('\n');
    const { seen, result } = rounds(text);
    expect(seen[seen.length - 1]!.some((s) => s.startsWith('extern int sys_first'))).toBe(true);
    expect(seen[seen.length - 1]!.some((s) => s.startsWith('extern double'))).toBe(false);
    expect(result).toBe(whole(text));
  });
});

describe("the rewriter's early exit", () => {
  const exits = (code: string): boolean => {
    const text = [...header, code, ''].join('\n');
    const unit = prepareUnit(text, 'u.c');
    return nothingToRewrite(parsePrepared(unit).tree.rootNode, text, unit.lines);
  };

  it('looks past file-scope declarations, which hold no store', () => {
    expect(exits('int x = sizeof (sys_size); enum { A = 1 }; struct s { int a; } v = { .a = 2 };')).toBe(true);
    expect(exits('int main (void) { return 0; }')).toBe(true);
  });

  it('does not where a function body may store or a declaration names a renamed function', () => {
    expect(exits('int g; void f (void) { g = 1; }')).toBe(false);
    expect(exits('void (*release) (void *) = free;')).toBe(false);
    expect(exits('int f (int *p) { return (*p)++; }')).toBe(false);
  });
});
