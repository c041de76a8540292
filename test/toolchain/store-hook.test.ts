// The x86-64 form of the pointer store barrier: one asm statement that claims to clobber nothing
// but the flags, and __wb_store_hook (runtime-c/src/store_hook.c), which must then save every
// register the C runtime touches. The fixture keeps general and vector values live across its
// stores; under WB_STRESS=1 each store goes into the runtime's C code, and WB_POISON_VECTORS=1
// makes that code zero every vector register and reset the x87 stack. Its output must match the
// plain gcc build's.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccwb, gcc, removeScratch, requireBuilt, root, scratch, undefinedSymbols } from './helpers.js';

beforeAll(requireBuilt, 120_000);
afterAll(removeScratch);

const fixture = join(root, 'test', 'toolchain', 'fixtures', 'store-hook.c');
const hasAvx2 = /^flags\s*:.*\bavx2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
const stressEnv = { WB_STRESS: '1', WB_POISON_VECTORS: '1', WB_PRINT_STATS: '1' };

async function run(exe: string, env: NodeJS.ProcessEnv = {}) {
  const r = await execa(exe, [], { env: { ...process.env, ...env }, reject: false });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The runtime's counters, printed at exit by WB_PRINT_STATS=1. */
function stats(stderr: string): Record<string, number> {
  const line = stderr.split('\n').find((l) => l.startsWith('{"cc-wb-stats"'));
  expect(line, stderr).toBeDefined();
  return (JSON.parse(line!) as { 'cc-wb-stats': Record<string, number> })['cc-wb-stats'];
}

describe('x86-64 store hook', () => {
  it('leaves the red zone of the interrupted function alone (record assignment in a leaf function)', async () => {
    const dir = scratch('red-zone');
    const source = join(root, 'test', 'toolchain', 'fixtures', 'red-zone.c');
    for (const opt of ['-O1', '-O2']) {
      const built = await ccwb([opt, source, '-o', 'wb'], { cwd: dir });
      expect(built.exitCode, built.stderr).toBe(0);
      // Under WB_STRESS=1 the host is active: each assignment runs the stub, which builds its
      // frame below %rsp before the hook decides the range holds nothing counted. With a
      // 160-byte frame the size slot landed on the zone's lowest word: 1000 corrupted.
      const stressed = await run(join(dir, 'wb'), { WB_STRESS: '1' });
      expect(stressed.stdout, opt).toBe('0 corrupted, last n 999');
      expect(stressed.code).toBe(0);
    }
  });

  const cases: Array<{ name: string; flags: string[]; compiler?: string }> = [
    { name: 'gcc -O2', flags: ['-O2'] },
    { name: 'gcc -O0', flags: ['-O0'] },
    { name: 'gcc -O2 -mavx2 (ymm values live across stores)', flags: ['-O2', '-mavx2'] },
    { name: 'gcc -O2 -masm=intel', flags: ['-O2', '-masm=intel'] },
    { name: 'gcc -O2 -fPIC', flags: ['-O2', '-fPIC'] },
    { name: 'clang -O2 -mavx2', flags: ['-O2', '-mavx2'], compiler: 'clang' },
  ];
  for (const c of cases) {
    it(`keeps every live register across stores that reach the runtime (${c.name})`, async () => {
      const dir = scratch('store-hook');
      const plain = await gcc([...c.flags, fixture, '-o', 'plain'], { cwd: dir, command: c.compiler });
      expect(plain.exitCode, plain.stderr).toBe(0);
      const built = await ccwb([...(c.compiler ? [c.compiler] : []), ...c.flags, fixture, '-o', 'wb'], { cwd: dir });
      expect(built.exitCode, built.stderr).toBe(0);
      const expected = await run(join(dir, 'plain'));
      expect(expected.code).toBe(0);
      expect(expected.stdout).toMatch(/^mix \d+\n/);
      if (c.flags.includes('-mavx2') && hasAvx2) expect(expected.stdout).toMatch(/\nwide [\d.]+\n/);

      const noHost = await run(join(dir, 'wb'));
      expect(noHost.stdout).toBe(expected.stdout);
      const stressed = await run(join(dir, 'wb'), stressEnv);
      expect(stressed.code, stressed.stderr).toBe(0);
      expect(stressed.stdout).toBe(expected.stdout);
      // 10 rounds of 1000 stores in mix, plus main's own: all of them went through the C half.
      const s = stats(stressed.stderr);
      expect(s.counted_stores).toBeGreaterThanOrEqual(11_000);
      // mix's two record assignments per step (20,000) went through __wb_range_hook into C.
      expect(s.range_ops).toBeGreaterThanOrEqual(20_000);
      expect(s.events_lost).toBe(0);
      // Some of them filled an event chunk and ran the (null) host's flush, which under
      // WB_POISON_VECTORS leaves values on the x87 stack: mix's long double must survive that.
      expect(s.flushes).toBeGreaterThanOrEqual(1);
    });
  }

  // The hook keeps the vector registers but not the x87 stack (where the interrupted code may hold
  // long doubles): that is sound only while no code the store path runs uses x87 instructions,
  // but for the host's flush, around which events.c saves the x87 state (call_flush).
  it('leaves the x87 stack alone: the runtime has no x87 instructions outside call_flush', async () => {
    for (const lib of ['libwbrt.a', 'libwbrt_pic.a']) {
      const d = await execa('objdump', ['-d', '--no-show-raw-insn', join(root, 'runtime-c', 'build', lib)]);
      const x87: string[] = [];
      let fn = '';
      let functions = 0;
      for (const line of String(d.stdout).split('\n')) {
        const head = /^[0-9a-f]+ <(.+)>:$/.exec(line);
        if (head) { fn = head[1]!; functions++; continue; }
        const insn = /^ +[0-9a-f]+:\t(\S+)/.exec(line);
        if (insn && /^f/.test(insn[1]!) && !/^fx(save|rstor)/.test(insn[1]!)) x87.push(`${fn}: ${insn[1]}`);
      }
      expect(functions).toBeGreaterThan(100);
      expect(x87.filter((i) => !i.startsWith('call_flush:')), lib).toEqual([]);
      expect(x87).toContain('call_flush: fnsave');
      expect(x87).toContain('call_flush: frstor');
    }
  });

  it('is the form cc-wb emits on x86-64: the object calls __wb_store_hook and __wb_range_hook, not the C entry points', async () => {
    const dir = scratch('store-hook-form');
    const r = await ccwb(['-O2', '-c', fixture, '-o', 'f.o'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const undef = await undefinedSymbols(join(dir, 'f.o'));
    expect(undef).toContain('__wb_store_hook');
    expect(undef).toContain('__wb_range_hook');
    expect(undef).not.toContain('__wb_store_before');
    expect(undef).not.toContain('__wb_range_assign_slow');
  });

  it('lets a debugger unwind from the runtime through the hook into the instrumented function', async () => {
    const dir = scratch('store-hook-gdb');
    const r = await ccwb(['-O2', '-g', fixture, '-o', 'wb'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    // Skip main's own stores (1000 boxes, 1000 refs) so the stop is inside mix's loop.
    const g = await execa(
      'gdb',
      ['-batch', '-nx', '-ex', 'break __wbrt_store_hook_slow', '-ex', 'run', '-ex', 'continue 2500', '-ex', 'bt', join(dir, 'wb')],
      { env: { ...process.env, WB_STRESS: '1' }, reject: false },
    );
    const bt = String(g.stdout);
    expect(bt, `${bt}\n${String(g.stderr)}`).toMatch(/#0 .*__wbrt_store_hook_slow/);
    expect(bt).toMatch(/#1 .*__wb_store_hook/);
    expect(bt).toMatch(/#2 .*mix/);
    expect(bt).toMatch(/#3 .*main/);
    // The same through the record-assignment hook (only mix copies records).
    const gr = await execa(
      'gdb',
      ['-batch', '-nx', '-ex', 'break __wbrt_range_hook_slow', '-ex', 'run', '-ex', 'continue 10', '-ex', 'bt', join(dir, 'wb')],
      { env: { ...process.env, WB_STRESS: '1' }, reject: false },
    );
    const rbt = String(gr.stdout);
    expect(rbt, `${rbt}\n${String(gr.stderr)}`).toMatch(/#0 .*__wbrt_range_hook_slow/);
    expect(rbt).toMatch(/#1 .*__wb_range_hook/);
    expect(rbt).toMatch(/#2 .*mix/);
    expect(rbt).toMatch(/#3 .*main/);
  });

  // valgrind follows calls by their call/return pairs and memcheck treats the 128 bytes below the
  // stack pointer after a return as dead: the hook is called and returns into its stub, so
  // neither loses track of the interrupted function (its live red zone included).
  it('runs under memcheck with the shipped suppressions: no errors, same output', async () => {
    const dir = scratch('store-hook-memcheck');
    const r = await ccwb(['-O2', '-g', fixture, '-o', 'wb'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const plain = await gcc(['-O2', fixture, '-o', 'plain'], { cwd: dir });
    expect(plain.exitCode, plain.stderr).toBe(0);
    const expected = await run(join(dir, 'plain'));
    const supp = await ccwb(['--wb-print-valgrind-supp'], { cwd: dir });
    expect(supp.exitCode, supp.stderr).toBe(0);
    expect(existsSync(supp.stdout.trim())).toBe(true);
    const v = await execa('valgrind', ['-q', '--error-exitcode=9', `--suppressions=${supp.stdout.trim()}`, join(dir, 'wb')], {
      env: { ...process.env, ...stressEnv }, reject: false, timeout: 240_000,
    });
    expect(v.exitCode, String(v.stderr)).toBe(0);
    expect(String(v.stdout)).toBe(expected.stdout);
    expect(stats(String(v.stderr)).counted_stores).toBeGreaterThanOrEqual(11_000);
  }, 300_000);

  it('runs under callgrind, which sees the hook as a function called from the stub', async () => {
    const dir = scratch('store-hook-callgrind');
    const r = await ccwb(['-O2', '-g', fixture, '-o', 'wb'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = join(dir, 'cg.out');
    // A hang guard, not a timing: with a jump in and a return to where no call had pushed, callgrind
    // took over ten minutes here for what now takes seconds.
    const v = await execa('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, join(dir, 'wb')], {
      env: { ...process.env, WB_STRESS: '1' }, reject: false, timeout: 240_000,
    });
    expect(v.exitCode, String(v.stderr)).toBe(0);
    const profile = readFileSync(out, 'utf8');
    // The hook appears as called (cfn=) with a call count, from a caller in the program.
    // (callgrind names a function once, at its first fn= or cfn= line, and by number after that)
    const id = /^c?fn=\((\d+)\) __wb_store_hook$/m.exec(profile)?.[1];
    expect(id).toBeDefined();
    expect(profile).toMatch(new RegExp(`^cfn=\\(${id}\\)( __wb_store_hook)?\ncalls=\\d+`, 'm'));
    // ... and its cost (the C half's included) is charged to mix, whose stores called it.
    const ann = await execa('callgrind_annotate', ['--inclusive=yes', out], { reject: false });
    // callgrind_annotate may list a function once per source file it has lines from: take the largest.
    const inclusive = (fn: string) =>
      Math.max(0, ...[...String(ann.stdout).matchAll(new RegExp(`^\\s*([\\d,]+) \\([^)]*\\)\\s+\\S*:${fn}(?: |$)`, 'gm'))].map((m) => Number(m[1]!.replace(/,/g, ''))));
    expect(inclusive('__wb_store_hook')).toBeGreaterThan(0);
    expect(inclusive('mix')).toBeGreaterThan(inclusive('__wb_store_hook') / 2);
  }, 300_000);
});
