// A lockfile for a project that depends only on the packed cc-wb, pinning cc-wb's dependencies to
// the versions (and registry tarballs) this project's own lockfile pins, so that `npm ci --offline`
// finds every one of them in the cache `npm ci` of this project filled.
import { createHash } from 'node:crypto';

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  license?: string;
  os?: string[];
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  [field: string]: unknown;
}

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/**
 * consumer: the dependent project's package.json; ours and ourLock: this project's; spec: how the
 * consumer names the tarball (file:...); tarball: its bytes (for the integrity field).
 */
export function consumerLock(consumer: PackageJson, ours: PackageJson, ourLock: Lockfile, spec: string, tarball: Buffer): Lockfile & Record<string, unknown> {
  if (ourLock.lockfileVersion < 2) throw new Error(`package-lock.json version ${ourLock.lockfileVersion}: expected 2 or later`);
  const packages: Record<string, LockEntry> = {
    '': { name: consumer.name, version: consumer.version, dependencies: consumer.dependencies },
    'node_modules/cc-wb': {
      version: ours.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      license: ours.license,
      os: ours.os,
      dependencies: ours.dependencies,
      bin: ours.bin,
      engines: ours.engines,
    },
  };
  // Everything our lockfile installs for production, at the same place in the tree.
  for (const [path, entry] of Object.entries(ourLock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  }
  return { name: consumer.name, version: consumer.version, lockfileVersion: 3, requires: true, packages };
}
