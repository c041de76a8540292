// The package as a user gets it: `npm pack` of this checkout, installed into a fresh project with no
// network (every dependency comes from the npm cache that `npm ci` of this project filled), then
// the README's promise: `make CC=.../node_modules/.bin/cc-wb` builds an instrumented library,
// cc-wb-dts writes its declarations, and a strict TypeScript program (NodeNext resolution) that
// imports cc-wb/runtime-ts type-checks and runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerLock, type PackageJson } from './lock.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(dirname(fileURLToPath(import.meta.url)), 'consumer');
const work = mkdtempSync(join(tmpdir(), 'cc-wb-install-'));
const project = join(work, 'project');
const bin = (name: string) => join(project, 'node_modules', '.bin', name);

/** The environment of a user's shell: none of the npm-run state of the `npm test` around us. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_|^npm_config_(local_prefix|global_prefix|prefix)$|^INIT_CWD$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, XDG_CACHE_HOME: join(work, 'xdg-cache'), ...extra };
}

interface PackResult {
  filename: string;
  size: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

let packed: PackResult;

beforeAll(async () => {
  for (const f of ['dist/toolchain/driver.js', 'dist/runtime-ts/index.d.ts', 'dist/toolchain/bin/dts-cli.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run 'npm run build' first`);
  }
  // --ignore-scripts: `npm test` has built dist/ already, and rebuilding it here would race the
  // other test files that run from it.
  const r = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, env: userEnv() });
  packed = (JSON.parse(r.stdout) as PackResult[])[0]!;

  mkdirSync(project);
  copyFileSync(join(work, packed.filename), join(project, packed.filename));
  const spec = `file:${packed.filename}`;
  const pkg: PackageJson = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { 'cc-wb': spec } };
  writeFileSync(join(project, 'package.json'), JSON.stringify(pkg, null, 2));
  // Offline, npm cannot resolve version ranges (`npm ci` caches tarballs, not registry metadata):
  // the consumer gets a lockfile pinning what this project's own lockfile pins.
  const lock = consumerLock(
    pkg,
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson,
    JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Parameters<typeof consumerLock>[2],
    spec,
    readFileSync(join(project, packed.filename)),
  );
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await execa('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: project, env: userEnv() });
  for (const f of readdirSync(fixture)) copyFileSync(join(fixture, f), join(project, f));
});

afterAll(() => {
  if (!process.env.CC_WB_TEST_KEEP) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('ships what runs and nothing of the tests, benchmarks or caches', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'toolchain/bin/cc-wb.js',
      'toolchain/bin/cc-wb-dts.js',
      'dist/toolchain/driver.js',
      'dist/toolchain/passserver.js',
      'dist/toolchain/bin/runtime-archives.js',
      'dist/instrument/index.js',
      'dist/runtime-ts/index.js',
      'dist/runtime-ts/index.d.ts',
      'runtime-c/Makefile',
      'runtime-c/include/wb_prelude.h',
      'runtime-c/src/barrier.c',
      'runtime-c/valgrind.supp',
      'examples/cmake/cc-wb.cmake',
      'README.md',
    ]) {
      expect(paths).toContain(needed);
    }
    const unwanted = paths.filter((p) =>
      /^examples\/(?!cmake\/cc-wb\.cmake$)|^(test|spec-bench|conformance|docs|\.ci|\.cache|node_modules|runtime-c\/(build|test|bench))\/|^dist\/(test|spec-bench|conformance)\/|\.map$|\.test\.|\/bench\//.test(p),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('installed into a fresh project', () => {
  it('says what is missing when the runtime cannot be built', async () => {
    // Only node on PATH (no make, no cc): the first compile must explain, not crash.
    const nodeOnly = join(work, 'node-only-bin');
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    writeFileSync(join(project, 'one.c'), 'int main(void) { return 0; }\n');
    const r = await execa(bin('cc-wb'), ['one.c', '-o', 'one'], {
      cwd: project,
      reject: false,
      env: userEnv({ PATH: nodeOnly }),
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^cc-wb: make not found\. .*needs make and a C compiler.*CC_WB_RUNTIME_DIR/s);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('builds a library with make CC=.../node_modules/.bin/cc-wb, with barriers', async () => {
    const report = join(work, 'report.jsonl');
    await execa('make', [`CC=${bin('cc-wb')}`], { cwd: project, env: userEnv({ CC_WB_REPORT: report }) });
    // The runtime was built on first use, inside the installed package.
    expect(existsSync(join(project, 'node_modules', 'cc-wb', 'runtime-c', 'build', 'libwbrt.so'))).toBe(true);
    const units = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sites: Array<{ file: string; kind: string; line: number }> });
    const sites = units.flatMap((u) => u.sites).filter((s) => s.file.endsWith('shelf.c') && s.kind === 'assign');
    expect(sites.length).toBeGreaterThanOrEqual(4); // b->next, s->first in shelf_add and shelf_ring
    // the runtime is the process's libwbrt.so: the library exports only its own names
    const nm = await execa('nm', ['-D', '--defined-only', join(project, 'libshelf.so')]);
    expect(nm.stdout).not.toMatch(/ __wb_/);
    expect((await execa('readelf', ['-d', join(project, 'libshelf.so')])).stdout).toMatch(/\(NEEDED\)\s+Shared library: \[libwbrt\.so\.\d+\]/);
  });

  it('builds the same library with CMake through the toolchain file in the package', async () => {
    const report = join(work, 'cmake-report.jsonl');
    const build = join(project, 'build');
    const toolchain = join(project, 'node_modules', 'cc-wb', 'examples', 'cmake', 'cc-wb.cmake');
    await execa('cmake', ['-S', '.', '-B', 'build', `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`], { cwd: project, env: userEnv({ CC_WB_REPORT: report }) });
    await execa('cmake', ['--build', 'build'], { cwd: project, env: userEnv({ CC_WB_REPORT: report }) });
    const units = readFileSync(report, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { sites: Array<{ file: string; kind: string }> });
    expect(units.flatMap((u) => u.sites).filter((s) => s.file.endsWith('shelf.c') && s.kind === 'assign').length).toBeGreaterThanOrEqual(4);
    // the runtime is the process's libwbrt.so: the library exports only its own names
    const nm = await execa('nm', ['-D', '--defined-only', join(build, 'libshelf.so')]);
    expect(nm.stdout).not.toMatch(/ __wb_/);
    expect((await execa('readelf', ['-d', join(build, 'libshelf.so')])).stdout).toMatch(/\(NEEDED\)\s+Shared library: \[libwbrt\.so\.\d+\]/);
  });

  it('writes the declarations with cc-wb-dts, and says why it cannot for a library built by cc', async () => {
    const r = await execa(bin('cc-wb-dts'), ['libshelf.so', '-o', 'libshelf.d.ts'], { cwd: project, env: userEnv() });
    expect(r.stdout.trim()).toBe('libshelf.d.ts');
    const dts = readFileSync(join(project, 'libshelf.d.ts'), 'utf8');
    expect(dts).toContain('from "cc-wb/runtime-ts"');
    expect(dts).toContain('shelf_add(s: shelf | shelfInit | NativeArray<shelf> | ReadonlyArray<shelfInit> | null, b: book | bookInit | NativeArray<book> | ReadonlyArray<bookInit> | null): void;');

    await execa('cc', ['-shared', '-fPIC', '-o', 'plain.so', 'shelf.c'], { cwd: project });
    const bad = await execa(bin('cc-wb-dts'), ['plain.so'], { cwd: project, env: userEnv(), reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toBe('cc-wb-dts: plain.so: no cc-wb metadata (section wb_meta): build it with cc-wb');
    const usage = await execa(bin('cc-wb-dts'), [], { cwd: project, env: userEnv(), reject: false });
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('usage: cc-wb-dts LIBRARY');
  });

  it('type-checks a strict TypeScript program (NodeNext) against cc-wb/runtime-ts and runs it', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
        },
        files: ['main.ts'],
      }),
    );
    // This project's own TypeScript: the consumer installed only cc-wb, offline.
    const tsc = await execa(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: project, reject: false });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.exitCode).toBe(0);

    const run = await execa(process.execPath, ['main.js'], { cwd: project, env: userEnv() });
    expect(JSON.parse(run.stdout)).toEqual({
      count: 3,
      oldest: 1914,
      titles: ['Finnegans Wake', 'Ulysses', 'Dubliners'],
      maxTitle: 64,
      cycleObjects: 4,
    });
  });
});
