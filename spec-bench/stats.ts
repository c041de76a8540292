// The few statistics a SPEC-style report needs. Medians rather than means: one run disturbed by
// another job on a shared machine moves a mean, not a median.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => x > 0 && Number.isFinite(x));
  if (ok.length === 0) return NaN;
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length);
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/**
 * A configuration against its baseline: the ratio of the medians (the headline figure) and the
 * spread of the per-round ratios (run i of one against run i of the other, taken back to back, so
 * slow drift of the machine cancels within each pair).
 */
export interface Ratio {
  ratio: number;
  pairs: Spread;
}

export function ratio(times: readonly number[], baseline: readonly number[]): Ratio {
  const n = Math.min(times.length, baseline.length);
  const pairs = Array.from({ length: n }, (_, i) => times[i]! / baseline[i]!);
  return { ratio: median(times) / median(baseline), pairs: spread(pairs) };
}

/** "+4.1%", "-0.3%", "2.35x" for large ratios. */
export function percent(r: number): string {
  if (!Number.isFinite(r)) return '-';
  if (r >= 2) return `${r.toFixed(2)}x`;
  const p = (r - 1) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}
