// Proxies with real libraries from Debian, built with cc-wb. A synchronous loop of scopes keeps no
// proxy past its scope (cJSON: the live counts, and the JS heap after a full GC in the same job,
// where a WeakRef's target would survive). A released proxy follows one rule whatever it held
// (zlib: a global, a heap object zlib owns, one the host allocated): every use throws a RangeError
// naming its type. And zlib's `Bytef *` (unsigned char) takes a string and gives text back.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildLibrary, requireBuilt } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { collect, load, scope, stats, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let cjson: LibraryModule & Record<string, Any>;
let z: LibraryModule & Record<string, Any>;

beforeAll(async () => {
  await requireBuilt();
  const cj = await fetchDebianSource({ name: 'cjson', patches: { apply: 'all' } });
  cjson = load(await buildLibrary('cjson-proxies', [join(cj.dir, 'cJSON.c')], ['-std=c89'])) as typeof cjson;
  // cJSON keeps malloc and free as values (global_hooks), which the pass does not rename yet:
  // its own hook installs the runtime's, so that its objects are heap objects of the runtime.
  const symbol = (name: string) => BigInt(cjson.$lib.handle.symbol(name) as unknown as number);
  cjson.cJSON_InitHooks({ malloc_fn: symbol('__wb_malloc'), free_fn: symbol('__wb_free') });
  const zs = await fetchDebianSource({ name: 'zlib', patches: { apply: 'all' } });
  const units = ['adler32.c', 'compress.c', 'crc32.c', 'deflate.c', 'infback.c', 'inffast.c', 'inflate.c', 'inftrees.c', 'trees.c', 'uncompr.c', 'zutil.c'];
  // node exports the symbols of the zlib it bundles (zcalloc, deflate…): -Bsymbolic binds this
  // library's references to its own definitions, as a library built with a version script would.
  z = load(await buildLibrary('z-proxies', units.map((f) => join(zs.dir, f)), ['-Wl,-Bsymbolic'])) as typeof z;
}, 600_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('proxies in a synchronous loop (cJSON from Debian)', () => {
  it('keeps no proxy past its scope: live counts and the heap stay bounded over 100,000 iterations', () => {
    cjson.cJSON_CreateObject.returns({ owned: cjson.cJSON_Delete });
    const n = 100_000;
    collect(cjson);
    const s0 = stats(cjson);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      scope(() => {
        const o = cjson.cJSON_CreateObject(); // a proxy, owned: deleted when the scope ends
        const item = cjson.cJSON_AddNumberToObject(o, 'i', i); // a second proxy, borrowed
        sum += item.valuedouble + cjson.cJSON_GetObjectItem(o, 'i').valueint; // the same proxy again
      });
    }
    const s1 = stats(cjson);
    gc(); // same job: a WeakRef made in it would keep its target through this collection
    const grown = process.memoryUsage().heapUsed - heap0;
    expect(sum).toBe(n * (n - 1));
    expect(s1.proxiesWeak - s0.proxiesWeak).toBe(0); // no proxy had a WeakRef
    expect(s1.proxiesReleased - s0.proxiesReleased).toBe(2 * n);
    expect(s1.destroyed - s0.destroyed).toBe(n);
    expect(s1.proxied).toBe(s0.proxied);
    expect(s1.live).toBe(s0.live);
    expect(s1.runtime.host_objects).toBe(s0.runtime.host_objects);
    // 200,000 proxies kept until the job ends would be about 90 MiB (0.45 KiB each).
    expect(grown).toBeLessThan(16 * 2 ** 20);
    cjson.cJSON_CreateObject.returns(null);
  });

  it("keeps a scope's result alive after it, weakly held once outside every scope", () => {
    const s0 = stats(cjson);
    const kept = scope(() => scope(() => cjson.cJSON_CreateString('kept'))); // passed outwards twice
    expect(kept.valuestring).toBe('kept');
    expect(stats(cjson).proxiesWeak - s0.proxiesWeak).toBe(1);
    expect(cjson.cJSON_GetStringValue(kept)).toBe('kept');
    expect(kept.release()).toBe(true);
    // Outside a scope every new proxy has a WeakRef (the finalizer backstop): counted.
    for (let i = 0; i < 10; i++) cjson.cJSON_CreateNull().release();
    expect(stats(cjson).proxiesWeak - s0.proxiesWeak).toBe(11);
  });
});

describe('released proxies: one rule (zlib from Debian)', () => {
  it('ends a proxy of a global (foreign memory): release() says it held nothing, any use throws', () => {
    const c = z.deflate_copyright;
    expect(String(c)).toMatch(/deflate .* Copyright/);
    expect(c.release()).toBe(false); // foreign memory: nothing to let go of
    expect(() => c[0]).toThrow(RangeError);
    expect(() => c[0]).toThrow(/^char array: this proxy was released \(release\(\), using or scope\(\)\)/);
    expect(() => c.length).toThrow(/char array: this proxy was released/);
    expect(() => c.toArray()).toThrow(/char array: this proxy was released/);
    expect(String(c)).toBe('[released char array proxy]');
    expect(c.release()).toBe(false);
    const again = z.deflate_copyright; // reached again: a new proxy
    expect(again === c).toBe(false);
    expect(String(again)).toMatch(/Copyright/);
  });

  it('ends proxies of heap objects the same way, with messages naming the type and the use', () => {
    const strm = new z.z_stream(); // allocated by the host
    expect(z.deflateInit_(strm, 6, z.ZLIB_VERSION, z.z_stream.size)).toBe(z.Z_OK);
    const state = strm.state; // zlib's own allocation, owned by zlib
    expect(state.$borrowed).toBe(false);
    expect(state.release()).toBe(true); // it held a heap object: given back to C
    expect(() => state.status).toThrow(/^struct internal_state: this proxy was released/);
    expect(() => state.toJSON()).toThrow(RangeError);
    expect(strm.state.status).toBe(42); // INIT_STATE, through a new proxy: zlib still has it
    expect(z.deflateEnd(strm)).toBe(z.Z_OK);
    {
      using s = strm;
      expect(s.total_in).toBe(0);
    }
    expect(() => strm.avail_in).toThrow(/^struct z_stream_s: this proxy was released/);
    expect(() => strm.$at(0)).toThrow(RangeError);
    expect(() => z.deflateEnd(strm)).toThrow(/^deflateEnd\(\): argument 1 'strm' .*: struct z_stream_s: this proxy was released/);
    expect(() => new z.z_stream(strm)).toThrow(/struct z_stream_s: this proxy was released/);
    expect(() => z.$cast(strm, 'int')).toThrow(/\$cast: struct z_stream_s: this proxy was released/);
    expect(strm.release()).toBe(false);
  });

  it("takes a string for const Bytef * and reads Bytef (unsigned char) output as text", () => {
    const text = 'snow ☃, '.repeat(64);
    const size = Buffer.byteLength(text);
    const packed = z.$alloc('unsigned char', z.compressBound(size));
    const packedLen = [packed.length];
    expect(z.compress(packed, packedLen, text, size)).toBe(z.Z_OK); // the string as const Bytef *
    expect(packedLen[0]).toBeLessThan(size / 4);
    const out = z.$alloc('unsigned char', size + 1);
    const outLen = [size + 1];
    expect(z.uncompress(out, outLen, packed, packedLen[0])).toBe(z.Z_OK);
    expect(outLen[0]).toBe(size);
    expect(z.$string(out, outLen[0])).toBe(text);
    expect(String(out)).toBe(text); // up to the NUL $alloc's zeroing left
  });
});
