// instrument/linemap.ts: offsets to files and lines, and which regions are system headers'.
import { describe, expect, it } from 'vitest';
import { LineMap } from '../../instrument/linemap.js';

const unit = [
  '# 0 "u.c"',
  'int a;',
  '# 1 "/usr/include/s.h" 1 3 4',
  'typedef int s_t;',
  '# 3 "u.c" 2',
  'int b;',
  '# 1 "u.h" 1',
  'int c;',
  '',
].join('\n');

describe('line map', () => {
  it('maps an offset to its file and line', () => {
    const lines = new LineMap(unit, 'x.c');
    expect(lines.map(unit.indexOf('int b'))).toMatchObject({ file: 'u.c', line: 3, col: 1, system: false });
    expect(lines.map(unit.indexOf('typedef'))).toMatchObject({ file: '/usr/include/s.h', line: 1, system: true });
  });

  it('lists the regions outside system headers, adjacent ones merged', () => {
    const lines = new LineMap(unit, 'x.c');
    const regions = lines.userRegions();
    const texts = regions.map(([s, e]) => unit.slice(s, e));
    expect(texts.join('')).toContain('int a;');
    expect(texts.join('')).toContain('int b;');
    expect(texts.join('')).toContain('int c;');
    expect(texts.join('')).not.toContain('typedef');
    expect(regions).toHaveLength(2);
    for (const [s, e] of regions) for (let i = s; i < e; i++) expect(lines.isSystem(i)).toBe(false);
  });
});
