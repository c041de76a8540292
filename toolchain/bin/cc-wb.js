#!/usr/bin/env node
// npm bin shim: the driver is TypeScript compiled to dist/ (npx tsc -p .).
import { main } from '../../dist/toolchain/driver.js';

process.exitCode = await main(process.argv.slice(2));
