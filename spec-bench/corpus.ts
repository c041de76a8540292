// Reference inputs, generated rather than downloaded: the same bytes on every machine (a seeded PRNG,
// no dependence on installed files), so expected outputs can be pinned. Each kind of input resembles
// what a SPEC workload feeds its program: prose for text tools, a mix of prose, source code, records
// and low-entropy binary for compressors, a deep XML document for the parser.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputKind } from '../harness/programs.js';

/** xorshift on two 32-bit words: fast, good enough for text, and identical in every JS engine. */
class Rng {
  private hi: number;
  private lo: number;
  constructor(seed: number) {
    this.hi = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.lo = (Math.imul(seed, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0 || 1;
  }
  u32(): number {
    let t = this.hi;
    const s = this.lo;
    this.hi = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.lo = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.lo;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  /** Zipf-like rank in [0, n): small ranks are much more frequent, as words are in prose. */
  zipf(n: number): number {
    const u = (this.u32() + 1) / 4294967297;
    return Math.min(n - 1, Math.floor(Math.pow(n + 1, u)) - 1);
  }
}

const SYLLABLES = 'ka,to,ri,mu,sen,dal,or,ve,li,qua,ther,in,ex,pro,con,al,ment,ing,tion,er,an,es,ou,be,ra,ni,so,ge,la,pe'.split(',');

function vocabulary(rng: Rng, n: number): string[] {
  const seen = new Set<string>();
  const words: string[] = ['the', 'of', 'and', 'to', 'a', 'in', 'is', 'it', 'that', 'was'];
  for (const w of words) seen.add(w);
  while (words.length < n) {
    const k = 1 + rng.below(4);
    let w = '';
    for (let i = 0; i < k; i++) w += SYLLABLES[rng.below(SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Prose: sentences of Zipf-distributed words, lines wrapped at 72 columns, blank lines between paragraphs. */
function prose(rng: Rng, words: string[], bytes: number): string {
  const out: string[] = [];
  let size = 0;
  let line = '';
  while (size < bytes) {
    const sentence: string[] = [];
    const n = 4 + rng.below(16);
    for (let i = 0; i < n; i++) sentence.push(words[rng.zipf(words.length)]!);
    sentence[0] = sentence[0]![0]!.toUpperCase() + sentence[0]!.slice(1);
    if (rng.below(7) === 0) sentence.splice(1 + rng.below(n - 1), 0, String(rng.below(100000)));
    const text = sentence.join(' ') + (rng.below(5) === 0 ? '?' : '.');
    for (const w of text.split(' ')) {
      if (line.length + w.length + 1 > 72) {
        out.push(line + '\n');
        size += line.length + 1;
        line = '';
      }
      line = line ? `${line} ${w}` : w;
    }
    if (rng.below(8) === 0) {
      out.push(line + '\n\n');
      size += line.length + 2;
      line = '';
    }
  }
  if (line) out.push(line + '\n');
  return out.join('');
}

/** C-like source text: functions with loops, calls and comments, names from the vocabulary. */
function code(rng: Rng, words: string[], bytes: number): string {
  const out: string[] = [];
  let size = 0;
  const name = () => `${words[rng.zipf(words.length)]}_${words[rng.zipf(200)]}`;
  while (size < bytes) {
    const f = name();
    const lines = [`/* ${words[rng.zipf(words.length)]} ${words[rng.zipf(words.length)]} */`, `static int ${f}(struct ${name()} *p, int n)`, '{', '  int i, acc = 0;'];
    const body = 2 + rng.below(8);
    for (let i = 0; i < body; i++) {
      switch (rng.below(4)) {
        case 0:
          lines.push(`  for (i = 0; i < n; i++) acc += p->${name()}[i] * ${rng.below(64)};`);
          break;
        case 1:
          lines.push(`  if (p->${name()} != NULL) acc ^= ${name()}(p->next, n - ${1 + rng.below(4)});`);
          break;
        case 2:
          lines.push(`  p->${name()} = ${name()}(p, acc);`);
          break;
        default:
          lines.push(`  acc += ${rng.below(1 << 16)};`);
      }
    }
    lines.push('  return acc;', '}', '');
    const text = lines.join('\n') + '\n';
    out.push(text);
    size += text.length;
  }
  return out.join('');
}

/** Fixed-size binary records with slowly changing fields: what compresses like a database or image. */
function records(rng: Rng, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let a = 1000;
  let b = 0;
  for (let off = 0; off + 16 <= bytes; off += 16) {
    a += rng.below(7) - 3;
    b = (b + 1 + rng.below(3)) >>> 0;
    buf.writeInt32LE(a, off);
    buf.writeUInt32LE(b, off + 4);
    buf.writeUInt32LE(rng.below(16) === 0 ? rng.u32() : 0, off + 8);
    buf.writeUInt16LE(rng.below(256), off + 12);
    buf.writeUInt16LE(0xbeef, off + 14);
  }
  return buf;
}

/** Skewed random bytes: entropy about 5 bits per byte, the hard part for every compressor. */
function noise(rng: Rng, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = rng.zipf(256) ^ 0x20;
  return buf;
}

function xml(rng: Rng, words: string[], bytes: number): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE catalog [\n  <!ENTITY co "Company &amp; Co">\n  <!ATTLIST item kind CDATA "plain">\n]>\n<catalog>\n'];
  let size = out[0]!.length;
  let id = 0;
  const w = () => words[rng.zipf(words.length)]!;
  while (size < bytes) {
    const depth = 1 + rng.below(4);
    const parts: string[] = [];
    const open: string[] = [];
    for (let d = 0; d < depth; d++) {
      const tag = d === 0 ? 'item' : `${w()}-${d}`;
      parts.push(`${'  '.repeat(d + 1)}<${tag} id="i${id++}"${rng.below(3) === 0 ? ` note="${w()} &lt;${w()}&gt;"` : ''}>\n`);
      open.push(tag);
      const leaves = rng.below(4);
      for (let k = 0; k < leaves; k++) {
        const t = w();
        const body = rng.below(10) === 0 ? `<![CDATA[${w()} < ${w()} & ${w()}]]>` : rng.below(6) === 0 ? `&co; ${w()}` : `${w()} ${w()} ${w()} &#${65 + rng.below(26)};`;
        parts.push(`${'  '.repeat(d + 2)}<${t}>${body}</${t}>\n`);
      }
      if (rng.below(9) === 0) parts.push(`${'  '.repeat(d + 2)}<!-- ${w()} -->\n<?pi ${w()}?>\n`);
    }
    while (open.length) parts.push(`${'  '.repeat(open.length)}</${open.pop()}>\n`);
    const text = parts.join('');
    out.push(text);
    size += text.length;
  }
  out.push('</catalog>\n');
  return out.join('');
}

export type { InputKind };

/** Builds the bytes of an input of `kind` and size `mb` (MiB). Pure: same arguments, same bytes. */
export function generate(kind: InputKind, mb: number): Buffer {
  const bytes = Math.round(mb * 1024 * 1024);
  const rng = new Rng(kind === 'text' ? 1 : kind === 'mixed' ? 2 : 3);
  const words = vocabulary(rng, 8000);
  if (kind === 'text') return Buffer.from(prose(rng, words, bytes), 'latin1');
  if (kind === 'xml') return Buffer.from(xml(rng, words, bytes), 'latin1');
  // Mixed, in 256 KiB chunks so no compressor can treat it as one homogeneous stream.
  const chunks: Buffer[] = [];
  let size = 0;
  const chunk = 256 * 1024;
  for (let i = 0; size < bytes; i++) {
    const n = Math.min(chunk, bytes - size);
    const which = i % 5;
    const c =
      which === 0 || which === 3
        ? Buffer.from(prose(rng, words, n), 'latin1')
        : which === 1
          ? Buffer.from(code(rng, words, n), 'latin1')
          : which === 2
            ? records(rng, n)
            : noise(rng, n);
    chunks.push(c.subarray(0, n));
    size += n;
  }
  return Buffer.concat(chunks);
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The path of an input in `dir`, generated on first use (written atomically; safe across processes). */
export function inputFile(dir: string, kind: InputKind, mb: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${kind}-${mb}M.${kind === 'xml' ? 'xml' : kind === 'text' ? 'txt' : 'bin'}`);
  if (existsSync(path)) return path;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, generate(kind, mb));
  renameSync(tmp, path);
  return path;
}

/** sha256 of a file's bytes. */
export function fileDigest(path: string): string {
  return sha256(readFileSync(path));
}
