// The TypeScript-driven benchmarks, in report order.
import { cjson } from './cjson.js';
import { expat } from './expat.js';
import type { Driver } from './workload.js';
import { zlib } from './zlib.js';

export const DRIVERS: Driver[] = [zlib, expat, cjson];
