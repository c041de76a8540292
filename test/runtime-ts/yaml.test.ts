// Bytes and byte strings with a real library from Debian (libyaml, built with cc-wb): its text is
// `unsigned char *` (yaml_char_t) with explicit lengths, and its reader and writer callbacks take
// (unsigned char *buffer, size_t size) chunks, which arrive as Uint8Array views. The emitter's
// UTF-16 output is full of NUL bytes: a NUL-terminated string could not carry it.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, requireBuilt } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { load, scope, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let lib: LibraryModule & Record<string, Any>;

beforeAll(async () => {
  await requireBuilt();
  const src = await fetchDebianSource({ name: 'libyaml', patches: { apply: 'all' } });
  const units = ['api.c', 'dumper.c', 'emitter.c', 'loader.c', 'parser.c', 'reader.c', 'scanner.c', 'writer.c'].map((f) => join(src.dir, 'src', f));
  const version = ['-DYAML_VERSION_MAJOR=0', '-DYAML_VERSION_MINOR=2', '-DYAML_VERSION_PATCH=5', '-DYAML_VERSION_STRING="0.2.5"'];
  lib = load(await buildLibrary('yaml', units, ['-I', join(src.dir, 'include'), ...version, '-Wno-unused'])) as typeof lib;
}, 600_000);

const doc = 'name: cc-wb\nsnow: "☃ and ünïcode"\nlist: [a, bb, ccc]\n';

/** The scalars of a parse, read as text from their yaml_char_t pointers in three ways. */
function scalarsOf(parser: Any): string[] {
  const out: string[] = [];
  const event = new lib.yaml_event_t();
  for (;;) {
    expect(lib.yaml_parser_parse(parser, event)).toBe(1);
    const type = event.type;
    if (type === lib.YAML_SCALAR_EVENT) {
      const { value, length } = event.data.scalar;
      const text = lib.$string(value, length);
      expect(String(value)).toBe(text); // up to the NUL
      expect(new TextDecoder().decode(lib.$bytes(value, length))).toBe(text);
      out.push(text);
    }
    lib.yaml_event_delete(event);
    if (type === lib.YAML_STREAM_END_EVENT) break;
  }
  return out;
}

/** Emits a sequence of scalars in an encoding; returns what the write handler received. */
function emit(encoding: number, values: string[]): { chunks: Uint8Array[]; sizes: number[] } {
  const chunks: Uint8Array[] = [];
  const sizes: number[] = [];
  return scope(() => {
    const emitter = new lib.yaml_emitter_t();
    const event = new lib.yaml_event_t();
    expect(lib.yaml_emitter_initialize(emitter)).toBe(1);
    const writer = (_data: unknown, buffer: Uint8Array, size: number) => {
      expect(buffer).toBeInstanceOf(Uint8Array);
      sizes.push(size);
      chunks.push(buffer.slice()); // a view of C's buffer: copied to keep
      return 1;
    };
    lib.yaml_emitter_set_output(emitter, writer, null);
    lib.yaml_emitter_set_unicode(emitter, 1);
    lib.yaml_emitter_set_width(emitter, 8); // a narrow line: the output comes in several lines
    const step = (ok: number) => expect(ok && lib.yaml_emitter_emit(emitter, event)).toBe(1);
    step(lib.yaml_stream_start_event_initialize(event, encoding));
    step(lib.yaml_document_start_event_initialize(event, null, null, null, 1));
    step(lib.yaml_sequence_start_event_initialize(event, null, null, 1, lib.YAML_BLOCK_SEQUENCE_STYLE));
    // A string where `const yaml_char_t *` (unsigned char) is expected; -1: up to the NUL.
    for (const v of values) step(lib.yaml_scalar_event_initialize(event, null, null, v, -1, 1, 1, lib.YAML_ANY_SCALAR_STYLE));
    step(lib.yaml_sequence_end_event_initialize(event));
    step(lib.yaml_document_end_event_initialize(event, 1));
    step(lib.yaml_stream_end_event_initialize(event));
    lib.yaml_emitter_delete(emitter);
    lib.$unregister(writer);
    return { chunks, sizes };
  });
}

