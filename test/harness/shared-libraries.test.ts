// Shared libraries built by cc-wb keep their ABI: a real library (Debian's libbz2) exports exactly
// what its plain build exports, with and without export control (a version script, as libtool's
// -export-symbols-regex writes one; -fvisibility=hidden), and the program Debian links against it
// (`bzip2`, `-L. -lbz2`) runs against both the instrumented library and the system's plain one.
// The runtime is the process's libwbrt.so (runtime-c/README.md, "Linking").
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProject, type BuildResult } from '../../harness/build.js';
import { compilerUnderTest, referenceCompiler } from '../../harness/compilers.js';
import { TEST_PROJECTS as PROJECTS } from '../../harness/programs.js';
import { removeScratch, scratch } from '../toolchain/helpers.js';

const underTest = compilerUnderTest();
const reference = referenceCompiler();
const SYSTEM_LIBBZ2 = '/lib/x86_64-linux-gnu/libbz2.so.1.0';
/** libbz2's sources (Makefile-libbz2_so's OBJS). */
const LIBBZ2 = ['blocksort.c', 'huffman.c', 'crctable.c', 'randtable.c', 'compress.c', 'decompress.c', 'bzlib.c'];

let plain: BuildResult;
let test: BuildResult;

beforeAll(async () => {
  [plain, test] = [await buildProject(PROJECTS.bzip2, reference), await buildProject(PROJECTS.bzip2, underTest)];
}, 1_800_000);
afterAll(removeScratch);

/** `nm -D --defined-only` as "type name" lines (addresses differ between builds), sorted. */
async function exportsOf(file: string): Promise<string[]> {
  const r = await execa('nm', ['-D', '--defined-only', file]);
  return String(r.stdout).split('\n').filter(Boolean).map((l) => l.split(/\s+/).slice(1).join(' ')).sort();
}

async function dynamic(file: string): Promise<string> {
  return String((await execa('readelf', ['-d', file])).stdout);
}

describe(`shared libraries built by ${underTest.label}`, () => {
  it("libbz2.so exports exactly the plain build's names, and needs the process-wide runtime", async () => {
    const lib = 'libbz2.so.1.0.4';
    const mine = await exportsOf(join(test.dir, lib));
    expect(mine.length).toBeGreaterThan(20);
    expect(mine).toEqual(await exportsOf(join(plain.dir, lib)));
    if (underTest.label === 'cc-wb') expect(await dynamic(join(test.dir, lib))).toMatch(/\(NEEDED\)\s+Shared library: \[libwbrt\.so\.\d+\]/);
  });

  it.each([
    ['a version script (what libtool -export-symbols-regex writes)', ['-Wl,--version-script=bz2.map']],
    ['-fvisibility=hidden', ['-fvisibility=hidden']],
    ['-fvisibility=hidden and a version script', ['-fvisibility=hidden', '-Wl,--version-script=bz2.map']],
  ])('with %s, the export list is the plain build\'s', async (_what, flags) => {
    const dir = scratch(`bz2-exports-${flags.length}-${flags[0]!.slice(2, 6)}`);
    // libtool turns -export-symbols-regex '^BZ2_bzBuff' into this (a version script on GNU/Linux)
    writeFileSync(join(dir, 'bz2.map'), '{ global: BZ2_bzBuffToBuffCompress; BZ2_bzBuffToBuffDecompress; local: *; };\n');
    const sources = LIBBZ2.map((s) => join(plain.dir, s));
    const link = async (words: string[], out: string) => {
      const r = await execa(words[0]!, [...words.slice(1), '-O2', '-fPIC', '-shared', ...flags, ...sources, '-o', out], { cwd: dir, reject: false, env: { ...process.env, CC_WB_STRICT: '1' } });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return exportsOf(join(dir, out));
    };
    const [cc, wb] = [await link(reference.words, 'plain.so'), await link(underTest.words, 'wb.so')];
    expect(wb).toEqual(cc);
    // (with -fvisibility=hidden as well, the script can export nothing: both lists are empty)
    if (flags.length === 1 && flags[0]!.includes('version-script')) expect(cc).toEqual(['T BZ2_bzBuffToBuffCompress', 'T BZ2_bzBuffToBuffDecompress']);
  });

  it('bzip2, linked with -L. -lbz2, runs against the instrumented libbz2 and against the system\'s plain one', async () => {
    expect(await dynamic(join(test.dir, 'bzip2'))).toMatch(/\(NEEDED\)\s+Shared library: \[libbz2\.so\.1\.0\]/);
    expect(existsSync(SYSTEM_LIBBZ2)).toBe(true);
    const input = readFileSync(join(test.dir, 'sample1.ref'));
    const expected = (await execa(join(plain.dir, 'bzip2'), ['-9'], { input, encoding: 'buffer', env: { LD_LIBRARY_PATH: plain.dir } })).stdout;
    const run = async (env: Record<string, string>) => {
      const r = await execa(join(test.dir, 'bzip2'), ['-9'], { input, encoding: 'buffer', reject: false, env, extendEnv: false });
      expect(String(r.stderr)).toBe('');
      expect(r.exitCode).toBe(0);
      return Buffer.from(r.stdout);
    };
    // the build tree's instrumented libbz2.so.1.0, as `make test` runs it
    expect((await run({ LD_LIBRARY_PATH: test.dir })).equals(Buffer.from(expected))).toBe(true);
    // the system's plain libbz2.so.1.0, as the program runs once installed
    const system = await run({});
    expect(system.equals(Buffer.from(expected))).toBe(true);
    const which = await execa('ldd', [join(test.dir, 'bzip2')], { extendEnv: false, env: {} });
    expect(String(which.stdout)).toContain(`libbz2.so.1.0 => ${SYSTEM_LIBBZ2}`);
  });

  it('under stress mode, the library\'s barriers report to the program\'s runtime (one runtime per process)', async () => {
    if (underTest.label !== 'cc-wb') return;
    const input = readFileSync(join(test.dir, 'sample1.ref'));
    const counted = async (env: Record<string, string>) => {
      const r = await execa(join(test.dir, 'bzip2'), ['-9'], { input, encoding: 'buffer', reject: false, extendEnv: false, env: { ...env, WB_STRESS: '1', WB_PRINT_STATS: '1' } });
      expect(r.exitCode).toBe(0);
      // one statistics line: the libwbrt.so the library needs stays idle and prints none
      const lines = Buffer.from(r.stderr).toString().split('\n').filter((l) => l.includes('cc-wb-stats'));
      expect(lines).toHaveLength(1);
      return (JSON.parse(lines[0]!) as { 'cc-wb-stats': Record<string, number> })['cc-wb-stats'].counted_stores!;
    };
    // with the instrumented libbz2, its stores into the records it allocates are counted too
    expect(await counted({ LD_LIBRARY_PATH: test.dir })).toBeGreaterThan(await counted({}));
  });
});
