// Where the conformance harness finds what is its own: the driver under test and the regression corpus.
import { join } from 'node:path';
import { repoRoot } from '../harness/cache.js';

/** The driver under test as a command line: `node <repo>/toolchain/bin/cc-wb.js`. */
export function defaultWbCommand(): string {
  return `${process.execPath} ${join(repoRoot, 'toolchain', 'bin', 'cc-wb.js')}`;
}

/**
 * The regression corpus: reproducers of bugs csmith or people found, each run under cc and cc-wb.
 * It is the harness's data (csmith mismatches are saved here), not a test's fixture.
 */
export const regressionsDir = join(repoRoot, 'conformance', 'regressions');
