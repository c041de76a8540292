// The cc-wb driver end to end, against the real gcc: dependency files, output names, several inputs,
// non-C inputs, response files, exit codes and diagnostics, determinism, the runtime in links, the
// report, and composition with compiler wrappers (a recording front and real ccache).
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  argvLogger, ccwb, CCWB, definedSymbols, driverTmp, gcc, listTree, loggedCalls, read, removeScratch, requireBuilt, root,
  scratch, sh, undefinedSymbols, writeTree,
} from './helpers.js';

const STUB = join(root, 'test', 'toolchain', 'fixtures', 'stub-pass.mjs');
const BROKEN = join(root, 'test', 'toolchain', 'fixtures', 'broken-pass.mjs');
const stub = (mode: string) => ({ CC_WB_PASS_MODULE: STUB, STUB_PASS_MODE: mode });

const PROJECT: Record<string, string> = {
  'h.h': '#define H_VALUE 42\n',
  'sub/h.h': '#define H_VALUE 7\n',
  'inc/extra.h': '#define EXTRA 1\n',
  'sub/a.c':
    '#include "h.h"\n#include <string.h>\nstruct node { struct node *next; int v; };\nstruct node *head;\n' +
    'int a_push(struct node *n) { n->next = head; head = n; return H_VALUE; }\n',
  'b.c':
    '#include "h.h"\n#include <stdio.h>\nstruct node { struct node *next; int v; };\nint a_push(struct node *n);\n' +
    'int main(void) { static struct node n; printf("%d\\n", a_push(&n)); return 0; }\n',
  'noext': 'int noext_fn(void) { return 1; }\n',
  '.hidden.c': 'int hidden_fn(void) { return 2; }\n',
};

function project(name: string, extra: Record<string, string> = {}): string {
  const dir = scratch(name);
  writeTree(dir, { ...PROJECT, ...extra });
  for (const d of ['out', 'out/.deps']) writeTree(dir, { [`${d}/.keep`]: '' });
  return dir;
}

beforeAll(requireBuilt, 120_000);

afterAll(() => {
  removeScratch();
  // Every temp dir the driver made (TMPDIR=driverTmp) is gone, whatever happened to the compiles.
  expect(readdirSync(driverTmp).filter((e) => e.startsWith('cc-wb-'))).toEqual([]);
  rmSync(driverTmp, { recursive: true, force: true });
});

describe('dependency files are exactly gcc\'s', () => {
  const table: [string, string[]][] = [
    ['-MD -c', ['-MD', '-c', 'sub/a.c']],
    ['-MMD -c -o', ['-MMD', '-c', 'sub/a.c', '-o', 'out/a.o']],
    ['-MD -MP -MF -MT with make-special characters', ['-MD', '-MP', '-MF', 'out/dep.d', '-MT', 'x y$', '-c', 'sub/a.c', '-o', 'out/a.o']],
    ['-MD -MQ', ['-MD', '-MQ', 'q r$', '-c', 'sub/a.c']],
    ['-Wp,-MD (kernel style)', ['-Wp,-MD,out/wp.d', '-c', 'sub/a.c', '-o', 'out/a.o']],
    ['-Wp,-MMD,-MT', ['-Wp,-MMD,out/wp.d,-MT,tgt', '-c', 'sub/a.c']],
    ['two inputs', ['-MD', '-c', 'sub/a.c', 'b.c']],
    ['compile and link', ['-MD', 'sub/a.c', 'b.c', '-o', 'out/prog']],
    ['-S', ['-MMD', '-S', 'sub/a.c', '-o', 'out/a.s']],
    ['automake depcomp gcc3', ['-DHAVE_CONFIG_H', '-I.', '-MT', 'out/a.o', '-MD', '-MP', '-MF', 'out/.deps/a.Tpo', '-c', '-o', 'out/a.o', 'sub/a.c']],
    ['cmake', ['-Iinc', '-MD', '-MT', 'out/a.c.o', '-MF', 'out/a.c.o.d', '-o', 'out/a.c.o', '-c', 'sub/a.c']],
    ['libtool PIC object', ['-MT', 'a.lo', '-MD', '-MP', '-MF', 'out/.deps/a.Tpo', '-c', 'sub/a.c', '-fPIC', '-DPIC', '-o', 'out/.libs/a.o']],
    ['hidden file, default names', ['-MD', '-c', '.hidden.c']],
    ['-x c without suffix', ['-MD', '-c', '-x', 'c', 'noext']],
    ['-M (pass-through, to stdout)', ['-M', 'sub/a.c']],
    ['-MM -MF', ['-MM', '-MF', 'out/mm.d', 'sub/a.c', 'b.c']],
    ['-MD with a missing header (no file, like gcc)', ['-MD', '-c', '-include', 'missing.h', 'sub/a.c']],
  ];
  it.each(table)('%s', async (_name, args) => {
    const g = project('deps-gcc');
    const w = project('deps-ccwb');
    writeTree(g, { 'out/.libs/.keep': '' });
    writeTree(w, { 'out/.libs/.keep': '' });
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w })]);
    expect(rw.exitCode).toBe(rg.exitCode);
    expect(rw.stdout).toBe(rg.stdout);
    expect(rw.stderr.replaceAll(w, g)).toBe(rg.stderr);
    expect(listTree(w)).toEqual(listTree(g));
    const depFiles = listTree(g).filter((f) => /\.(d|Tpo)$/.test(f));
    if (!args.includes('missing.h') && !args.includes('-M')) expect(depFiles.length).toBeGreaterThan(0);
    for (const f of depFiles) expect(read(w, f), f).toBe(read(g, f));
  });

  it('the same with clang as the real compiler', async () => {
    const args = ['-MD', '-MP', '-c', 'sub/a.c', '-o', 'out/a.o'];
    const g = project('deps-clang');
    const w = project('deps-ccwb-clang');
    const rg = await gcc(args, { cwd: g, command: 'clang' });
    const rw = await ccwb(['clang', ...args], { cwd: w });
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    expect(read(w, 'out/a.d')).toBe(read(g, 'out/a.d'));
    // clang without -o names the target after the input, not after cc-wb's temp file
    const rw2 = await ccwb(['clang', '-MMD', '-c', 'b.c'], { cwd: w });
    expect(rw2.exitCode).toBe(0);
    expect(read(w, 'b.d')).toMatch(/^b\.o: b\.c h\.h\n$/);
  });
});

