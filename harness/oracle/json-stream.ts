// An incremental JSON tokenizer. clang's -ast-dump=json of one translation unit is hundreds of MB
// (lua's lvm.c: 165 MB; sqlite's amalgamation: several GB), more than a JS string may hold, so the
// oracle consumes it as a stream of events and never holds the text.

export interface JsonHandler {
  startObject(): void;
  endObject(): void;
  startArray(): void;
  endArray(): void;
  key(name: string): void;
  value(v: string | number | boolean | null): void;
}

const enum Ch {
  Space = 0x20,
  Tab = 0x09,
  Lf = 0x0a,
  Cr = 0x0d,
  Quote = 0x22,
  Backslash = 0x5c,
  Comma = 0x2c,
  Colon = 0x3a,
  LBrace = 0x7b,
  RBrace = 0x7d,
  LBracket = 0x5b,
  RBracket = 0x5d,
}

export class JsonStreamError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`JSON stream, byte ${offset}: ${message}`);
  }
}

export class JsonStream {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Bytes consumed before `buf` starts (for error offsets). */
  private base = 0;
  /** One entry per open container: true for an object whose next string is a key. */
  private expectKey: boolean[] = [];
  private inObject: boolean[] = [];

  constructor(private readonly h: JsonHandler) {}

  write(chunk: Buffer): void {
    if (this.pos < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    } else {
      this.buf = chunk;
    }
    this.base += this.pos;
    this.pos = 0;
    this.run(false);
  }

  end(): void {
    this.run(true);
    if (this.pos < this.buf.length) throw new JsonStreamError('trailing or truncated data', this.base + this.pos);
    if (this.expectKey.length !== 0) throw new JsonStreamError(`input ended inside ${this.expectKey.length} open container(s)`, this.base + this.pos);
  }

  private run(final: boolean): void {
    const b = this.buf;
    const n = b.length;
    const h = this.h;
    let p = this.pos;
    for (;;) {
      while (p < n) {
        const c = b[p]!;
        if (c === Ch.Space || c === Ch.Lf || c === Ch.Cr || c === Ch.Tab || c === Ch.Comma || c === Ch.Colon) p++;
        else break;
      }
      if (p >= n) break;
      const c = b[p]!;
      const depth = this.expectKey.length;
      if (c === Ch.LBrace) {
        p++;
        if (depth) this.afterValue(depth);
        this.expectKey.push(true);
        this.inObject.push(true);
        h.startObject();
      } else if (c === Ch.LBracket) {
        p++;
        if (depth) this.afterValue(depth);
        this.expectKey.push(false);
        this.inObject.push(false);
        h.startArray();
      } else if (c === Ch.RBrace || c === Ch.RBracket) {
        p++;
        this.expectKey.pop();
        const wasObject = this.inObject.pop();
        if (wasObject === undefined || wasObject !== (c === Ch.RBrace)) throw new JsonStreamError('unbalanced bracket', this.base + p - 1);
        if (wasObject) h.endObject();
        else h.endArray();
      } else if (c === Ch.Quote) {
        let q = p + 1;
        let escaped = false;
        for (;;) {
          q = b.indexOf(Ch.Quote, q);
          if (q < 0) break;
          // An even number of backslashes before the quote means it really ends the string.
          let k = q - 1;
          while (b[k] === Ch.Backslash) k--;
          if ((q - 1 - k) % 2 === 0) break;
          escaped = true;
          q++;
        }
        if (q < 0) break; // string continues in the next chunk
        let high = 0;
        for (let k = p + 1; k < q; k++) {
          const d = b[k]!;
          if (d === Ch.Backslash) escaped = true;
          high |= d;
        }
        const s = escaped
          ? (JSON.parse(b.toString('utf8', p, q + 1)) as string)
          : b.toString(high < 0x80 ? 'latin1' : 'utf8', p + 1, q);
        p = q + 1;
        if (depth && this.expectKey[depth - 1]) {
          this.expectKey[depth - 1] = false;
          h.key(s);
        } else {
          if (depth) this.afterValue(depth);
          h.value(s);
        }
      } else {
        let q = p;
        while (q < n) {
          const d = b[q]!;
          if (d === Ch.Comma || d === Ch.RBrace || d === Ch.RBracket || d === Ch.Space || d === Ch.Lf || d === Ch.Cr || d === Ch.Tab) break;
          q++;
        }
        if (q >= n && !final) break; // literal may continue in the next chunk
        const word = b.toString('latin1', p, q);
        let v: number | boolean | null;
        if (word === 'true') v = true;
        else if (word === 'false') v = false;
        else if (word === 'null') v = null;
        else {
          v = Number(word);
          if (word === '' || Number.isNaN(v)) throw new JsonStreamError(`unexpected ${JSON.stringify(word.slice(0, 20))}`, this.base + p);
        }
        p = q;
        if (depth) this.afterValue(depth);
        h.value(v);
      }
    }
    this.pos = p;
  }

  /** After a value inside an object, the next string is a key again. */
  private afterValue(depth: number): void {
    if (this.inObject[depth - 1]) this.expectKey[depth - 1] = true;
  }
}
