// instrument/text-marks.ts: whether a stretch of text holds a character, a doubled character or a
// word, by binary search over offsets found once.
import { describe, expect, it } from 'vitest';
import { TextMarks, textMarks } from '../../instrument/text-marks.js';

describe('text marks', () => {
  it('finds an occurrence that starts inside the range, and only there', () => {
    const text = 'a = b; c + d; e++;';
    const marks = textMarks(text, { chars: '=', doubled: '+' });
    expect(marks.any(0, text.length)).toBe(true);
    expect(marks.any(0, 2)).toBe(false); // `a ` ends before the `=`
    expect(marks.any(2, 3)).toBe(true);
    expect(marks.any(7, 13)).toBe(false); // `c + d;`: a single `+`
    expect(marks.any(text.indexOf('++'), text.length)).toBe(true);
    expect(marks.any(5, 5)).toBe(false);
  });

  it('marks every start of a doubled character, overlapping runs included', () => {
    const marks = textMarks('x+++y', { doubled: '+' });
    expect(marks.any(1, 2)).toBe(true);
    expect(marks.any(2, 3)).toBe(true);
    expect(marks.any(3, 5)).toBe(false);
  });

  it('marks whole words only', () => {
    const text = 'freeze(p); free(q); xfree(r); __builtin_free(s); free2(t);';
    const marks = textMarks(text, { words: new Set(['free', '__builtin_free']) });
    const at = (w: string) => text.indexOf(w);
    expect(marks.any(0, at('free('))).toBe(false); // freeze
    expect(marks.any(at('free('), at('free(') + 1)).toBe(true);
    expect(marks.any(at('xfree'), at('xfree') + 5)).toBe(false);
    expect(marks.any(at('__builtin_free'), at('__builtin_free') + 1)).toBe(true);
    expect(marks.any(at('free2'), text.length)).toBe(false);
  });

  it('answers from given offsets', () => {
    const marks = new TextMarks([3, 10]);
    expect(marks.any(0, 3)).toBe(false);
    expect(marks.any(3, 4)).toBe(true);
    expect(marks.any(4, 10)).toBe(false);
    expect(marks.any(4, 11)).toBe(true);
  });
});