describe('output names and several inputs', () => {
  const table: [string, string[], string?][] = [
    ['-c', ['-c', 'sub/a.c']],
    ['-S', ['-S', 'sub/a.c']],
    ['-c -S together', ['-c', '-S', 'b.c']],
    ['link to a.out', ['sub/a.c', 'b.c']],
    ['-c of two files', ['-c', 'sub/a.c', 'b.c']],
    ['-c -o elsewhere', ['-c', 'sub/a.c', '-o', 'out/z.o']],
    ['-x c on a file without suffix', ['-c', '-x', 'c', 'noext']],
    ['stdin', ['-c', '-x', 'c', '-'], 'int from_stdin;\n'],
    ['stdin -S', ['-S', '-x', 'c', '-', '-o', 'out/stdin.s'], 'int from_stdin;\n'],
    ['-o with several -c inputs is gcc\'s error', ['-c', 'sub/a.c', 'b.c', '-o', 'x.o']],
    ['stdin without -x is gcc\'s error', ['-c', '-'], 'int x;\n'],
    ['-o given twice: the last wins', ['-c', 'b.c', '-o', 'x.o', '-o', 'y.o']],
    ['a linker input with -c is ignored with gcc\'s warning', ['-c', 'b.c', '-lm']],
    ['-save-temps -c: the .i (what cc-wb compiled) and .s where gcc puts them', ['-save-temps', '-c', 'b.c']],
    ['-save-temps -c -o', ['-save-temps', '-c', 'sub/a.c', '-o', 'out/x.o']],
    ['-save-temps=cwd -c -o', ['-save-temps=cwd', '-c', 'sub/a.c', '-o', 'out/x.o']],
    ['-save-temps while linking two files', ['-save-temps', 'sub/a.c', 'b.c']],
    ['-save-temps=obj while linking to -o', ['-save-temps=obj', 'sub/a.c', 'b.c', '-o', 'out/p.q']],
  ];
  it.each(table)('%s', async (_name, args, input) => {
    const g = project('out-gcc');
    const w = project('out-ccwb');
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc', input }), ccwb(args, { cwd: w, input })]);
    expect(rw.exitCode).toBe(rg.exitCode);
    expect(rw.stderr.replaceAll(w, g)).toBe(rg.stderr);
    expect(listTree(w)).toEqual(listTree(g));
  });

  it('a linked program runs', async () => {
    const w = project('run');
    expect((await ccwb(['-O2', 'sub/a.c', 'b.c', '-o', 'prog'], { cwd: w })).exitCode).toBe(0);
    expect((await execa(join(w, 'prog'))).stdout).toBe('7');
  });
});

describe('inputs that are not C pass through untouched', () => {
  const files = {
    'c.S': '#include "extra.h"\n\t.globl c_fn\nc_fn:\n\tmov $EXTRA + VAL, %eax\n\tret\n',
    'd.s': '\t.globl d_fn\nd_fn:\n\tret\n',
    'e.cpp': 'template <class T> T twice(T x) { return x + x; }\nint e_fn() { return twice(VAL); }\n',
  };
  it('mixed with C in one call: same objects as gcc for the non-C ones, -I/-D still reach them', async () => {
    const args = ['-c', '-O2', '-Iinc', '-DVAL=5', 'sub/a.c', 'b.c', 'c.S', 'd.s', 'e.cpp'];
    const g = project('mixed-gcc', files);
    const w = project('mixed-ccwb', files);
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w, env: stub('marker') })]);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    expect(listTree(w)).toEqual(listTree(g));
    for (const o of ['c.o', 'd.o', 'e.o']) expect(readFileSync(join(w, o)).equals(readFileSync(join(g, o))), o).toBe(true);
    for (const o of ['a.o', 'b.o']) expect(await definedSymbols(join(w, o))).toContain('__wb_stub_marker');
  });

  it('a call with no C input is the real compiler\'s, byte for byte', async () => {
    const g = project('nonc-gcc', files);
    const w = project('nonc-ccwb', files);
    const args = ['-c', '-Iinc', '-DVAL=1', 'c.S', 'e.cpp', '-x', 'c++', 'd.s'];
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w, env: { CC_WB_PASS_MODULE: BROKEN } })]);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    expect(listTree(w)).toEqual(listTree(g));
  });

  it('-x none after -x c goes back to suffixes', async () => {
    const w = project('xnone', files);
    const r = await ccwb(['-c', '-x', 'c', 'noext', '-x', 'none', 'd.s', 'b.c'], { cwd: w, env: stub('marker') });
    expect(r.exitCode).toBe(0);
    expect(await definedSymbols(join(w, 'noext.o'))).toContain('__wb_stub_marker');
    expect(await definedSymbols(join(w, 'd.o'))).not.toContain('__wb_stub_marker');
    expect(await definedSymbols(join(w, 'b.o'))).toContain('__wb_stub_marker');
  });
});

