// The barrier ABI header (runtime-c/include/wb_abi.h) as the pass reads it (instrument/barrier-abi.ts)
// and as a C compiler reads it must agree; the asm templates the pass emits must be the header's;
// and the ABI version must be checked by the linker, at no cost to the instrumented code.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { barrierAbi, barrierAbiFrom, barrierAbiHeader, parseAbiDefines } from '../../instrument/barrier-abi.js';
import { outputBytes } from '../../instrument/index.js';
import { assignmentBarrier, x86RangeAsm, x86RangeBigAsm, x86StoreAsm } from '../../instrument/barrier-text.js';
import { instrument } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const include = join(root, 'runtime-c', 'include');
const work = mkdtempSync(join(tmpdir(), 'wb-abi-test-'));

/**
 * Compiles a C program against runtime-c/include and returns what it prints. The program defines
 * the ABI version symbol itself (from the C macro), standing in for the runtime it links without.
 */
function runC(name: string, source: string): string {
  const file = join(work, `${name}.c`);
  const exe = join(work, name);
  const version = [
    '#define PASTE_(a, b) a##b',
    '#define PASTE(a, b) PASTE_(a, b)',
    'const unsigned char PASTE(__wb_abi_version_, WB_ABI_VERSION) = WB_ABI_VERSION;',
  ];
  writeFileSync(file, `${source}\n${version.join('\n')}\n`);
  execFileSync('cc', ['-std=c11', '-Wall', '-Werror', `-I${include}`, file, '-o', exe], { encoding: 'utf8' });
  return execFileSync(exe, { encoding: 'utf8' });
}

/** The text of a C string literal's contents as the pass writes it (C escapes) once compiled. */
const unescapeC = (s: string): string => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\\"/g, '"');

