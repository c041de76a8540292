// Checks of JavaScript values against C scalar types, and the messages a wrong value gets.
import type { CType } from './meta.js';
import { typeName } from './meta.js';
import { describeValue } from './values.js';

/** A wrong argument or field value (a TypeError, named so in messages). */
export class ArgumentError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/** Integer range of a C integer type, for checks and messages. */
export function intRange(size: number, signed: boolean): [bigint, bigint] {
  const bits = BigInt(size * 8);
  return signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

/**
 * Checks and converts a JS value for a C integer (or enum, or _Bool) type. Numbers must be
 * integers within range; bigints likewise; booleans are 0/1; an enum also takes its constants'
 * names. Returns a number, or a bigint for 64-bit values beyond 2^53.
 */
export function toInteger(t: CType, v: unknown, where: () => string): number | bigint {
  const it = t.k === 'enum' ? t.en.type : t;
  if (it.k !== 'int') throw new TypeError(`${where()}: not an integer type`);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && t.k === 'enum') {
    const named = t.en.values.get(v);
    if (named !== undefined) return named;
  }
  const [min, max] = intRange(it.size, it.signed);
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (it.size <= 4 ? v >= Number(min) && v <= Number(max) : BigInt(v) >= min && BigInt(v) <= max) return v;
  } else if (typeof v === 'bigint') {
    if (v >= min && v <= max) return it.size <= 4 || (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) ? Number(v) : v;
  }
  const names = t.k === 'enum' ? ` or one of ${[...t.en.values.keys()].slice(0, 6).join(', ')}` : '';
  throw new TypeError(`${where()}: expected ${typeName(t)} (an integer in ${min}..${max}${names}), got ${describeValue(v)}`);
}

/**
 * toInteger specialised to one type, with a fast path for in-range numbers (field writes, array
 * stores): the checks of toInteger without building its ranges each time.
 */
export function integerConverter(t: CType, where: () => string): (v: unknown) => number | bigint {
  const it = t.k === 'enum' ? t.en.type : t;
  if (it.k !== 'int') return (v) => toInteger(t, v, where);
  const bits = it.size * 8;
  const min = it.signed ? -(2 ** (bits - 1)) : 0;
  const max = it.signed ? 2 ** (bits - 1) : 2 ** bits; // exclusive
  return (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v < max ? v : toInteger(t, v, where));
}

export function toFloat(t: CType, v: unknown, where: () => string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new TypeError(`${where()}: expected ${typeName(t)} (a number), got ${describeValue(v)}`);
}