const concat = (chunks: Uint8Array[]) => Buffer.concat(chunks.map((c) => Buffer.from(c)));

describe('libyaml from Debian, built with cc-wb: bytes and unsigned char text', () => {
  it('reads yaml_char_t text as strings, and takes a string where const unsigned char * is expected', () => {
    expect(lib.yaml_get_version_string()).toBe('0.2.5');
    scope(() => {
      const parser = new lib.yaml_parser_t();
      expect(lib.yaml_parser_initialize(parser)).toBe(1);
      lib.yaml_parser_set_input_string(parser, doc, Buffer.byteLength(doc));
      expect(scalarsOf(parser)).toEqual(['name', 'cc-wb', 'snow', '☃ and ünïcode', 'list', 'a', 'bb', 'ccc']);
      lib.yaml_parser_delete(parser);
    });
  });

  it('gives a (unsigned char *buffer, size_t size) reader a Uint8Array to fill', () => {
    const input = Buffer.from(doc);
    let at = 0;
    const seen: number[] = [];
    const reader = (_data: unknown, buffer: Uint8Array, size: number, sizeRead: Any) => {
      expect(buffer).toBeInstanceOf(Uint8Array);
      expect(buffer.length).toBe(size);
      seen.push(size);
      const n = Math.min(5, size, input.length - at); // five bytes at a time, splitting ☃ and ü
      buffer.set(input.subarray(at, at + n));
      at += n;
      sizeRead.value = n;
      return 1;
    };
    scope(() => {
      const parser = new lib.yaml_parser_t();
      expect(lib.yaml_parser_initialize(parser)).toBe(1);
      lib.yaml_parser_set_input(parser, reader, null);
      expect(scalarsOf(parser)).toEqual(['name', 'cc-wb', 'snow', '☃ and ünïcode', 'list', 'a', 'bb', 'ccc']);
      lib.yaml_parser_delete(parser);
    });
    lib.$unregister(reader);
    expect(at).toBe(input.length);
    expect(seen.length).toBeGreaterThan(input.length / 5);
  });

  it('gives a (unsigned char *buffer, size_t size) writer the bytes, NULs included', () => {
    const values = ['alpha', 'snow ☃', 'ünïcode', 'beta'];
    const utf8 = emit(lib.YAML_UTF8_ENCODING, values);
    const utf16 = emit(lib.YAML_UTF16LE_ENCODING, values);
    for (const { chunks, sizes } of [utf8, utf16]) {
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.map((c) => c.length)).toEqual(sizes);
    }
    const text = concat(utf8.chunks).toString('utf8');
    expect(text).toBe('- alpha\n- snow ☃\n- ünïcode\n- beta\n');
    const wide = concat(utf16.chunks);
    expect(wide.includes(0)).toBe(true); // every ASCII character's high byte
    expect(wide.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe])); // the byte-order mark
    expect(new TextDecoder('utf-16le').decode(wide)).toBe(text);
  });

  it('rejects bad lengths and released proxies in the byte helpers', () => {
    const arr = lib.$alloc('unsigned char', 4);
    arr[0] = 0x68;
    arr[1] = 0x69;
    expect(String(arr)).toBe('hi');
    expect(lib.$string(arr, 3)).toBe('hi\0');
    expect([...lib.$bytes(arr)]).toEqual([0x68, 0x69, 0, 0]); // the allocation's length
    expect(() => lib.$bytes(arr, -1)).toThrow(RangeError);
    expect(lib.$bytes(null, 4)).toBeNull();
    arr.release();
    expect(() => lib.$bytes(arr, 2)).toThrow(/\$bytes: unsigned char array: this proxy was released/);
  });
});
