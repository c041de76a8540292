// No missed pointer store: for every translation unit of bzip2, lua 5.4 and zlib built with cc-wb, the
// pointer stores clang's AST shows (harness/oracle/) must each have a site in cc-wb's report at the same
// (file, line). The oracle itself is checked first against an annotated fixture.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOracle } from '../../harness/oracle/oracle.js';
import { parseCType, TypeEnv } from '../../harness/oracle/ctype.js';
import { compareProject, formatCompleteness, readReport, type ProjectCompleteness, type ReportEntry } from '../../harness/oracle/compare.js';
import { parseCompileCommand } from '../../harness/compile-log.js';
import { ccWb } from '../../harness/compilers.js';
import { cacheRoot } from '../../harness/cache.js';
import { buildProject } from '../../harness/build.js';
import { TEST_PROJECTS as PROJECTS } from '../../harness/programs.js';

const here = dirname(fileURLToPath(import.meta.url));

const fixtures = join(here, 'fixtures', 'oracle');
const fixture = join(fixtures, 'stores.c');

/** Expected stores per line, from the fixture's `// oracle: kind kind…` comments. */
function annotated(): Map<number, string[]> {
  const want = new Map<number, string[]>();
  readFileSync(fixture, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /\/\/ oracle: (.*)$/.exec(text);
      if (m) want.set(i + 1, m[1]!.trim().split(/\s+/).sort());
    });
  return want;
}

describe('the clang AST oracle', () => {
  it('reads the type names clang prints', () => {
    expect(parseCType('struct Table *[9]')).toEqual({ k: 'arr', of: { k: 'ptr', to: { k: 'record', key: 'struct Table' } } });
    expect(parseCType('void *(*)(void *, size_t)').k).toBe('ptr');
    expect(parseCType('int (*[3])(void)')).toEqual({ k: 'arr', of: { k: 'ptr', to: { k: 'fn', ret: { k: 'scalar' } } } });
    expect(parseCType('int (*)[10]')).toEqual({ k: 'ptr', to: { k: 'arr', of: { k: 'scalar' } } });
    expect(parseCType('char[24]')).toEqual({ k: 'arr', of: { k: 'scalar' } });
    expect(parseCType('void (lua_State *, int) __attribute__((noreturn))').k).toBe('fn');
    expect(parseCType('union outer::(unnamed at ./lstate.h:176:3)')).toEqual({ k: 'record', key: 'anon:lstate.h:176:3' });
    expect(parseCType('const char *const *')).toEqual({ k: 'ptr', to: { k: 'ptr', to: { k: 'scalar' } } });
    expect(parseCType('_Atomic(long *)').k).toBe('ptr');
    const env = new TypeEnv();
    env.addTypedef('StkId', 'union StackValue *');
    env.addTypedef('TValue', 'struct TValue');
    env.addRecord(['struct TValue'], ['union Value', 'lu_byte']);
    env.addRecord(['union Value'], ['struct GCObject *', 'void *', 'lua_Integer']);
    env.addRecord(['struct plain'], ['int', 'double[4]']);
    expect(env.holdsPointer('StkId')).toBe(true);
    expect(env.holdsPointer('TValue [3]')).toBe(true);
    expect(env.holdsPointer('struct plain')).toBe(false);
    expect(env.holdsPointer('unsigned long')).toBe(false);
  });

  it('finds exactly the annotated pointer stores in the fixture', async () => {
    const r = await runOracle({ source: fixture, cwd: fixtures, flags: ['-isystem', join(fixtures, 'sys')] });
    const got = new Map<number, string[]>();
    for (const s of r.stores) {
      expect(s.file).toBe(fixture);
      got.set(s.line, [...(got.get(s.line) ?? []), s.kind].sort());
    }
    expect(r.unknownTypes).toEqual([]);
    expect(Object.fromEntries([...got].sort((a, b) => a[0] - b[0]))).toEqual(Object.fromEntries([...annotated()].sort((a, b) => a[0] - b[0])));
    expect(r.functions.map((f) => f.name).sort()).toEqual(['allocators', 'locals', 'nothing', 'on', 'scalar_copies', 'stores']);
  });

  it('places stores where #line directives say, as gcc -E and so cc-wb do (bison output)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cc-wb-oracle-line-'));
    try {
      const src = ['char *g;', 'void f(char *s) {', '#line 40 "gram.y"', '  g = s;', '', '  g = 0;', '#line 7 "gram.c"', '  g = s;', '}', ''].join('\n');
      writeFileSync(join(dir, 'gram.c'), src);
      const r = await runOracle({ source: join(dir, 'gram.c'), cwd: dir, flags: [] });
      expect(r.stores.map((s) => `${s.file.slice(dir.length + 1)}:${s.line}`)).toEqual(['gram.y:40', 'gram.y:42', 'gram.c:7']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a store the pass did not barrier, with its line', async () => {
    const cmd = parseCompileCommand(fixtures, ['-O2', '-isystem', 'sys', '-c', 'stores.c', '-o', 'stores.o']);
    const o = await runOracle({ source: fixture, cwd: fixtures, flags: ['-isystem', join(fixtures, 'sys')] });
    const sites = o.stores.map((s) => ({ file: 'stores.c', line: s.line, col: 1, kind: s.kind, detail: s.detail }));
    const complete: ReportEntry = { source: fixture, output: join(fixtures, 'stores.o'), instrumented: true, sites };
    const full = await compareProject('fixture', [cmd], [complete]);
    expect(full.totals).toMatchObject({ tus: 1, oracleStores: o.stores.length, missed: 0 });
    const dropped = sites.findIndex((s) => s.kind === 'call');
    const partial: ReportEntry = { ...complete, sites: sites.filter((_, i) => i !== dropped) };
    const short = await compareProject('fixture', [cmd], [partial]);
    expect(short.totals.missed).toBe(1);
    expect(short.tus[0]!.missed[0]).toMatchObject({ line: sites[dropped]!.line, kind: 'call', text: expect.stringContaining('memcpy(n, n') });
    const none = await compareProject('fixture', [cmd], [{ ...complete, instrumented: false }]);
    expect(none.totals).toMatchObject({ missed: o.stores.length, notInstrumented: 1 });
  });
});

