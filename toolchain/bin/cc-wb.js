#!/bin/sh
":" //; l=$0; [ -L "$l" ] && l=$(readlink -f -- "$l" 2>/dev/null); l=${l%/*}/../launcher/build/cc-wb-launch; [ -x "$l" ] && exec "$l" "$@"; exec node "$0" "$@"
// The `cc-wb` command, a file that is both a shell script and JavaScript. As a shell script (the line
// above; to JavaScript it is a string and a comment) it runs the native launcher when it is built
// (toolchain/launcher/: it hands the command to a running drive server, or else runs this file
// with node), and otherwise node on this file. As JavaScript it is the Node driver: TypeScript
// compiled to dist/ (npm run build in a checkout; the package ships it).
import { load } from './load.js';
import { buildLauncherOnce } from './launcher-build.js';

const { main } = await load('dist/toolchain/driver.js');
const { withRuntime, RuntimeBuildError } = await load('dist/toolchain/bin/runtime-archives.js');
const args = process.argv.slice(2);
try {
  process.exitCode = await main(args, withRuntime(args, process.env));
} catch (err) {
  if (!(err instanceof RuntimeBuildError)) throw err;
  process.stderr.write(`cc-wb: ${err.message}\n`);
  process.exitCode = 1;
}
buildLauncherOnce();
