// gcc's refusals and odd inputs: an output that is an input, a missing or unusable TMPDIR, inputs
// that are not readable files, a nonexistent output directory, no arguments, bad response files.
// Each behaves as plain gcc does (same messages, same status) or gets one clear line: never a
// stack trace.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccwb, gcc, removeScratch, requireBuilt, scratch, writeTree } from './helpers.js';

beforeAll(requireBuilt, 120_000);
afterAll(removeScratch);

const SRC = 'int *g;\nint main(void) { static int x; g = &x; return 0; }\n';
const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);

describe('an output that names an input is refused, as gcc refuses it', () => {
  for (const compiler of ['gcc', 'clang']) {
    it(`with ${compiler} underneath (clang alone would overwrite the source)`, async () => {
      const dir = scratch('same-file');
      writeTree(dir, { 'foo.c': SRC });
      symlinkSync('foo.c', join(dir, 'link.c'));
      for (const args of [['foo.c', '-o', 'foo.c'], ['-c', 'foo.c', '-o', './foo.c'], ['foo.c', '-o', 'link.c'], ['-S', 'foo.c', '-o', 'foo.c']]) {
        const r = await ccwb([compiler, ...args], { cwd: dir });
        expect([r.exitCode, r.stderr], args.join(' ')).toEqual([1, `cc-wb: fatal error: input file '${args[args.length - 1]}' is the same as output file\ncompilation terminated.\n`]);
        expect(readFileSync(join(dir, 'foo.c'), 'utf8')).toBe(SRC);
      }
    });
  }
  it('the message is gcc\'s own, word for word (in the C locale and in a UTF-8 one)', async () => {
    const dir = scratch('same-file-gcc');
    writeTree(dir, { 'foo.c': SRC });
    const plain = await gcc(['foo.c', '-o', 'foo.c'], { cwd: dir });
    const wb = await ccwb(['foo.c', '-o', 'foo.c'], { cwd: dir });
    expect([wb.exitCode, wb.stderr.replace(/^cc-wb:/, 'gcc:')]).toEqual([plain.exitCode, plain.stderr]);
    const utf8 = await ccwb(['foo.c', '-o', 'foo.c'], { cwd: dir, env: { LC_ALL: 'C.UTF-8' } });
    expect(utf8.stderr).toBe('cc-wb: fatal error: input file ‘foo.c’ is the same as output file\ncompilation terminated.\n');
  });
  it('an object file linked onto itself too; /dev/null and other outputs are fine', async () => {
    const dir = scratch('same-file-o');
    writeTree(dir, { 'foo.c': SRC });
    expect((await ccwb(['-c', 'foo.c'], { cwd: dir })).exitCode).toBe(0);
    const r = await ccwb(['foo.o', '-o', 'foo.o'], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/input file 'foo.o' is the same as output file/);
    expect((await ccwb(['-c', 'foo.c', '-o', '/dev/null'], { cwd: dir })).exitCode).toBe(0);
  });
});

describe('the temporary directory', () => {
  for (const [what, tmp] of [['missing', '/nonexistent/tmp'], ['a file', 'FILE'], ['read-only (for a user other than root)', 'RO']] as const) {
    it(`TMPDIR ${what}: cc-wb falls back as gcc does (TMP, TEMP, /tmp, ...) and compiles`, async () => {
      const dir = scratch('tmpdir');
      writeTree(dir, { 'foo.c': SRC, FILE: '' });
      mkdirSync(join(dir, 'RO'));
      chmodSync(join(dir, 'RO'), 0o555);
      const value = tmp.startsWith('/') ? tmp : join(dir, tmp);
      const env = { TMPDIR: value, CC_WB_SERVER: '0' };
      const plain = await gcc(['foo.c', '-o', 'plain'], { cwd: dir });
      const r = await ccwb(['-Wall', 'foo.c', '-o', 'prog', '--wb-stats'], { cwd: dir, env });
      noStack(r.stderr);
      expect(r.exitCode).toBe(plain.exitCode);
      expect(r.stderr).toMatch(/barriered 1\b|1 barriered|barriered: 1/);
    });
  }
});

describe('odd inputs get gcc\'s behaviour and never a stack trace', () => {
  const same = async (args: string[], setup: (dir: string) => void = () => {}) => {
    const dir = scratch('odd');
    writeTree(dir, { 'foo.c': SRC });
    setup(dir);
    const plain = await gcc(args, { cwd: dir, command: 'cc' });
    const wb = await ccwb(args, { cwd: dir });
    noStack(wb.stderr);
    expect([wb.exitCode, wb.stderr], args.join(' ')).toEqual([plain.exitCode, plain.stderr]);
    return wb;
  };
  it('a missing input', async () => {
    expect((await same(['-c', 'missing.c'])).exitCode).toBe(1);
  });
  it('a directory as input (compiled, linked)', async () => {
    await same(['-c', 'sub'], (d) => mkdirSync(join(d, 'sub')));
    await same(['-c', 'sub.c'], (d) => mkdirSync(join(d, 'sub.c')));
    expect((await same(['foo.c', 'sub'], (d) => mkdirSync(join(d, 'sub')))).exitCode).toBe(1);
  });
  it('an unreadable input', async () => {
    // root reads anything: a FIFO with no writer would block; a dangling link is unreadable for everyone
    await same(['-c', 'dangling.c'], (d) => symlinkSync('nowhere.c', join(d, 'dangling.c')));
  });
  it('a nonexistent output directory (-c and link)', async () => {
    expect((await same(['-c', 'foo.c', '-o', 'no/such/dir/foo.o'])).exitCode).toBe(1);
    expect((await same(['foo.c', '-o', 'no/such/dir/prog'])).exitCode).toBe(1);
  });
  it('no arguments at all', async () => {
    expect((await same([])).exitCode).toBe(1);
  });
  it('bad response files: missing, unterminated quote', async () => {
    await same(['@missing.rsp']);
    await same(['@bad.rsp'], (d) => writeFileSync(join(d, 'bad.rsp'), '"unterminated\n'));
  });
  it('a file name that is not UTF-8: one clear line', async () => {
    const dir = scratch('odd-utf8');
    const name = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff]), Buffer.from('.c')]);
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), name]), SRC);
    const { execa } = await import('execa');
    const { CCWB } = await import('./helpers.js');
    // execa takes strings: give the raw bytes through a shell
    const r = await execa('sh', ['-c', `exec "${CCWB}" -c "$(printf 'bad\\377.c')"`], { cwd: dir, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("cc-wb: error: argument 'bad\\xff.c' is not valid UTF-8; cc-wb cannot pass it on unchanged (rename the file, or build it with the plain compiler)");
  });
  it('an internal error is one line and a hint, the stack only with CC_WB_DEBUG', async () => {
    const dir = scratch('odd-internal');
    writeTree(dir, { 'foo.c': SRC });
    const r = await ccwb(['-c', 'foo.c'], { cwd: dir, env: { CC_WB_PASS_MODULE: join(dir, 'missing-pass.mjs'), CC_WB_SERVER: '0' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(3);
    expect(r.stderr).toMatch(/^cc-wb: internal error: Cannot find module .*missing-pass\.mjs.*\ncc-wb: note: CC_WB_DEBUG=1 shows where/);
    noStack(r.stderr);
    const debug = await ccwb(['-c', 'foo.c'], { cwd: dir, env: { CC_WB_PASS_MODULE: join(dir, 'missing-pass.mjs'), CC_WB_SERVER: '0', CC_WB_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});
