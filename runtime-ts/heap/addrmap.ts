// An address → int32 hash map for the memory manager's hot paths (one lookup per event).
// A JS Map keyed by addresses above 2^31 boxes every key as a heap number; this table keeps keys
// in a Float64Array (exact below 2^53) and values in an Int32Array: open addressing, linear
// probing, backward-shift deletion so no tombstones accumulate under churn. Key 0 marks an
// empty cell (no object or slot lives at address 0).
const TWO32 = 4294967296;

export class AddrMap {
  keys: Float64Array;
  vals: Int32Array;
  size = 0;
  private shift: number;
  private mask: number;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** Slots are 8-aligned and objects 16-aligned: the low bits carry nothing, so mix before taking the top bits. */
  private slotOf(a: number): number {
    const lo = (a >>> 3) | 0;
    const hi = (a / TWO32) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> this.shift;
  }

  /** The value for a, or -1. */
  get(a: number): number {
    const keys = this.keys;
    for (let i = this.slotOf(a); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === a) return this.vals[i]!;
      if (k === 0) return -1;
    }
  }

  /** Sets a → v; returns the previous value or -1. */
  set(a: number, v: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    for (let i = this.slotOf(a); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === a) {
        const old = this.vals[i]!;
        this.vals[i] = v;
        return old;
      }
      if (k === 0) {
        keys[i] = a;
        this.vals[i] = v;
        this.size++;
        return -1;
      }
    }
  }

  /** Removes a; returns its value or -1. */
  delete(a: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slotOf(a);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === a) break;
      if (k === 0) return -1;
    }
    const old = vals[i]!;
    // Backward shift: pull later members of the probe run into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j]!;
      if (k === 0) break;
      const home = this.slotOf(k);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = k;
        vals[hole] = vals[j]!;
        hole = j;
      }
    }
    keys[hole] = 0;
    this.size--;
    return old;
  }

  /** Rehashes into a smaller table when at most an eighth of this one is used (never below min). */
  shrinkIfSparse(min: number): void {
    const cap = this.keys.length;
    if (cap <= min * 2 || this.size * 8 > cap) return;
    let want = 16;
    while (want < Math.max(min, this.size * 4)) want *= 2;
    if (want < cap) this.rehash(want);
  }

  private grow(): void {
    this.rehash(this.keys.length * 2);
  }

  private rehash(cap: number): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.set(oldKeys[i]!, oldVals[i]!);
  }
}
