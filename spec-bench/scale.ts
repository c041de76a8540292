#!/usr/bin/env node
// `npm run bench:scale`: does the pass's time grow linearly with the unit? Generates units with
// 1k, 10k and 100k pointer stores, all in one function and spread over functions of 100 stores,
// preprocesses them with cc -E -dD, and times the pass on each in this process (after a warm-up
// run, so V8's compiled code is what a resident pass server has), next to the time of `cc -O0 -c`
// on the same source for scale. The figure that matters is the pass's microseconds per store: it
// must stay flat from 1k to 100k. Writes spec-bench/results/scale.txt and scale.json.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { instrumentPreprocessed } from '../instrument/index.js';
import { resultsDir } from './paths.js';

export interface ScaleRow {
  shape: 'one function' | 'functions of 100';
  stores: number;
  /** Bytes of the preprocessed unit. */
  unitBytes: number;
  /** Median wall time of the pass, ms. */
  passMs: number;
  passUsPerStore: number;
  /** Median wall time of `cc -O0 -c` on the source, ms. */
  ccMs: number;
  /** Resident set of this process after the pass, MB. */
  rssMb: number;
}

/** A unit with `stores` pointer stores (a third of them with an int store beside), `perFunction` per function. */
export function scaleUnit(stores: number, perFunction: number): string {
  const out = ['struct node { struct node *next; int v; };', 'struct node *g[64];'];
  for (let start = 0, f = 0; start < stores; start += perFunction, f++) {
    out.push(`void f${f}(struct node *a, struct node *b) {`);
    for (let i = start; i < Math.min(stores, start + perFunction); i++) {
      out.push(i % 3 === 0 ? `  a->next = b; b->v = ${i};` : `  g[${i % 64}] = b;`);
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(f: () => void): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export function runScale(options: { sizes?: number[]; runs?: number; cc?: string } = {}): ScaleRow[] {
  const sizes = options.sizes ?? [1_000, 10_000, 100_000];
  const runs = options.runs ?? 3;
  const cc = options.cc ?? 'cc';
  const work = mkdtempSync(join(tmpdir(), 'cc-wb-scale-'));
  try {
    const prepare = (stores: number, perFunction: number): { src: string; pp: Buffer } => {
      const src = join(work, `s${stores}-${perFunction}.c`);
      writeFileSync(src, scaleUnit(stores, perFunction));
      return { src, pp: execFileSync(cc, ['-E', '-dD', src], { maxBuffer: 1 << 30 }) };
    };
    // Warm-up: the pass's code compiled by V8 before anything is timed.
    const warm = prepare(2_000, 100);
    for (let i = 0; i < 3; i++) instrumentPreprocessed(warm.pp);

    const rows: ScaleRow[] = [];
    for (const stores of sizes) {
      for (const [shape, perFunction] of [['one function', stores], ['functions of 100', 100]] as const) {
        const { src, pp } = prepare(stores, perFunction);
        const pass: number[] = [];
        const compile: number[] = [];
        for (let r = 0; r < runs; r++) {
          pass.push(
            time(() => {
              const result = instrumentPreprocessed(pp);
              if (!result.ok) throw new Error(`the pass refused the ${stores}-store unit: ${JSON.stringify(result.diagnostics.slice(0, 3))}`);
            }),
          );
          compile.push(time(() => execFileSync(cc, ['-O0', '-c', src, '-o', join(work, 'out.o')])));
        }
        const passMs = median(pass);
        rows.push({
          shape,
          stores,
          unitBytes: pp.length,
          passMs,
          passUsPerStore: (passMs * 1000) / stores,
          ccMs: median(compile),
          rssMb: process.memoryUsage.rss() / (1 << 20),
        });
      }
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function renderScale(rows: ScaleRow[]): string {
  const lines = [
    'The pass on units of growing size (median of the runs; cc -O0 -c of the same source for scale)',
    '',
    `${'shape'.padEnd(18)} ${'stores'.padStart(7)} ${'unit MB'.padStart(8)} ${'pass ms'.padStart(9)} ${'us/store'.padStart(9)} ${'cc ms'.padStart(8)} ${'pass/cc'.padStart(8)} ${'RSS MB'.padStart(7)}`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.shape.padEnd(18)} ${String(r.stores).padStart(7)} ${(r.unitBytes / 1e6).toFixed(1).padStart(8)} ${r.passMs.toFixed(0).padStart(9)} ${r.passUsPerStore.toFixed(1).padStart(9)} ${r.ccMs.toFixed(0).padStart(8)} ${(r.passMs / r.ccMs).toFixed(1).padStart(8)} ${r.rssMb.toFixed(0).padStart(7)}`,
    );
  }
  return lines.join('\n') + '\n';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const rows = runScale(quick ? { sizes: [1_000, 10_000], runs: 1 } : {});
  const text = renderScale(rows);
  process.stdout.write(text);
  if (!quick) {
    writeFileSync(join(resultsDir, 'scale.txt'), text);
    writeFileSync(join(resultsDir, 'scale.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + '\n');
  }
}
