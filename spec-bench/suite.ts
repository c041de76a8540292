// The benchmark suite: the programs of harness/programs.ts that have a `bench` recipe (how each is
// built with any $CC at -O2 -g, what it runs: a reference workload of 5-30 s at -O2 on the 2-core box
// and a short one for --quick, and what its output must be), in the order the reports list them.
// Builds go through the harness's cached builder, like the real-program tests'.
import type { Project } from '../harness/build.js';
import { benchProject, program, type BenchRecipe } from '../harness/programs.js';

export { CFLAGS, type Command, type RunContext, type RunOutput, type Size } from '../harness/programs.js';

export interface Benchmark extends BenchRecipe {
  name: string;
  /** The build, as harness/build.ts takes it. */
  project: Project;
}

function benchmark(name: string): Benchmark {
  const p = program(name);
  return { ...p.bench!, name, project: benchProject(p) };
}

export const SUITE: Benchmark[] = ['bzip2', 'gzip', 'xz', 'zstd', 'lz4', 'lua', 'gawk', 'bc', 'pcre2', 'expat'].map(benchmark);

/** Small builds and short workloads: the --quick run, a few minutes including builds. */
export const QUICK = ['bzip2', 'lua', 'lz4'];
