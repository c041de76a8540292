// GNU C that real preprocessed code contains and that tree-sitter-c 0.24 does not parse as is.
// Each construct sits in user code next to a pointer store; the unit must be instrumented (not
// refused), the store barriered, and the program must run as the plain build does.
import { describe, expect, it } from 'vitest';
import { buildAndRun, buildAndRunPlain } from './helpers.js';

const prologue = `
  #include <stdarg.h>
  #include <stdlib.h>
  #include <stdio.h>
  #include <stddef.h>
  struct node { struct node *next; int v; };
  struct node *g;
  void wbt_expect(int line, void *slot, void *old_value, void *new_value);
  int wbt_finish(void);
`;

const cases: Array<[string, string]> = [
  ['line markers inside expressions', 'int f(struct node *n) {\n  g = (n\n#line 40\n  );\n  return 0; }'],
  ['statement attribute fallthrough', 'int f(struct node *n) { switch (n->v) { case 1: g = n; __attribute__((fallthrough)); case 2: return 2; } return 0; }'],
  ['attribute between declarator and =', 'int f(struct node *n) { static int k __attribute__((unused)) = 1; g = n; return k; }'],
  ['__builtin_va_arg with a type', 'int f(struct node *n, ...) { va_list ap; va_start(ap, n); g = __builtin_va_arg(ap, struct node *); va_end(ap); return 0; }'],
  ['__builtin_offsetof', 'int f(struct node *n) { g = n; return (int)__builtin_offsetof(struct node, v); }'],
  ['computed goto', 'int f(struct node *n) { void *t = &&out; g = n; goto *t; out: return 0; }'],
  ['case ranges', 'int f(struct node *n) { switch (n->v) { case 0 ... 9: g = n; break; } return 0; }'],
  ['_Complex, __real__ and __imag__', 'int f(struct node *n) { _Complex double z = 0; __real__ z = 1.0; __imag__ z = 2.0; g = n; return (int)__real__ z; }'],
  ['__signed__, __const, __volatile__', 'int f(struct node *n) { __signed__ char c = 1; __const int k = 2; __volatile__ int w = 3; g = n; return c + k + w - 6; }'],
  ['_Thread_local and __thread', 'static _Thread_local struct node *tl; static __thread int t2; int f(struct node *n) { tl = n; g = tl; return t2; }'],
  ['__typeof__(expr)', 'int f(struct node *n) { __typeof__(n) m = n; __typeof__(g->v) v = 0; g = m; return v; }'],
  ['_Atomic(T)', 'static _Atomic(int) counter; int f(struct node *n) { counter = 1; g = n; return counter - 1; }'],
  ['unnamed bit-fields', 'struct bits { int a : 3; int : 5; unsigned:2; struct node *p; }; struct bits gb; int f(struct node *n) { gb.p = n; g = gb.p; return gb.a; }'],
  ['statement expressions', 'int f(struct node *n) { int r = ({ g = n; 0; }); return r; }'],
  ['nested functions', 'int f(struct node *n) { void set(void) { g = n; } set(); return 0; }'],
  ['__int128 and _Float128', 'int f(struct node *n) { unsigned __int128 x = 1; _Float128 q = 1; g = n; return (int)(x - 1) + (int)(q - 1); }'],
  ['imaginary constants', 'int f(struct node *n) { _Complex double z = 1.0 + 2.0i; g = n; return (int)__imag__ z - 2; }'],
  ['__extension__ and __inline__', 'static __inline__ int twice(int x) { return __extension__ (x * 2); } int f(struct node *n) { g = n; return twice(0); }'],
  ['designated range initializers', 'int f(struct node *n) { int a[8] = { [0 ... 7] = 1 }; g = n; return a[3] - 1; }'],
  ['K&R definitions, implicit int, pointer returns', 'static char *kr_id(s) char *s; { return s; }\nstatic kr_twice(x) int x; { return 2 * x; }\nstatic count = 0;\nint f(n) struct node *n; { g = n; count = kr_twice(0); return kr_id("x")[1] + count; }'],
  ['implicit-int definition with a one-letter name and no space', 'int s2[2]; int *gp;\nx(){gp = &s2[1]; return 0;}\nint f(struct node *n) { g = n; return x(); }'],
  ['register asm variables', 'int f(struct node *n) { register long r __asm__("rbx") = 0; g = n; return (int)r; }'],
  ['asm statements', 'int f(struct node *n) { __asm__ __volatile__ ("" : : : "memory"); g = n; return 0; }'],
];

describe('GNU C in user code', () => {
  for (const [name, fn] of cases) {
    it(name, () => {
      const program = `${prologue}\n${fn}\nint main(void) { struct node *n = calloc(1, sizeof *n); n->v = 1; int r = f(n); if (g != n) return 20; free(n); printf("%d\\n", r); return r; }`;
      const plain = buildAndRunPlain(program);
      const run = buildAndRun(program, 'gcc', ['-O1']);
      expect(run.result.ok).toBe(true);
      expect(run.result.sites.filter((s) => s.kind !== 'call').length).toBeGreaterThanOrEqual(1);
      expect(run.status).toBe(plain.status);
      expect(run.stdout).toBe(plain.stdout);
    });
  }
});
