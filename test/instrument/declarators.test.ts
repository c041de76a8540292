// instrument/declarators.ts: the declarator walk of the type model, and the declaration readers.
import { describe, expect, it } from 'vitest';
import { applyDeclarator, isBitfield, storageClassSpecifiers, type DeclaratorLayers } from '../../instrument/declarators.js';
import { parseC, type Node } from '../../instrument/parse.js';

/** A type model that spells the layers as text, outermost first. */
const spell: DeclaratorLayers<string> = {
  pointer: (t) => `pointer to ${t}`,
  array: (t, d) => `array${d.childForFieldName('size') ? '' : ' (unsized)'} of ${t}`,
  func: (t) => `function returning ${t}`,
  unknown: () => '?',
};

function declaration(src: string): Node {
  return parseC(src).rootNode.namedChildren[0]!;
}

function declared(src: string) {
  const d = declaration(src);
  return d.childrenForFieldName('declarator').map((x) => applyDeclarator(x, 'int', spell)).map(({ name, type }) => ({ name, type }));
}

describe('declarator walk', () => {
  it('reads C declarators inside out', () => {
    expect(declared('int *a[3], (*f)(void), g[], **h = 0;')).toEqual([
      { name: 'a', type: 'array of pointer to int' },
      { name: 'f', type: 'pointer to function returning int' },
      { name: 'g', type: 'array (unsized) of int' },
      { name: 'h', type: 'pointer to pointer to int' },
    ]);
  });

  it('walks abstract declarators (casts, parameters) without a name', () => {
    const cast = parseC('void f(void) { (int (*)[4])0; }').rootNode.descendantsOfType('type_descriptor')[0]!;
    expect(applyDeclarator(cast.childForFieldName('declarator'), 'int', spell)).toMatchObject({ name: null, type: 'pointer to array of int' });
  });

  it('reads storage classes and bit-fields from the tree', () => {
    expect([...storageClassSpecifiers(declaration('static int x;'))]).toEqual(['static']);
    expect([...storageClassSpecifiers(declaration('extern register int x;'))].sort()).toEqual(['extern', 'register']);
    const fields = parseC('struct s { int a : 3; int b; };').rootNode.descendantsOfType('field_declaration');
    expect(fields.map(isBitfield)).toEqual([true, false]);
  });
});
