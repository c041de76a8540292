// instrument/macros.ts: which of a unit's macros become constants for the host.
import { describe, expect, it } from 'vitest';
import { LineMap } from '../../instrument/linemap.js';
import { MacroTable, macroCandidates } from '../../instrument/macros.js';

function candidates(defines: string, known = { enumerators: new Set(['RED']), arithmeticTypedefs: new Set(['u32']) }) {
  const text = `# 1 "lib.c"\n${defines}\n`;
  return Object.fromEntries(macroCandidates(new MacroTable(text, new LineMap(text, 'lib.c')), known).map((m) => [m.name, m.value]));
}

describe('constant macros', () => {
  it('expands object-like macros and keeps constant expressions and strings', () => {
    const found = candidates(['#define BASE 16', '#define SIZE (BASE * 4 + sizeof(u32))', '#define NAME "lib" "c"', '#define FIRST RED', '#define CH \'x\''].join('\n'));
    expect(found).toEqual({
      BASE: { kind: 'arith', expr: '16' },
      SIZE: { kind: 'arith', expr: '( 16 * 4 + sizeof ( u32 ) )' },
      NAME: { kind: 'string', expr: '"lib" "c"' },
      FIRST: { kind: 'arith', expr: 'RED' },
      CH: { kind: 'arith', expr: "'x'" },
    });
  });

  it('leaves out what is not a constant: names, calls, division by zero, undefined and reserved macros', () => {
    const found = candidates(
      ['#define stat stat64', '#define CALL f(1)', '#define BAD (1 / 0)', '#define GONE 1', '#undef GONE', '#define __PRIVATE 1', '#define F(x) x', '#define CAST (int)2'].join('\n'),
    );
    expect(found).toEqual({ CAST: { kind: 'arith', expr: '( int ) 2' } });
  });
});
