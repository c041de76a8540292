// The pass's CPU time per unit, this build against another, warm (as in a pass server): each
// build runs in a process of its own, kept alive, and the runs alternate between the builds so
// that a shared machine's load falls on both alike.
//
//   node dist/instrument/tools/pass-cpu.js [--runs 15] <other-dist/instrument> <dir-or-.i-file>...
//
// For each unit: three warm-up runs per build, then `--runs` measured ones; the median CPU time
// (user + system of the process) of one instrumentPreprocessed call, metadata included, per build.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { preprocessedUnits } from './units.js';

type Pass = (input: Buffer, options?: { fileName?: string }) => unknown;

/** In a worker: runs the pass of `dir` on each unit asked for and answers its CPU milliseconds. */
async function worker(dir: string): Promise<void> {
  const { instrumentPreprocessed } = (await import(pathToFileURL(join(dir, 'index.js')).href)) as { instrumentPreprocessed: Pass };
  const units = new Map<string, Buffer>();
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  process.on('message', (unit: string) => {
    let bytes = units.get(unit);
    if (!bytes) units.set(unit, (bytes = readFileSync(unit)));
    const t0 = cpuMs();
    instrumentPreprocessed(bytes, { fileName: basename(unit) });
    process.send!(cpuMs() - t0);
  });
  process.send!('ready');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function start(dir: string): Promise<ChildProcess> {
  return new Promise((ready, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker', dir]);
    child.once('message', () => ready(child));
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`pass-cpu: the worker for ${dir} exited (${code})`)));
  });
}

function run(child: ChildProcess, unit: string): Promise<number> {
  return new Promise((done) => {
    child.once('message', (ms) => done(ms as number));
    child.send(unit);
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') {
    await worker(args[1]!);
    return 0;
  }
  let runs = 15;
  if (args[0] === '--runs') {
    runs = Number(args[1]);
    args.splice(0, 2);
  }
  const [otherDir, ...paths] = args;
  const files = paths.length ? preprocessedUnits(paths) : [];
  if (!otherDir || files.length === 0 || !Number.isInteger(runs) || runs < 1) {
    process.stderr.write('usage: pass-cpu [--runs N] <other-dist/instrument> <dir-or-.i-file>...\n');
    return 2;
  }
  const builds = [resolve(otherDir), resolve(import.meta.dirname, '..')];
  const workers = await Promise.all(builds.map(start));
  try {
    process.stdout.write(`CPU ms per unit, median of ${runs} warm runs (other: ${builds[0]}; this: ${builds[1]})\n`);
    process.stdout.write(`${'unit'.padEnd(24)} ${'KiB'.padStart(6)} ${'other'.padStart(8)} ${'this'.padStart(8)}  this/other\n`);
    const ratios: number[] = [];
    for (const file of files) {
      const times: number[][] = [[], []];
      for (let r = 0; r < runs + 3; r++) {
        // Alternate which build goes first, so neither always follows the other's garbage.
        for (const i of r % 2 ? [1, 0] : [0, 1]) {
          const ms = await run(workers[i]!, file);
          if (r >= 3) times[i]!.push(ms);
        }
      }
      const [other, self] = times.map(median) as [number, number];
      ratios.push(self / other);
      const kib = (statSync(file).size / 1024).toFixed(0);
      process.stdout.write(`${basename(file).padEnd(24)} ${kib.padStart(6)} ${other.toFixed(1).padStart(8)} ${self.toFixed(1).padStart(8)}  ${(self / other).toFixed(2)}x\n`);
    }
    const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    process.stdout.write(`geomean this/other: ${geomean.toFixed(2)}x over ${ratios.length} units\n`);
  } finally {
    for (const w of workers) w.kill();
  }
  return 0;
}

process.exitCode = await main();
