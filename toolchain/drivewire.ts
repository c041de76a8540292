// The drive socket's wire format, between the native launcher (launcher/cc-wb-launch.c, which
// mirrors this file) and the drive server (driveserver.ts). Integers are 32-bit little-endian; a
// string is its length, then its bytes (no terminator, any bytes).
//
// Request, once per connection:
//   "CCWB", version, length of the rest, then: flags (bit 0/1/2: fd 0/1/2 is a terminal), umask,
//   cwd, argc and argc strings (without argv[0]), envc and envc "NAME=value" strings.
// Then the launcher may send one frame: 'k', 4, signal number (it was interrupted by that signal).
// Reply: frames of kind (one byte), length, payload:
//   'o' bytes for stdout, 'e' bytes for stderr (in the order they were produced),
//   'x' exit status (ends the reply), 's' signal number (ends it: the command was killed by it),
//   'f' (ends it, and comes first if at all): run the command-line driver instead.
import { join } from 'node:path';

export const MAGIC = 'CCWB';
export const VERSION = 1;
/** Arguments and environment together are at most a few MB on Linux (ARG_MAX); more is garbage. */
export const MAX_REQUEST = 64 * 1024 * 1024;

export interface DriveRequest {
  tty: { stdin: boolean; stdout: boolean; stderr: boolean };
  umask: number;
  cwd: Buffer;
  args: Buffer[];
  env: Buffer[];
}

/** Request header: magic, version, body length. */
export const HEADER_BYTES = 12;

/** The body length a complete header announces, or an error message. */
export function requestLength(header: Buffer): number | string {
  if (header.subarray(0, 4).toString('latin1') !== MAGIC) return 'not a cc-wb launcher';
  if (header.readUInt32LE(4) !== VERSION) return `launcher protocol ${header.readUInt32LE(4)}, not ${VERSION}`;
  const length = header.readUInt32LE(8);
  return length > MAX_REQUEST ? 'request too large' : length;
}

/** Decodes a request body; undefined when it is malformed. */
export function decodeRequest(body: Buffer): DriveRequest | undefined {
  let at = 0;
  const u32 = (): number => {
    if (at + 4 > body.length) throw new RangeError('truncated');
    const v = body.readUInt32LE(at);
    at += 4;
    return v;
  };
  const str = (): Buffer => {
    const n = u32();
    if (at + n > body.length) throw new RangeError('truncated');
    const s = body.subarray(at, at + n);
    at += n;
    return s;
  };
  const list = (): Buffer[] => {
    const n = u32();
    if (n > body.length) throw new RangeError('truncated');
    return Array.from({ length: n }, str);
  };
  try {
    const flags = u32();
    const umask = u32();
    const cwd = str();
    const args = list();
    const env = list();
    if (at !== body.length) return undefined;
    return { tty: { stdin: (flags & 1) !== 0, stdout: (flags & 2) !== 0, stderr: (flags & 4) !== 0 }, umask, cwd, args, env };
  } catch {
    return undefined;
  }
}

/** Encodes a request (the launcher's side; tests use it to speak as a launcher). */
export function encodeRequest(r: DriveRequest): Buffer {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const str = (s: Buffer) => {
    u32(s.length);
    parts.push(s);
  };
  u32((r.tty.stdin ? 1 : 0) | (r.tty.stdout ? 2 : 0) | (r.tty.stderr ? 4 : 0));
  u32(r.umask);
  str(r.cwd);
  u32(r.args.length);
  r.args.forEach(str);
  u32(r.env.length);
  r.env.forEach(str);
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(body.length, 8);
  return Buffer.concat([header, body]);
}

export type FrameKind = 'o' | 'e' | 'x' | 's' | 'f' | 'k';

export function frame(kind: FrameKind, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32LE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export function u32Frame(kind: 'x' | 's' | 'k', value: number): Buffer {
  const v = Buffer.alloc(4);
  v.writeUInt32LE(value);
  return frame(kind, v);
}

/** Splits a byte stream into frames (a test's launcher, or the server reading 'k'). */
export function frameReader(onFrame: (kind: FrameKind, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 5) {
      const n = pending.readUInt32LE(1);
      if (pending.length < 5 + n) return;
      const kind = pending.toString('latin1', 0, 1) as FrameKind;
      const payload = pending.subarray(5, 5 + n);
      pending = pending.subarray(5 + n);
      onFrame(kind, payload);
    }
  };
}

/**
 * The drive socket of one server slot. Its name carries the package's location, not the code's
 * digest (the launcher cannot compute that): the server checks on each request that the code on
 * disk is still the code it runs.
 */
export function driveSocketPath(dir: string, packageId: string, slot: number): string {
  return join(dir, `drive-${packageId}-${slot}.sock`);
}

/** FNV-1a (64 bits) of the package root's real path, in hex: the launcher computes the same. */
export function packageIdOf(realRoot: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(realRoot, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
