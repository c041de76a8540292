// zlib from TypeScript: deflate an input through a z_stream in 256 KiB steps, then inflate it back.
// The z_stream is a record TypeScript allocates; C updates its pointer fields (next_in, next_out,
// state) on every call. The raw koffi version points them at Node buffers; the cc-wb version at
// byte arrays the host allocates, filled and read through `$bytes` views.
import koffi from 'koffi';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load } from '../../runtime-ts/index.js';
import type { Driver, Outcome } from './workload.js';

const CHUNK = 256 * 1024;
const Z_NO_FLUSH = 0;
const Z_FINISH = 4;
const Z_STREAM_END = 1;
const LEVEL = 6;

/** The operations both versions provide: the loop below is the same code for both. */
interface Stream {
  deflateInit(): number;
  inflateInit(): number;
  input(buf: Buffer): void;
  output(buf: Buffer): void;
  availIn(): number;
  availOut(): number;
  /** The last call wrote n bytes of output: put them into the buffer given to output(). */
  produced(n: number): void;
  deflate(flush: number): number;
  inflate(flush: number): number;
  deflateEnd(): number;
  inflateEnd(): number;
}

function roundTrip(s: Stream, data: Buffer): Outcome {
  const out = Buffer.allocUnsafe(CHUNK);
  const parts: Buffer[] = [];
  if (s.deflateInit() !== 0) throw new Error('deflateInit failed');
  for (let off = 0; off < data.length || off === 0; off += CHUNK) {
    const last = off + CHUNK >= data.length;
    s.input(data.subarray(off, off + CHUNK));
    let rc: number;
    do {
      s.output(out);
      rc = s.deflate(last ? Z_FINISH : Z_NO_FLUSH);
      if (rc < 0) throw new Error(`deflate: ${rc}`);
      s.produced(CHUNK - s.availOut());
      parts.push(Buffer.from(out.subarray(0, CHUNK - s.availOut())));
    } while (s.availOut() === 0);
    if (last) break;
  }
  s.deflateEnd();
  const packed = Buffer.concat(parts);

  const back: Buffer[] = [];
  if (s.inflateInit() !== 0) throw new Error('inflateInit failed');
  let rc = 0;
  for (let off = 0; off < packed.length && rc !== Z_STREAM_END; off += CHUNK) {
    s.input(packed.subarray(off, off + CHUNK));
    do {
      s.output(out);
      rc = s.inflate(Z_NO_FLUSH);
      if (rc < 0) throw new Error(`inflate: ${rc}`);
      s.produced(CHUNK - s.availOut());
      back.push(Buffer.from(out.subarray(0, CHUNK - s.availOut())));
    } while (s.availOut() === 0 && rc !== Z_STREAM_END);
  }
  s.inflateEnd();
  const restored = Buffer.concat(back);
  if (!restored.equals(data)) throw new Error('zlib: the round trip does not give the input back');
  return { digest: createHash('sha256').update(packed).digest('hex'), facts: { input: data.length, compressed: packed.length } };
}

export const zlib: Driver = {
  library: 'zlib',
  what: 'deflate + inflate through a TypeScript-allocated z_stream, 256 KiB steps',
  input: (ctx, size) => ctx.input('mixed', size === 'ref' ? 64 : 8),

  ccwb(path) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path) as any;
    return {
      lib,
      run: (input) => {
        const data = readFileSync(input);
        // Host-owned, freed when unreachable: the stream and its two buffers.
        const strm = new lib.z_stream({});
        const inBuf = lib.$alloc('unsigned char', CHUNK);
        const outBuf = lib.$alloc('unsigned char', CHUNK);
        const inBytes: Uint8Array = lib.$bytes(inBuf, CHUNK);
        const outBytes: Uint8Array = lib.$bytes(outBuf, CHUNK);
        let out: Buffer | null = null;
        const size = lib.$sizeof('z_stream');
        return roundTrip(
          {
            deflateInit: () => lib.deflateInit_(strm, LEVEL, lib.ZLIB_VERSION, size),
            inflateInit: () => lib.inflateInit_(strm, lib.ZLIB_VERSION, size),
            input: (b) => {
              inBytes.set(b);
              strm.next_in = inBuf;
              strm.avail_in = b.length;
            },
            output: (b) => {
              out = b;
              strm.next_out = outBuf;
              strm.avail_out = b.length;
            },
            produced: (n) => out!.set(outBytes.subarray(0, n)),
            availIn: () => strm.avail_in,
            availOut: () => strm.avail_out,
            deflate: (f) => lib.deflate(strm, f),
            inflate: (f) => lib.inflate(strm, f),
            deflateEnd: () => lib.deflateEnd(strm),
            inflateEnd: () => lib.inflateEnd(strm),
          },
          data,
        );
      },
    };
  },

  koffi(path) {
    const z = koffi.load(path);
    const zStream = koffi.struct('z_stream_t', {
      next_in: 'uint8_t *',
      avail_in: 'uint32_t',
      total_in: 'unsigned long',
      next_out: 'uint8_t *',
      avail_out: 'uint32_t',
      total_out: 'unsigned long',
      msg: 'char *',
      state: 'void *',
      zalloc: 'void *',
      zfree: 'void *',
      opaque: 'void *',
      data_type: 'int',
      adler: 'unsigned long',
      reserved: 'unsigned long',
    });
    const at = (f: string) => koffi.offsetof(zStream, f);
    const [NEXT_IN, AVAIL_IN, NEXT_OUT, AVAIL_OUT] = [at('next_in'), at('avail_in'), at('next_out'), at('avail_out')];
    const deflateInit_ = z.func('int deflateInit_(void *strm, int level, const char *version, int stream_size)');
    const inflateInit_ = z.func('int inflateInit_(void *strm, const char *version, int stream_size)');
    const deflate = z.func('int deflate(void *strm, int flush)');
    const inflate = z.func('int inflate(void *strm, int flush)');
    const deflateEnd = z.func('int deflateEnd(void *strm)');
    const inflateEnd = z.func('int inflateEnd(void *strm)');
    const version = z.func('const char *zlibVersion(void)')() as string;
    return {
      run: (input) => {
        const data = readFileSync(input);
        const strm = Buffer.alloc(koffi.sizeof(zStream));
        const size = strm.length;
        return roundTrip(
          {
            deflateInit: () => deflateInit_(strm, LEVEL, version, size),
            inflateInit: () => inflateInit_(strm, version, size),
            input: (b) => {
              strm.writeBigUInt64LE(koffi.address(b), NEXT_IN);
              strm.writeUInt32LE(b.length, AVAIL_IN);
            },
            output: (b) => {
              strm.writeBigUInt64LE(koffi.address(b), NEXT_OUT);
              strm.writeUInt32LE(b.length, AVAIL_OUT);
            },
            availIn: () => strm.readUInt32LE(AVAIL_IN),
            produced: () => {}, // C wrote into the Node buffer itself
            availOut: () => strm.readUInt32LE(AVAIL_OUT),
            deflate: (f) => deflate(strm, f),
            inflate: (f) => inflate(strm, f),
            deflateEnd: () => deflateEnd(strm),
            inflateEnd: () => inflateEnd(strm),
          },
          data,
        );
      },
    };
  },
};
