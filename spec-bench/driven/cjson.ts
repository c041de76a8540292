// cJSON from TypeScript: C parses a large document into a tree of records, TypeScript walks all of
// it (types, numbers, strings, keys) and keeps every 50th record, detached from the tree, past the
// tree's lifetime; the digest covers the walk's totals and the kept records as JSON.
import koffi from 'koffi';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { load, release, scope, type NativeObject } from '../../runtime-ts/index.js';
import type { Size } from '../suite.js';
import type { Driver, Outcome } from './workload.js';

const KEEP_EVERY = 50;
const [FALSE, TRUE, NULL, NUMBER, STRING, ARRAY, OBJECT] = [1, 2, 4, 8, 16, 32, 64];

/** The document: {"meta": {...}, "records": [ {id, name, score, tags: [...], pos: {x, y}, ok}, ... ]} (seeded). */
export function jsonDocument(mb: number): string {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) / 0x1000000;
  const word = () => 'abcdefghijklmnopqrstuvwxyz'.slice(0, 3 + Math.floor(rnd() * 8)).split('').sort(() => rnd() - 0.5).join('');
  const parts: string[] = ['{"meta":{"generator":"spec-bench","version":1},"records":['];
  let size = parts[0]!.length;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const r = {
      id: i,
      name: `${word()} ${word()}`,
      score: Math.round(rnd() * 1e6) / 100,
      tags: Array.from({ length: Math.floor(rnd() * 5) }, word),
      pos: { x: Math.floor(rnd() * 1000) - 500, y: rnd() < 0.5 ? null : Math.floor(rnd() * 1000) },
      ok: rnd() < 0.5,
    };
    const text = (i ? ',' : '') + JSON.stringify(r);
    parts.push(text);
    size += text.length;
  }
  parts.push(']}\n');
  return parts.join('');
}

/** Walk totals: both versions fill the same fields. */
class Totals {
  nodes = 0;
  numbers = 0;
  sum = 0;
  strings = 0;
  stringChars = 0;
  keys = 0;
  outcome(kept: unknown[]): Outcome {
    const digest = createHash('sha256').update(JSON.stringify([this.nodes, this.numbers, this.sum, this.strings, this.stringChars, this.keys, kept])).digest('hex');
    return { digest, facts: { nodes: this.nodes, kept: kept.length } };
  }
}

/** The fields a walk reads, however the node is reached. */
interface Node {
  next: Node | null;
  child: Node | null;
  type: number;
  valuestring: string | null;
  valuedouble: number;
  string: string | null;
}

/** Counts n (not its children); true if it has children (an array or an object). */
function count(t: Totals, n: Node): boolean {
  t.nodes++;
  if (n.string !== null) {
    t.keys++;
    t.stringChars += n.string.length;
  }
  const type = n.type & 0xff;
  if (type === NUMBER) {
    t.numbers++;
    t.sum += n.valuedouble;
  } else if (type === STRING) {
    t.strings++;
    t.stringChars += n.valuestring!.length;
  }
  return type === ARRAY || type === OBJECT;
}

/** n and its siblings, with their subtrees. */
function walk(t: Totals, n: Node | null): void {
  for (; n; n = n.next) if (count(t, n)) walk(t, n.child);
}

/**
 * walk() of a tree of proxies, the way the runtime-ts README advises for long loops that make
 * proxies: the subtree of each child of the root, and of each element of those, is walked in a
 * scope() of its own, so its proxies are released (their nodes handed back to C) as soon as it is
 * done and few are alive at a time. The sibling a scope returns joins the enclosing one, where
 * the previous sibling is released by hand.
 */
function walkInScopes(t: Totals, n: Node, levels: number): void {
  if (!count(t, n)) return;
  if (levels === 0) return walk(t, n.child);
  for (let c = n.child; c; ) {
    const child = c;
    const next = scope(() => {
      walkInScopes(t, child, levels - 1);
      return child.next;
    });
    release(child as unknown as NativeObject);
    c = next;
  }
}

