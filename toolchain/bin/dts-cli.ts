// `cc-wb-dts LIBRARY [-o OUT.d.ts] [--runtime-import SPECIFIER]`: writes the TypeScript declarations
// of a library built by cc-wb, read from the metadata the pass linked into it (runtime-ts/dts.ts).
import { parseArgs } from 'node:util';
import { writeLibraryDts } from '../../runtime-ts/dts.js';

const USAGE = `usage: cc-wb-dts LIBRARY [-o OUT.d.ts] [--runtime-import SPECIFIER]

Writes the TypeScript declarations of LIBRARY (a .so, .a or .o built by cc-wb) to OUT.d.ts, by
default next to it (libfoo.so -> libfoo.d.ts), and prints the path written. The declarations import
the runtime's types from SPECIFIER (default cc-wb/runtime-ts). Use them with
  import { load } from 'cc-wb/runtime-ts';
  import type { Library } from './libfoo.js';
  const lib = load<Library>('./libfoo.so');
`;

/** Runs the command; returns its exit status (0 written, 1 failed, 2 bad usage). */
export function main(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'runtime-import': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`cc-wb-dts: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`cc-wb-dts: expected one library, got ${parsed.positionals.length}\n${USAGE}`);
    return 2;
  }
  try {
    const written = writeLibraryDts(parsed.positionals[0]!, parsed.values.output, { runtimeImport: parsed.values['runtime-import'] });
    process.stdout.write(`${written}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`cc-wb-dts: ${(err as Error).message}\n`);
    return 1;
  }
}
