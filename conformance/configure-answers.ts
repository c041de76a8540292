// What a project's configure step concluded about the compiler and the system: the headers autoconf
// writes (config.h) or CMake's configure_file writes (expat_config.h), and the results of CMake's
// checks in CMakeCache.txt. cc-wb must not change a single answer: a declaration check that passes
// only because the instrumented unit declares the runtime's functions configures a different program
// from the one plain cc builds. The same project configured with cc and with cc-wb is compared here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Configure's answers: file (relative to the tree) → its text; CMake's check results as one file. */
export type ConfigureAnswers = Record<string, string>;

/** The pseudo-file holding CMake's check results. */
export const CMAKE_CHECKS = 'CMakeCache.txt (check results)';

/** A header configure writes: config.h, expat_config.h, pcre2's src/config.h... */
const CONFIG_HEADER = /(^|[_-])config\.h$/;

/**
 * CMake cache entries that are not answers: CMake's own variables (compiler paths, the build folder)
 * and values naming the tree, which differs between the two builds by construction.
 */
function isCheckResult(name: string, value: string, tree: string): boolean {
  return !name.startsWith('CMAKE_') && !name.startsWith('_') && !value.includes(tree);
}

/** The `NAME:INTERNAL=value` entries of a CMakeCache.txt that hold check results, sorted. */
export function cmakeCheckResults(cacheText: string, tree: string): string {
  const out: string[] = [];
  for (const line of cacheText.split('\n')) {
    const m = /^([A-Za-z_][\w.+-]*):INTERNAL=(.*)$/.exec(line);
    if (m && isCheckResult(m[1]!, m[2]!, tree)) out.push(`${m[1]}=${m[2]}`);
  }
  return out.sort().join('\n');
}

/**
 * The answers configure left in `tree`: every config header that is not in the pristine source
 * (`pristine`: the tree it was copied from), and the check results of every CMakeCache.txt.
 */
export function readConfigureAnswers(tree: string, pristine: string): ConfigureAnswers {
  const answers: ConfigureAnswers = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '.git' && entry.name !== 'CMakeFiles' && entry.name !== 'autom4te.cache') walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const rel = relative(tree, path);
      if (CONFIG_HEADER.test(entry.name) && !existsSync(join(pristine, rel))) answers[rel] = readFileSync(path, 'latin1');
      else if (entry.name === 'CMakeCache.txt') answers[`${relative(tree, dir) || '.'}/${CMAKE_CHECKS}`] = cmakeCheckResults(readFileSync(path, 'latin1'), tree);
    }
  };
  if (existsSync(tree) && statSync(tree).isDirectory()) walk(tree);
  return answers;
}

/**
 * Every difference between two sets of answers, one line each (`config.h: -#define HAVE_DECL_STRDUP
 * 0 / +#define HAVE_DECL_STRDUP 1`); empty when byte-identical.
 */
export function compareConfigureAnswers(ref: ConfigureAnswers, wb: ConfigureAnswers, refLabel = 'cc', wbLabel = 'cc-wb'): string[] {
  const out: string[] = [];
  for (const file of [...new Set([...Object.keys(ref), ...Object.keys(wb)])].sort()) {
    const a = ref[file];
    const b = wb[file];
    if (a === b) continue;
    if (a === undefined || b === undefined) {
      out.push(`${file}: written only with ${a === undefined ? wbLabel : refLabel}`);
      continue;
    }
    const aLines = a.split('\n');
    const bLines = b.split('\n');
    const bSet = new Set(bLines);
    const aSet = new Set(aLines);
    const gone = aLines.filter((l) => !bSet.has(l));
    const added = bLines.filter((l) => !aSet.has(l));
    if (gone.length === 0 && added.length === 0) out.push(`${file}: same lines in a different order`);
    for (let i = 0; i < Math.max(gone.length, added.length); i++) {
      out.push(`${file}: ${refLabel} '${gone[i] ?? ''}' / ${wbLabel} '${added[i] ?? ''}'`);
    }
  }
  return out;
}
