#!/usr/bin/env node
// Where one unit's cc-wb compile spends its CPU time, step by step, against the plain compile:
//   node dist/spec-bench/unit-profile.js [--runs N] [--cc CC] [--ccwb BIN] FILE.c [compiler flags...]
// (--ccwb: another checkout's toolchain/bin/cc-wb.js, built, for a before/after comparison; its
// pass is the one timed then).
// Each compiler step is run as cc-wb runs it (toolchain/README.md) and timed alone (user + sys, the
// least of N runs: on a shared machine the least is the least disturbed); the pass is timed warm
// in this process, as a resident pass server runs it. Prints a table; CPU time, never wall time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { table } from '../harness/terminal.js';
import { repoRoot } from './paths.js';

interface Step {
  name: string;
  /** CPU seconds (user + sys), the least of the runs. */
  cpu: number;
  /** Part of a cc-wb compile (summed into its total), or a reference. */
  counted: boolean;
}

/** CPU seconds of one command and its children, from bash's `times`. */
function cpuOf(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync('bash', ['-c', '"$@" >/dev/null 2>&1; times', 'bash', ...argv], { encoding: 'utf8', env });
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(r.stdout.trim().split('\n')[1] ?? '');
  if (!m) throw new Error(`unit-profile: cannot read the CPU time of ${argv.join(' ')}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

function least(runs: number, measure: () => number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, measure());
  return best;
}

export async function profileUnit(file: string, flags: string[], cc: string, runs: number, ccwb = join(repoRoot, 'toolchain', 'bin', 'cc-wb.js')): Promise<Step[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'unit-profile-'));
  const base = basename(file).replace(/\.c$/, '');
  const checkout = join(ccwb, '..', '..', '..');
  try {
    const pp = join(tmp, `${base}.i`);
    const wb = join(tmp, `${base}.wb.i`);
    const step = (name: string, argv: string[], counted = true, env?: NodeJS.ProcessEnv): Step => ({ name, cpu: least(runs, () => cpuOf(argv, env)), counted });
    const steps: Step[] = [];
    steps.push(step('plain compile: cc FLAGS -c (the reference)', [cc, ...flags, '-c', file, '-o', join(tmp, 'plain.o')], false));
    steps.push(step('node start-up (node -e 0)', [process.execPath, '-e', '0'], false));
    steps.push(step('cc-wb start-up: node + driver modules + cc --version', [process.execPath, ccwb, cc, '--version']));
    steps.push(step('step 1: cc -E -dD', [cc, ...flags, '-E', '-dD', '-x', 'c', file, '-o', pp]));
    // The pass, warm: what a resident server spends per unit once V8 has optimised it.
    const { instrumentPreprocessed } = (await import(pathToFileURL(join(checkout, 'dist', 'instrument', 'index.js')).href)) as typeof import('../instrument/index.js');
    const text = readFileSync(pp, 'utf8');
    let code = '';
    for (let i = 0; i < 2; i++) code = instrumentPreprocessed(text, { fileName: file }).code;
    const passCpu = least(runs, () => {
      const before = process.cpuUsage();
      instrumentPreprocessed(text, { fileName: file });
      const d = process.cpuUsage(before);
      return (d.user + d.system) / 1e6;
    });
    writeFileSync(wb, code);
    steps.push({ name: `the pass, warm (in the server): ${(text.length / 1024).toFixed(0)} KB in, ${(code.length / 1024).toFixed(0)} KB out`, cpu: passCpu, counted: true });
    steps.push(step('diagnostics compile: cc FLAGS -S on the source', [cc, ...flags, '-S', '-o', join(tmp, 'diag.s'), file]));
    steps.push(step('step 2: cc -w FLAGS -c on the instrumented text', [cc, '-w', ...flags, '-c', wb, '-o', join(tmp, 'wb.o')]));
    // The whole compile as make runs it, with a warm server (its CPU is the pass line above).
    const servers = mkdtempSync(join(tmpdir(), 'unit-profile-servers-'));
    const env = { ...process.env, CC_WB_SERVER_DIR: servers, CC_WB_SERVER_IDLE: '60' };
    try {
      for (let i = 0; i < 3; i++) cpuOf([process.execPath, ccwb, cc, ...flags, '-c', file, '-o', join(tmp, 'ccwb.o')], env);
      steps.push(step('whole cc-wb -c, server up (cc-wb and its compilers, not the server)', [process.execPath, ccwb, cc, ...flags, '-c', file, '-o', join(tmp, 'ccwb.o')], false, env));
    } finally {
      const { stopServers } = await import('../toolchain/passclient.js');
      await stopServers(servers);
      rmSync(servers, { recursive: true, force: true });
    }
    return steps;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function renderUnitProfile(title: string, steps: Step[]): string {
  const plain = steps[0]!.cpu;
  const rows = steps.map((s) => [s.name, s.cpu.toFixed(3), `${(s.cpu / plain).toFixed(2)}x`, s.counted ? '+' : '']);
  const total = steps.filter((s) => s.counted).reduce((n, s) => n + s.cpu, 0);
  rows.push(['sum of the + steps (a cc-wb compile with the pass in a server)', total.toFixed(3), `${(total / plain).toFixed(2)}x`, '']);
  return `${title}\n${table(['step', 'CPU s', 'x plain', ''], rows)}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let runs = 3;
  let cc = 'cc';
  let ccwb: string | undefined;
  while (args[0] === '--runs' || args[0] === '--cc' || args[0] === '--ccwb') {
    const [opt, value] = args.splice(0, 2);
    if (opt === '--runs') runs = Number(value);
    else if (opt === '--cc') cc = value!;
    else ccwb = value!;
  }
  const [file, ...flags] = args;
  if (!file || !Number.isInteger(runs) || runs < 1) {
    process.stderr.write('usage: node dist/spec-bench/unit-profile.js [--runs N] [--cc CC] FILE.c [compiler flags...]\n');
    process.exit(2);
  }
  const steps = await profileUnit(file, flags, cc, runs, ccwb);
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  process.stdout.write(renderUnitProfile(`${file} ${flags.join(' ')} (${cc}; cc-wb ${ccwb ?? 'of this checkout'}; least CPU of ${runs} runs; ${when} UTC)`, steps));
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((e: Error) => {
    process.stderr.write(`unit-profile: ${e.message}\n`);
    process.exit(1);
  });
}
