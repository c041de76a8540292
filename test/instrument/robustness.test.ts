// Units the pass once gave up on, or got silently wrong: each must be instrumented, compile, and
// run as the original does.
import { describe, expect, it } from 'vitest';
import { body, buildAndRun, instrument } from './helpers.js';

describe('deeply nested expressions', () => {
  it('instruments a 10,000-deep parenthesized store and a 30,000-term sum', () => {
    const deep = '('.repeat(10_000) + 'p' + ')'.repeat(10_000);
    const sum = Array.from({ length: 30_000 }, () => 'a').join(' + ');
    const src = `int *g; int x;\nint f(int *p, int a) { g = ${deep}; x = ${sum}; g = ${'('.repeat(10_000)}(g = p)${')'.repeat(10_000)}; return x; }\n` +
      'int main(void) { int v = 1; return f(&v, 1) == 30000 && g == &v ? 0 : 1; }\n';
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(3);
  });
});

describe('deeply nested types', () => {
  it('instruments units with a 10,000-layer pointer typedef and 3,000 nested record definitions', () => {
    const stars = '*'.repeat(10_000);
    const typedefs = instrument(`typedef int ${stars}T; T g; typedef int ${stars}T; void f(T p) { g = p; }`);
    expect(typedefs.ok).toBe(true);
    expect(typedefs.stats.barriered).toBe(1);
    const open = Array.from({ length: 3_000 }, (_, i) => `struct s${i} { int *p; `).join('');
    const records = instrument(`${open}${'} x; '.repeat(3_000)}int *q; void f(void) { x.p = q; }`);
    expect(records.ok).toBe(true);
    expect(records.stats.barriered).toBe(1);
  });
});

describe('escapes by scope', () => {
  it('keeps a register local unbarriered when a shadowing inner variable has its address taken', () => {
    const src = `int *g;
      int f(int *p) { register int *r = p; { int *r = 0; int **q = &r; *q = p; if (r != p) return 1; } r = g; g = r; return 0; }
      int main(void) { int v; g = &v; return f(&v); }`;
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.skippedLocal).toBeGreaterThanOrEqual(1);
  });

  it('keeps a register local unbarriered in a function with a nested function', () => {
    const src = `int *g;
      int f(int *p) { register int *r = p; int k = 2; int n(void) { return k; } r = g; g = r + n() - 2; return g == r ? 0 : 1; }
      int main(void) { int v[4]; g = v; return f(v); }`;
    expect(buildAndRun(src).status).toBe(0);
  });

  it('barriers stores into a local record whose member array escapes', () => {
    const decls = 'struct s { int *p; int *arr[2]; int k; }; void g(int **); int **h;\n';
    const escapes = ['g(s.arr);', 'h = s.arr + 1;', 'g(&s.arr[1]);', 'g(&s.k);'];
    for (const e of escapes) {
      const r = instrument(`${decls}void f(int *x) { struct s s; s.p = x; ${e} }`);
      expect(r.ok).toBe(true);
      expect(body(r), e).toMatch(/__wb\w*s1 = &\(s\.p\)/);
    }
    const private_ = instrument(`${decls}void f(int *x) { struct s s; s.p = x; x = s.arr[0]; x = *s.arr; }`);
    expect(private_.stats.skippedLocal).toBe(3);
  });
});

describe('types the pass must see through', () => {
  it('knows the bit-fields of a record declared through __typeof__(struct { ... })', () => {
    const src = `struct u { int *p; };
      __typeof__(struct { int p : 3; int q; }) v;
      typeof(struct w2 { int p : 2; int *r; }) v2;
      int main(void) { v.p = 1; v2.p = 1; v2.r = 0; return v.p + v2.p == 2 ? 0 : 1; }`;
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(1);
  });

  it('types the base of a bit-field store through ++, ?: and pointer arithmetic', () => {
    const src = `struct u { int *p; };
      struct w { int p : 3; };
      int f(struct w *b, int c) { b++->p = 1; (++b)->p = 2; (c ? b : b)->p = 3; (b + 1)->p = 1; (b - 1)->p = 1; (c ? b : b, b)->p = 1; return b->p; }
      int main(void) { struct w a[8] = {0}; return f(a + 3, 1) == 1 && a[3].p == 1 && a[4].p == 1 && a[6].p == 1 ? 0 : 1; }`;
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(0);
  });
});

describe('names of the program', () => {
  it('keeps a function pointer variable named like a libc function the program\'s own', () => {
    const src = `int printf(const char *, ...);
      static int count;
      static void mine(void *p) { (void)p; count++; }
      static void (*free)(void *) = mine;
      int main(void) { static void (*memset)(void *) = mine; free(0); free(&count); memset(0); printf("%d\\n", count); return 0; }`;
    const r = buildAndRun(src, 'gcc', ['-O2', '-w']);
    expect(r.stdout).toBe('3\n');
    expect(r.result.stats.calls).toBe(0);
  });
});

describe('stores under #pragma omp atomic', () => {
  it('keeps the atomic statement in its OpenMP form and barriers the pointer store', () => {
    const src = `int *g, *h, k;
      void f(int *p) {
      #pragma omp atomic write
        g = p;
      #pragma omp atomic read
        h = g;
      #pragma omp atomic
        k = k + 1;
      #pragma omp atomic write
        k = 3;
      }
      int main(void) { int x; f(&x); return g == &x && h == &x && k == 3 ? 0 : 1; }`;
    const r = buildAndRun(src, 'gcc', ['-O2', '-fopenmp']);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(2);
    expect(body(r.result)).toMatch(/#pragma omp atomic write\n\s*\*__wb\w*s1 = __wb\w*v1; \}/);
  });
});

describe("the barrier's temporaries", () => {
  it('never capture a name of the unit', () => {
    const src = `int *g;
      int f(int *__wb_s1, int *__wb_v1, int *__wb_r1, int *__wbt_s1) { g = __wb_s1; g = __wb_v1; g = __wb_r1; g = __wbt_s1; return 0; }
      int main(void) { int a, b, c, d; f(&a, &b, &c, &d); return g == &d ? 0 : 1; }`;
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(4);
  });
});

describe('__auto_type', () => {
  it('types a variable from its initialiser, so a bit-field store through it is classified', () => {
    const src = `struct a { unsigned x : 2; }; struct b { void *x; };
      static struct a one;
      static void *q(void) { return &one; }
      int main(void) { __auto_type v = (struct a *)q(); v->x = 1; __auto_type w = &one; w->x += 1; return one.x == 2 ? 0 : 1; }`;
    const r = buildAndRun(src);
    expect(r.status).toBe(0);
    expect(r.result.stats.barriered).toBe(0);
  });
});
