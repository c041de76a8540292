// A program linked from one C source in which the pass changes nothing (configure's link and run
// tests, mostly) is built by one run of the user's own command with the runtime appended: no
// diagnostics compile, no second compile. An object from a small such unit (configure's compile
// tests) needs its step 2 for the metadata, which then runs with the user's warnings on: if it says
// nothing, the diagnostics compile is not needed either. Everything else keeps the diagnostics
// compile.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argvLogger, ccwb, gcc, loggedCalls, removeScratch, requireBuilt, RUNTIME, scratch, writeTree } from './helpers.js';

beforeAll(requireBuilt, 120_000);
afterAll(removeScratch);

const FILES: Record<string, string> = {
  // no pointer store, no rerouted call; -Wall -O2 warns (uninitialised use, unused variable)
  'plain.c': '#include <stdio.h>\nint main(void) { int x; int unused; printf("%d\\n", 41 + (x & 0) + 1); return x & 0; }\n',
  // a pointer store: barriered
  'store.c': '#include <stdio.h>\nint *g;\nint main(void) { int x = 42; g = &x; printf("%d\\n", *g); return 0; }\n',
  // an error the compiler reports
  'broken.c': 'int main(void) { return y; }\n',
  // the assembler warns (only step 2 assembles); -Wall warns about the code too
  'aswarn.c': 'int main(void) { int unused; __asm__(".warning \\"from the assembler\\""); return 0; }\n',
};

interface Unit {
  instrumented: boolean;
  sites: unknown[];
  stats: { barriered: number; calls: number };
}

/** cc-wb on the files above in a fresh folder, with every compiler call it makes recorded. */
async function traced(args: string[]) {
  const dir = scratch('once');
  writeTree(dir, FILES);
  const logcc = argvLogger(dir);
  const report = join(dir, 'report.jsonl');
  const r = await ccwb([...args, `--wb-report=${report}`], { cwd: dir, env: { CC_WB_CC: `${logcc} gcc`, LOGDIR: join(dir, 'log') } });
  const calls = loggedCalls(dir).map((c) => c.slice(1)); // without "gcc"
  const units = readFileSync(report, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Unit);
  return { dir, r, calls, units };
}

describe('a program whose unit the pass leaves alone is compiled once', () => {
  it("runs the user's command with the runtime, and prints exactly the compiler's messages", async () => {
    const args = ['-O2', '-Wall', 'plain.c', '-o', 'plain'];
    const { dir, r, calls, units } = await traced(args);
    const ref = await gcc([...args.slice(0, -1), 'ref'], { cwd: dir });
    expect(ref.stderr).toMatch(/-Wunused-variable/);
    expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr.replaceAll('ref', 'plain')]);
    // step 1 (for the pass), then the user's own command: no diagnostics compile, no step 2
    expect(calls).toHaveLength(2);
    expect(calls[0]).toContain('-E');
    expect(calls[1]).toEqual([...args, RUNTIME, '-Wl,--export-dynamic-symbol=__wb_*']);
    expect(units).toHaveLength(1);
    expect([units[0]!.instrumented, units[0]!.sites, units[0]!.stats.barriered, units[0]!.stats.calls]).toEqual([true, [], 0, 0]);
    expect((await execa(join(dir, 'plain'))).stdout).toBe('42');
  });

  it('--wb-keep keeps the preprocessed unit, and no instrumented text that was never compiled', async () => {
    const { dir, r, calls } = await traced(['-O2', 'plain.c', '-o', 'plain', '--wb-keep=kept']);
    expect(r.exitCode).toBe(0);
    expect(calls).toHaveLength(2);
    expect(readdirSync(join(dir, 'kept'))).toEqual(['plain.i']);
  });

  it("a compile error is the compiler's own, status and messages", async () => {
    const { dir, r, calls } = await traced(['broken.c', '-o', 'broken']);
    const ref = await gcc(['broken.c', '-o', 'broken'], { cwd: dir });
    expect(ref.exitCode).not.toBe(0);
    expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr]);
    expect(calls).toHaveLength(2);
  });

  it('a unit with a pointer store keeps the diagnostics compile and its barrier', async () => {
    const { dir, r, calls, units } = await traced(['-O2', '-Wall', 'store.c', '-o', 'store']);
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect(calls.map((c) => (c.includes('-E') ? 'E' : c.includes('-S') ? 'S' : 'link'))).toEqual(['E', 'S', 'link']);
    expect(units[0]!.stats.barriered).toBe(1);
    expect((await execa(join(dir, 'store'))).stdout).toBe('42');
  });

  it('shared libraries keep their metadata: the usual two compiles', async () => {
    const shared = await traced(['-O2', '-fPIC', '-shared', 'plain.c', '-o', 'libplain.so']);
    expect(shared.r.exitCode).toBe(0);
    expect(shared.calls).toHaveLength(3);
    expect(shared.calls.at(-1)!.some((w) => w.endsWith('/libwbrt_dso.a'))).toBe(true);
  });
});

