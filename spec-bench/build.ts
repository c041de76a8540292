// Building a benchmark in each configuration through the harness's cached builder (harness/build.ts), and reading back what
// cc-wb's pass did to it (lines of C, barriered stores, rewritten calls, units it could not instrument).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildProject, type BuildResult, type Project } from '../harness/build.js';
import { fetchDebianSource } from '../harness/debian.js';
import { ccWb, systemCompiler, type Compiler } from '../harness/compilers.js';
import type { Benchmark } from './suite.js';

/** A configuration: the compiler its binaries are built with and the environment they run in. */
export interface Config {
  name: string;
  /** The configuration this one is compared with (its ratio is time(this) / time(baseline)). */
  baseline?: string;
  compiler: Compiler;
  runEnv: Record<string, string>;
  /** Configurations that share one build (wb-stress runs wb's binaries). */
  buildOf?: string;
  /** Timed with fewer runs (--stress-runs): the slow-path configuration takes many times longer. */
  fewerRuns?: boolean;
  /** Run each program with a host attached (host-sink.c) holding this many host-created objects. */
  hosted?: { objects: number };
  describe: string;
}

/** cc-wb over another compiler (`cc-wb clang ...`), cached apart from cc-wb over cc. */
function ccWbOver(cc: string): Compiler {
  const wb = ccWb();
  const under = systemCompiler(cc);
  return { label: `cc-wb-${cc}`, words: [...wb.words, cc], fingerprint: () => `${wb.fingerprint()}-${under.fingerprint()}` };
}

/** Host-created objects the wb-held host holds: a host with a few records of its own. */
export const HELD_OBJECTS = 8;

function hosted(name: string, objects: number, describe: string): Config {
  return { name, baseline: 'base', compiler: ccWb(), buildOf: 'wb', runEnv: { WB_HOST_SINK_OBJECTS: String(objects) }, hosted: { objects }, describe };
}

export function configurations(withClang: boolean): Config[] {
  const configs: Config[] = [
    { name: 'base', compiler: systemCompiler('cc', 'plain'), runEnv: {}, describe: 'plain cc' },
    { name: 'wb', baseline: 'base', compiler: ccWb(), runEnv: {}, describe: 'cc-wb over cc, no host: the compulsory slowdown' },
    hosted('wb-hosted', 0, "wb's binaries with a host attached before main (spec-bench/host-sink.c, LD_PRELOAD) that holds nothing: every barrier on its active path, events drained by a C sink"),
    hosted('wb-held', HELD_OBJECTS, `wb-hosted with ${HELD_OBJECTS} small host-created objects held from the start (they share heap granules with the program's early allocations)`),
    {
      name: 'wb-stress',
      baseline: 'base',
      compiler: ccWb(),
      buildOf: 'wb',
      fewerRuns: true,
      runEnv: { WB_STRESS: '1' },
      describe: "wb's binaries with WB_STRESS=1: every allocation host-held by a null host, the slow path's cost",
    },
  ];
  if (withClang) {
    configs.push(
      { name: 'clang', compiler: systemCompiler('clang'), runEnv: {}, describe: 'plain clang' },
      { name: 'wb-clang', baseline: 'clang', compiler: ccWbOver('clang'), runEnv: {}, describe: 'cc-wb over clang, no host' },
    );
  }
  return configs;
}

/** What cc-wb's report says about a build's own translation units. */
export interface PassFacts {
  /** Distinct C sources the build compiled (configure and CMake probes left out). */
  units: number;
  /** Of those, compiled without barriers (the pass or the instrumented compile failed). */
  uninstrumented: string[];
  /** Lines of the compiled .c files (headers not counted). */
  linesOfC: number;
  /** Barriered stores (report sites whose kind is not 'call'): pointer-or-maybe-pointer stores the pass rewrote. */
  stores: number;
  /** Rewritten calls (malloc/free/memcpy/... through the runtime). */
  calls: number;
  /** Sites by kind, for the JSON. */
  kinds: Record<string, number>;
}

interface ReportLine {
  source: string;
  instrumented: boolean;
  sites?: { kind: string }[];
}

/** Configure-time and CMake probes: compiled by the build, but not part of the program. */
const PROBE = /(^|\/)(conftest|CMakeCCompilerId|CheckFunctionExists|CheckSymbolExists|CheckIncludeFile|CMakeCompilerABI)[^/]*\.c$|\/CMakeFiles\/(CMakeScratch|CMakeTmp)\//;

export function passFacts(reportPath: string, tree: string): PassFacts {
  const lines = existsSync(reportPath) ? readFileSync(reportPath, 'utf8').split('\n') : [];
  const bySource = new Map<string, ReportLine>();
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let e: ReportLine;
    try {
      e = JSON.parse(line) as ReportLine;
    } catch (err) {
      throw new Error(`${reportPath}:${i + 1}: not a JSON line: ${(err as Error).message}`);
    }
    const src = resolve(e.source);
    if (PROBE.test(src) || !existsSync(src)) return;
    const rel = relative(tree, src);
    if (rel.startsWith('..') || isAbsolute(rel)) return; // a probe outside the tree
    // A source compiled twice (static and PIC) counts once; an instrumented compile wins.
    const prev = bySource.get(src);
    if (!prev || (!prev.instrumented && e.instrumented)) bySource.set(src, e);
  });
  const facts: PassFacts = { units: bySource.size, uninstrumented: [], linesOfC: 0, stores: 0, calls: 0, kinds: {} };
  for (const [src, e] of bySource) {
    facts.linesOfC += readFileSync(src, 'latin1').split('\n').length - 1;
    if (!e.instrumented) {
      facts.uninstrumented.push(relative(tree, src));
      continue;
    }
    for (const s of e.sites ?? []) {
      facts.kinds[s.kind] = (facts.kinds[s.kind] ?? 0) + 1;
      if (s.kind === 'call') facts.calls++;
      else facts.stores++;
    }
  }
  return facts;
}

export interface BuiltConfig {
  config: string;
  build: BuildResult;
  /** Size of the main program's text segment (bytes), from `size`. */
  textBytes: number | null;
}

function textSize(path: string): number | null {
  const r = spawnSync('size', ['-A', path], { encoding: 'utf8' });
  const m = /^\.text\s+(\d+)/m.exec(r.stdout ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * The harness's builder copies the pristine tree without its timestamps, so make sees configure.ac or
 * Makefile.am newer than what autotools generated from them and tries to run automake (gawk, bc: not
 * the version the tarball was made with). The first step puts the pristine timestamps back.
 */
async function withSourceTimestamps(p: Project): Promise<Project> {
  const src = await fetchDebianSource(p.source);
  // tar rather than `cp --attributes-only`, which fails on symbolic links (expat's README.md).
  return { ...p, build: (cc) => [{ argv: ['sh', '-c', 'tar -C "$1" -cf - . | tar -xf -', 'sh', src.dir] }, ...p.build(cc)] };
}

/**
 * Builds (or reuses the cached build of) `bench` for a configuration. cc-wb is developed in the same
 * checkout: when its fingerprint changed while the build ran (dist/ or the runtime rebuilt under it),
 * the build may mix two versions, so it is made again.
 */
export async function buildFor(bench: Benchmark, config: Config): Promise<BuiltConfig> {
  const project = await withSourceTimestamps(bench.project);
  for (let attempt = 1; ; attempt++) {
    const before = config.compiler.fingerprint();
    const build = await buildProject(project, config.compiler);
    if (config.compiler.fingerprint() === before || attempt === 2) {
      return { config: config.name, build, textBytes: textSize(join(build.dir, bench.program)) };
    }
  }
}
