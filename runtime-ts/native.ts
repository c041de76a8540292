// The runtime-c host API (runtime-c/include/wb_host.h) of one loaded library, through koffi. A
// library built without cc-wb has no runtime: allocation falls back to libc and every pointer is
// foreign (no lifetimes, no bounds).
import koffi from 'koffi';
import { readPointer, windowOf, windowOffset, writePointerRaw } from './memory.js';

export const WB_KIND_FOREIGN = 0;
export const WB_KIND_HEAP = 1;

export interface AllocationInfo {
  base: number;
  size: number;
  policy: number;
  flags: number;
  typeId: number;
}

type KoffiLib = ReturnType<typeof koffi.load>;

let libc: KoffiLib | null = null;
let libcFns: { calloc: (n: number, s: number) => unknown; aligned_alloc: (a: number, n: number) => unknown } | null = null;

function libcAlloc(size: number, align: number): number {
  if (!libcFns) {
    libc ??= koffi.load('libc.so.6');
    libcFns = { calloc: libc.func('uintptr_t calloc(size_t, size_t)'), aligned_alloc: libc.func('uintptr_t aligned_alloc(size_t, size_t)') };
  }
  const n = Math.max(size, 1);
  let p: number;
  if (align <= 16) p = Number(libcFns.calloc(1, n));
  else {
    p = Number(libcFns.aligned_alloc(align, Math.ceil(n / align) * align));
    if (p) new Uint8Array(windowOf(p).buffer, windowOffset(p), n).fill(0);
  }
  if (!p) throw new RangeError(`out of memory allocating ${size} bytes`);
  return p;
}

export class NativeRuntime {
  /** true when the library contains the cc-wb runtime (wb_host.h). */
  readonly present: boolean;
  private readonly hostAllocFn?: (size: number, align: number, type: number) => unknown;
  private readonly queryFn?: (p: number, out: Buffer) => number;
  private readonly storePtrFn?: (slot: number, value: number) => void;
  private readonly info = Buffer.alloc(32);

  constructor(lib: KoffiLib) {
    let present = false;
    try {
      lib.symbol('wb_host_alloc');
      present = true;
    } catch {
      present = false;
    }
    this.present = present;
    if (!present) return;
    this.hostAllocFn = lib.func('uintptr_t wb_host_alloc(size_t size, size_t align, uint32_t type_id)');
    this.queryFn = lib.func('int wb_query(uintptr_t p, void *out)') as unknown as (p: number, out: Buffer) => number;
    this.storePtrFn = lib.func('void wb_store_ptr(uintptr_t slot, uintptr_t value)');
  }

  /** A zeroed object the host owns (HOST policy), tagged with the host's type id. */
  alloc(size: number, align: number, typeId: number): number {
    if (!this.hostAllocFn) return libcAlloc(size, align);
    const p = Number(this.hostAllocFn(Math.max(size, 1), align, typeId));
    if (!p) throw new RangeError(`wb_host_alloc: out of memory allocating ${size} bytes`);
    return p;
  }

  /** Memory outside the runtime (never HOST, never released): the host's own scratch buffers. */
  allocForeign(size: number, align: number): number {
    return libcAlloc(size, align);
  }

  /** The live heap allocation containing p, or null for foreign memory. */
  query(p: number): AllocationInfo | null {
    if (!this.queryFn) return null;
    const kind = this.queryFn(p, this.info);
    if (kind !== WB_KIND_HEAP) return null;
    const b = this.info;
    return {
      base: b.readUInt32LE(0) + b.readUInt32LE(4) * 4294967296,
      size: b.readUInt32LE(8) + b.readUInt32LE(12) * 4294967296,
      policy: b.readUInt32LE(16),
      flags: b.readUInt32LE(20),
      typeId: b.readUInt32LE(24),
    };
  }

  /** A pointer store done by the host, accounted like an instrumented C store. */
  storePointer(slot: number, value: number): void {
    if (this.storePtrFn) this.storePtrFn(slot, value);
    else writePointerRaw(windowOf(slot), windowOffset(slot), value);
  }

  /** Reads a pointer slot (no accounting needed for reads). */
  loadPointer(slot: number): number {
    return readPointer(windowOf(slot), windowOffset(slot));
  }
}