describe('an object whose small unit the pass leaves alone needs no diagnostics compile', () => {
  it('one compile with the metadata when it says nothing', async () => {
    const { dir, r, calls, units } = await traced(['-O2', '-c', 'plain.c', '-o', 'plain.o']);
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    // step 1, then step 2 with the user's warnings on (no -w): it said nothing, so that is all
    expect(calls.map((c) => (c.includes('-E') ? 'E' : c.includes('-S') ? 'S' : c.includes('-w') ? 'quiet' : 'c'))).toEqual(['E', 'c']);
    expect(units[0]!.instrumented).toBe(true);
    const sections = (await execa('objdump', ['-h', join(dir, 'plain.o')])).stdout;
    expect(sections).toMatch(/\bwb_meta\b/);
  });

  it('the diagnostics compile still speaks for a unit that warns: the same text as gcc', async () => {
    const args = ['-O2', '-Wall', '-c', 'plain.c', '-o', 'plain.o'];
    const { dir, r, calls } = await traced(args);
    const ref = await gcc(['-O2', '-Wall', '-c', 'plain.c', '-o', 'ref.o'], { cwd: dir });
    expect(ref.stderr).toMatch(/-Wunused-variable/);
    expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr]);
    expect(calls.map((c) => (c.includes('-E') ? 'E' : c.includes('-S') ? 'S' : 'c'))).toEqual(['E', 'c', 'S']);
    const sections = (await execa('objdump', ['-h', join(dir, 'plain.o')])).stdout;
    expect(sections).toMatch(/\bwb_meta\b/);
  });

  it('clang: the same text, its closing "N warnings generated." once', async () => {
    const dir = scratch('once-clang');
    writeTree(dir, FILES);
    const args = ['-O2', '-Wall', '-c', 'plain.c', '-o', 'plain.o'];
    const r = await ccwb(['clang', ...args], { cwd: dir });
    const ref = await gcc([...args.slice(0, -1), 'ref.o'], { cwd: dir, command: 'clang' });
    expect(ref.stderr).toMatch(/^\d+ warnings? generated\.$/m);
    expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr]);
  });

  it("the assembler's messages once, after the compiler's", async () => {
    for (const flags of [[], ['-Wall']]) {
      const args = [...flags, '-c', 'aswarn.c', '-o', 'aswarn.o'];
      const { dir, r } = await traced(args);
      const ref = await gcc([...flags, '-c', 'aswarn.c', '-o', 'ref.o'], { cwd: dir });
      expect(ref.stderr).toMatch(/Warning: from the assembler/);
      expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr]);
    }
  });

  it("an error is the compiler's own: status and messages", async () => {
    const { dir, r, calls } = await traced(['-c', 'broken.c', '-o', 'broken.o']);
    const ref = await gcc(['-c', 'broken.c', '-o', 'broken.o'], { cwd: dir });
    expect(ref.exitCode).not.toBe(0);
    expect([r.exitCode, r.stderr]).toEqual([ref.exitCode, ref.stderr]);
    expect(calls.map((c) => (c.includes('-E') ? 'E' : c.includes('-S') ? 'S' : 'c'))).toEqual(['E', 'c', 'S']);
  });

  it('a unit with a pointer store keeps its diagnostics compile beside the quiet step 2', async () => {
    const { r, calls } = await traced(['-O2', '-c', 'store.c', '-o', 'store.o']);
    expect(r.exitCode).toBe(0);
    expect(calls.map((c) => (c.includes('-E') ? 'E' : c.includes('-S') ? 'S' : c.includes('-w') ? 'quiet' : 'c')).sort()).toEqual(['E', 'S', 'quiet']);
  });
});
