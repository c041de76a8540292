// rules/value-use.ts: whether an assignment's value is read.
import { describe, expect, it } from 'vitest';
import { parseC } from '../../../instrument/parse.js';
import { valueUnused } from '../../../instrument/rules/value-use.js';

function assignments(body: string): Record<string, boolean> {
  const root = parseC(`void f(void) { ${body} }`).rootNode;
  return Object.fromEntries(root.descendantsOfType('assignment_expression').map((a) => [a.text, valueUnused(a)]));
}

describe('assignment value use', () => {
  it('is unused in statements, for updates and on the left of a discarded comma', () => {
    expect(assignments('a = 1; for (;; b = 2) ; c = 3, d = 4;')).toEqual({ 'a = 1': true, 'b = 2': true, 'c = 3': true, 'd = 4': true });
  });

  it('is used in conditions, initialisers, nested assignments and a statement expression\'s value', () => {
    expect(assignments('if (a = 1) ; x = (b = 2); y = ({ c = 3; });')).toMatchObject({ 'a = 1': false, 'b = 2': false, 'c = 3': false });
  });
});
