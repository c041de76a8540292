// The C runtime's own tests (runtime-c/test/*.c) run through make: against the normal archive,
// against a runtime and tests built with -fsanitize=address,undefined, and (the threaded ones)
// with -fsanitize=thread. Each binary exits non-zero on a failed check, a lost or duplicated
// event, or a sanitizer report.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function make(target: string): { status: number | null; output: string } {
  const env = { ...process.env };
  for (const k of ['WB_STRESS', 'WB_ABORT_ON_ERROR', 'WB_QUARANTINE', 'WB_QUIET', 'WB_SCAN_ALL'])
    delete env[k];
  const r = spawnSync('make', ['-s', '-j2', '-C', join(root, 'runtime-c'), target], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

describe('runtime-c', () => {
  it('builds both archives', () => {
    const r = make('all');
    expect(r.status, r.output).toBe(0);
  });

  it('passes its C unit tests and the threaded stress test', () => {
    const r = make('check');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('runtime-c: all tests passed');
    expect(r.output).toMatch(/test_threads\.c: \d+ checks, 0 failed/);
  });

  it('passes them again under AddressSanitizer and UBSan', () => {
    const r = make('check-asan');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('runtime-c: all sanitizer tests passed');
    expect(r.output).not.toMatch(/runtime error|AddressSanitizer/);
  });

  it('has no data race under ThreadSanitizer in its threaded tests', () => {
    const r = make('check-tsan');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('runtime-c: all thread-sanitizer tests passed');
    expect(r.output).not.toMatch(/ThreadSanitizer/);
  });
});