describe('queries are answered by the real compiler without loading the pass', () => {
  const table: string[][] = [
    ['--version'], ['-v'], ['-dumpversion'], ['-dumpmachine'], ['-print-search-dirs'], ['-print-prog-name=ld'],
    ['-print-file-name=libc.so'], ['-print-libgcc-file-name'], ['-print-multiarch'], ['-###', '-c', 'b.c'], ['-E', '-DX=1', 'b.c'],
    ['-dM', '-E', '-dD', '-x', 'c', '/dev/null'], ['-fsyntax-only', 'b.c'], [],
  ];
  it.each(table)('%j', async (...args) => {
    const g = project('q-gcc');
    const w = project('q-ccwb');
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w, env: { CC_WB_PASS_MODULE: BROKEN } })]);
    expect(rw.exitCode).toBe(rg.exitCode);
    expect(rw.stdout).toBe(rg.stdout);
    // -### and -v print temp names and the driver's own path: compare the shape only
    if (args.includes('-###') || args.includes('-v')) expect(rw.stderr.split('\n').length).toBe(rg.stderr.split('\n').length);
    else expect(rw.stderr).toBe(rg.stderr);
  });
  it('linking objects only does not load the pass either', async () => {
    const w = project('link-only');
    expect((await ccwb(['-c', 'sub/a.c', 'b.c'], { cwd: w, env: stub('marker') })).exitCode).toBe(0);
    const r = await ccwb(['a.o', 'b.o', '-o', 'prog'], { cwd: w, env: { CC_WB_PASS_MODULE: BROKEN } });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect(await definedSymbols(join(w, 'prog'))).toContain('__wb_shadow');
  });
});

describe('response files', () => {
  it('expands nested @files with gcc\'s quoting', async () => {
    const w = project('rsp', {
      'msg.c': '#include <stdio.h>\nint main(void) { puts(MSG); return N; }\n',
      'outer.rsp': '-DMSG="\\"hello world\\"" @inner.rsp\n-o prog',
      'inner.rsp': "'-DN=0' msg.c",
    });
    const r = await ccwb(['@outer.rsp'], { cwd: w, env: stub('identity') });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect((await execa(join(w, 'prog'))).stdout).toBe('hello world');
  });
  it('an @file that does not exist is an input, as in gcc', async () => {
    const g = project('rsp-gcc');
    const w = project('rsp-ccwb');
    const [rg, rw] = await Promise.all([gcc(['-c', '@nope.rsp'], { cwd: g, command: 'cc' }), ccwb(['-c', '@nope.rsp'], { cwd: w })]);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
  });
  it('--wb- flags may come from an @file, and a command line over ARG_MAX goes to the compiler in an @file', async () => {
    // 2.3 MB of -D: spawning clang with them expanded fails with E2BIG (gcc cannot take them at all:
    // it copies every option into one COLLECT_GCC_OPTIONS string, limited to 128 KiB)
    const defines = Array.from({ length: 70_000 }, (_, i) => `-DLONG_MACRO_NUMBER_${i}=${i}`);
    const w = project('rsp-long', { 'big.rsp': ['--wb-stats', ...defines].join('\n') });
    const r = await ccwb(['clang', '@big.rsp', '-c', 'b.c'], { cwd: w, env: stub('identity') });
    expect(r.stderr).toBe('cc-wb: b.c: 3 assignments, 2 barriered, 0 pointer arithmetic, 1 local, 0 non-pointer, 0 calls, 1 sites\n');
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(w, 'b.o'))).toBe(true);
  });
});

