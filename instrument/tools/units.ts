// The preprocessed units (`*.i`) the pass tools run on: the files named, and those found under the
// folders named, in a stable order.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function preprocessedUnits(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else if (p.endsWith('.i')) out.push(p);
  };
  for (const p of paths) walk(resolve(p));
  return out;
}
