// Out-parameters through which C hands the caller memory (runtime-ts/ownership.ts, param()):
// `char **errmsg` (sqlite3_exec's shape), `struct thing **out`, a getline-style buffer, bytes.
// The fixture counts the blocks it allocated and has not freed (op_live), so each test proves
// that what C handed out comes back: the count returns to where it started after many calls, and
// without a declaration it does not (the measure can fail).
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, settleHost, fixtures, requireBuilt } from './helpers.js';
import { collect, load, scope, stats, type LibraryModule } from '../../runtime-ts/index.js';
import { libraryDts } from '../../runtime-ts/dts.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let lib: LibraryModule & Record<string, Any>;
let path: string;

beforeAll(async () => {
  await requireBuilt();
  path = await buildLibrary('outparams', [join(fixtures, 'outparams.c')]);
  lib = load(path) as typeof lib;
}, 600_000);

beforeEach(() => settleHost(lib, () => lib.op_live()));

/** The runtime's misuse counters: a double free or a free of a released object shows here. */
function misuse(): number[] {
  const r = stats(lib).runtime;
  return [r.misuse, r.double_frees, r.invalid_frees, r.frees_after_release, r.reallocs_after_free];
}

const N = 2000;

describe('out-parameters declared owned, borrowed or not at all', () => {
  it('copies an owned char ** out-parameter and frees C\'s buffer at once (errmsg)', () => {
    const m0 = misuse();
    const live0 = lib.op_live();
    // Without a declaration the message arrives as today and its buffer is lost: one block per call.
    for (let i = 0; i < N; i++) {
      const err: Array<string | null> = [null];
      expect(lib.run(`cmd${i}`, err)).toBe(1);
      expect(err[0]).toBe(`unknown command: cmd${i}`);
    }
    expect(lib.op_live() - live0).toBe(N);
    expect(lib.run.$params).toEqual([null, null]);
    expect(lib.run.param('errmsg', { owned: lib.op_free })).toBe(lib.run);
    expect(lib.run.$params).toEqual([null, { owned: lib.op_free }]);
    const live1 = lib.op_live();
    for (let i = 0; i < N; i++) {
      const err: Array<string | null> = [null];
      expect(lib.run(`cmd${i}`, err)).toBe(1);
      expect(err[0]).toBe(`unknown command: cmd${i}`);
      const none: Array<string | null> = [];
      expect(lib.run('ok', none)).toBe(0);
      expect(none).toEqual([null]); // an empty array receives too
      expect(lib.run('nope', null)).toBe(1); // NULL: C writes nothing
    }
    expect(lib.op_live()).toBe(live1);
    // By position, by a name in load(), and back to the default.
    lib.run.param(1, null);
    expect(lib.run.$params).toEqual([null, null]);
    expect(load(path, { params: { run: { errmsg: { owned: 'op_free' } } } })).toBe(lib);
    expect(lib.run.$params[1]).toEqual({ owned: 'op_free' });
    const err: Array<string | null> = [null];
    lib.run('x', err);
    expect(err[0]).toBe('unknown command: x');
    expect(lib.op_live()).toBe(live1);
    lib.run.param(1, null);
    expect(misuse()).toEqual(m0);
  });

  it('takes an owned out-parameter of a variadic function (asprintf)', () => {
    lib.op_asprintf.param('strp', { owned: 'op_free' });
    const live0 = lib.op_live();
    for (let i = 0; i < N; i++) {
      const s: Array<string | null> = [null];
      expect(lib.op_asprintf(s, '%s-%d', 'x', i)).toBe(`x-${i}`.length);
      expect(s[0]).toBe(`x-${i}`);
    }
    expect(lib.op_live()).toBe(live0);
    expect(() => lib.op_asprintf.param(2, { owned: 'op_free' })).toThrow(/no parameter 2 .*variadic arguments cannot be declared/);
    lib.op_asprintf.param(0, null);
  });

    it('takes only what C stored: several out-parameters in one call, and a pointer C left in place', () => {
    lib.pair.param('first', { owned: 'op_free' }).param(3, { owned: 'op_free' });
    lib.maybe_set.param('s', { owned: 'op_free' });
    const live0 = lib.op_live();
    const m0 = misuse();
    for (let i = 0; i < N; i++) {
      const a: Array<string | null> = [null];
      const b: Array<string | null> = [null];
      lib.pair(`a${i}`, `b${i}`, a, b);
      expect([a[0], b[0]]).toEqual([`a${i}`, `b${i}`]);
      const s: Array<string | null> = [null];
      expect(lib.maybe_set(0, s)).toBe(0);
      expect(s[0]).toBe(null);
      expect(lib.maybe_set(1, s)).toBe(1);
      expect(s[0]).toBe('set by C');
    }
    expect(lib.op_live()).toBe(live0);
    // A string cannot go back in: it was released, and a host copy is not C's allocator's memory.
    const s = ['set by C'];
    expect(() => lib.maybe_set(0, s)).toThrow(/maybe_set\(\): argument 2 's' .*element 0 is "set by C": an owned out-parameter \(param\(\)\) goes in as null/);
    // Nor anything but a JS array: C's pointer would stay where the host cannot see it used.
    expect(() => lib.maybe_set(1, lib.$alloc('char *', 1))).toThrow(/an owned out-parameter \(param\(\)\) is received in a JS array \(\[null\]\) or not at all \(null\), got/);
    expect(lib.op_live()).toBe(live0);
    // A failed conversion of a later argument: C never ran, nothing to take.
    expect(() => lib.pair('a', 'b', [null], 42)).toThrow(/argument 4 'second'/);
    expect(lib.op_live()).toBe(live0);
    lib.pair.param(2, null).param(3, null);
    lib.maybe_set.param(1, null);
    expect(misuse()).toEqual(m0);
  });

  it('releases what C stored before a callback threw, and rethrows the callback\'s error', () => {
    lib.each.param('report', { owned: lib.op_free });
    const live0 = lib.op_live();
    for (let i = 0; i < 200; i++) {
      const err: Array<string | null> = [null];
      expect(() =>
        lib.each(10, (k: number) => {
          if (k === 3) throw new Error(`callback failed at ${k}`);
          return 0;
        }, err),
      ).toThrow('callback failed at 3');
      // C saw 0 from the failed callback and the skipped ones after it, and finished.
      expect(err[0]).toBe('visited 10');
      const err2: Array<string | null> = [null];
      expect(lib.each(5, (k: number) => (k === 2 ? 1 : 0), err2)).toBe(1);
      expect(err2[0]).toBe('stopped at 2');
    }
    expect(lib.op_live()).toBe(live0);
    lib.each.param(2, null);
  });

  it('makes an owned T ** out-parameter the host\'s: released with the declared function once unreachable', () => {
    const live0 = lib.op_live();
    const s0 = stats(lib);
    const m0 = misuse();
    // Undeclared: the proxy is C's, the host frees nothing (two blocks each) until C is asked to.
    const undeclared: Any[] = [];
    scope(() => {
      for (let i = 0; i < 100; i++) {
        const out: Any[] = [null];
        expect(lib.make_thing(i, `t${i}`, out)).toBe(0);
        expect(out[0].id).toBe(i);
        undeclared.push(out[0]);
      }
      return undeclared;
    });
    lib.op_live();
    expect(lib.op_live() - live0).toBe(200);
    for (const t of undeclared.splice(0)) lib.thing_free(t);
    expect(lib.op_live()).toBe(live0);
    lib.make_thing.param('out', { owned: lib.thing_free });
    const live1 = lib.op_live();
    const kept: Any[] = [];
    scope(() => {
      for (let i = 0; i < N; i++) {
        const out: Any[] = [null];
        expect(lib.make_thing(i, `t${i}`, out)).toBe(0);
        expect(out[0].id).toBe(i);
        expect(lib.thing_name(out[0])).toBe(`t${i}`);
        if (i % 500 === 0) kept.push(out[0]);
      }
      const none: Any[] = [null];
      expect(lib.make_thing(-1, 'x', none)).toBe(-1);
      expect(none[0]).toBe(null);
      return kept;
    });
    lib.op_live(); // a safe point
    // What TypeScript still holds stays; the rest went, each with thing_free once.
    expect(lib.op_live() - live1).toBe(2 * kept.length);
    expect(kept.map((t) => t.id)).toEqual([0, 500, 1000, 1500]);
    for (const t of kept) t.release();
    lib.op_live();
    expect(lib.op_live()).toBe(live1);
    expect(stats(lib).destroyed - s0.destroyed).toBe(N);
    expect(misuse()).toEqual(m0);
    lib.make_thing.param(2, null);
  });

  it('releases an owned object at the address C handed out, past its allocator\'s header', () => {
    lib.make_boxed.param('out', { owned: lib.hdr_free });
    lib.new_boxed.returns({ owned: 'hdr_free' });
    const live0 = lib.op_live();
    const bad0 = lib.hdr_bad_frees();
    const s0 = stats(lib);
    scope(() => {
      for (let i = 0; i < N; i++) {
        const out: Any[] = [null];
        lib.make_boxed(i, out);
        expect(out[0].id).toBe(i);
        expect(out[0].$borrowed).toBe(false); // a heap object of the runtime, reached past its start
        expect(lib.new_boxed(i).id).toBe(i);
      }
    });
    lib.op_live();
    expect(stats(lib).destroyed - s0.destroyed).toBe(2 * N);
    expect(lib.hdr_bad_frees() - bad0).toBe(0);
    expect(lib.op_live()).toBe(live0);
    lib.make_boxed.param(1, null);
    lib.new_boxed.returns(null);
  });

  it('releases a handle C keeps in a registry once TypeScript lets go of it ({ handle }), not when C does', () => {
    const live0 = lib.op_live();
    const m0 = misuse();
    const prepareAll = (c: Any, n: number) =>
      scope(() => {
        for (let i = 0; i < n; i++) {
          const st: Any[] = [null];
          lib.conn_prepare(c, i, st);
          expect(lib.stmt_id(st[0])).toBe(i);
        }
      });
    // Owned: the connection's list reaches every statement, so most are never finalized and the
    // connection cannot close.
    lib.conn_prepare.param('out', { owned: lib.stmt_finalize });
    const c1 = lib.conn_open();
    prepareAll(c1, 50);
    collect(lib);
    expect(lib.conn_count(c1)).toBeGreaterThan(0);
    expect(lib.conn_close(c1)).toBe(5);
    // A handle: released when its proxy goes, whatever C refers to it.
    lib.conn_prepare.param('out', { handle: lib.stmt_finalize });
    expect(lib.conn_prepare.$params[2]).toEqual({ handle: lib.stmt_finalize });
    const c2 = lib.conn_open();
    const s0 = stats(lib);
    prepareAll(c2, N);
    expect(stats(lib).destroyed - s0.destroyed).toBe(N);
    expect(lib.conn_count(c2)).toBe(0);
    // One finalized by hand first is not finalized again when its proxy goes.
    {
      const st: Any[] = [null];
      lib.conn_prepare(c2, 7, st);
      lib.stmt_finalize(st[0]);
      st[0].release();
      lib.op_live();
    }
    // One kept past its scope lives until it is released.
    const kept = scope(() => {
      const st: Any[] = [null];
      lib.conn_prepare(c2, 8, st);
      return st[0];
    });
    lib.op_live();
    expect(lib.conn_count(c2)).toBe(1);
    expect(lib.stmt_id(kept)).toBe(8);
    kept.release();
    expect(lib.conn_count(c2)).toBe(0);
    // The same for a result.
    lib.conn_new_stmt.returns({ handle: 'stmt_finalize' });
    scope(() => {
      for (let i = 0; i < 100; i++) expect(lib.stmt_id(lib.conn_new_stmt(c2, i))).toBe(i);
    });
    expect(lib.conn_count(c2)).toBe(0);
    lib.conn_new_stmt.returns(null);
    expect(lib.conn_close(c2)).toBe(0);
    // c1's statements, by hand, so that the fixture's count comes back.
    lib.conn_prepare.param(2, null);
    for (let n = lib.conn_count(c1); n > 0; n--) lib.stmt_finalize(lib.$cast(c1.stmts, 'struct stmt'));
    expect(lib.conn_close(c1)).toBe(0);
    lib.op_live();
    expect(lib.op_live()).toBe(live0);
    expect(misuse()).toEqual(m0);
  });

  it('owns other pointer kinds too: unsigned char ** as a byte array', () => {
    lib.make_bytes.param('out', { owned: 'op_free' });
    const live0 = lib.op_live();
    scope(() => {
      for (let i = 0; i < N; i++) {
        const out: Any[] = [null];
        lib.make_bytes(4, i & 0xff, out);
        expect([...lib.$bytes(out[0], 4)!]).toEqual([0, 1, 2, 3].map((k) => (i + k) & 0xff));
      }
    });
    lib.op_live();
    expect(lib.op_live()).toBe(live0);
    lib.make_bytes.param(2, null);
  });

  it('reads getline-style lines with no leak, and refuses to pass a released line back', () => {
    lib.read_line.param('lineptr', { owned: 'op_free' });
    const text = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(i)}`).join('\n') + '\n';
    const live0 = lib.op_live();
    for (let round = 0; round < 20; round++) {
      const r = lib.reader_new(text);
      const lines: string[] = [];
      const line: Array<string | null> = [null];
      const cap = [0];
      for (;;) {
        line[0] = null;
        cap[0] = 0;
        if (lib.read_line(r, line, cap) < 0) break;
        lines.push(line[0]!);
      }
      expect(lines.join('')).toBe(text);
      // The natural loop that passes the previous line back gets a clear error, not an overrun.
      const r2 = lib.reader_new(text);
      const again: Array<string | null> = [null];
      const n = [0];
      lib.read_line(r2, again, n);
      expect(() => lib.read_line(r2, again, n)).toThrow(/element 0 is "line 0 \\n": an owned out-parameter/);
      lib.reader_free(r2);
      lib.reader_free(r);
    }
    expect(lib.op_live()).toBe(live0);
    lib.read_line.param(1, null);
  });

  it('releases the host arrays that carry out-parameters when the call ends, in a synchronous loop', () => {
    lib.run.param('errmsg', { owned: 'op_free' });
    const live0 = stats(lib).live;
    for (let i = 0; i < N; i++) {
      const err: Array<string | null> = [null];
      lib.run('bad', err); // declared: the owned path
      const name: Array<string | null> = [null];
      lib.kind_name(i % 3, name); // undeclared: the copy-back path
    }
    // One job, no garbage collection in between: nothing but the safe points released them.
    expect(stats(lib).live - live0).toBe(0);
    lib.run.param(1, null);
  });

  it('keeps borrowed out-parameters C\'s, as undeclared ones are', () => {
    lib.kind_name.param('name', { borrowed: true });
    expect(lib.kind_name.$params).toEqual([null, { borrowed: true }]);
    const live0 = lib.op_live();
    const name: Array<string | null> = ['ignored'];
    expect(lib.kind_name(2, name)).toBe(0);
    expect(name[0]).toBe('two');
    // A borrowed out-parameter takes any argument form, as an undeclared one does.
    const arr = lib.$alloc('char *', 1);
    expect(lib.kind_name(1, arr)).toBe(0);
    expect(arr.get(0)).toBe('one');
    expect(lib.op_live()).toBe(live0);
    lib.kind_name.param(1, null);
  });

  it('refuses bad declarations with a clear error', () => {
    expect(() => lib.run.param(2, { owned: 'op_free' })).toThrow(/^run\.param\(2\): no parameter 2 \(its parameters are 0 'cmd', 1 'errmsg'\)$/);
    expect(() => lib.run.param(-1, { owned: 'op_free' })).toThrow(RangeError);
    expect(() => lib.run.param('err', { owned: 'op_free' })).toThrow(/run\.param\('err'\): no parameter named 'err' \(its parameters are 0 'cmd', 1 'errmsg'\)/);
    expect(() => lib.run.param(0, { owned: 'op_free' })).toThrow(/run\.param\(0\): parameter 0 'cmd' \(const char \*cmd\) is not a pointer to a pointer: only an out-parameter .* \(C: int run\(const char \*cmd, char \*\*errmsg\)\)/);
    expect(() => lib.count_words.param(0, { owned: 'op_free' })).toThrow(/points to a const pointer: C cannot store through it/);
    expect(() => lib.set_handler.param('slot', { owned: 'op_free' })).toThrow(/receives a function pointer: there is nothing to own or borrow/);
    expect(() => lib.run.param(1, { owned: 42 })).toThrow(/run\.param\(1\): owned must be a function \(lib\.x_free\), a function's name, or 'free', got number/);
    expect(() => lib.run.param(1, { owned: 'no_such_free' })).toThrow(/run\.param\(1\): the library has no function named 'no_such_free' to release what errmsg receives with/);
    expect(() => lib.run.param(1, { owned: lib.op_free, borrowed: true })).toThrow(/either owned, a handle or borrowed, not owned and borrowed/);
    expect(() => lib.run.param(1, { owned: lib.op_free, handle: lib.op_free })).toThrow(/not owned and handle/);
    expect(() => lib.run.param(1, { handle: 7 })).toThrow(/handle must be a function \(lib\.x_free\), a function's name, or 'free', got number/);
    expect(() => lib.run.param(1, { borrowed: false })).toThrow(/borrowed must be true/);
    expect(() => lib.run.param(1, 'op_free')).toThrow(/expected \{ owned: fn \}/);
    expect(() => lib.run.param(1.5, { owned: 'op_free' })).toThrow(/expected a parameter's position \(from 0\) or its name/);
    expect(() => load(path, { params: { nope: { x: { borrowed: true } } } })).toThrow(/params: the library has no function named 'nope'/);
    expect(() => load(path, { params: { run: { cmd: { borrowed: true } } } })).toThrow(/run\.param\('cmd'\): parameter 0 'cmd'/);
    // Nothing was declared by the failures.
    expect(lib.run.$params).toEqual([null, null]);
  });

  it('writes out-parameter declarations into the .d.ts and types param()', () => {
    const dts = libraryDts(lib.$meta, { params: { run: { errmsg: { owned: 'op_free' } } } });
    expect(dts).toContain("Out-parameter errmsg owned: the caller's, released with op_free() once unreachable */\n  readonly run: CFunction<(cmd: ");
    expect(dts).toMatch(/\n {2}readonly make_thing: CFunction<\(id: Int64In, name: .*, out: .*\) => number>;/);
    expect(dts).toMatch(/\n {2}op_live\(\): Int64;/);
    expect(() => libraryDts(lib.$meta, { params: { run: { cmd: { borrowed: true } } } })).toThrow(/params: run has no out-parameter cmd/);
  });
});