describe('exit codes and diagnostics', () => {
  it('compile errors and warnings read exactly as gcc\'s', async () => {
    const src = { 'bad.c': '#include <stdlib.h>\nint f(void) {\n  int unused;\n  return undeclared_thing;\n}\n' };
    const g = project('err-gcc', src);
    const w = project('err-ccwb', src);
    const args = ['-Wall', '-fdiagnostics-color=never', '-c', 'bad.c'];
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w })]);
    expect(rg.exitCode).toBe(1);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    expect(listTree(w)).toEqual(listTree(g));
  });
  it('a preprocessor error in one of two files: the other is still compiled, exit 1', async () => {
    const src = { 'pp.c': '#include "nothere.h"\n' };
    const g = project('pperr-gcc', src);
    const w = project('pperr-ccwb', src);
    const args = ['-c', 'pp.c', 'b.c'];
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb(args, { cwd: w })]);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    expect(listTree(w)).toEqual(listTree(g));
  });
  it('a failing compile in a link call links nothing', async () => {
    const src = { 'pp.c': '#include "nothere.h"\n' };
    const w = project('pperr-link', src);
    const r = await ccwb(['pp.c', 'b.c', '-o', 'prog'], { cwd: w });
    expect(r.exitCode).toBe(1);
    expect(existsSync(join(w, 'prog'))).toBe(false);
  });
  it('a unit the pass cannot handle: warning at file:line:col, compiled without barriers', async () => {
    const w = project('passfail');
    const r = await ccwb(['-c', 'sub/a.c', '-o', 'out/a.o'], { cwd: w, env: stub('fail') });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('sub/a.c:2:5: warning: cc-wb: stub cannot handle this\nsub/a.c: note: cc-wb: compiled without write barriers\n');
    expect(existsSync(join(w, 'out/a.o'))).toBe(true);
    expect(await undefinedSymbols(join(w, 'out/a.o'))).not.toContain('__wb_shadow');
  });
  it('... and a pass that throws is the same', async () => {
    const w = project('passthrow');
    const r = await ccwb(['-c', 'b.c'], { cwd: w, env: stub('throw') });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^b\.c: warning: cc-wb: internal error in the pass: stub exploded\nb\.c: note: cc-wb: compiled without write barriers\n$/);
    expect(existsSync(join(w, 'b.o'))).toBe(true);
  });
  it('instrumented code that does not compile: compiled again uninstrumented, with a warning', async () => {
    const w = project('broken');
    const report = join(w, 'r.jsonl');
    const r = await ccwb(['-c', 'sub/a.c', 'b.c'], { cwd: w, env: { ...stub('broken'), CC_WB_REPORT: report } });
    expect(r.exitCode).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('sub/a.c: warning: cc-wb: the instrumented code failed to build; compiled without write barriers');
    expect(lines).toContain('b.c: warning: cc-wb: the instrumented code failed to build; compiled without write barriers');
    expect(lines.filter((l) => l.includes('note: cc-wb: the compiler said: ') && l.includes("error: unknown type name 'this'")).length).toBe(2);
    expect(listTree(w).filter((f) => f.endsWith('.o'))).toEqual(['a.o', 'b.o']);
    const units = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(units.map((u) => u.instrumented)).toEqual([false, false]);
    expect(units[0].diagnostics[0].message).toMatch(/^instrumented code failed to build: .*error: unknown type name 'this'/);
    // a program links the same way
    const link = await ccwb(['sub/a.c', 'b.c', '-o', 'prog'], { cwd: w, env: stub('broken') });
    expect(link.exitCode).toBe(0);
    expect((await execa(join(w, 'prog'))).stdout).toBe('7');
  });
  it('... also when it only fails to link', async () => {
    const w = project('unlinkable');
    const r = await ccwb(['sub/a.c', 'b.c', '-o', 'prog'], { cwd: w, env: stub('unlinkable') });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("b.c: note: cc-wb: the compiler said: ");
    expect(r.stderr).toContain("undefined reference to `__wb_no_such_function'");
    expect((await execa(join(w, 'prog'))).stdout).toBe('7');
  });
  it('... while code that is broken anyway shows the plain compiler\'s errors, once', async () => {
    const src = { 'bad.c': 'int f(void) {\n  return undeclared_thing;\n}\n' };
    const g = project('broken2-gcc', src);
    const w = project('broken2-ccwb', src);
    const [rg, rw] = await Promise.all([gcc(['-c', 'bad.c'], { cwd: g, command: 'cc' }), ccwb(['-c', 'bad.c'], { cwd: w, env: stub('broken') })]);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
    const strict = await ccwb(['--wb-strict', '-c', 'b.c'], { cwd: w, env: stub('broken') });
    expect(strict.exitCode).toBe(1);
    expect(strict.stderr).toMatch(/^b\.c:\d+:1: error: unknown type name 'this'$/m);
  });
  it('--wb-strict / CC_WB_STRICT=1 fail such a unit instead', async () => {
    for (const [args, env] of [[['--wb-strict'], stub('fail')], [[], { ...stub('fail'), CC_WB_STRICT: '1' }]] as const) {
      const w = project('strict');
      const r = await ccwb([...args, '-c', 'sub/a.c', 'b.c'], { cwd: w, env });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('sub/a.c:2:5: error: cc-wb: stub cannot handle this\n');
      expect(existsSync(join(w, 'a.o'))).toBe(false);
    }
    const w = project('strict-bare');
    const r = await ccwb(['--wb-strict', '-c', 'b.c'], { cwd: w, env: stub('fail-bare') });
    expect([r.exitCode, r.stderr]).toEqual([1, 'b.c: error: cc-wb: the pass could not instrument this unit\n']);
  });
  it('the real compiler\'s exit status comes through unchanged', async () => {
    const w = project('status');
    writeTree(w, { 'fake-cc': '#!/bin/sh\nexit 3\n' });
    await execa('chmod', ['+x', join(w, 'fake-cc')]);
    for (const args of [['-c', 'b.c'], ['b.o'], ['--version']]) {
      const r = await ccwb(args, { cwd: w, env: { CC_WB_CC: join(w, 'fake-cc') } });
      expect(r.exitCode, args.join(' ')).toBe(3);
    }
    const missing = await ccwb(['-c', 'b.c'], { cwd: w, env: { CC_WB_CC: '/nonexistent/cc' } });
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toBe("cc-wb: error: cannot run '/nonexistent/cc': No such file or directory\n");
  });
  it('its own usage errors are reported as cc-wb errors', async () => {
    const w = project('usage');
    const bogus = await ccwb(['--wb-bogus', '-c', 'b.c'], { cwd: w });
    expect([bogus.exitCode, bogus.stderr]).toEqual([1, "cc-wb: error: unrecognized cc-wb option '--wb-bogus' (see cc-wb --wb-help)\n"]);
    const nested = await ccwb(['-c', 'b.c'], { cwd: w, env: { CC_WB_NESTED: '1' } });
    expect(nested.exitCode).toBe(1);
    expect(nested.stderr).toMatch(/started cc-wb again/);
    const noRuntime = await ccwb(['b.c', 'sub/a.c'], { cwd: w, env: { CC_WB_RUNTIME_DIR: '/nonexistent' } });
    expect(noRuntime.exitCode).toBe(1);
    expect(noRuntime.stderr).toMatch(/runtime library \/nonexistent\/libwbrt\.a not found/);
    const help = await ccwb(['--wb-help'], { cwd: w });
    expect([help.exitCode, help.stdout.includes('--wb-strict')]).toEqual([0, true]);
  });
  it('output to stdout (-o -) reaches stdout', async () => {
    const w = project('stdout');
    const r = await ccwb(['-S', '-o', '-', 'b.c'], { cwd: w });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^main:$/m);
  });
  it('SIGTERM: the compiler is stopped, temp files removed, cc-wb dies by the same signal', async () => {
    const w = project('signal');
    writeTree(w, { 'slow-cc': '#!/bin/sh\necho started > "$MARK"\nexec sleep 30\n' });
    await execa('chmod', ['+x', join(w, 'slow-cc')]);
    const proc = execa(CCWB, ['-c', 'b.c'], { cwd: w, env: { TMPDIR: driverTmp, CC_WB_CC: join(w, 'slow-cc'), MARK: join(w, 'mark') }, reject: false });
    while (!existsSync(join(w, 'mark'))) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(driverTmp).some((e) => e.startsWith('cc-wb-'))).toBe(true);
    proc.kill('SIGTERM');
    const r = await proc;
    expect(r.signal).toBe('SIGTERM');
    expect(readdirSync(driverTmp).filter((e) => e.startsWith('cc-wb-'))).toEqual([]);
    const sleeping = await execa('pgrep', ['-f', 'sleep 30'], { reject: false });
    const pids = String(sleeping.stdout).split('\n').filter(Boolean);
    for (const pid of pids) {
      let environ = '';
      try {
        environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        continue; // gone, or not ours
      }
      expect(environ.includes(`MARK=${join(w, 'mark')}`), `sleep ${pid} outlived cc-wb`).toBe(false);
    }
  });
});