function toJs(n: Node): unknown {
  const type = n.type & 0xff;
  if (type === NULL) return null;
  if (type === TRUE || type === FALSE) return type === TRUE;
  if (type === NUMBER) return n.valuedouble;
  if (type === STRING) return n.valuestring;
  if (type === ARRAY) {
    const out: unknown[] = [];
    for (let c = n.child; c; c = c.next) out.push(toJs(c));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (let c = n.child; c; c = c.next) out[c.string!] = toJs(c);
  return out;
}

export const cjson: Driver = {
  library: 'cjson',
  what: 'parse into a tree, walk every node from TypeScript, keep every 50th record detached',
  input: (ctx, size: Size) => {
    const mb = size === 'ref' ? 16 : 2;
    return ctx.text(`records-${mb}M.json`, jsonDocument(mb));
  },

  ccwb(path) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path) as any;
    // Results the caller owns are the host's: freed with cJSON_Delete once unreachable.
    lib.cJSON_Parse.returns({ owned: lib.cJSON_Delete });
    lib.cJSON_DetachItemViaPointer.returns({ owned: lib.cJSON_Delete });
    return {
      lib,
      run(input) {
        const t = new Totals();
        const root = lib.cJSON_Parse(readFileSync(input, 'utf8'));
        if (!root) throw new Error('cJSON_Parse failed');
        walkInScopes(t, root as Node, 2);
        // The records this scope visits are released at its end, except those it returns.
        const kept = scope(() => {
          const records = lib.cJSON_GetObjectItemCaseSensitive(root, 'records');
          const out: Node[] = [];
          for (let c = records.child, i = 0; c; i++) {
            const next = c.next;
            if (i % KEEP_EVERY === 0) out.push(lib.cJSON_DetachItemViaPointer(records, c));
            c = next;
          }
          return out;
        });
        return t.outcome(scope(() => kept.map(toJs)));
      },
    };
  },

  koffi(path) {
    const c = koffi.load(path);
    const cJSON = koffi.struct('cJSON', {
      next: 'void *',
      prev: 'void *',
      child: 'void *',
      type: 'int',
      valuestring: 'char *',
      valueint: 'int',
      valuedouble: 'double',
      string: 'char *',
    });
    const cJSON_Parse = c.func('void *cJSON_Parse(const char *value)');
    const cJSON_Delete = c.func('void cJSON_Delete(void *item)');
    const cJSON_GetObjectItemCaseSensitive = c.func('void *cJSON_GetObjectItemCaseSensitive(void *object, const char *string)');
    const cJSON_DetachItemViaPointer = c.func('void *cJSON_DetachItemViaPointer(void *parent, void *item)');
    /** A node as a plain object whose links decode on demand (the same walk code runs on both). */
    const node = (p: unknown): Node | null => {
      if (p === null) return null;
      const v = koffi.decode(p, cJSON) as { next: unknown; child: unknown; type: number; valuestring: string | null; valuedouble: number; string: string | null };
      return {
        get next() {
          return node(v.next);
        },
        get child() {
          return node(v.child);
        },
        type: v.type,
        valuestring: v.valuestring,
        valuedouble: v.valuedouble,
        string: v.string,
      };
    };
    return {
      run(input) {
        const t = new Totals();
        const root = cJSON_Parse(readFileSync(input, 'utf8'));
        if (!root) throw new Error('cJSON_Parse failed');
        const kept: unknown[] = [];
        try {
          walk(t, node(root));
          const records = cJSON_GetObjectItemCaseSensitive(root, 'records');
          for (let p = (koffi.decode(records, cJSON) as { child: unknown }).child, i = 0; p !== null; i++) {
            const next = (koffi.decode(p, cJSON) as { next: unknown }).next;
            if (i % KEEP_EVERY === 0) kept.push(cJSON_DetachItemViaPointer(records, p));
            p = next;
          }
          return t.outcome(kept.map((k) => toJs(node(k)!)));
        } finally {
          for (const k of kept) cJSON_Delete(k);
          cJSON_Delete(root);
        }
      },
    };
  },
};
