// instrument/splice.ts: edits on nodes, every other byte kept.
import { describe, expect, it } from 'vitest';
import { parseC } from '../../instrument/parse.js';
import { Splicer } from '../../instrument/splice.js';

describe('splicer', () => {
  it('rewrites only the edited nodes, nested edits rendered inside outer ones', () => {
    const text = 'int f(void) {  return   g(a,  b); }\n';
    const root = parseC(text).rootNode;
    const s = new Splicer(text);
    const call = root.descendantsOfType('call_expression')[0]!;
    const a = root.descendantsOfType('identifier').find((n) => n.text === 'a')!;
    s.edit(a, () => 'A');
    s.edit(call, (r) => `wrap(${r(call.childForFieldName('arguments')!)})`);
    expect(s.run(root)).toBe('int f(void) {  return   wrap((A,  b)); }\n');
  });

  it('keeps the line count of an edited node that spanned lines', () => {
    const text = 'int x = 1 +\n  2;\nint y;\n';
    const root = parseC(text).rootNode;
    const s = new Splicer(text);
    s.edit(root.descendantsOfType('binary_expression')[0]!, () => '3');
    expect(s.run(root)).toBe('int x = 3\n;\nint y;\n');
  });
});
