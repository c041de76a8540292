// load()'s memory-management choice: the runtime's manager by default, given hooks, or none; and
// its refusal of a library whose runtime is not the process's libwbrt.so.
import { beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildLibrary, fixtures, requireBuilt, root } from './helpers.js';
import { load, LoadError, MemoryManager, stats, type LibraryModule, type MemoryHooks } from '../../runtime-ts/index.js';

let path: string;

beforeAll(async () => {
  await requireBuilt();
  path = await buildLibrary('hw-load', [join(fixtures, 'hw.c')]);
});

describe('load(): memory management', () => {
  it("gives a library with the runtime the runtime's one memory manager", () => {
    const a = load(path);
    expect(a.$lib.hooks).toBeInstanceOf(MemoryManager);
    expect(load(path)).toBe(a);
    expect(stats(a).live).toBeGreaterThanOrEqual(0);
  });

  it('uses the hooks given in its options', () => {
    const created: Array<number | undefined> = [];
    let reached = 0;
    const hooks: MemoryHooks = {
      reached() {
        reached++;
      },
      created(_addr, _proxy, size) {
        created.push(size);
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path, { hooks }) as LibraryModule & Record<string, any>;
    expect(lib.$lib.hooks).toBe(hooks);
    const h = new lib.hw({ x: 3 });
    expect(created).toEqual([lib.$sizeof('struct hw')]);
    expect(lib.hw_p_x(h)).toBe(3);
    const p = lib.hw_p_zero();
    expect(reached).toBe(1);
    lib.hw_p_free(p);
    expect(() => stats(lib)).toThrow(/without memory management/);
  });

  it('manages nothing with { memory: false }', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(path, { memory: false }) as LibraryModule & Record<string, any>;
    expect(lib.$lib.hooks).not.toBeInstanceOf(MemoryManager);
    expect(new lib.hw({ x: 1 }).release()).toBe(false);
    expect(() => stats(lib)).toThrow(/without memory management/);
  });
});

describe('load(): the runtime whatever the library exports', () => {
  it('manages a library whose version script exports only its own functions, with the others\' manager', async () => {
    const script = join(dirname(path), 'hw-only.map');
    writeFileSync(script, '{ global: hw_*; local: *; };\n');
    const versioned = await buildLibrary('hw-versioned', [join(fixtures, 'hw.c')], [`-Wl,--version-script=${script}`]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const lib = load(versioned) as LibraryModule & Record<string, any>;
    expect(lib.$lib.hooks).toBeInstanceOf(MemoryManager);
    expect(lib.$lib.hooks).toBe(load(path).$lib.hooks);
    const p = lib.hw_p_zero();
    lib.hw_p_set(p, 7, null);
    lib.hw_p_free(p); // C frees while TypeScript holds it: deferred, so still readable
    expect(lib.hw_p_x(p)).toBe(7);
    expect(p.release()).toBe(true);
  });
});

describe('load(): a library it cannot manage fails, saying what to do', () => {
  // Objects from cc-wb (metadata and barriers), linked as an older cc-wb linked them: the runtime
  // copied into the library from libwbrt_pic.a.
  async function linkWithPrivateRuntime(name: string, extra: string[]): Promise<string> {
    const object = await buildLibrary(`${name}-object`, [join(fixtures, 'hw.c')], ['-c']);
    const out = join(dirname(object), `lib${name}.so`);
    const pic = join(root, 'runtime-c', 'build', 'libwbrt_pic.a');
    await execa('cc', ['-shared', '-o', out, object, ...extra, pic, '-lpthread']);
    return out;
  }

  it('with its runtime hidden by its export control', async () => {
    const script = join(dirname(path), 'hw.map');
    writeFileSync(script, '{ global: hw_*; local: *; };\n');
    const lib = await linkWithPrivateRuntime('hw-hidden', [`-Wl,--version-script=${script}`]);
    expect(() => load(lib)).toThrow(LoadError);
    expect(() => load(lib)).toThrow(/its runtime is unreachable.*Link it with cc-wb \(which adds libwbrt\.so\), or load it with \{ memory: false \}/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const unmanaged = load(lib, { memory: false }) as LibraryModule & Record<string, any>;
    expect(unmanaged.hw_p_x(new unmanaged.hw({ x: 5 }))).toBe(5);
  });

  it('with another libwbrt.so than the libraries already loaded (another ABI version)', async () => {
    const other = join(dirname(path), 'other-runtime');
    const targets = ['libwbrt.a', 'libwbrt_dso.a', 'libwbrt.so'].map((f) => join(other, f));
    await execa('make', ['-s', '-C', join(root, 'runtime-c'), `B=${other}`, 'SONAME=libwbrt.so.99', ...targets]);
    const saved = process.env.CC_WB_RUNTIME_DIR;
    process.env.CC_WB_RUNTIME_DIR = other;
    let lib: string;
    try {
      lib = await buildLibrary('hw-other-runtime', [join(fixtures, 'hw.c')]);
    } finally {
      if (saved === undefined) delete process.env.CC_WB_RUNTIME_DIR;
      else process.env.CC_WB_RUNTIME_DIR = saved;
    }
    load(path); // the process's runtime: libwbrt.so.<N>
    expect(() => load(lib)).toThrow(/uses another cc-wb runtime than .*libhw-load\.so.*one process has one runtime/);
  });

  it('with a runtime of its own, which objects of other libraries would be foreign to', async () => {
    const lib = await linkWithPrivateRuntime('hw-private', []);
    expect(() => load(lib)).toThrow(/carries a copy of the cc-wb runtime of its own .*Relink it with cc-wb, which links the process-wide libwbrt\.so/);
  });
});
