// runtime-c/bench/bench.c measures the store barrier spelled as the pass spells it. Its x86-64
// STORE macro is a copy of the pass's asm template (the bench is built by plain make, without
// the pass): this keeps the copy honest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { x86StoreAsm } from '../../instrument/barrier-text.js';

const root = join(import.meta.dirname, '..', '..');

/** The C string the template denotes once the compiler has picked the AT&T dialect. */
function attText(template: string): string {
  return template
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\"/g, '"')
    .replace(/\{([^|}]*)\|[^}]*\}/g, '$1');
}

describe('runtime-c bench', () => {
  it('times the same x86-64 store asm the pass emits', () => {
    const bench = readFileSync(join(root, 'runtime-c', 'bench', 'bench.c'), 'utf8');
    const start = bench.indexOf('__asm__ __inline__ __volatile__(');
    expect(start).toBeGreaterThan(0);
    const end = bench.indexOf(': :', start);
    const literals = [...bench.slice(start, end).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!).join('');
    expect(attText(literals)).toBe(attText(x86StoreAsm('__wb_store_hook')));
  });
});