describe('determinism and debug info', () => {
  it('the same input gives the same object bytes, naming the user\'s file and directory', async () => {
    const w = project('determinism');
    const objs: Buffer[] = [];
    for (const i of [1, 2]) {
      const r = await ccwb(['-g', '-O2', '-c', 'sub/a.c', '-o', `out/a${i}.o`], { cwd: w });
      expect([r.exitCode, r.stderr]).toEqual([0, '']);
      objs.push(readFileSync(join(w, `out/a${i}.o`)));
    }
    expect(objs[0]!.equals(objs[1]!)).toBe(true);
    const info = String((await execa('readelf', ['--debug-dump=info', join(w, 'out/a1.o')])).stdout);
    expect(info).toMatch(/DW_AT_name\s+: \(indirect line string, offset: (?:0x)?[0-9a-f]+\): sub\/a\.c$/m);
    expect(info).toMatch(new RegExp(`DW_AT_comp_dir\\s+: \\(indirect line string, offset: (?:0x)?[0-9a-f]+\\): ${w}$`, 'm'));
    expect(String((await execa('strings', ['-a', join(w, 'out/a1.o')])).stdout)).not.toContain(driverTmp);
  });
  it('also when the preprocessed text has no line markers (-P)', async () => {
    const w = project('determinism-P');
    for (const i of [1, 2]) expect((await ccwb(['-P', '-g', '-c', 'b.c', '-o', `b${i}.o`], { cwd: w })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'b1.o')).equals(readFileSync(join(w, 'b2.o')))).toBe(true);
    expect(String((await execa('strings', ['-a', join(w, 'b1.o')])).stdout)).not.toContain(driverTmp);
  });
  it('--wb-no-instrument gives exactly the plain compiler\'s object', async () => {
    const w = project('noinstr');
    await gcc(['-g', '-O2', '-c', 'sub/a.c', '-o', 'plain.o'], { cwd: w, command: 'cc' });
    expect((await ccwb(['--wb-no-instrument', '-g', '-O2', '-c', 'sub/a.c', '-o', 'wb.o'], { cwd: w })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'wb.o')).equals(readFileSync(join(w, 'plain.o')))).toBe(true);
  });
  it('an identity pass gives exactly the plain compiler\'s object (the split into -E and -c is invisible)', async () => {
    // No macro is used on a line of code: expanding one shifts the columns in the debug line table,
    // as it does for gcc -save-temps.
    const w = project('identity', { 'plain.c': '#include <stdio.h>\n#include "extra.h"\nstruct s { struct s *next; } *g;\nvoid push(struct s *p) { p->next = g; g = p; puts("x"); }\n' });
    await gcc(['-g', '-O2', '-Iinc', '-DX=1', '-c', 'plain.c', '-o', 'plain.o'], { cwd: w, command: 'cc' });
    expect((await ccwb(['-g', '-O2', '-Iinc', '-DX=1', '-c', 'plain.c', '-o', 'wb.o'], { cwd: w, env: stub('identity') })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'wb.o')).equals(readFileSync(join(w, 'plain.o')))).toBe(true);
  });
  it('source text that is not UTF-8 goes through byte for byte', async () => {
    const w = project('latin1');
    writeFileSync(join(w, 'l1.c'), Buffer.from('const char s[] = "caf\xe9";\nint n = sizeof s;\n', 'latin1'));
    await gcc(['-c', 'l1.c', '-o', 'plain.o'], { cwd: w, command: 'cc' });
    expect((await ccwb(['-c', 'l1.c', '-o', 'wb.o'], { cwd: w, env: stub('identity') })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'wb.o')).equals(readFileSync(join(w, 'plain.o')))).toBe(true);
    // -finput-charset converts once, in step 1 only
    await gcc(['-finput-charset=latin1', '-c', 'l1.c', '-o', 'plain8.o'], { cwd: w, command: 'cc' });
    expect((await ccwb(['-finput-charset=latin1', '-c', 'l1.c', '-o', 'wb8.o'], { cwd: w, env: stub('identity') })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'wb8.o')).equals(readFileSync(join(w, 'plain8.o')))).toBe(true);
  });
});

