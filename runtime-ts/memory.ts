// Native memory as seen from JavaScript. koffi.view() makes an ArrayBuffer over any address range,
// but costs microseconds and is limited to 4 GiB, so instead of a view per object the host keeps
// views over overlapping windows of the address space (4 GiB long, one every 2 GiB: any object
// that starts in a window's first half has at least 2 GiB of it ahead) and a proxy remembers its
// window and offset. A field read is then a DataView access: a few nanoseconds.
import koffi from 'koffi';

const STRIDE = 2 ** 31;
const SPAN = 2 ** 32;
const LOW = 4096; // never map the null page
const TWO32 = 4294967296;

const windows: Array<DataView | undefined> = [];

/** The DataView whose window holds `addr` (addresses are plain numbers, exact below 2^53). */
export function windowOf(addr: number): DataView {
  const w = Math.floor(addr / STRIDE);
  let dv = windows[w];
  if (dv === undefined) {
    const base = Math.max(w * STRIDE, LOW);
    dv = new DataView(koffi.view(BigInt(base), SPAN - (base - w * STRIDE)));
    windows[w] = dv;
  }
  return dv;
}

/** Offset of `addr` in windowOf(addr). */
export function windowOffset(addr: number): number {
  const w = Math.floor(addr / STRIDE);
  return addr - Math.max(w * STRIDE, LOW);
}

export function readPointer(dv: DataView, o: number): number {
  return dv.getUint32(o, true) + dv.getUint32(o + 4, true) * TWO32;
}

export function writePointerRaw(dv: DataView, o: number, value: number): void {
  dv.setUint32(o, value % TWO32, true);
  dv.setUint32(o + 4, Math.floor(value / TWO32), true);
}

export function readPointerAt(addr: number): number {
  return readPointer(windowOf(addr), windowOffset(addr));
}

/** Bytes of native memory (a view, not a copy). */
export function bytesAt(addr: number, length: number): Uint8Array {
  const w = Math.floor(addr / STRIDE);
  const dv = windows[w] ?? windowOf(addr);
  return new Uint8Array(dv.buffer, dv.byteOffset + addr - Math.max(w * STRIDE, LOW), length);
}

/**
 * A Buffer as strings are read from it. utf8Slice(start, end) is what Buffer's toString('utf8')
 * ends in, without its argument handling (a third of the cost of a short string); Node has had it
 * on Buffer.prototype since its first versions, but the types leave it out.
 */
type SliceableBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/** Buffers over the same windows as the DataViews: their native indexOf and utf8Slice read strings. */
const buffers: Array<SliceableBuffer | undefined> = [];

function bufferOf(addr: number): SliceableBuffer {
  const w = Math.floor(addr / STRIDE);
  let b = buffers[w];
  if (b === undefined) {
    const dv = windowOf(addr);
    b = Buffer.from(dv.buffer, dv.byteOffset, dv.byteLength) as SliceableBuffer;
    if (typeof b.utf8Slice !== 'function') b.utf8Slice = (start, end) => b!.toString('utf8', start, end);
    buffers[w] = b;
  }
  return b;
}

/**
 * The NUL-terminated string at addr, decoded as UTF-8 (bad sequences become U+FFFD), at most `max`
 * bytes of it. Like C's strlen, it reads until the NUL: the caller vouches that there is one.
 */
export function readCString(addr: number, max = Infinity): string {
  const w = Math.floor(addr / STRIDE);
  const b = buffers[w] ?? bufferOf(addr);
  const o = addr - Math.max(w * STRIDE, LOW);
  if (max < b.length - o) {
    // Bounded: never look past the allocation for the NUL.
    const n = b.subarray(o, o + max).indexOf(0);
    return b.utf8Slice(o, n < 0 ? o + max : o + n);
  }
  const end = b.indexOf(0, o);
  return b.utf8Slice(o, end < 0 ? b.length : end);
}

/** The `length` bytes at addr decoded as UTF-8 (NULs included). */
export function readText(addr: number, length: number): string {
  const w = Math.floor(addr / STRIDE);
  const b = buffers[w] ?? bufferOf(addr);
  const o = addr - Math.max(w * STRIDE, LOW);
  return b.utf8Slice(o, o + length);
}

/** Integer reads and writes by size and signedness; 64-bit values follow the host's rule. */
export function intReader(size: number, signed: boolean): (dv: DataView, o: number) => number | bigint {
  switch (size) {
    case 1:
      return signed ? (dv, o) => dv.getInt8(o) : (dv, o) => dv.getUint8(o);
    case 2:
      return signed ? (dv, o) => dv.getInt16(o, true) : (dv, o) => dv.getUint16(o, true);
    case 4:
      return signed ? (dv, o) => dv.getInt32(o, true) : (dv, o) => dv.getUint32(o, true);
    case 8:
      return signed
        ? (dv, o) => {
            const lo = dv.getUint32(o, true);
            const hi = dv.getInt32(o + 4, true);
            // Exact as a number while |value| < 2^53: hi in [-2^21, 2^21).
            if (hi >= -0x200000 && hi < 0x200000) return hi * TWO32 + lo;
            return dv.getBigInt64(o, true);
          }
        : (dv, o) => {
            const lo = dv.getUint32(o, true);
            const hi = dv.getUint32(o + 4, true);
            if (hi < 0x200000) return hi * TWO32 + lo;
            return dv.getBigUint64(o, true);
          };
    default:
      throw new RangeError(`no ${size}-byte integer access`);
  }
}

export function intWriter(size: number): (dv: DataView, o: number, v: number | bigint) => void {
  switch (size) {
    case 1:
      return (dv, o, v) => dv.setUint8(o, Number(v) & 0xff);
    case 2:
      return (dv, o, v) => dv.setUint16(o, Number(v) & 0xffff, true);
    case 4:
      return (dv, o, v) => dv.setUint32(o, Number(v) >>> 0, true);
    case 8:
      return (dv, o, v) => dv.setBigUint64(o, BigInt.asUintN(64, BigInt(v)), true);
    default:
      throw new RangeError(`no ${size}-byte integer access`);
  }
}
