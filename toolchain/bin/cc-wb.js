#!/usr/bin/env node
// npm bin: the driver is TypeScript compiled to dist/ (npm run build in a checkout; the package ships it).
import { load } from './load.js';

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
