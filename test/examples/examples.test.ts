// examples/cmake and examples/autotools build with cc-wb as their documentation says, the
// libraries they make carry barriers and the runtime, and the programs behave as written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ccWb = join(root, 'toolchain', 'bin', 'cc-wb.js');
const work = mkdtempSync(join(tmpdir(), 'cc-wb-examples-'));

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'toolchain', 'driver.js'))) throw new Error("dist/ is missing: run 'npm run build' first");
  await execa('make', ['-s', '-C', join(root, 'runtime-c')]);
});

afterAll(() => {
  if (!process.env.CC_WB_TEST_KEEP) rmSync(work, { recursive: true, force: true });
});

interface Unit {
  sites: Array<{ file: string; kind: string; line: number; detail: string }>;
}

/** The barriered sites cc-wb reported (CC_WB_REPORT) in the named source file. */
function sitesIn(report: string, file: string): Unit['sites'] {
  const units = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Unit);
  return units.flatMap((u) => u.sites).filter((s) => s.file.endsWith(`/${file}`) || s.file === file);
}

/**
 * How a shared library cc-wb built reaches the runtime: it exports none of the runtime's names
 * (its export list is the plain build's) and depends on the process-wide libwbrt.so.
 */
async function expectManagedLibrary(library: string): Promise<void> {
  const nm = await execa('nm', ['-D', '--defined-only', library]);
  expect(nm.stdout).not.toMatch(/ __wb_/);
  const dynamic = await execa('readelf', ['-d', library]);
  expect(dynamic.stdout).toMatch(/\(NEEDED\)\s+Shared library: \[libwbrt\.so\.\d+\]/);
}

describe('examples/cmake (toolchain file)', () => {
  it('configures, builds and runs with cc-wb as the C compiler', async () => {
    const build = join(work, 'cmake-build');
    const report = join(work, 'cmake-report.jsonl');
    const env = { CC_WB_REPORT: report };
    const source = join(root, 'examples', 'cmake');
    const configure = await execa(
      'cmake',
      // No -DCC_WB: the toolchain file finds the cc-wb of the checkout (or package) it is in.
      ['-S', source, '-B', build, `-DCMAKE_TOOLCHAIN_FILE=${join(source, 'cc-wb.cmake')}`],
      { env },
    );
    expect(configure.stdout).toMatch(/The C compiler identification is GNU|The C compiler identification is Clang/);
    expect(readFileSync(join(build, 'CMakeCache.txt'), 'utf8')).toContain(`CC_WB:FILEPATH=${ccWb}`);
    await execa('cmake', ['--build', build], { env });

    const sites = sitesIn(report, 'queue.c');
    // it->text, it->next, q->tail->next, q->head (twice), q->tail (twice), and the renamed calls.
    expect(sites.filter((s) => s.kind === 'assign').length).toBeGreaterThanOrEqual(6);
    expect(sites.filter((s) => s.kind === 'call').map((s) => s.detail)).toEqual(expect.arrayContaining(['malloc', 'free', 'memcpy']));
    await expectManagedLibrary(join(build, 'libqueue.so'));

    const run = await execa(join(build, 'queue_demo'));
    expect(run.stdout).toBe('3 queued: first second third');
    const stressed = await execa(join(build, 'queue_demo'), { env: { WB_STRESS: '1' } });
    expect(stressed.stdout).toBe(run.stdout);
  });

  it('says where cc-wb should be when it is not there', async () => {
    // A copy of the toolchain file with neither a package around it nor node_modules beside it.
    const lone = join(work, 'lone');
    cpSync(join(root, 'examples', 'cmake'), lone, { recursive: true });
    const r = await execa('cmake', ['-S', lone, '-B', join(lone, 'build'), `-DCMAKE_TOOLCHAIN_FILE=${join(lone, 'cc-wb.cmake')}`], { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('cc-wb not found next to');
    expect(r.stderr).toContain('-DCC_WB=/path/to/cc-wb');
  });
});

describe('examples/autotools (configure CC=cc-wb, libtool)', () => {
  it('configures, builds, passes make check and runs with cc-wb', async () => {
    const tree = join(work, 'autotools');
    cpSync(join(root, 'examples', 'autotools'), tree, { recursive: true });
    const report = join(work, 'autotools-report.jsonl');
    const env = { CC_WB_REPORT: report };
    await execa('autoreconf', ['-fi'], { cwd: tree });
    await execa('./configure', [`CC=${ccWb}`], { cwd: tree, env });
    await execa('make', [], { cwd: tree, env });
    const check = await execa('make', ['check'], { cwd: tree, env, reject: false });
    expect(check.stdout + check.stderr).toMatch(/# PASS: +1\b/);
    expect(check.exitCode).toBe(0);

    const sites = sitesIn(report, 'stack.c');
    expect(sites.filter((s) => s.kind === 'assign').length).toBeGreaterThanOrEqual(4);
    expect(sites.filter((s) => s.kind === 'call').map((s) => s.detail)).toEqual(expect.arrayContaining(['realloc', 'free']));
    await expectManagedLibrary(join(tree, '.libs', 'libstack.so'));

    const run = await execa(join(tree, 'stack_test'));
    expect(run.stdout).toBe('stack of 5, top e: ok');
    const stressed = await execa(join(tree, 'stack_test'), { env: { WB_STRESS: '1' } });
    expect(stressed.stdout).toBe(run.stdout);
  });
});
