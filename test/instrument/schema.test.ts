// instrument/schema.ts: the kind codes the writer's _Generic assigns and the reader decodes.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIND, kindGeneric } from '../../instrument/schema.js';

describe('kind table', () => {
  it('numbers the kinds in table order from 0', () => {
    expect(KIND.other).toBe(0);
    expect(KIND.char).toBe(1);
    expect(KIND.bool).toBe(15);
    expect(new Set(Object.values(KIND)).size).toBe(Object.keys(KIND).length);
  });

  it('gives each C type its code when the compiler evaluates the _Generic', async () => {
    const types: Array<[string, number]> = [
      ['char', KIND.char], ['signed char', KIND.schar], ['unsigned short', KIND.ushort], ['int', KIND.int],
      ['unsigned long', KIND.ulong], ['long long', KIND.llong], ['float', KIND.float], ['long double', KIND.ldouble],
      ['_Bool', KIND.bool], ['int *', KIND.other],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'wb-kind-'));
    const src = join(dir, 'k.c');
    const checks = types.map(([t, code]) => `_Static_assert(${kindGeneric(`*(${t} *)0`)} == ${code}, "${t}");`).join('\n');
    writeFileSync(src, checks + '\n');
    const r = await execa('gcc', ['-std=gnu11', '-fsyntax-only', src], { reject: false });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
