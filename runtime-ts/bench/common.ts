// What the host's micro-benchmarks share: their command-line options, building the small C
// library each one measures with cc-wb, and the median they report.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout (this file runs as dist/runtime-ts/bench/common.js). */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The number after `name` on the command line (`--rounds 5`), or `dflt` when it is not given. */
export function numberOption(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`${name} wants a positive number, got ${JSON.stringify(process.argv[i + 1] ?? '')}\n`);
    process.exit(2);
  }
  return value;
}

/** Whether `--json` was given: the result is then printed as one JSON line. */
export function jsonRequested(): boolean {
  return process.argv.includes('--json');
}

/** Compiles `source` with cc-wb (-O2) into a shared library in a new temporary folder; returns its path. */
export function buildLibrary(name: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cc-wb-bench-'));
  const src = join(dir, `${name}.c`);
  writeFileSync(src, source);
  const out = join(dir, `lib${name}.so`);
  const passModule = join(root, 'test', 'runtime-ts', 'fixtures', 'pass-with-metadata.mjs');
  const env = { ...process.env, ...(existsSync(passModule) ? { CC_WB_PASS_MODULE: passModule } : {}) };
  execFileSync(process.execPath, [join(root, 'toolchain', 'bin', 'cc-wb.js'), '-O2', '-shared', '-fPIC', src, '-o', out], { env, stdio: 'inherit' });
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
