#!/usr/bin/env node
// npm bin: writes the TypeScript declarations of a library built by cc-wb (see dist/toolchain/bin/dts-cli.js).
import { load } from './load.js';

const { main } = await load('dist/toolchain/bin/dts-cli.js');
process.exitCode = main(process.argv.slice(2));