describe('cc-wb on the reproducers of bugs it had (test/harness/fixtures/repro/)', () => {
  const reproDir = join(here, 'fixtures', 'repro');
  for (const file of readdirSync(reproDir).filter((f) => f.endsWith('.c')).sort()) {
    it(`${file}: instrumented, every store the oracle finds barriered`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'cc-wb-repro-'));
      try {
        const report = join(out, 'report.jsonl');
        const args = ['-O2', '-c', file, '-o', join(out, 'repro.o')];
        const [cmd, ...prefix] = ccWb().words;
        const r = await execa(cmd!, [...prefix, ...args], {
          cwd: reproDir,
          env: { CC_WB_REPORT: report },
          reject: false,
          all: true,
        });
        expect(r.exitCode, r.all).toBe(0);
        const result = await compareProject(file, [parseCompileCommand(reproDir, args)], readReport(report));
        expect(result.totals.oracleStores).toBeGreaterThan(0);
        expect(result.totals.notInstrumented, r.all).toBe(0);
        expect(result.totals.missed, formatCompleteness([result], reproDir)).toBe(0);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});

describe('barrier completeness of real programs built with cc-wb', () => {
  const results: ProjectCompleteness[] = [];
  const cc = ccWb();

  afterAll(() => {
    if (results.length === 0) return;
    const table = formatCompleteness(results);
    console.log(`\n${table}`);
    const dir = join(cacheRoot(), 'reports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'barrier-completeness.txt'), `${table}\n`);
    writeFileSync(join(dir, 'barrier-completeness.json'), JSON.stringify(results, null, 2));
  });

  for (const project of [PROJECTS.bzip2, PROJECTS.lua, PROJECTS.zlib]) {
    it(`${project.name}: every pointer store clang sees is barriered`, async () => {
      const build = await buildProject(project, cc);
      const r = await compareProject(project.name, build.commands, readReport(build.report));
      results.push(r);
      expect(r.totals.tus).toBeGreaterThan(0);
      expect(r.totals.oracleStores).toBeGreaterThan(0);
      expect(r.totals.unreported, 'compiles cc-wb wrote no report line for').toBe(0);
      expect(r.totals.notInstrumented, 'units compiled without barriers').toBe(0);
      expect(r.totals.missed, formatCompleteness([r], build.dir)).toBe(0);
    });
  }
});
