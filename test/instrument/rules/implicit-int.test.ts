// rules/implicit-int.ts: K&R `x() {...}` definitions, which the grammar reads as a call and a block.
import { describe, expect, it } from 'vitest';
import { parseC } from '../../../instrument/parse.js';
import { implicitIntDefinition } from '../../../instrument/rules/implicit-int.js';

function firstPair(src: string) {
  const top = parseC(src).rootNode.namedChildren;
  return implicitIntDefinition(top[0]!, top[1]);
}

describe('implicit-int definitions', () => {
  it('recognises a call of identifiers missing its semicolon before a block', () => {
    expect(firstPair('main() { return 0; }')?.text).toBe('main()');
    expect(firstPair('f(a, b) { return a; }')?.text).toBe('f(a, b)');
  });

  it('rejects real statements and calls with other arguments', () => {
    expect(firstPair('int main(void) { return 0; }')).toBeNull();
    expect(firstPair('f(1) { }')).toBeNull();
  });
});
