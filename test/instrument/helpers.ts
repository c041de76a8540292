// Shared by the pass's tests: preprocess a C snippet, instrument it, compile and run the result
// against a recording stand-in runtime (fixtures/recording_rt.c).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { instrumentPreprocessed, outputBytes, type InstrumentResult } from '../../instrument/index.js';
import type { StoreForm } from '../../instrument/barrier-text.js';

export const fixtures = resolve(import.meta.dirname, 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'wb-pass-test-'));
let n = 0;

export function preprocess(source: string, cc = 'gcc', flags: string[] = []): Buffer {
  const file = join(work, `t${++n}.c`);
  writeFileSync(file, source);
  return execFileSync(cc, [...flags, '-E', file], { maxBuffer: 64 << 20 });
}

export function instrument(source: string, cc = 'gcc', flags: string[] = []): InstrumentResult {
  return instrumentPreprocessed(preprocess(source, cc, flags), { fileName: 'snippet.c' });
}

/** The instrumented code without the ABI prelude. */
export function body(r: InstrumentResult): string {
  const i = r.code.indexOf('\n# ', r.code.indexOf('<cc-wb prelude>'));
  const start = r.code.indexOf('\n', i + 1) + 1;
  // The host metadata appendix follows the unit (see instrument/metadata.ts).
  const appendix = r.code.indexOf('\n# 1 "<cc-wb metadata>"', start);
  return r.code.slice(start, appendix < 0 ? undefined : appendix);
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  result: InstrumentResult;
}

let rtObject: Record<string, string> = {};
function recordingRuntime(cc: string): string {
  if (!rtObject[cc]) {
    const obj = join(work, `recording_rt_${cc}.o`);
    execFileSync(cc, ['-O1', '-c', join(fixtures, 'recording_rt.c'), '-o', obj]);
    rtObject[cc] = obj;
  }
  return rtObject[cc]!;
}

/** Instruments `source`, compiles it with `cc flags`, links the recording runtime and runs it. */
export function buildAndRun(source: string, cc = 'gcc', flags: string[] = ['-O2'], storeForm?: StoreForm): RunResult {
  const result = instrumentPreprocessed(preprocess(source, cc, flags), { fileName: 'snippet.c', storeForm });
  if (!result.ok) throw new Error('pass refused the unit: ' + JSON.stringify(result.diagnostics));
  const wbi = join(work, `t${++n}.wb.i`);
  const exe = join(work, `t${n}.exe`);
  writeFileSync(wbi, outputBytes(result));
  const c = spawnSync(cc, [...flags, '-Wall', '-Wno-unused', '-x', 'cpp-output', wbi, '-x', 'none', recordingRuntime(cc), '-o', exe], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`${cc} failed on instrumented code:\n${c.stderr}`);
  const r = spawnSync(exe, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, result };
}

/** Compiles and runs `source` plainly. */
export function buildAndRunPlain(source: string, cc = 'gcc', flags: string[] = ['-O2']): { status: number | null; stdout: string } {
  const file = join(work, `p${++n}.c`);
  const exe = join(work, `p${n}.exe`);
  writeFileSync(file, source);
  execFileSync(cc, [...flags, '-w', file, '-o', exe]);
  const r = spawnSync(exe, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout };
}

export function readFixture(name: string): string {
  return readFileSync(join(fixtures, name), 'utf8');
}
