// Builds the C fixtures of the runtime-ts tests with cc-wb (metadata included) into shared libraries.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { collect, type LibraryModule } from '../../runtime-ts/index.js';
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(root, 'test', 'runtime-ts', 'fixtures');
const CCWB = join(root, 'toolchain', 'bin', 'cc-wb.js');

let workDir: string | null = null;
export function work(): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'cc-wb-rt-'));
  return workDir;
}

/** Requires the compiled sources (npm run build) and the runtime archive. */
export async function requireBuilt(): Promise<void> {
  const made = await execa('make', ['-s', '-C', join(root, 'runtime-c')], { reject: false });
  // The runtime may be mid-change by its own developer: an archive built earlier still serves.
  if (made.exitCode !== 0 && !existsSync(join(root, 'runtime-c', 'build', 'libwbrt_pic.a'))) throw new Error(`make -C runtime-c failed:\n${made.stderr}`);
  for (const f of ['dist/instrument/metadata.js', 'dist/runtime-ts/index.js', 'dist/toolchain/driver.js']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run 'npm run build' (npx tsc -p .) first`);
  }
}

/** cc-wb -shared -fPIC sources → lib<name>.so in the work directory. */
export async function buildLibrary(name: string, sources: string[], extra: string[] = []): Promise<string> {
  const out = join(work(), `lib${name}.so`);
  mkdirSync(dirname(out), { recursive: true });
  const env = { ...process.env, CC_WB_PASS_MODULE: join(fixtures, 'pass-with-metadata.mjs'), TMPDIR: work() };
  const r = await execa('node', [CCWB, '--wb-strict', '-dD', '-shared', '-fPIC', '-O1', '-g', '-Wall', ...extra, ...sources, '-o', out], { env, reject: false });
  if (r.exitCode !== 0) throw new Error(`cc-wb failed (${r.exitCode}):\n${r.stderr}`);
  return out;
}

/**
 * Lets proxies an earlier test left to the FinalizationRegistry backstop go before the next test
 * takes its snapshot: collect garbage, let the finalizers run, then pass a safe point (a call into
 * the library, `safePoint`) and collect, so nothing from before is on its way out.
 */
export async function settleHost(lib: LibraryModule, safePoint: () => unknown): Promise<void> {
  for (let i = 0; i < 2; i++) {
    fullGc();
    await new Promise((r) => setImmediate(r));
  }
  safePoint();
  collect(lib);
}
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
