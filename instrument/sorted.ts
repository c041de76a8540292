// Binary search over ascending keys, shared by the line map, the rewriter and the system pieces.

/**
 * The last index i in [0, n) with key(i) <= x, or 0 when there is none (callers whose key(0) may
 * exceed x check the answer). The keys must ascend with i.
 */
export function lastAtOrBefore(n: number, key: (i: number) => number, x: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (key(mid) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
