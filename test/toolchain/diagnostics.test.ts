// The user's diagnostics are the real compiler's: for each known way the instrumented text used to
// change them, cc-wb's stderr and exit status must equal the plain compiler's, with gcc and clang
// underneath; and the barriers stay (the report). A sample of the conformance differential too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCase, regressionCases } from '../../conformance/diagnostics.js';
import { CCWB, ccwb, gcc, removeScratch, requireBuilt, scratch, writeTree } from './helpers.js';

beforeAll(requireBuilt, 120_000);
afterAll(removeScratch);

const CASES: Record<string, string> = {
  // -Waddress on a comparison written in a macro (gcc says nothing: the macro is a system header's)
  'macro-address.c': '#include <stddef.h>\n#define IS_NULL(p) ((p) == NULL)\nint g;\nint *gp;\nint f(int *p) { gp = p; return IS_NULL(&g); }\n',
  // -Wparentheses on an assignment used as a condition: the store is barriered
  'parentheses.c': 'int *g;\nint f(int *p) {\n  if (g = p) return 1;\n  return 0;\n}\n',
  // -Wsequence-point on a rewritten store
  'sequence.c': 'int **p;\nvoid f(void) { *p = (*p)++; p = p++; }\n',
  // a pointer store into a packed record: the barrier takes its address
  'packed.c': 'struct __attribute__((packed)) P { char c; int *q; };\nvoid f(struct P *s, int *p) { s->q = p; }\n',
  // columns: a warning after a barriered store on the same line
  'columns.c': 'int *g;\nint f(int *p) { g = p; int unused; return 0; }\n',
  // a warning inside a macro's expansion: the "in expansion of macro" notes
  'macro-note.c': '#define SET(a, b) if (a = b) return 1\nint *g;\nint f(int *p) { SET(g, p); return 0; }\n',
  // a unit with a fall-through comment and a barriered store
  'fallthrough.c': 'int *g;\nint f(int s, int *p) {\n  switch (s) {\n  case 0: g = p;\n    /* fall through */\n  case 1: return 1;\n  case 2: g = 0;\n  default: return 2;\n  }\n}\n',
  // a middle-end warning (-Wreturn-local-addr / -Wmaybe-uninitialized at -O2) next to barriers
  'middle-end.c': 'int *g;\nint *f(int c) { int x; int *p; if (c) p = &x; g = p; return p; }\n',
};

async function both(compiler: string, args: string[], dir: string) {
  const [plain, wb] = await Promise.all([gcc(args, { cwd: dir, command: compiler }), ccwb([compiler, ...args], { cwd: dir })]);
  return { plain: [plain.exitCode, plain.stderr], wb: [wb.exitCode, wb.stderr] };
}

