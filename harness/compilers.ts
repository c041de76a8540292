// The compilers programs are built with: a plain system compiler, cc-wb, or a command line given by the
// user. A compiler is a list of argv words plus a fingerprint that changes whenever its behaviour may
// change (so cached builds and cached reference results are reused only while the compiler is the same).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { repoRoot } from './cache.js';
import { run, splitCommand } from './proc.js';

export interface Compiler {
  /** Short name used in directory names and tables: "gcc", "cc-wb". */
  label: string;
  /** argv prefix: `[...words, ...args]` compiles. */
  words: string[];
  fingerprint(): string;
}

/** A compiler given as a command line (`--cc`, `--wb`): the line is kept for reports. */
export interface CommandCompiler extends Compiler {
  command: string;
}

/**
 * The compiler `command` (split into words, quotes allowed), checked to answer `--version`. Its
 * fingerprint is the command line and that answer, verbatim.
 */
export async function commandCompiler(label: string, command: string): Promise<CommandCompiler> {
  const words = splitCommand(command);
  const r = await run([...words, '--version'], { timeoutMs: 60_000 });
  if (r.spawnError || r.code !== 0) {
    throw new Error(`conformance: compiler ${label} (${command}) does not answer --version: ${r.spawnError ?? r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const identity = `${command}\n${r.stdout}`;
  return { label, command, words, fingerprint: () => identity };
}

function hashFiles(h: ReturnType<typeof createHash>, path: string): void {
  if (!existsSync(path)) {
    h.update(`missing ${path}\n`);
    return;
  }
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const e of readdirSync(path).sort()) {
      if (e.endsWith('.map')) continue;
      hashFiles(h, join(path, e));
    }
  } else {
    h.update(`${path}\n`);
    h.update(readFileSync(path));
  }
}

/** A compiler found on PATH (`cc`, `gcc`, `clang`): its identity is its `--version` and location. */
export function systemCompiler(command = 'cc', label = command): Compiler {
  return {
    label,
    words: [command],
    fingerprint() {
      const r = execaSync(command, ['--version'], { reject: false, stripFinalNewline: false });
      const where = execaSync('sh', ['-c', `command -v "$1"`, 'sh', command], { reject: false, stripFinalNewline: false });
      if (r.exitCode !== 0) throw new Error(`${command} --version failed: ${r.stderr || r.message}`);
      return createHash('sha256').update(`${where.stdout}\n${r.stdout}`).digest('hex').slice(0, 16);
    },
  };
}

/**
 * cc-wb from this checkout (`npm run build` first: the driver runs from dist/, the runtime from
 * runtime-c/build/), run as users run it: the bin, which is the native launcher when it is built.
 */
export function ccWb(): Compiler {
  const bin = join(repoRoot, 'toolchain', 'bin', 'cc-wb.js');
  return {
    label: 'cc-wb',
    words: [bin],
    fingerprint() {
      if (!existsSync(bin)) throw new Error(`${bin} does not exist: cc-wb is not built (npm run build)`);
      const h = createHash('sha256');
      h.update(`${process.version} ${process.env.CC_WB_CC ?? ''}\n`);
      const parts = ['toolchain/bin', 'toolchain/launcher/build/cc-wb-launch', 'dist/instrument', 'dist/toolchain', 'runtime-c/include', 'runtime-c/build/libwbrt.a', 'runtime-c/build/libwbrt_dso.a', 'runtime-c/build/libwbrt.so'];
      for (const p of parts) {
        hashFiles(h, join(repoRoot, p));
      }
      return h.digest('hex').slice(0, 16);
    },
  };
}

/**
 * The compiler the real-program tests put under test: cc-wb, unless CC_WB_TEST_CC names another one
 * (e.g. `CC_WB_TEST_CC=gcc` to check the harness itself while cc-wb cannot build anything yet).
 */
export function compilerUnderTest(): Compiler {
  const other = process.env.CC_WB_TEST_CC;
  return other ? systemCompiler(other, `${other.replace(/[^\w.-]/g, '_')}-as-test`) : ccWb();
}

/** The reference compiler plain builds use: $CC or cc. */
export function referenceCompiler(): Compiler {
  const cc = process.env.CC_WB_REFERENCE_CC ?? 'cc';
  return systemCompiler(cc, 'plain');
}

/** Quotes one word for the shell that make and configure scripts hand $(CC) to. */
export function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}