describe('barrier ABI header', () => {
  const text = readFileSync(barrierAbiHeader, 'utf8');
  const defines = parseAbiDefines(text);

  it('is the header in runtime-c/include', () => {
    expect(barrierAbiHeader).toBe(join(include, 'wb_abi.h'));
  });

  it('gives the pass the values a C compiler sees, of the same kind', () => {
    const names = [...defines.keys()];
    expect(names.length).toBeGreaterThan(15);
    const out = runC(
      'print-abi',
      [
        '#include <stdio.h>',
        '#include "wb_abi.h"',
        'static void s(const char *n, const char *v) { printf("%s=s:%s\\n", n, v); }',
        'static void i(const char *n, long long v) { printf("%s=i:%lld\\n", n, v); }',
        '#define P(n) _Generic((n), char *: s, const char *: s, default: i)(#n, n)',
        'int main(void) {',
        ...names.map((n) => `  P(WB_ABI_${n});`),
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const fromC = out.trim().split('\n');
    expect(fromC).toEqual(names.map((n) => {
      const v = defines.get(n)!;
      return `WB_ABI_${n}=${typeof v === 'number' ? 'i' : 's'}:${v}`;
    }));
  });

  it('reads every object-like WB_ABI_ macro the preprocessor defines', () => {
    const dump = execFileSync('cc', ['-E', '-dM', `-I${include}`, '-x', 'c', '-'], { input: '#include "wb_abi.h"\n', encoding: 'utf8' });
    const objectLike = [...dump.matchAll(/^#define WB_ABI_([A-Z0-9_]+) /gm)].map((m) => m[1]!).sort();
    expect(objectLike).toEqual([...defines.keys()].sort());
  });

  it('exports the constants by role', () => {
    expect(barrierAbi).toMatchObject({
      versionSymbol: `__wb_abi_version_${defines.get('VERSION')}`,
      active: '__wb_active',
      storeHook: '__wb_store_hook',
      rangeHook: '__wb_range_hook',
      stubSection: defines.get('STUB_SECTION'),
      stubFrame: defines.get('STUB_FRAME'),
      shadowShift: defines.get('SHADOW_SHIFT'),
    });
  });

  it('rejects a WB_ABI_ line it cannot read without a preprocessor, naming it', () => {
    expect(() => parseAbiDefines('#define WB_ABI_X (1 << 3)\n', 'h.h')).toThrow('h.h:1: WB_ABI_X is not a decimal integer');
    expect(() => parseAbiDefines('#define WB_ABI_X 1\n#define WB_ABI_X 2\n', 'h.h')).toThrow('h.h:2: WB_ABI_X defined twice');
    expect(parseAbiDefines('#define WB_ABI_F(x) (x)\n#define WB_ABI_N 7\n#define WB_ABI_S "a b"\n')).toEqual(
      new Map<string, number | string>([['N', 7], ['S', 'a b']]),
    );
    expect(() => barrierAbiFrom('#define WB_ABI_VERSION "2"\n', 'h.h')).toThrow('h.h: WB_ABI_VERSION must be an integer');
    expect(() => barrierAbiFrom('#define WB_ABI_VERSION 2\n', 'h.h')).toThrow('h.h: WB_ABI_ACTIVE is missing');
  });

  it('spells the x86-64 asm templates exactly as the pass emits them', () => {
    const cases: [string, string, (hook: string) => string][] = [
      ['STORE', 'STORE_HOOK', x86StoreAsm],
      ['STORE', 'STORE_HOOK_AVX', x86StoreAsm],
      ['RANGE', 'RANGE_HOOK', x86RangeAsm],
      ['RANGE', 'RANGE_HOOK_AVX', x86RangeAsm],
      ['RANGE_BIG', 'RANGE_HOOK', x86RangeBigAsm],
      ['RANGE_BIG', 'RANGE_HOOK_AVX', x86RangeBigAsm],
    ];
    const out = runC(
      'print-templates',
      [
        '#include <stdio.h>',
        '#include "wb_abi.h"',
        'int main(void) {',
        ...cases.map(([t, m]) => `  fputs(WB_ABI_X86_${t}_ASM(WB_ABI_${m}), stdout); putchar(0);`),
        '  return 0;',
        '}',
      ].join('\n'),
    );
    const fromC = out.split('\0').slice(0, cases.length);
    const hookOf = (m: string): string => (m.endsWith('AVX') ? (m.startsWith('STORE') ? barrierAbi.storeHookAvx : barrierAbi.rangeHookAvx) : m.startsWith('STORE') ? barrierAbi.storeHook : barrierAbi.rangeHook);
    expect(fromC).toEqual(cases.map(([, m, template]) => unescapeC(template(hookOf(m)))));
  });

  it('gives records beyond the span test\'s reach the plain record stub', () => {
    const t = assignmentBarrier({ k: 1, lhs: '*p', rhs: '*q', fromLvalue: true, valueUsed: false, form: 'x86-64-asm' });
    expect(t).toContain(`if (sizeof *__wb_s1 <= ${barrierAbi.rangeSpanMax}) __asm__`);
    expect(t).toContain(x86RangeAsm(barrierAbi.rangeHook));
    expect(t).toContain(`else __asm__ __inline__ __volatile__("${x86RangeBigAsm(barrierAbi.rangeHook)}"`);
  });

  it('is what the runtime benchmark times its stores with', () => {
    const bench = readFileSync(join(root, 'runtime-c', 'bench', 'bench.c'), 'utf8');
    expect(bench).toContain('__asm__ __inline__ __volatile__(WB_ABI_X86_STORE_ASM(WB_ABI_STORE_HOOK)');
    expect(bench).not.toMatch(/leaq -\d+\(%%rsp\)/);
  });

  it('names in the prelude the version symbol the header numbers', () => {
    const prelude = readFileSync(join(include, 'wb_prelude.h'), 'utf8');
    const named = [...new Set([...prelude.matchAll(/__wb_abi_version_\d+/g)].map((m) => m[0]))];
    expect(named).toEqual([barrierAbi.versionSymbol]);
  });
});

describe('ABI version check at link time', () => {
  const runtime = join(root, 'runtime-c', 'build');
  const version = barrierAbi.version;
  const other = `__wb_abi_version_${version + 1}`;
  let unit = '';
  let archive = '';
  let picArchive = '';

  beforeAll(() => {
    execFileSync('make', ['-s', '-C', join(root, 'runtime-c'), 'all']);
    // A unit as the pass leaves it (prelude spliced in), with a pointer store and a record copy.
    const r = instrument('struct s { void *p; int n; };\nvoid put(struct s *a, struct s *b, void *v) { a->p = v; *b = *a; }\n');
    expect(r.ok).toBe(true);
    unit = join(work, 'unit.i');
    writeFileSync(unit, outputBytes(r));
    writeFileSync(join(work, 'main.c'), 'int main(void) { return 0; }\n');
    // A runtime of another version: the same archive with the symbol renamed.
    archive = join(work, 'libwbrt-other.a');
    picArchive = join(work, 'libwbrt_pic-other.a');
    copyFileSync(join(runtime, 'libwbrt.a'), archive);
    copyFileSync(join(runtime, 'libwbrt_pic.a'), picArchive);
    for (const a of [archive, picArchive]) execFileSync('objcopy', ['--redefine-sym', `${barrierAbi.versionSymbol}=${other}`, a]);
  });

  const cc = (args: string[]) => spawnSync('cc', args, { cwd: work, encoding: 'utf8' });

  it('links an instrumented unit with the runtime of its version', () => {
    const r = cc(['-O2', '-x', 'cpp-output', unit, '-x', 'c', 'main.c', '-x', 'none', join(runtime, 'libwbrt.a'), '-lpthread', '-o', 'same']);
    expect(r.status, r.stderr).toBe(0);
  });

  it('refuses to link it with a runtime of another version, naming the version it needs', () => {
    const r = cc(['-O2', '-x', 'cpp-output', unit, '-x', 'c', 'main.c', '-x', 'none', archive, '-lpthread', '-o', 'mixed']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(barrierAbi.versionSymbol);
  });

  it('refuses it in a shared object too (the reference is hidden: no deferring it to load time)', () => {
    const r = cc(['-O2', '-fPIC', '-shared', '-x', 'cpp-output', unit, '-x', 'none', picArchive, '-o', 'mixed.so']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(barrierAbi.versionSymbol);
  });

  it('refuses to link a unit of another version with this runtime, naming that version', () => {
    const newer = join(work, 'newer.i');
    writeFileSync(newer, readFileSync(unit, 'utf8').replaceAll(barrierAbi.versionSymbol, other));
    const r = cc(['-O2', '-x', 'cpp-output', newer, '-x', 'c', 'main.c', '-x', 'none', join(runtime, 'libwbrt.a'), '-lpthread', '-o', 'newer']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(other);
  });

  it('pulls nothing else of the runtime into a program without barriers', () => {
    const r = instrument('int twice(int x) { return 2 * x; }\n');
    expect(r.ok).toBe(true);
    const plain = join(work, 'plain.i');
    writeFileSync(plain, outputBytes(r));
    const c = cc(['-O2', '-x', 'cpp-output', plain, '-x', 'c', 'main.c', '-x', 'none', join(runtime, 'libwbrt.a'), '-o', 'plain']);
    expect(c.status, c.stderr).toBe(0);
    const symbols = execFileSync('nm', [join(work, 'plain')], { encoding: 'utf8' });
    expect(symbols).toContain(barrierAbi.versionSymbol);
    expect(symbols).not.toMatch(/__wb_active|__wb_shadow|__wbrt_/);
  });

  it('costs the unit data only: its code is the same without the reference', () => {
    const text = readFileSync(unit, 'utf8');
    const line = text.split('\n').find((l) => l.includes('__wb_abi_version_ref'))!;
    expect(line).toMatch(/^static const unsigned char \*const __wb_abi_version_ref /);
    const without = join(work, 'without.i');
    writeFileSync(without, text.replace(line, ''));
    const code = (file: string, flags: string[]) => {
      const obj = `${file}.${flags.join('')}.o`;
      execFileSync('cc', [...flags, '-c', '-x', 'cpp-output', file, '-o', obj], { cwd: work });
      const relocs = execFileSync('readelf', ['-rW', obj], { encoding: 'utf8' });
      const disasm = execFileSync('objdump', ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8' });
      return { relocs, disasm: disasm.split('\n').slice(3).join('\n') };
    };
    for (const flags of [['-O2'], ['-O2', '-fPIC'], ['-O0']]) {
      const a = code(unit, flags);
      const b = code(without, flags);
      expect(a.disasm, flags.join(' ')).toBe(b.disasm);
      // The one relocation against the symbol is in a data section's table.
      const sections = a.relocs.split(/\n(?=Relocation section )/).filter((s) => s.includes(barrierAbi.versionSymbol));
      expect(sections.map((s) => /^Relocation section '([^']+)'/.exec(s)![1])).toEqual([
        expect.stringMatching(/^\.rela\.data/),
      ]);
      expect(a.disasm).toContain('<put>:');
    }
  });
});
