// Every cc-wb the tests start shares one folder of resident pass servers (toolchain/passserver.ts),
// private to this run; they are stopped when the run ends, so no server outlives the tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopServers } from '../toolchain/passclient.js';

export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ccwb-test-servers-'));
  process.env.CC_WB_SERVER_DIR = dir;
  return async () => {
    await stopServers(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}
