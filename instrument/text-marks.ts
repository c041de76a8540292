// Where something occurs in a stretch of a unit's text (a function body), found once, so that
// "does this node's text hold it?" costs a binary search instead of a slice and a regex per node:
// walks that ask it of every node of a deep expression would otherwise be quadratic in its depth.

export class TextMarks {
  /**
   * @param at the offsets where an occurrence starts, ascending
   * @param start,end the stretch that was searched: outside it, any() answers true (it cannot know)
   */
  constructor(
    private readonly at: ArrayLike<number>,
    private readonly start = 0,
    private readonly end = Infinity,
  ) {}

  /** Whether an occurrence starts in [start, end). */
  any(start: number, end: number): boolean {
    if (start < this.start || end > this.end) return true;
    const at = this.at;
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < at.length && at[lo]! < end;
  }
}

const isWordChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;

export interface MarkKinds {
  /** Characters to mark. */
  chars?: string;
  /** Characters whose doubling to mark (`+` for `++`: at both starts in `+++`). */
  doubled?: string;
  /** Whole words (identifiers) to mark. */
  words?: Iterable<string>;
}

/** The occurrences of `kinds` in text[start, end). */
export function textMarks(text: string, kinds: MarkKinds, start = 0, end = text.length): TextMarks {
  const s = text.slice(start, end);
  const at: number[] = [];
  const all = (needle: string, keep: (i: number) => boolean = () => true): void => {
    for (let i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) if (keep(i)) at.push(start + i);
  };
  for (const c of kinds.chars ?? '') all(c);
  for (const c of kinds.doubled ?? '') all(c + c);
  for (const w of kinds.words ?? []) all(w, (i) => !(i > 0 && isWordChar(s.charCodeAt(i - 1))) && !isWordChar(s.charCodeAt(i + w.length)));
  return new TextMarks(Int32Array.from(at).sort(), start, end);
}