describe('comments and -Wimplicit-fallthrough (the diagnostics compile reads the source with its comments)', () => {
  // Comments that gcc takes as fall-through markers, and ones it does not: before a macro that
  // expands to a label, before a directive, a line marker between comment and label, a nested /*.
  const FALL = {
    'fall.c': [
      '#define EMPTY', '#define CASE(x) case x:', 'int *g;', 'int f(int s, int *p) {', '  switch (s) {',
      '  case 0: g = p;', '    /* fall through */', '#ifdef NOPE', '    p[9]++;', '#endif',
      '  case 1: p[1]++;', '    /* fall through */ /* more */', '  default: g = p + 1;', '    // FALLTHRU',
      '    EMPTY case 3: p[3]++;', '    /* fall through */', '  CASE(5) p[5]++; /* FALLTHROUGH */ case 6: p[6]++;',
      '    /* fall through */', '', '', '', '', '', '', '', '', '', '', '  case 7: p[7]++; /* a /* b */',
      '  case 8: g = p; // fall through', '  case 9: return 1;', '  }', '  return 0;', '}', '',
    ].join('\n'),
  };
  it('the same warnings as gcc, on the same lines', async () => {
    const g = project('fall-gcc', FALL);
    const w = project('fall-ccwb', FALL);
    const args = ['-Wall', '-Wextra', '-fdiagnostics-color=never', '-c', 'fall.c'];
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb([...args, '--wb-strict'], { cwd: w })]);
    expect(rg.stderr.split('\n').filter((l) => l.includes('may fall through'))).toHaveLength(4);
    expect([rw.exitCode, rw.stderr]).toEqual([rg.exitCode, rg.stderr]);
  });
  it('where -C would change the program (comments in macro arguments, before a directive), it is not used', async () => {
    const src = {
      'cpp.c': [
        '#include <stdio.h>', '#define S(x) #x', '#define F(a, ...) f(a __VA_OPT__(,1))', 'static int f(int a, ...) { return a; }',
        'static const char *p;', 'int sw(int k) { switch (k) { case 0: p = S(a /* c */ b); /* fall through */ case 1: return F(1, /* none */); } return 0; }',
        '/* c */ #define B 2', 'int main(void) { printf("%s %d %d\\n", p, sw(0), B); return 0; }', '',
      ].join('\n'),
    };
    const g = project('cpp-gcc', src);
    const w = project('cpp-ccwb', src);
    const args = ['-std=gnu2x', '-Wextra', 'cpp.c', '-o', 'prog'];
    const [rg, rw] = await Promise.all([gcc(args, { cwd: g, command: 'cc' }), ccwb([...args, '--wb-strict'], { cwd: w })]);
    expect([rg.exitCode, rw.exitCode]).toEqual([0, 0]);
    const [og, ow] = await Promise.all([sh('./prog', { cwd: g }), sh('./prog', { cwd: w })]);
    expect(og.stdout).toBe('a b 1 2\n');
    expect(ow.stdout).toBe(og.stdout);
  });
});

