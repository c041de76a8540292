// Callbacks (qsort with a TypeScript comparator, nesting C→TS→C→TS, exceptions), function
// pointers, and varargs.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt } from './helpers.js';
import { calls, load, va, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  lib = load(await buildLibrary('callbacks', [join(fixtures, 'callbacks.c')])) as typeof lib;
});

describe('callbacks', () => {
  it('sorts with qsort and a TypeScript comparator', () => {
    const data = [5, 3, 9, 1, 7, 2, 8];
    lib.sort_ints(data, data.length, (a: any, b: any) => a.$as('int').value - b.$as('int').value);
    expect(data).toEqual([1, 2, 3, 5, 7, 8, 9]);
    const desc = lib.$alloc('int', 4);
    [4, 1, 3, 2].forEach((v, i) => (desc[i] = v));
    lib.sort_ints(desc, 4, (a: any, b: any) => lib.$cast(b, 'int').value - lib.$cast(a, 'int').value);
    expect(desc.toArray()).toEqual([4, 3, 2, 1]);
  });

  it('passes converted arguments (pointers as proxies, strings) and converts results', () => {
    const pts = lib.$alloc('struct point', 3);
    for (let i = 0; i < 3; i++) Object.assign(pts.$at(i), { x: i, y: 10 * i });
    const labels: string[] = [];
    const seen: unknown[] = [];
    const total = lib.visit_points(pts, 3, (p: any, label: string) => {
      labels.push(label);
      seen.push(p);
      return p.x + p.y;
    });
    expect(total).toBe(33);
    expect(labels).toEqual(['p0', 'p1', 'p2']);
    expect(seen[0]).toBe(pts);
    expect(seen[2]).toBe(pts.$at(2));
    expect(lib.apply((x: number) => x * 3, 7)).toBe(21);
    expect(lib.apply_twice((x: number) => x + 1.5, 1)).toBe(3); // C int: results truncate
  });

  it('nests C → TypeScript → C → TypeScript to any depth', () => {
    const depths: number[] = [];
    const cb = (d: number): number => {
      depths.push(calls.depth);
      return d === 0 ? 100 : lib.descend(d - 1, cb);
    };
    expect(lib.descend(5, cb)).toBe(106);
    expect(depths).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls.depth).toBe(0);
  });

  it('propagates an exception from a callback 3 levels deep to the outer caller', () => {
    class Deep extends Error {}
    let innermostRan = 0;
    const cb = (d: number): number => {
      if (d === 0) {
        innermostRan++;
        throw new Deep('from the innermost callback');
      }
      return lib.descend(d - 1, cb);
    };
    expect(() => lib.descend(2, cb)).toThrow(Deep);
    expect(innermostRan).toBe(1);
    expect(calls.depth).toBe(0);
    expect(calls.errDepth).toBe(0);
    // Everything still works afterwards, and a comparator that throws stops being called.
    expect(lib.descend(1, (d: number) => (d === 0 ? 1 : lib.descend(0, () => 5)))).toBe(7);
    let compared = 0;
    const data = [3, 2, 1, 5, 4];
    expect(() =>
      lib.sort_ints(data, 5, () => {
        compared++;
        throw new RangeError('stop');
      }),
    ).toThrow(RangeError);
    expect(compared).toBe(1);
  });

  it('keeps a registered callback valid after the call that passed it', () => {
    const seen: number[] = [];
    const h = (x: number) => {
      seen.push(x);
      return x * 2;
    };
    lib.set_handler(h);
    expect(lib.fire(4)).toBe(8);
    expect(lib.fire(5)).toBe(10);
    expect(seen).toEqual([4, 5]);
    expect(lib.get_handler()).toBe(h);
    lib.set_handler(null);
    expect(lib.fire(1)).toBe(-1);
    expect(lib.$unregister(h)).toBe(1);
  });
});

describe('function pointers', () => {
  it('calls function pointers returned by C, and they are the library functions', () => {
    const add = lib.get_op('add');
    expect(add(2, 3)).toBe(5);
    expect(add).toBe(lib.op_add);
    expect(lib.get_op('sub')(2, 3)).toBe(-1);
    expect(lib.get_op('mul')).toBeNull();
  });

  it('reads and writes function-pointer fields', () => {
    expect(lib.default_ops.binary).toBe(lib.op_add);
    expect(lib.default_ops.unary).toBeNull();
    const ops = new lib.ops({ name: 'mine', unary: (a: number) => -a, binary: lib.op_sub });
    expect(lib.ops_run(ops, 10, 3)).toBe(-10 + 7);
    expect(ops.binary).toBe(lib.op_sub);
    expect(lib.apply(lib.get_handler() ?? ((x: number) => x), 1)).toBe(1);
  });
});

