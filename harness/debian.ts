// Debian source packages, fetched once with `apt-get source` into the cache and unpacked to a pristine
// tree that builds copy from (never build in the cache tree itself).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { cacheRoot, withLock } from './cache.js';

export type PatchPolicy =
  | { apply: 'all' }
  | { apply: 'none' }
  /** Unpack with --skip-patches, then apply only the series entries whose names match (with a reason). */
  | { apply: 'only'; names: RegExp; why: string };

export interface DebianSourceSpec {
  /** Source package name as `apt-cache showsrc` knows it. */
  name: string;
  patches: PatchPolicy;
}

export interface DebianSource {
  name: string;
  version: string;
  /** The unpacked tree. Treat as read-only: builds work on copies. */
  dir: string;
  /** Debian patches applied on top of the upstream tarball, in series order. */
  appliedPatches: string[];
}

function policyLabel(p: PatchPolicy): string {
  return p.apply === 'only' ? `only:${p.names.source}` : p.apply;
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await execa(cmd, args, { cwd, all: true, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed with exit code ${r.exitCode}:\n${r.all ?? ''}`);
  }
  return r.all ?? '';
}

function seriesOf(tree: string): string[] {
  const series = join(tree, 'debian', 'patches', 'series');
  if (!existsSync(series)) return [];
  return readFileSync(series, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.split(/\s+/)[0]!);
}

/**
 * `apt-get source --download-only name` into dir. A mirror can list a version (typically a
 * security update) whose files it does not serve (404 on the .dsc): then the other versions the
 * archive lists are tried, newest first, so one missing file does not stop the suite.
 */
async function downloadSource(name: string, dir: string): Promise<void> {
  let first: unknown;
  try {
    await run('apt-get', ['source', '--download-only', name], dir);
    return;
  } catch (e) {
    first = e;
  }
  // `zstd` is built by the source package `libzstd`: apt-get picks it by binary name, and so does
  // showsrc without --only-source; take the versions of the source package that name maps to.
  const listed = await run('apt-cache', ['showsrc', name], dir).catch(() => '');
  const source = /^Package:\s*(\S+)/m.exec(listed)?.[1] ?? name;
  const versions: string[] = [];
  for (const entry of listed.split(/\n\s*\n/)) {
    if (/^Package:\s*(\S+)/m.exec(entry)?.[1] !== source) continue;
    const v = /^Version:\s*(\S+)/m.exec(entry)?.[1];
    if (v) versions.push(v);
  }
  const sorted: string[] = [];
  for (const v of versions) {
    if (sorted.includes(v)) continue;
    // dpkg's own ordering, not a string sort (1.9.4-1 vs 1.9.4-1+deb12u1).
    const i = sorted.findIndex((w) => execaSyncCompare(v, w) > 0);
    if (i < 0) sorted.push(v);
    else sorted.splice(i, 0, v);
  }
  for (const v of sorted) {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
    try {
      await run('apt-get', ['source', '--download-only', `${source}=${v}`], dir);
      return;
    } catch {
      // try the next version
    }
  }
  throw first;
}

function execaSyncCompare(a: string, b: string): number {
  if (a === b) return 0;
  return execaSync('dpkg', ['--compare-versions', a, 'gt', b], { reject: false }).exitCode === 0 ? 1 : -1;
}

/** The unpacked source of `spec.name`, fetched and unpacked on first use (safe across processes). */
export async function fetchDebianSource(spec: DebianSourceSpec): Promise<DebianSource> {
  const base = join(cacheRoot(), 'debian', spec.name);
  const stampPath = join(base, 'ready.json');
  const label = policyLabel(spec.patches);
  const readStamp = (): DebianSource | null => {
    try {
      const s = JSON.parse(readFileSync(stampPath, 'utf8')) as DebianSource & { policy: string };
      return s.policy === label && existsSync(s.dir) ? { name: s.name, version: s.version, dir: s.dir, appliedPatches: s.appliedPatches } : null;
    } catch {
      return null;
    }
  };
  const ready = readStamp();
  if (ready) return ready;

  return withLock(`${base}.lock`, async () => {
    const again = readStamp();
    if (again) return again;
    mkdirSync(base, { recursive: true });

    const dl = join(base, 'download');
    let dsc = existsSync(dl) ? readdirSync(dl).find((f) => f.endsWith('.dsc')) : undefined;
    if (!dsc) {
      const tmp = join(base, `download.tmp-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      await downloadSource(spec.name, tmp);
      dsc = readdirSync(tmp).find((f) => f.endsWith('.dsc'));
      if (!dsc) throw new Error(`apt-get source ${spec.name}: no .dsc downloaded into ${tmp}`);
      rmSync(dl, { recursive: true, force: true });
      renameSync(tmp, dl);
    }
    const dscText = readFileSync(join(dl, dsc), 'utf8');
    const version = /^Version:\s*(\S+)/m.exec(dscText)?.[1];
    if (!version) throw new Error(`${join(dl, dsc)}: no Version field`);

    const dir = join(base, `tree-${version.replace(/[^A-Za-z0-9.+~-]/g, '_')}-${spec.patches.apply}`);
    const tmpTree = `${dir}.tmp-${process.pid}`;
    rmSync(tmpTree, { recursive: true, force: true });
    const skip = spec.patches.apply === 'all' ? [] : ['--skip-patches'];
    await run('dpkg-source', ['-x', ...skip, join(dl, dsc), tmpTree], base);
    let applied: string[] = [];
    if (spec.patches.apply === 'all') {
      applied = seriesOf(tmpTree);
    } else if (spec.patches.apply === 'only') {
      const { names } = spec.patches;
      applied = seriesOf(tmpTree).filter((p) => names.test(p));
      for (const p of applied) await run('patch', ['-p1', '--forward', '--batch', '-i', join('debian', 'patches', p)], tmpTree);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmpTree, dir);
    const result: DebianSource = { name: spec.name, version, dir, appliedPatches: applied };
    writeFileSync(stampPath, JSON.stringify({ ...result, policy: label }, null, 2));
    return result;
  });
}
