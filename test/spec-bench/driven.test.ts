// The TypeScript-driven suite end to end: zlib from Debian built twice (plain cc, cc-wb), the --quick
// round trip driven through raw koffi and through runtime-ts, one timed run each; and expat's SAX job,
// whose callbacks (attributes through a char ** view, character data through a declared text span)
// must see exactly what the koffi version sees.
import { describe, expect, it } from 'vitest';
import { Progress } from '../../harness/terminal.js';
import { DRIVERS } from '../../spec-bench/driven/drivers.js';
import { renderDriven } from '../../spec-bench/report.js';
import { runDriven } from '../../spec-bench/driven/suite.js';

describe('spec-bench TypeScript-driven suite (--quick, one run)', () => {
  it('gives the same result both ways, times both and leaves no host memory behind', async () => {
    const zlib = DRIVERS.find((d) => d.library === 'zlib')!;
    const r = await runDriven(zlib, { size: 'quick', runs: 1, warmup: false, timeoutMs: 300_000, progress: new Progress('test', 2, true, 'activity') });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.version).toMatch(/^1:1\.2\./);
    expect(r.runs.koffi).toHaveLength(1);
    expect(r.runs.ccwb).toHaveLength(1);
    // 8 MiB of mixed input compresses, and both versions produced the same stream.
    expect(r.facts.input).toBe(8 * 2 ** 20);
    expect(r.facts.compressed).toBeGreaterThan(2 ** 20);
    expect(r.runs.ccwb[0]!.digest).toBe(r.runs.koffi[0]!.digest);
    expect(r.ratio!.cpu.ratio).toBeGreaterThan(0.3);
    // The TypeScript-allocated z_stream (and the version string's copy) are freed by the host.
    expect(r.memory).toMatchObject({ live: 0, deferred: 0, hostObjects: 0 });
    expect(r.memory!.created).toBeGreaterThanOrEqual(1);
    expect(r.memory!.freed).toBe(r.memory!.created);
    // The first run of each version ran the job twice: a leak would have grown the heap.
    expect(Object.keys(r.heapGrowth).sort()).toEqual(['ccwb', 'koffi']);
    const text = renderDriven([r], 1).join('\n');
    expect(text).toMatch(/^zlib +1:1\.2\.\S+ +[\d.]+ \([\d.]+-[\d.]+\) +[\d.]+ /m);
    expect(text).toMatch(/TypeScript-driven \(cc-wb vs raw koffi, CPU\): geomean [\d.]+x, worst [\d.]+x zlib \(goal <= 1\.15x each, memory managed, nothing leaked\): (MET|NOT MET)/);
  });

  it("gives expat's callbacks the same attributes and text both ways, and frees the parser", async () => {
    const expat = DRIVERS.find((d) => d.library === 'expat')!;
    const r = await runDriven(expat, { size: 'quick', runs: 1, warmup: false, timeoutMs: 300_000, progress: new Progress('test', 2, true, 'activity') });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.runs.ccwb[0]!.digest).toBe(r.runs.koffi[0]!.digest);
    // The document has attributes and character data (text runs that are not NUL-terminated).
    expect(r.facts.attributes).toBeGreaterThan(10_000);
    expect(r.facts.textRuns).toBeGreaterThan(10_000);
    expect(r.facts.textChars).toBeGreaterThan(r.facts.textRuns!);
    // Each parser, an owned result, was freed with XML_ParserFree once unreachable: one per run of
    // the job, and this process ran it twice (the leak check of a version's first run).
    expect(r.memory).toMatchObject({ live: 0, deferred: 0, hostObjects: 0, destroyed: 2 });
  });
});
