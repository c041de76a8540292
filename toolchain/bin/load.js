// Loads a compiled module of the package for a bin, with a clear message when a checkout has not
// been built yet (the published package always holds dist/).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** @param {string} file a path under the package root, e.g. dist/toolchain/driver.js */
export async function load(file) {
  const path = join(root, file);
  if (!existsSync(path)) {
    process.stderr.write(`cc-wb: ${path} is missing: in a cc-wb checkout, run 'npm run build' first\n`);
    process.exit(1);
  }
  return import(pathToFileURL(path).href);
}