describe('the runtime in links', () => {
  it('programs get libwbrt.a, after the user\'s static libraries', async () => {
    const w = project('rt-static');
    expect((await ccwb(['-c', 'sub/a.c'], { cwd: w, env: stub('marker') })).exitCode).toBe(0);
    await execa('ar', ['rcs', 'liba.a', 'a.o'], { cwd: w });
    const r = await ccwb(['-v', 'b.c', '-L.', '-la', '-o', 'prog'], { cwd: w, env: stub('identity') });
    expect(r.exitCode).toBe(0);
    const link = r.stderr.split('\n').filter((l) => l.startsWith('cc-wb: ')).at(-1)!;
    expect(link).toMatch(/ -la -o prog \S*\/runtime-c\/build\/libwbrt\.a '-Wl,--export-dynamic-symbol=__wb_\*'$/);
    expect(await definedSymbols(join(w, 'prog'))).toContain('__wb_shadow');
    // the instrumented shared libraries it loads take these from it (runtime-c/README.md, "Linking")
    const exported = String((await execa('nm', ['-D', '--defined-only', join(w, 'prog')])).stdout);
    expect(exported).toMatch(/ T __wb_dso_register\n/);
    expect(exported).not.toMatch(/ __wb_(shadow|active)\b/);
    expect((await execa(join(w, 'prog'))).stdout).toBe('7');
  });
  it('-shared gets libwbrt_dso.a and a dependency on libwbrt.so with a runpath to it', async () => {
    const w = project('rt-shared');
    const r = await ccwb(['-v', '-shared', '-fPIC', 'sub/a.c', '-o', 'liba.so'], { cwd: w });
    expect(r.exitCode).toBe(0);
    const dir = join(root, 'runtime-c', 'build');
    expect(r.stderr).toContain(` -o liba.so ${dir}/libwbrt_dso.a -Wl,--push-state,--as-needed ${dir}/libwbrt.so -Wl,--pop-state -Xlinker -rpath -Xlinker ${dir}\n`);
    expect(await definedSymbols(join(w, 'liba.so'))).not.toContain('__wb_shadow');
    const dynamic = String((await execa('readelf', ['-d', join(w, 'liba.so')])).stdout);
    expect(dynamic).toMatch(/\(NEEDED\)\s+Shared library: \[libwbrt\.so\.\d+\]/);
    expect(dynamic).toContain(`Library runpath: [${dir}]`);
  });
  it('-r (a partial link) gets no runtime: the final link adds it once', async () => {
    const w = project('rt-r');
    expect((await ccwb(['-c', 'sub/a.c', 'b.c'], { cwd: w, env: stub('marker') })).exitCode).toBe(0);
    expect((await ccwb(['-r', 'a.o', 'b.o', '-o', 'ab.o'], { cwd: w })).exitCode).toBe(0);
    expect(await definedSymbols(join(w, 'ab.o'))).not.toContain('__wb_shadow');
    expect((await ccwb(['ab.o', '-o', 'prog'], { cwd: w })).exitCode).toBe(0);
    expect((await execa(join(w, 'prog'))).stdout).toBe('7');
  });
  it('-nostdlib links still work when nothing needs the runtime', async () => {
    const w = project('rt-nostdlib', {
      'tiny.c': 'void _start(void) { __asm__ volatile("mov $60, %eax\\n\\txor %edi, %edi\\n\\tsyscall"); }\n',
    });
    const r = await ccwb(['-nostdlib', '-static', '-O2', 'tiny.c', '-o', 'tiny'], { cwd: w, env: stub('identity') });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect((await execa(join(w, 'tiny'), { reject: false })).exitCode).toBe(0);
  });
});

describe('cc-wb\'s own outputs', () => {
  it('CC_WB_REPORT: one JSON line per unit, also from parallel compiles', async () => {
    const w = project('report');
    const report = join(w, 'report.jsonl');
    const env = { ...stub('identity'), CC_WB_REPORT: report };
    const files = Array.from({ length: 6 }, (_, i) => `u${i}.c`);
    writeTree(w, Object.fromEntries(files.map((f, i) => [f, `int *p${i}; void f${i}(int *q) { p${i} = q; }\n`])));
    await Promise.all([files.slice(0, 3), files.slice(3)].map(async (half) => {
      for (const f of half) expect((await ccwb(['-c', f], { cwd: w, env })).exitCode).toBe(0);
    }));
    expect((await ccwb(['-c', 'sub/a.c', 'b.c', '--wb-report=' + report], { cwd: w, env: stub('fail') })).exitCode).toBe(0);
    const lines = readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.length).toBe(8);
    for (const l of lines) expect(Object.keys(l)).toEqual(['source', 'output', 'instrumented', 'stats', 'sites', 'diagnostics']);
    expect(lines.filter((l) => l.instrumented).map((l) => l.source).sort()).toEqual(files.map((f) => join(w, f)));
    const a = lines.find((l) => l.source === join(w, 'sub/a.c'));
    expect(a).toMatchObject({ output: join(w, 'a.o'), instrumented: false, diagnostics: [{ line: 2, col: 5, message: 'stub cannot handle this' }] });
    expect(lines[0].sites[0]).toEqual({ file: lines[0].source.replace(w + '/', ''), line: 2, col: 5, kind: 'assign', detail: '=' });
  });
  it('--wb-keep keeps the .i and .wb.i next to the output; CC_WB_KEEP=dir puts them there', async () => {
    const w = project('keep');
    expect((await ccwb(['--wb-keep', '-c', 'sub/a.c', '-o', 'out/a.o'], { cwd: w, env: stub('marker') })).exitCode).toBe(0);
    expect(read(w, 'out/a.wb.i')).toContain('__wb_stub_marker');
    expect(read(w, 'out/a.i')).not.toContain('__wb_stub_marker');
    expect(read(w, 'out/a.i')).toContain('a_push');
    expect((await ccwb(['-c', 'b.c'], { cwd: w, env: { ...stub('marker'), CC_WB_KEEP: join(w, 'kept') } })).exitCode).toBe(0);
    expect(listTree(join(w, 'kept'))).toEqual(['b.i', 'b.wb.i']);
  });
});

