// The metadata records the `static inline` functions of a library's own headers, and a unit compiled
// for a shared object defines the weak pointer to each one's out-of-line instance (schema.ts,
// INLINE_SYMBOL_PREFIX); nothing for executables, the main file's own or system headers' inlines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barrierAbi } from '../../instrument/barrier-abi.js';
import { instrumentPreprocessed, outputBytes } from '../../instrument/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wb-inline-'));
writeFileSync(join(dir, 'api.h'), 'struct obj { long refs; };\nstatic inline long obj_incref(struct obj *o) { return ++o->refs; }\nstatic __inline__ void obj_clear(struct obj *o) { o->refs = 0; }\ninline int plain_inline(int x) { return x + 1; }\n');
writeFileSync(join(dir, 'lib.c'), '#include <stdlib.h>\n#include "api.h"\nstatic inline int private_helper(int x) { return x * 2; }\nint lib_twice(int x) { return private_helper(x); }\n');

function unit(flags: string[]) {
  const pre = execFileSync('gcc', [...flags, '-E', '-dD', join(dir, 'lib.c')], { maxBuffer: 64 << 20 });
  return instrumentPreprocessed(pre, { fileName: 'lib.c' });
}

describe("a header's static inline functions", () => {
  it('get a weak pointer to their instance in a unit compiled for a shared object', () => {
    const r = unit(['-fPIC']);
    expect(r.ok).toBe(true);
    expect(r.code).toContain('void (*const __wb_inline_obj_incref)(void) = (void (*)(void))&obj_incref;');
    expect(r.code).toContain('__wb_inline_obj_clear');
    // The main file's own inline function, a plain `inline` one and libc's are not the library's API.
    expect(r.code).not.toContain('__wb_inline_private_helper');
    expect(r.code).not.toContain('__wb_inline_plain_inline');
    expect(r.code.match(/__wb_inline_\w+/g)!.every((n) => n === '__wb_inline_obj_incref' || n === '__wb_inline_obj_clear')).toBe(true);
    // It compiles, and two units defining the same pointer link into one shared object.
    const wbi = join(dir, 'lib.wb.i');
    writeFileSync(wbi, outputBytes(r));
    const objs = ['a.o', 'b.o'].map((o) => join(dir, o));
    for (const o of objs) execFileSync('gcc', ['-fPIC', '-c', '-x', 'cpp-output', wbi, '-o', o]);
    const stub = join(dir, 'stub.c');
    // What libwbrt_dso.a defines for the barriers: the flag, the spans, the version symbol.
    writeFileSync(stub, `int __wb_active; unsigned long ${barrierAbi.spans}[${barrierAbi.spanSlotNear / 8 + 1}]; const unsigned char ${barrierAbi.versionSymbol} = ${barrierAbi.version};\n`);
    const so = join(dir, 'lib.so');
    execFileSync('gcc', ['-shared', '-Wl,--allow-multiple-definition', ...objs, stub, '-o', so]);
    expect(execFileSync('nm', ['-D', '--defined-only', so], { encoding: 'utf8' })).toMatch(/ V __wb_inline_obj_incref$/m);
  });

  it('are left alone in a unit compiled for an executable', () => {
    const r = unit(['-fPIE']);
    expect(r.ok).toBe(true);
    expect(r.code).not.toContain('__wb_inline_');
  });
});
