// The pass server's wire format, shared by toolchain/passserver.ts and toolchain/passclient.ts.
// A message is one line of JSON (its header), then `header.bytes` bytes of body (UTF-8 text).
// Requests: {op: 'pass', fileName, bytes} + the preprocessed unit; {op: 'stats'}; {op: 'stop'}.
// Replies:  {op: 'pass', result (InstrumentResult without code), bytes} + the code;
//           {op: 'stats', cpuMs, requests, pid}; {op: 'error', message}.
import { createHash } from 'node:crypto';
import { statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';

export interface Header {
  op: string;
  bytes?: number;
  [key: string]: unknown;
}

export function send(socket: Socket, header: Header, body?: Buffer): void {
  const h = { ...header, bytes: body?.length ?? 0 };
  socket.write(JSON.stringify(h) + '\n');
  if (body && body.length > 0) socket.write(body);
}

/**
 * Calls onMessage for each complete message arriving on the socket. Messages are small in number
 * (one request, one reply per connection) but their bodies can be megabytes: chunks are kept as
 * they come and joined once.
 */
export function receive(socket: Socket, onMessage: (header: Header, body: Buffer) => void): void {
  let chunks: Buffer[] = [];
  let have = 0;
  let header: Header | undefined;
  let headerEnd = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks = [all];
      if (header === undefined) {
        const nl = all.indexOf(10);
        if (nl < 0) return;
        try {
          header = JSON.parse(all.subarray(0, nl).toString('utf8')) as Header;
        } catch {
          socket.destroy(new Error('malformed message header'));
          return;
        }
        headerEnd = nl + 1;
      }
      const need = headerEnd + (header.bytes ?? 0);
      if (have < need) return;
      const body = all.subarray(headerEnd, need);
      const h = header;
      header = undefined;
      chunks = [all.subarray(need)];
      have -= need;
      onMessage(h, body);
      if (have === 0) return;
    }
  });
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Identity of the pass code on disk: a server started from other code (an upgrade, a rebuild during
 * development) must never serve this client. Sizes and mtimes of the compiled pass, this folder's
 * server, the prelude and the parser packages, plus Node's version, are cheap to read and change
 * whenever the code does.
 */
export function passDigest(): string {
  const h = createHash('sha256');
  h.update(process.version);
  const files: string[] = [];
  for (const dir of [join(here, '..', 'instrument'), here]) {
    for (const f of readdirSync(dir).sort()) if (f.endsWith('.js')) files.push(join(dir, f));
  }
  // What the pass reads besides its code: the prelude it splices in, the ABI header its barrier
  // text is built from, and the parser's packages.
  const root = join(here, '..', '..');
  for (const header of ['wb_prelude.h', 'wb_abi.h']) files.push(join(root, 'runtime-c', 'include', header));
  for (const pkg of ['tree-sitter', 'tree-sitter-c']) files.push(join(root, 'node_modules', pkg, 'package.json'));
  for (const f of files) {
    try {
      const st = statSync(f);
      h.update(`${f}:${st.size}:${st.mtimeMs}\n`);
    } catch {
      h.update(`${f}:missing\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function socketPath(dir: string, digest: string, slot: number): string {
  return join(dir, `pass-${digest}-${slot}.sock`);
}