describe('composition with compiler wrappers', () => {
  it('step 1 is `cc -E` with the preprocessor flags, step 2 compiles the .i with the rest', async () => {
    const w = project('argv');
    const logcc = argvLogger(w);
    const env = { ...stub('identity'), CC_WB_CC: `${logcc} gcc`, LOGDIR: join(w, 'log') };
    const r = await ccwb(['-c', '-O2', '-Iinc', '-DX', '-MD', '-Wa,--noexecstack', 'sub/a.c', '-o', 'out/a.o'], { cwd: w, env });
    expect(r.exitCode).toBe(0);
    const calls = loggedCalls(w);
    const pp = calls.find((c) => c.includes('-E'));
    const cc = calls.find((c) => c.includes('-c'));
    const diag = calls.find((c) => c.includes('-S'));
    expect(calls).toHaveLength(3);
    const tmp = pp!.at(-1)!;
    expect(tmp).toMatch(new RegExp(`^${driverTmp}/cc-wb-\\w+/0/pp/a\\.i$`));
    expect(pp).toEqual(['gcc', '-O2', '-Iinc', '-DX', '-MD', '-MF', 'out/a.d', '-MQ', 'out/a.o', '-E', '-dD', '-x', 'c', 'sub/a.c', '-o', tmp]);
    expect(cc).toEqual(['gcc', '-w', '-c', '-O2', '-Wa,--noexecstack', tmp.replace('/pp/', '/wb/'), '-o', 'out/a.o']);
    // the diagnostics compile: the original, no dependency or output flags, assembly into the temp dir
    expect(diag).toEqual(['gcc', '-O2', '-Iinc', '-DX', '-S', '-o', tmp.replace('/pp/', '/diag/').replace(/\.i$/, '.s'), '-x', 'c', 'sub/a.c']);
  });
  it('-c of several files: one compile per unit, one for the rest', async () => {
    const w = project('argv-multi', { 'd.s': '\tret\n', 'c.S': '#include "extra.h"\n\tret\n' });
    const logcc = argvLogger(w);
    const env = { ...stub('identity'), CC_WB_CC: `${logcc} gcc`, LOGDIR: join(w, 'log') };
    const r = await ccwb(['-c', '-Iinc', 'sub/a.c', 'd.s', 'b.c', 'c.S'], { cwd: w, env });
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    const calls = loggedCalls(w).map((c) => c.map((x) => x.replace(/^.*\/cc-wb-\w+\//, 'T/')).join(' '));
    // the diagnostics compile of a unit runs alongside its step 1: compare as a set
    expect(calls.sort()).toEqual([
      'gcc -Iinc -E -dD -x c b.c -o T/1/pp/b.i',
      'gcc -Iinc -E -dD -x c sub/a.c -o T/0/pp/a.i',
      'gcc -Iinc -S -o T/0/diag/a.s -x c sub/a.c',
      'gcc -Iinc -S -o T/1/diag/b.s -x c b.c',
      'gcc -c -Iinc d.s c.S',
      'gcc -w -c T/0/wb/a.i',
      'gcc -w -c T/1/wb/b.i',
    ]);
    expect(listTree(w).filter((f) => f.endsWith('.o'))).toEqual(['a.o', 'b.o', 'c.o', 'd.o']);
  });
  it('a caching/distributing wrapper only sees the instrumented compile', async () => {
    const w = project('wrapper');
    const fake = argvLogger(w, 'ccache');
    const env = { ...stub('identity'), CC_WB_CC: `${fake} gcc`, LOGDIR: join(w, 'log') };
    expect((await ccwb(['-c', 'sub/a.c'], { cwd: w, env })).exitCode).toBe(0);
    const calls = loggedCalls(w);
    expect(calls.length).toBe(1);
    expect(calls[0]!.slice(0, 3)).toEqual(['gcc', '-w', '-c']);
    // the same through the `cc-wb ccache gcc ...` prefix form
    rmSync(join(w, 'log'), { recursive: true });
    argvLogger(w, 'ccache');
    expect((await ccwb([fake, 'gcc', '-c', 'b.c'], { cwd: w, env: { ...stub('identity'), LOGDIR: join(w, 'log') } })).exitCode).toBe(0);
    expect(loggedCalls(w).map((c) => c[0])).toEqual(['gcc']);
  });
  it('real distcc: the instrumented compile is sent to the build farm (no -x, which distcc runs locally)', async () => {
    const w = project('distcc', { 'distcc/.keep': '' });
    // nothing listens on this port: distcc tries, says so, and compiles locally
    const env = { CC_WB_CC: 'distcc gcc', DISTCC_HOSTS: '127.0.0.1:9/1', DISTCC_VERBOSE: '1', DISTCC_DIR: join(w, 'distcc') };
    const r = await ccwb(['-O2', '-c', 'sub/a.c', '-o', 'out/a.o'], { cwd: w, env });
    expect(r.exitCode).toBe(0);
    expect(r.stderr.match(/\(dcc_scan_args\) scanning arguments: gcc /g)?.length).toBe(1);
    expect(r.stderr).toMatch(/connecting to 127\.0\.0\.1 port 9/);
    expect(r.stderr).toMatch(/\(dcc_scan_args\) found input file ".*\/wb\/a\.i"/);
    expect(existsSync(join(w, 'out/a.o'))).toBe(true);
  });
  it('real ccache: the second compile of the same source is a cache hit, same object', async () => {
    const w = project('ccache');
    const env = { CC_WB_CC: 'ccache gcc', CCACHE_DIR: join(w, 'cache'), CCACHE_TEMPDIR: join(w, 'cache-tmp') };
    for (const i of [1, 2]) expect((await ccwb(['-O2', '-c', 'sub/a.c', '-o', `a${i}.o`], { cwd: w, env })).exitCode).toBe(0);
    expect(readFileSync(join(w, 'a1.o')).equals(readFileSync(join(w, 'a2.o')))).toBe(true);
    const stats = String((await execa('ccache', ['--print-stats'], { env: { CCACHE_DIR: join(w, 'cache') } })).stdout);
    const get = (k: string) => Number(new RegExp(`^${k}\\t(\\d+)$`, 'm').exec(stats)?.[1] ?? NaN);
    expect(get('cache_miss')).toBe(1);
    expect(get('direct_cache_hit') + get('preprocessed_cache_hit')).toBe(1);
  });
});