describe('cc-wb prints exactly the plain compiler\'s diagnostics', () => {
  for (const compiler of ['gcc', 'clang']) {
    for (const flags of [['-Wall', '-Wextra'], ['-O2', '-Wall', '-Wextra', '-Werror'], ['-Wall', '-Werror=parentheses', '-Werror=address']]) {
      it(`${compiler} ${flags.join(' ')}: every regression case`, async () => {
        const dir = scratch('diag');
        writeTree(dir, CASES);
        for (const file of Object.keys(CASES)) {
          const r = await both(compiler, [...flags, '-c', file, '-o', file.replace(/\.c$/, '.o')], dir);
          expect(r.wb, `${compiler} ${flags.join(' ')} ${file}`).toEqual(r.plain);
        }
      });
    }
  }

  it('the cases say something (the comparison is not vacuous)', async () => {
    const dir = scratch('diag-nonempty');
    writeTree(dir, CASES);
    const said = async (compiler: string, file: string, flags: string[] = ['-Wall', '-Wextra']) => (await gcc([...flags, '-c', file], { cwd: dir, command: compiler })).stderr;
    expect(await said('gcc', 'parentheses.c')).toMatch(/parentheses.c:3:7: warning: suggest parentheses/);
    expect(await said('gcc', 'sequence.c')).toMatch(/-Wsequence-point/);
    expect(await said('gcc', 'columns.c')).toMatch(/columns.c:2:28: warning: unused variable/);
    expect(await said('gcc', 'macro-note.c')).toMatch(/in definition of macro 'SET'/);
    expect(await said('gcc', 'packed.c', ['-Wall', '-Werror'])).toBe('');
    expect(await said('clang', 'parentheses.c')).toMatch(/if \(g = p\) return 1;/);
  });

  it('a packed record\'s pointer store keeps its barrier under -Werror', async () => {
    const dir = scratch('diag-packed');
    writeTree(dir, CASES);
    for (const compiler of ['gcc', 'clang']) {
      const report = join(dir, `${compiler}.jsonl`);
      const r = await ccwb([compiler, '-Wall', '-Wextra', '-Werror', '-c', 'packed.c', `--wb-report=${report}`], { cwd: dir });
      expect([r.exitCode, r.stderr]).toEqual([0, '']);
      const unit = JSON.parse(readFileSync(report, 'utf8').trim()) as { instrumented: boolean; stats: { barriered: number } };
      expect([unit.instrumented, unit.stats.barriered]).toEqual([true, 1]);
    }
  });

  it('-Werror outcomes: a warning fails the compile, no object is written, as with the plain compiler', async () => {
    const dir = scratch('diag-werror');
    writeTree(dir, CASES);
    for (const compiler of ['gcc', 'clang']) {
      const r = await both(compiler, ['-Wall', '-Werror', '-c', 'parentheses.c', '-o', 'p.o'], dir);
      expect(r.wb).toEqual(r.plain);
      expect(r.wb[0]).toBe(1);
      expect(existsSync(join(dir, 'p.o'))).toBe(false);
    }
  });

  it('an option warning is printed once', async () => {
    const dir = scratch('diag-option');
    writeTree(dir, CASES);
    const r = await both('gcc', ['-Wctor-dtor-privacy', '-c', 'columns.c'], dir);
    expect(r.wb).toEqual(r.plain);
    expect(String(r.wb[1]).match(/valid for C\+\+/g)).toHaveLength(1);
  });

  it('-fdiagnostics-format=json, -fmax-errors, -Wfatal-errors and errors: the compiler\'s own output and status', async () => {
    const dir = scratch('diag-formats');
    writeTree(dir, { ...CASES, 'errors.c': 'int *g;\nint f(int *p) { g = p; return x + y + z; }\n' });
    for (const args of [
      ['-Wall', '-fdiagnostics-format=json', '-c', 'parentheses.c'],
      ['-c', 'errors.c'],
      ['-fmax-errors=1', '-c', 'errors.c'],
      ['-Wfatal-errors', '-c', 'errors.c'],
      ['-Wall', '-c', 'parentheses.c', 'columns.c'],
      ['-Wall', 'parentheses.c', 'errors.c', '-o', 'prog'],
    ]) {
      const r = await both('gcc', args, dir);
      expect(r.wb, args.join(' ')).toEqual(r.plain);
    }
  });

  it('a unit read from stdin gets its diagnostics too', async () => {
    const dir = scratch('diag-stdin');
    const src = CASES['parentheses.c']!;
    const args = ['-Wall', '-x', 'c', '-c', '-', '-o', 'stdin.o'];
    const plain = await gcc(args, { cwd: dir, input: src });
    const wb = await ccwb(args, { cwd: dir, input: src });
    expect([wb.exitCode, wb.stderr]).toEqual([plain.exitCode, plain.stderr]);
    expect(plain.stderr).toMatch(/<stdin>:3:7/);
  });

  it('the regression corpus: no difference (gcc and clang)', async () => {
    const dir = scratch('diag-corpus');
    const cases = regressionCases();
    expect(cases.length).toBeGreaterThan(5);
    const differences = [];
    for (const compiler of ['gcc', 'clang']) {
      for (const c of cases) {
        const d = await compareCase(c, compiler, ['-O2', '-Wall', '-Wextra'], [process.execPath, CCWB], dir);
        if (d !== undefined) differences.push(d);
      }
    }
    expect(differences).toEqual([]);
  }, 300_000);
});
