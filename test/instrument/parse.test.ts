// instrument/parse.ts: the unit's parse, shared by the rewriter and the metadata.
import { describe, expect, it } from 'vitest';
import { parseC, parseRegion, parseUnit, problems } from '../../instrument/parse.js';

describe('parse pipeline', () => {
  it('reports the nodes the grammar cannot parse, in order', () => {
    const found = problems(parseC('int a = ; int b;\nint c = );').rootNode);
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((n) => n.startIndex)).toEqual([...found.map((n) => n.startIndex)].sort((x, y) => x - y));
    expect(problems(parseC('int a = 1;').rootNode)).toEqual([]);
  });

  it('names unnamed bit-fields so the record parses, keeping every offset', () => {
    const text = '# 1 "u.c"\nstruct s { int a : 3; int : 5; int *p; };\n';
    const unit = parseUnit(text, 'u.c');
    expect(unit.tree.rootNode.hasError).toBe(false);
    expect(unit.normalized.text).toHaveLength(text.length);
    const fields = unit.tree.rootNode.descendantsOfType('field_identifier').map((n) => text.slice(n.startIndex, n.endIndex));
    expect(fields).toContain('p');
  });

  it('parses GNU C through the normalized copy at the original offsets', () => {
    const text = 'static __inline__ int __attribute__((unused)) f(void) { return 0; }\n';
    const unit = parseUnit(text, 'g.c');
    expect(unit.tree.rootNode.hasError).toBe(false);
    const name = unit.tree.rootNode.descendantsOfType('identifier').find((n) => n.text === 'f')!;
    expect(text.slice(name.startIndex, name.endIndex)).toBe('f');
  });

  it('parses a region alone at its own offsets', () => {
    const text = 'garbage ( ;\nint x; char *y;\n';
    const start = text.indexOf('int');
    const root = parseRegion(text, start, text.length);
    expect(root.hasError).toBe(false);
    const decl = root.namedChildren.find((n) => n.type === 'declaration')!;
    expect(decl.startIndex).toBe(start);
  });
});
