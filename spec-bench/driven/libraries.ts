// The Debian libraries the TypeScript-driven suite uses, built as shared libraries at the suite's
// CFLAGS through the harness's cached builder: once with plain cc (driven through raw koffi) and
// once with cc-wb (loaded by runtime-ts, no declarations).
import { join } from 'node:path';
import { buildProject, type Project } from '../../harness/build.js';
import { CFLAGS, expatCmakeSteps } from '../../harness/programs.js';
import type { Compiler } from '../../harness/compilers.js';

export type LibraryName = 'zlib' | 'expat' | 'cjson';

interface SharedLibrary {
  project: Project;
  /** The shared object, relative to the build tree. */
  file: string;
}

const all = { apply: 'all' } as const;

/**
 * One `$CC` command building a shared library from the listed sources of the tree's top folder.
 * -Bsymbolic: node exports its own bundled zlib (deflate, inflateInit2_, ...), and without it the
 * library's calls to its own functions would bind to node's copies, of another version and layout.
 */
function oneCommand(out: string, sources: string[]): (cc: string) => { argv: string[] }[] {
  return (cc) => [{ argv: ['sh', '-c', `${cc} ${CFLAGS} -fPIC -shared -Wl,-Bsymbolic -o ${out} ${sources.join(' ')}`] }];
}

const ZLIB_SOURCES = ['adler32', 'compress', 'crc32', 'deflate', 'gzclose', 'gzlib', 'gzread', 'gzwrite', 'infback', 'inffast', 'inflate', 'inftrees', 'trees', 'uncompr', 'zutil'].map((f) => `${f}.c`);

const LIBRARIES: Record<LibraryName, SharedLibrary> = {
  // zlib's configure only picks flags a direct compile of its sources gets right on Linux.
  zlib: {
    project: { name: 'driven-zlib', source: { name: 'zlib', patches: all }, build: oneCommand('libz.so', ZLIB_SOURCES), check: () => [], artifacts: ['libz.so'] },
    file: 'libz.so',
  },
  expat: {
    project: { name: 'driven-expat', source: { name: 'expat', patches: all }, build: (cc) => expatCmakeSteps(cc, true), check: () => [], artifacts: ['build/libexpat.so'] },
    file: 'build/libexpat.so',
  },
  cjson: {
    project: { name: 'driven-cjson', source: { name: 'cjson', patches: all }, build: oneCommand('libcjson.so', ['cJSON.c']), check: () => [], artifacts: ['libcjson.so'] },
    file: 'libcjson.so',
  },
};

export interface BuiltLibrary {
  path: string;
  version: string;
  buildCpuMs: number;
  reused: boolean;
}

/** Builds (or reuses) `name` with a compiler; returns the shared object's path. */
export async function buildLibrary(name: LibraryName, compiler: Compiler): Promise<BuiltLibrary> {
  const lib = LIBRARIES[name];
  const b = await buildProject(lib.project, compiler);
  return { path: join(b.dir, lib.file), version: b.version, buildCpuMs: b.buildCpuMs, reused: b.reused };
}
