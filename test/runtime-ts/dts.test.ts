// The .d.ts written from a library's metadata type-checks a TypeScript program using the library,
// and rejects wrong uses (each marked @ts-expect-error: tsc fails if one of them is accepted).
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt, root, work } from './helpers.js';
import { writeLibraryDts } from '../../runtime-ts/dts.js';

const runtimeImport = join(root, 'runtime-ts', 'index.js');
let dir: string;

beforeAll(async () => {
  await requireBuilt();
  dir = join(work(), 'dts');
  mkdirSync(dir, { recursive: true });
  for (const [name, sources] of [
    ['hw', ['hw.c']],
    ['callbacks', ['callbacks.c']],
    ['shapes', ['shapes.c']],
    ['structures', ['list.c', 'tree.c']],
    ['outparams', ['outparams.c']],
  ] as const) {
    const so = await buildLibrary(name, sources.map((s) => join(fixtures, s)));
    const results = name === 'shapes' ? { make_words: { owned: 'free' } } : name === 'hw' ? { hw_p_zero: { borrowed: true as const } } : undefined;
    const params = name === 'outparams' ? { run: { errmsg: { owned: 'op_free' } } } : undefined;
    writeLibraryDts(so, join(dir, `lib${name}.d.ts`), { runtimeImport, results, params });
  }
});

const program = `
import { load, va, NativeArray } from ${JSON.stringify(runtimeImport)};
import type { Library as Hw, hw } from './libhw.js';
import type { Library as Callbacks } from './libcallbacks.js';
import type { Library as Shapes, Polygon, Shape } from './libshapes.js';
import type { Library as Structures, node } from './libstructures.js';
import type { Library as OutParams, thing } from './liboutparams.js';

const hwLib = load<Hw>('./libhw.so');
const p: hw | null = hwLib.hw_p_zero();
if (p) {
  p.x = 42;
  hwLib.hw_p_print(p);
  const n: number = hwLib.hw_p_x(p);
  const m: string | null = p.msg;
  void n, m;
}
hwLib.hw_print(hwLib.hw_zero());
hwLib.hw_print({ x: 1, msg: 'one' });
const h = new hwLib.hw({ x: 3 });
const x: number = hwLib.hw_x(h);
const red: 0 = hwLib.HW_RED;
const name: 'hello, world' = hwLib.HW_NAME;
const big: bigint | number = hwLib.hw_i64(2n ** 40n);
hwLib.hw_next_color('HW_GREEN');
hwLib.hw_count = 3;
const first: hw = hwLib.hw_pair[0]!;
void x, red, name, big, first;
// @ts-expect-error: a string is not an int
hwLib.hw_x({ x: 'nope' });
// @ts-expect-error: no such field
hwLib.hw_p_x({ y: 1 });
// @ts-expect-error: too few arguments
hwLib.hw_p_set(h, 1);
// @ts-expect-error: not an enumerator
hwLib.hw_next_color('HW_PURPLE');
// @ts-expect-error: const global
hwLib.hw_primes = [1];
// @ts-expect-error: no such function
hwLib.hw_nothing();
// @ts-expect-error: results are typed
const wrong: string = hwLib.hw_get_count();

const cb = load<Callbacks>('./libcallbacks.so');
cb.sort_ints([3, 1, 2], 3, (a, b) => cb.$cast(a!, 'int') === cb.$cast(b!, 'int') ? 0 : 1);
const sum: number = cb.apply((v: number) => v * 2, 21);
cb.set_handler((v) => v + 1);
const op = cb.get_op('add');
if (op) { const r: number = op(1, 2); void r; }
cb.vsum(3, 1, 2, 3);
cb.format('%s %f', 'x', va('double', 1));
// @ts-expect-error: the callback must return a number for int
cb.apply((v: number) => 'str', 1);
void sum, wrong;

const sh = load<Shapes>('./libshapes.so');
const poly: Polygon = new sh.Polygon({ kind: sh.SHAPE_POLYGON, n: 0 });
const asShape: Shape = poly; // first-element idiom: a Polygon has every member of a Shape
const area: number = sh.shape_area(poly);
const r: NativeArray<number> | null = sh.make_range(4);
const s: string | null = sh.make_words.returns({ owned: 'free' })();
const declared = sh.make_words.$returns;
void asShape, area, r, s, declared;
// @ts-expect-error: an int result has nothing to own
sh.shape_area.returns({ owned: 'free' });
// @ts-expect-error: a Point is not a Shape
sh.shape_area(new sh.Point({ x: 1 }));

const outLib = load<OutParams>('./liboutparams.so');
const err: (string | null)[] = [null];
const rc: number = outLib.run.param('errmsg', { owned: outLib.op_free }).param(1, null)('x', err);
const made: (thing | null)[] = [null];
outLib.make_thing.param('out', { owned: 'thing_free' })(1, 'one', made);
const boxed: thing | null = outLib.new_boxed.returns({ owned: 'hdr_free' })(1);
const outDecls = outLib.run.$params;
void rc, boxed, outDecls;
// @ts-expect-error: param() takes a declaration, not a name alone
outLib.run.param(1, 'op_free');

const st = load<Structures>('./libstructures.so');
let head: node | null = null;
for (let i = 0; i < 3; i++) head = st.list_push(head, i);
const len: number = st.list_length(head);
const t = st.tree_insert(null, 1, 'one');
const label: string | null | undefined = t?.label;
void len, label;
`;

describe('.d.ts from metadata', () => {
  it('describes functions, records, enums, macros and globals', () => {
    const dts = readFileSync(join(dir, 'libhw.d.ts'), 'utf8');
    expect(dts).toContain('readonly hw_p_zero: PointerFunction<() => hw | null>;');
    expect(dts).toContain("Result borrowed: C's, never released by the host */\n  readonly hw_p_zero");
    expect(dts).toContain('  hw_p_x(p: hw | hwInit | NativeArray<hw> | ReadonlyArray<hwInit> | null): number;');
    expect(readFileSync(join(dir, 'libshapes.d.ts'), 'utf8')).toContain("Result owned: the caller's, released with C's free once unreachable */\n  readonly make_words: PointerFunction<() => string | null>;");
    expect(dts).toContain('readonly HW_NAME: "hello, world";');
    expect(dts).toContain('readonly HW_BIG: 18446744073709551615n;');
    expect(dts).toMatch(/export interface hw extends NativeStruct \{\n  x: number;\n  msg: string \| null;/);
    expect(dts).toContain('readonly hw_primes: NativeArray<number>;');
    expect(dts).toContain('  hw_names: NativeArray<string | null>;');
  });

  it('type-checks a program using five libraries and rejects wrong calls', async () => {
    writeFileSync(join(dir, 'program.ts'), program);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
        files: ['program.ts'],
      }),
    );
    const r = await execa(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { reject: false, cwd: dir });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
  });
});
