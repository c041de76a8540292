// The metadata appendix never breaks a compile and always reads back: a fixed sample of the gcc
// torture tests (every fifth), each preprocessed with -dD, compiled with and without the appendix;
// the object's wb_meta section must parse and merge.
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { work } from '../runtime-ts/helpers.js';
import { blankDefineLines, metadataForPreprocessed } from '../../instrument/metadata.js';
import { mergeUnits, parseSection } from '../../runtime-ts/meta.js';
import { readElfSection } from '../../runtime-ts/elf.js';
import { loadTortureCases, quickSample, tortureDir } from '../../conformance/torture.js';

async function check(src: string, dir: string): Promise<string | null> {
  const pre = await execa('gcc', ['-E', '-dD', '-w', src], { reject: false, encoding: 'latin1' as never, stripFinalNewline: false });
  if (pre.exitCode !== 0) return null;
  const text = String(pre.stdout);
  const plain = join(dir, 'plain.i');
  writeFileSync(plain, blankDefineLines(text), 'latin1');
  if ((await execa('gcc', ['-c', '-w', '-x', 'cpp-output', plain, '-o', join(dir, 'plain.o')], { reject: false })).exitCode !== 0) return null;
  const withMeta = join(dir, 'meta.i');
  writeFileSync(withMeta, blankDefineLines(text) + metadataForPreprocessed(text, src), 'latin1');
  const r = await execa('gcc', ['-c', '-w', '-x', 'cpp-output', withMeta, '-o', join(dir, 'meta.o')], { reject: false });
  if (r.exitCode !== 0) return `${src}: the appendix breaks the compile:\n${r.stderr.split('\n').slice(0, 4).join('\n')}`;
  const section = readElfSection(join(dir, 'meta.o'), 'wb_meta');
  if (!section) return `${src}: no wb_meta section`;
  try {
    mergeUnits(src, parseSection(section.bytes, src));
  } catch (e) {
    return `${src}: metadata does not read back: ${(e as Error).message}`;
  }
  return '';
}

describe('metadata over gcc torture tests', () => {
  it('compiles every sampled test with the appendix and reads it back', async () => {
    const cases = quickSample(loadTortureCases(await tortureDir()));
    expect(cases.length).toBeGreaterThan(300);
    const failures: string[] = [];
    let checked = 0;
    let next = 0;
    const worker = async (w: number) => {
      const dir = join(work(), `sweep-${w}`);
      mkdirSync(dir, { recursive: true });
      while (next < cases.length) {
        const c = cases[next++]!;
        const r = await check(c.path, dir);
        if (r === null) continue;
        checked++;
        if (r) failures.push(r);
      }
    };
    await Promise.all([worker(0), worker(1)]);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });
});
