// The machine a result was measured on, recorded with it: a ratio means little without the CPU, the
// compilers and how busy the box was (load average before, during and after).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { repoRoot } from './paths.js';

export interface Machine {
  uname: string;
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  cc: string;
  clang: string | null;
  /** The checkout measured: commit, and whether the tree had local changes. */
  commit: string;
  dirty: boolean;
  loadBefore: number[];
}

function firstLine(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: repoRoot });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : null;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux: os.cpus() it is
  }
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', cwd: repoRoot });
  return {
    uname: firstLine('uname', ['-a']) ?? 'unknown',
    cpu,
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    cc: firstLine('cc', ['--version']) ?? 'unknown',
    clang: firstLine('clang', ['--version']),
    commit: firstLine('git', ['rev-parse', 'HEAD']) ?? 'unknown',
    dirty: status.status === 0 && status.stdout.trim() !== '',
    loadBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
