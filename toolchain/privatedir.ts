// Where the pass servers' sockets may live, and which sockets a compile may talk to.
//
// Contract: a unit's preprocessed text is only ever sent to, and instrumented code only ever
// accepted from, a socket that this user created in a folder only this user can write. Another
// local user must not be able to plant a folder, a symlink or a socket that cc-wb then uses: every
// check below fails closed, and a failed check means "no server" (the pass runs in-process, which
// costs only speed). docs/security.md states the threat model.
import { lstatSync, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

const STICKY = 0o1000;
const GROUP_OR_OTHER_WRITE = 0o022;

/**
 * True when no other user (root aside) can replace or rename entries along `path`: each existing
 * ancestor is owned by root or by us, and is writable by others only if it is sticky (as /tmp is,
 * where only an entry's owner may rename or delete it).
 */
function ancestorsAreSafe(path: string, uid: number): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  for (let dir = real; ; dir = dirname(dir)) {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      return false;
    }
    if (st.uid !== 0 && st.uid !== uid) return false;
    if ((st.mode & GROUP_OR_OTHER_WRITE) !== 0 && (st.mode & STICKY) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

/** Why `st` (from lstat) is not a private folder of `uid`, or undefined when it is one. */
export function privateDirProblem(st: Stats, uid: number): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== uid) return `is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `has mode ${(st.mode & 0o777).toString(8)}, not 700`;
  return undefined;
}

/**
 * Makes `dir` if it is missing (mode 0700) and returns whether it is safe to keep sockets in: a
 * real directory (checked with lstat, so a symlink is refused), owned by this user, with no access
 * for group or others, under ancestors no other user can tamper with. Never throws.
 */
export function ensurePrivateDir(dir: string): boolean {
  const uid = ownUid();
  if (uid === undefined) return false;
  const abs = resolve(dir);
  try {
    mkdirSync(dirname(abs), { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  if (!ancestorsAreSafe(dirname(abs), uid)) return false;
  try {
    mkdirSync(abs, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    return privateDirProblem(lstatSync(abs), uid) === undefined;
  } catch {
    return false;
  }
}

/**
 * What is at a socket's path, seen with lstat (a symlink is never followed): nothing, a socket of
 * this user's, something else of this user's (a stale file it may replace), or something of
 * another user's, which cc-wb neither talks to nor removes.
 */
export function socketEntry(path: string): 'missing' | 'own-socket' | 'own-other' | 'foreign' {
  const uid = ownUid();
  if (uid === undefined) return 'foreign';
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'foreign';
  }
  if (st.uid !== uid) return 'foreign';
  return st.isSocket() ? 'own-socket' : 'own-other';
}

/**
 * The folders that may hold this user's pass servers, best first: $CC_WB_SERVER_DIR when set (and
 * nothing else: a user who names a folder gets that one or none), otherwise a `cc-wb` folder in
 * $XDG_RUNTIME_DIR (per user, made by the login manager), then a per-user folder in the temp dir.
 */
export function serverDirCandidates(env: NodeJS.ProcessEnv): string[] {
  if (env.CC_WB_SERVER_DIR) return [env.CC_WB_SERVER_DIR];
  const uid = ownUid() ?? 0;
  const out: string[] = [];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'cc-wb'));
  out.push(join(tmpdir(), `ccwb-pass-servers-${uid}`));
  return out;
}

/** The first candidate folder that is (or could be made) private to this user, or undefined. */
export function privateServerDir(env: NodeJS.ProcessEnv): string | undefined {
  return serverDirCandidates(env).find(ensurePrivateDir);
}
