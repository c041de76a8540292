// The native launcher is built on first use when `npm run build`/`prepare` did not build it (an
// install with scripts disabled): after a command, so that the command itself does not wait. A
// failed build (no cc, a read-only package) leaves a mark and is not tried again until the
// launcher's source changes.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'launcher');
const launcher = join(dir, 'build', 'cc-wb-launch');
const failed = join(dir, 'build', 'failed');

function newer(a, b) {
  try {
    return statSync(a).mtimeMs > statSync(b).mtimeMs;
  } catch {
    return true;
  }
}

export function buildLauncherOnce() {
  if (existsSync(launcher) || !existsSync(join(dir, 'cc-wb-launch.c'))) return;
  if (existsSync(failed) && !newer(join(dir, 'cc-wb-launch.c'), failed)) return;
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return; // a read-only install: every call runs node, as before the launcher
  }
  const r = spawnSync('sh', [join(dir, 'build.sh')], { stdio: 'ignore' });
  if (r.status !== 0) {
    try {
      writeFileSync(failed, '');
    } catch {
      // nowhere to remember it: the next call tries again
    }
  }
}
