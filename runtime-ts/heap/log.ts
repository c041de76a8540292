// The runtime's event log (wb_host.h, "events") read in bulk: wb_drain hands out a chunk of
// 32-byte records, which the host reads through a Uint32Array over the chunk itself (no copy, no
// call per event); wb_log_hint() is a word read through the same kind of view, so a drain with
// nothing to take costs a memory read rather than a call.
import koffi from 'koffi';
import { windowOf, windowOffset } from '../memory.js';

type KoffiLib = ReturnType<typeof koffi.load>;

export const EV_REF = 1;
export const EV_MOVE = 2;
export const EV_CFREE = 3;

/** Consumes n records from u32 (record i at [8i .. 8i+7]). */
export type EventSink = (u32: Uint32Array, n: number) => void;

/** Nanoseconds for the memory manager's own timing (stats(): drainMs, collectMs, releaseMs); a benchmark may swap in CPU time. */
export const clock = { now: (): number => Number(process.hrtime.bigint()) };

export class EventLog {
  private readonly drainFn: (out: Buffer) => number | bigint;
  private readonly outBuf = Buffer.alloc(8);
  private readonly hintDv: DataView;
  private readonly hintO: number;
  private readonly views = new Map<number, Uint32Array>();
  private busy = false;
  drained = 0;
  drainNs = 0;

  constructor(lib: KoffiLib) {
    this.drainFn = lib.func('size_t wb_drain(void *out)') as unknown as (out: Buffer) => number;
    const hintAddr = Number(lib.func('uintptr_t wb_log_hint(void)')() as number | bigint);
    this.hintDv = windowOf(hintAddr);
    this.hintO = windowOffset(hintAddr);
  }

  /** Whether wb_drain may have something (may be true while the log is empty). */
  pending(): boolean {
    return this.hintDv.getUint32(this.hintO, true) !== 0;
  }

  /**
   * Takes every record appended so far and hands them to sink in order. Not re-entrant: the
   * runtime's records stay valid only until the next wb_drain, so a drain that started inside
   * another (a flush while the sink runs C code, which it must not) leaves the rest to the outer one.
   */
  drainAll(sink: EventSink): number {
    if (this.busy || !this.pending()) return 0;
    this.busy = true;
    const t0 = clock.now();
    let total = 0;
    try {
      for (;;) {
        const n = Number(this.drainFn(this.outBuf));
        if (n === 0) break;
        const addr = this.outBuf.readUInt32LE(0) + this.outBuf.readUInt32LE(4) * 4294967296;
        sink(this.view(addr), n);
        total += n;
      }
    } finally {
      this.busy = false;
      this.drained += total;
      this.drainNs += clock.now() - t0;
    }
    return total;
  }

  /** Chunks are recycled, never unmapped: one view per chunk address, made once. */
  private view(addr: number): Uint32Array {
    let v = this.views.get(addr);
    if (!v) {
      const dv = windowOf(addr);
      v = new Uint32Array(dv.buffer, dv.byteOffset + windowOffset(addr), 4096 * 8);
      this.views.set(addr, v);
    }
    return v;
  }
}

let flushProto: ReturnType<typeof koffi.proto> | null = null;

/** Registers the calling thread as the runtime's host, with a flush callback (accounting only). */
export function registerHost(lib: KoffiLib, onFlush: () => void): { unregister(): void } {
  // One koffi type for every runtime in the process (koffi refuses a second one of the same name).
  const proto = (flushProto ??= koffi.proto('void wb_flush_fn(void *ctx)'));
  const cb = koffi.register(() => onFlush(), koffi.pointer(proto));
  const reg = lib.func('int wb_host_register(void *fn, void *ctx)') as unknown as (fn: unknown, ctx: null) => number;
  const unreg = lib.func('void wb_host_unregister(void)') as unknown as () => void;
  const rc = reg(cb, null);
  if (rc !== 0) {
    koffi.unregister(cb);
    throw new Error(`wb_host_register failed (${rc}): the runtime's stress mode (WB_STRESS=1) owns the log`);
  }
  return {
    unregister() {
      unreg();
      koffi.unregister(cb);
    },
  };
}
