// expat from TypeScript, SAX style: a large document parsed in 1 MiB chunks, TypeScript callbacks
// for every start and end tag, with the attributes, and for every run of character data (text
// that is not NUL-terminated: a pointer and an int length, declared as a text span in the cc-wb
// version, decoded with koffi.decode(s, 'char', len) in the raw one). The job counts elements by
// name, attributes and the depth, and the text's characters, lines and a hash of its code units.
import koffi from 'koffi';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load } from '../../runtime-ts/index.js';
import type { Driver, Outcome } from './workload.js';

const CHUNK = 1024 * 1024;

/** What the callbacks accumulate; the digest covers all of it. */
class Tally {
  elements = 0;
  attributes = 0;
  nameChars = 0;
  valueChars = 0;
  textRuns = 0;
  textChars = 0;
  textLines = 0;
  textHash = 0x811c9dc5;
  depth = 0;
  maxDepth = 0;
  byName = new Map<string, number>();

  start(name: string): void {
    this.elements++;
    this.byName.set(name, (this.byName.get(name) ?? 0) + 1);
    if (++this.depth > this.maxDepth) this.maxDepth = this.depth;
  }
  attribute(name: string, value: string): void {
    this.attributes++;
    this.nameChars += name.length;
    this.valueChars += value.length;
  }
  end(): void {
    this.depth--;
  }
  text(s: string): void {
    this.textRuns++;
    this.textChars += s.length;
    let h = this.textHash;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 10) this.textLines++;
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.textHash = h;
  }
  outcome(): Outcome {
    const names = [...this.byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const text = [this.textRuns, this.textChars, this.textLines, this.textHash >>> 0];
    const digest = createHash('sha256').update(JSON.stringify([this.elements, this.attributes, this.nameChars, this.valueChars, this.maxDepth, names, text])).digest('hex');
    return { digest, facts: { elements: this.elements, attributes: this.attributes, names: names.length, maxDepth: this.maxDepth, textRuns: this.textRuns, textChars: this.textChars } };
  }
}

function parseChunks(data: Buffer, parse: (chunk: Buffer, last: boolean) => number, error: () => string): void {
  for (let off = 0; off < data.length; off += CHUNK) {
    const last = off + CHUNK >= data.length;
    if (parse(data.subarray(off, off + CHUNK), last) !== 1) throw new Error(`expat: ${error()}`);
  }
}

export const expat: Driver = {
  library: 'expat',
  what: 'SAX parse, 1 MiB chunks, TypeScript callbacks: start/end tags with attributes, character data',
  input: (ctx, size) => ctx.input('xml', size === 'ref' ? 24 : 4),

  ccwb(path) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    // Character data is (const XML_Char *s, int len): text with an int length, declared (runtime-ts/bytes.ts).
    const lib = load(path, { textSpans: { XML_CharacterDataHandler: [1] } }) as any;
    lib.XML_ParserCreate.returns({ owned: lib.XML_ParserFree }); // a parser is freed once unreachable
    return {
      lib,
      run(input) {
        const data = readFileSync(input);
        const t = new Tally();
        const parser = lib.XML_ParserCreate(null);
        const start = (_ud: unknown, name: string, atts: { get(i: number): string | null }) => {
          t.start(name);
          // name, value, name, value, ..., NULL
          for (let i = 0; ; i += 2) {
            const attribute = atts.get(i);
            if (attribute === null) break;
            t.attribute(attribute, atts.get(i + 1)!);
          }
        };
        const end = () => t.end();
        const text = (_ud: unknown, s: string) => t.text(s);
        lib.XML_SetElementHandler(parser, start, end);
        lib.XML_SetCharacterDataHandler(parser, text);
        try {
          parseChunks(data, (chunk, last) => lib.XML_Parse(parser, chunk, chunk.length, last ? 1 : 0), () => lib.XML_ErrorString(lib.XML_GetErrorCode(parser)));
        } finally {
          // A registered function stays registered (and keeps what its closure reaches: here the
          // parser) until unregistered, as with koffi.register.
          lib.$unregister(start);
          lib.$unregister(end);
          lib.$unregister(text);
        }
        return t.outcome();
      },
    };
  },

  koffi(path) {
    const x = koffi.load(path);
    const StartHandler = koffi.proto('void XML_StartElementHandler(void *userData, const char *name, void *atts)');
    const EndHandler = koffi.proto('void XML_EndElementHandler(void *userData, const char *name)');
    const TextHandler = koffi.proto('void XML_CharacterDataHandler(void *userData, void *s, int len)');
    const XML_ParserCreate = x.func('void *XML_ParserCreate(const char *encoding)');
    const XML_ParserFree = x.func('void XML_ParserFree(void *parser)');
    const XML_SetElementHandler = x.func('void XML_SetElementHandler(void *parser, XML_StartElementHandler *start, XML_EndElementHandler *end)');
    const XML_SetCharacterDataHandler = x.func('void XML_SetCharacterDataHandler(void *parser, XML_CharacterDataHandler *handler)');
    const XML_Parse = x.func('int XML_Parse(void *parser, const uint8_t *s, int len, int isFinal)');
    const XML_GetErrorCode = x.func('int XML_GetErrorCode(void *parser)');
    const XML_ErrorString = x.func('const char *XML_ErrorString(int code)');
    return {
      run(input) {
        const data = readFileSync(input);
        const t = new Tally();
        const start = koffi.register((_ud: unknown, name: string, atts: unknown) => {
          t.start(name);
          for (let i = 0; ; i += 2) {
            const attribute = koffi.decode(atts, i * 8, 'const char *') as string | null;
            if (attribute === null) break;
            t.attribute(attribute, koffi.decode(atts, (i + 1) * 8, 'const char *') as string);
          }
        }, koffi.pointer(StartHandler));
        const end = koffi.register(() => t.end(), koffi.pointer(EndHandler));
        // koffi's fastest way to the text of (s, len): a string decoded natively.
        const text = koffi.register((_ud: unknown, s: unknown, len: number) => t.text(koffi.decode(s, 'char', len) as string), koffi.pointer(TextHandler));
        const parser = XML_ParserCreate(null);
        try {
          XML_SetElementHandler(parser, start, end);
          XML_SetCharacterDataHandler(parser, text);
          parseChunks(data, (chunk, last) => XML_Parse(parser, chunk, chunk.length, last ? 1 : 0), () => XML_ErrorString(XML_GetErrorCode(parser)));
        } finally {
          XML_ParserFree(parser);
          koffi.unregister(start);
          koffi.unregister(end);
          koffi.unregister(text);
        }
        return t.outcome();
      },
    };
  },
};