describe('varargs', () => {
  it('infers int, double, long long and pointer arguments', () => {
    expect(lib.vsum(3, 1, 2, 3)).toBe(6);
    expect(lib.vsum(0)).toBe(0);
    expect(lib.vavg(2, 1.5, 2.5)).toBe(2);
    expect(lib.vsum64(2, 2n ** 40n, 1n)).toBe(2 ** 40 + 1);
    expect(lib.format('%s=%d (%.2f) %c', 'x', 42, 0.5, va('char', 65))).toBe('x=42 (0.50) A');
  });

  it('takes explicit types where the JavaScript value is ambiguous', () => {
    expect(lib.vavg(2, va('double', 1), va('double', 2))).toBe(1.5);
    expect(lib.vsum64(1, va('long long', 5))).toBe(5);
    expect(lib.format('%lu %hd', va('unsigned long', 7), va('short', -2))).toBe('7 -2');
    expect(() => lib.vsum()).toThrow(/expected at least 1 argument/);
  });
});

describe('callback arguments', () => {
  it('gives a (bytes, size_t) pair as a Uint8Array view of that length', () => {
    const seen: number[][] = [];
    const chunk = (buf: Uint8Array, n: number) => {
      seen.push([...buf], [n]);
      return buf.length;
    };
    expect(lib.emit_chunk(chunk)).toBe(4);
    expect(seen).toEqual([[1, 0, 255, 7], [4]]);
    lib.$unregister(chunk);
  });

  it('takes an int length only where declared, per function-pointer type', () => {
    // Refused declarations say why.
    expect(() => lib.$byteSpans('int', 0)).toThrow(/not a function-pointer type/);
    expect(() => lib.$byteSpans('text_fn', 0)).toThrow(/parameter 0 is not a pointer to bytes/);
    expect(() => lib.$byteSpans('text_fn', 2)).toThrow(/must be followed by a length/);
    expect(() => lib.$byteSpans('no_such_fn', 1)).toThrow(/unknown C type/);
    lib.$byteSpans('text_fn', 1);
    lib.$byteSpans('text_fn', 1); // the same declaration again is harmless
    const pieces: string[] = [];
    const lengths: number[] = [];
    const text = (_ud: unknown, s: Uint8Array, len: number) => {
      expect(s).toBeInstanceOf(Uint8Array);
      pieces.push(Buffer.from(s).toString('latin1'));
      lengths.push(len);
    };
    expect(lib.emit_text(text, null)).toBe(2);
    expect(pieces).toEqual(['hello', ', world']);
    expect(lengths).toEqual([5, 7]);
    // A type of the same signature that nobody declared keeps its string (and its int).
    const got: unknown[] = [];
    const named = (_ud: unknown, name: unknown, kind: unknown) => got.push(name, kind);
    lib.emit_named(named);
    expect(got).toEqual(['name', 3]);
    // Declared after a callback of the type reached C: refused, the trampoline is made.
    expect(() => lib.$byteSpans('named_fn', 1)).toThrow(/before a callback of this type/);
    // A negative length reaches the caller as an error, not as a view.
    expect(() => lib.emit_bad_length(text)).toThrow(/argument 2 is a byte buffer of length -1/);
    for (const f of [text, named]) lib.$unregister(f);
  });

  it('decodes a declared text span as UTF-8, exactly its length, NULs included', () => {
    lib.$textSpans('line_fn', 1);
    expect(() => lib.$byteSpans('line_fn', 1)).not.toThrow(); // not used yet: redeclared as bytes
    lib.$textSpans('line_fn', 1);
    const lines: unknown[] = [];
    const line = (_ud: unknown, s: unknown, len: unknown) => lines.push(s, len);
    lib.emit_lines(line);
    expect(lines).toEqual(['a\u0000b', 3, 'é!', 3]);
    expect(() => lib.$byteSpans('line_fn', 1)).toThrow(/before a callback of this type/);
    lib.$unregister(line);
  });

  it('reads a NULL-terminated char ** lazily, element by element', () => {
    const seen: unknown[] = [];
    const attrs = (name: string, atts: { get(i: number): string | null; [i: number]: string | null }) => {
      seen.push(name);
      for (let i = 0; ; i++) {
        const a = atts.get(i);
        if (a === null) break;
        seen.push(a);
      }
      const get = atts.get; // methods stay bound to their view, and are the same function each time
      seen.push(get(1), atts[3], atts.get === get);
    };
    lib.emit_attrs(attrs);
    expect(seen).toEqual(['item', 'id', '7', 'class', 'x y', '7', 'x y', true]);
    lib.$unregister(attrs);
  });
});
