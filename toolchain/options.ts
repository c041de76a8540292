// gcc's command line, classified for a driver that splits one compile into `cc -E` + pass + `cc -c`.
//
// Every argument gets a role that says which of the two compiler runs needs it:
//   pp      the preprocessor only (-D -I -include -Wp, ...): step 1; dropped from step 2
//   deps    dependency output (-MD -MF -MT ...): step 1, with the names gcc itself would use
//   both    anything that may matter to preprocessing and to compiling (-O -f -m -std -g -W ...)
//   compile the compiler/assembler only (-Wa, -save-temps ...): step 2
//   link    the linker only (-l -L -Wl, -shared ...): step 2
//   mode    -c -S -E -M -MM -fsyntax-only
//   output  -o;  lang  -x;  info  --version -print-* ... (answered by the real compiler)
// Unknown options default to `both`, which is what gcc's own specs do with most flags.

export type Role = 'pp' | 'deps' | 'both' | 'compile' | 'link' | 'mode' | 'output' | 'lang' | 'info';

/** One option or input as it appeared on the command line; `raw` holds the 1 or 2 argv words. */
export type Item =
  | { kind: 'option'; name: string; value?: string; role: Role; raw: string[] }
  | { kind: 'input'; path: string; lang: string; raw: string[] };

/** Options that take no argument, by exact spelling. Canonical name after '=' when it is an alias. */
const FLAGS: Record<string, Role> = {
  '-c': 'mode', '-S': 'mode', '-E': 'mode', '-M': 'mode', '-MM': 'mode', '-fsyntax-only': 'mode',
  '-MD': 'deps', '-MMD': 'deps', '-MP': 'deps', '-MG': 'deps',
  '-C': 'pp', '-CC': 'pp', '-P': 'pp', '-H': 'pp', '-nostdinc': 'pp', '-nostdinc++': 'pp', '-undef': 'pp',
  '-I-': 'pp', '-traditional-cpp': 'pp', '-remap': 'pp', '-fdirectives-only': 'pp', '-fno-directives-only': 'pp',
  '-fpch-preprocess': 'pp', '-fpch-deps': 'pp', '-fworking-directory': 'pp', '-fno-working-directory': 'pp',
  '-fdebug-cpp': 'pp', '-ftrack-macro-expansion': 'pp', '-fno-track-macro-expansion': 'pp',
  '--version': 'info', '-dumpversion': 'info', '-dumpfullversion': 'info', '-dumpmachine': 'info',
  '-dumpspecs': 'info', '-###': 'info', '--help': 'info', '--target-help': 'info',
  '-shared': 'link', '-static': 'link', '-static-pie': 'link', '-pie': 'link', '-no-pie': 'link',
  '-rdynamic': 'link', '-s': 'link', '-r': 'link', '-nostdlib': 'link', '-nostartfiles': 'link',
  '-nodefaultlibs': 'link', '-nolibc': 'link', '-nostdlib++': 'link', '-static-libgcc': 'link',
  '-shared-libgcc': 'link', '-static-libstdc++': 'link', '-static-libasan': 'link', '-static-libtsan': 'link',
  '-static-liblsan': 'link', '-static-libubsan': 'link', '-static-libhwasan': 'link', '-symbolic': 'link',
  '-N': 'link', '-n': 'link', '-t': 'link', '-export-dynamic': 'link',
  '-save-temps': 'compile', '-emit-llvm': 'compile',
};

/** Long GNU aliases that behave exactly like a short option (only the ones that change parsing). */
const ALIASES: Record<string, string> = {
  '--compile': '-c', '--assemble': '-S', '--preprocess': '-E', '--dependencies': '-M',
  '--user-dependencies': '-MM', '--write-dependencies': '-MD', '--write-user-dependencies': '-MMD',
  '--print-missing-file-dependencies': '-MG', '--shared': '-shared', '--static': '-static',
  '--no-standard-includes': '-nostdinc', '--no-standard-libraries': '-nostdlib', '--trace-includes': '-H',
  '--comments': '-C', '--no-line-commands': '-P', '--traditional-cpp': '-traditional-cpp',
  '--output': '-o', '--language': '-x', '--include-directory': '-I', '--define-macro': '-D',
  '--undefine-macro': '-U', '--include': '-include', '--imacros': '-imacros', '--assert': '-A',
  '--include-directory-after': '-idirafter', '--include-prefix': '-iprefix',
  '--include-with-prefix': '-iwithprefix', '--include-with-prefix-after': '-iwithprefix',
  '--include-with-prefix-before': '-iwithprefixbefore', '--library-directory': '-L',
  '--for-linker': '-Xlinker', '--force-link': '-u', '--entry': '-e', '--prefix': '-B',
};

/** Options whose argument is always the next word. */
const SEPARATE: Record<string, Role> = {
  '-Xlinker': 'link', '-Xassembler': 'compile', '-Xpreprocessor': 'pp', '-aux-info': 'both',
  '-dumpbase': 'both', '-dumpdir': 'both', '-dumpbase-ext': 'both', '-wrapper': 'both', '--param': 'both',
  '-Tbss': 'link', '-Tdata': 'link', '-Ttext': 'link', '-Ttext-segment': 'link',
  '--sysroot': 'both', '-specs': 'both', '--specs': 'both',
  // clang spellings real builds use
  '-Xclang': 'both', '-mllvm': 'both', '-target': 'both', '-arch': 'both', '-Xanalyzer': 'both',
  '-gcc-toolchain': 'both', '-resource-dir': 'both', '--config': 'both', '-include-pch': 'pp',
  '-isystem-after': 'pp', '-cxx-isystem': 'pp', '-ivfsoverlay': 'pp', '-iframework': 'pp',
  '-iframeworkwithsysroot': 'pp', '-iwithsysroot': 'pp',
};

/** Options written either `-Xvalue` or `-X value`; the longest spelling that prefixes the word wins. */
const JOINED_OR_SEPARATE: Record<string, Role> = {
  '-o': 'output', '-x': 'lang', '-I': 'pp', '-D': 'pp', '-U': 'pp', '-A': 'pp',
  '-include': 'pp', '-imacros': 'pp', '-isystem': 'pp', '-iquote': 'pp', '-idirafter': 'pp',
  '-iprefix': 'pp', '-iwithprefix': 'pp', '-iwithprefixbefore': 'pp', '-isysroot': 'pp',
  '-imultilib': 'pp', '-imultiarch': 'pp',
  '-MF': 'deps', '-MT': 'deps', '-MQ': 'deps', '-MJ': 'compile',
  '-L': 'link', '-l': 'link', '-u': 'link', '-e': 'link', '-z': 'link', '-T': 'link', '-B': 'both',
};

/** Options that only exist with a joined value (`-Wl,x`, `--sysroot=x`), longest prefix first. */
const JOINED: [string, Role][] = [
  ['-Wp,', 'pp'], ['-Wl,', 'link'], ['-Wa,', 'compile'],
  ['-fmacro-prefix-map=', 'pp'], ['-finput-charset=', 'pp'], ['-ftrack-macro-expansion=', 'pp'],
  ['-fmax-include-depth=', 'pp'], ['-fuse-ld=', 'link'], ['-flinker-output=', 'link'], ['-save-temps=', 'compile'],
  ['--sysroot=', 'both'], ['--param=', 'both'], ['-specs=', 'both'], ['--specs=', 'both'],
  ['--help=', 'info'], ['-print-', 'info'], ['--print-', 'info'],
].sort((a, b) => (b[0] as string).length - (a[0] as string).length) as [string, Role][];

const JOINED_OR_SEPARATE_BY_LENGTH = Object.keys(JOINED_OR_SEPARATE).sort((a, b) => b.length - a.length);

// gcc's default_compilers table, reduced to what decides our behaviour.
const SUFFIX_LANG: Record<string, string> = {
  c: 'c', i: 'cpp-output', h: 'c-header', ii: 'c++-cpp-output',
  cc: 'c++', cp: 'c++', cxx: 'c++', cpp: 'c++', 'c++': 'c++', C: 'c++', CPP: 'c++',
  hh: 'c++-header', H: 'c++-header', hp: 'c++-header', hxx: 'c++-header', hpp: 'c++-header',
  HPP: 'c++-header', 'h++': 'c++-header', tcc: 'c++-header',
  m: 'objective-c', mi: 'objective-c-cpp-output', mm: 'objective-c++', M: 'objective-c++',
  mii: 'objective-c++-cpp-output', s: 'assembler', S: 'assembler-with-cpp', sx: 'assembler-with-cpp',
  f: 'f77', for: 'f77', ftn: 'f77', F: 'f77-cpp-input', FOR: 'f77-cpp-input', fpp: 'f77-cpp-input',
  FPP: 'f77-cpp-input', FTN: 'f77-cpp-input', f90: 'f95', f95: 'f95', f03: 'f95', f08: 'f95',
  F90: 'f95-cpp-input', F95: 'f95-cpp-input', F03: 'f95-cpp-input', F08: 'f95-cpp-input',
  go: 'go', d: 'd', adb: 'ada', ads: 'ada',
};

/** What gcc compiles a file as, given the active `-x` (or 'none'). 'linker' = handed to the linker. */
export function languageOf(path: string, x: string): string {
  if (x !== 'none') return x;
  if (path === '-') return 'stdin-without-x'; // gcc refuses this unless -E; the real compiler says so
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot < 0) return 'linker';
  return SUFFIX_LANG[base.slice(dot + 1)] ?? 'linker';
}

/** Languages we leave to the real compiler whose inputs it would *not* preprocess. */
const NO_CPP = new Set(['cpp-output', 'c++-cpp-output', 'objective-c-cpp-output', 'objective-c++-cpp-output', 'assembler', 'linker', 'f77', 'f95', 'go', 'ada', 'd']);
export function needsPreprocessor(lang: string): boolean {
  return !NO_CPP.has(lang);
}

export class UsageError extends Error {
  readonly code = 'CC_WB_USAGE';
}

/**
 * Splits an expanded argv (no response files, no --wb-* flags) into items, the way gcc reads it:
 * separate arguments are consumed even when they begin with '-', `-x` applies to later inputs only.
 */
export function parseArgs(args: readonly string[]): Item[] {
  const items: Item[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-' || !arg.startsWith('-')) {
      items.push({ kind: 'input', path: arg, lang: '', raw: [arg] });
      continue;
    }
    const push = (name: string, role: Role, value?: string): void => {
      items.push(value === undefined ? { kind: 'option', name, role, raw: [arg] } : { kind: 'option', name, value, role, raw: [arg] });
    };
    const pushSeparate = (name: string, role: Role): void => {
      // A missing argument is left for the real compiler to complain about.
      if (i + 1 >= args.length) return push(name, role);
      const value = args[++i]!;
      items.push({ kind: 'option', name, value, role, raw: [arg, value] });
    };

    const eq = arg.indexOf('=');
    const alias = ALIASES[eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg];
    if (alias !== undefined) {
      const role = FLAGS[alias] ?? SEPARATE[alias] ?? JOINED_OR_SEPARATE[alias]!;
      if (alias in FLAGS) push(alias, role);
      else if (eq > 0) push(alias, role, arg.slice(eq + 1));
      else pushSeparate(alias, role);
      continue;
    }
    const flag = FLAGS[arg];
    if (flag !== undefined) {
      push(arg, flag);
      continue;
    }
    const sep = SEPARATE[arg];
    if (sep !== undefined) {
      pushSeparate(arg, sep);
      continue;
    }
    const joined = JOINED.find(([prefix]) => arg.startsWith(prefix));
    const js = JOINED_OR_SEPARATE_BY_LENGTH.find((name) => arg.startsWith(name));
    if (js !== undefined && !(joined !== undefined && joined[0].length > js.length)) {
      if (arg === js) pushSeparate(js, JOINED_OR_SEPARATE[js]!);
      else push(js, JOINED_OR_SEPARATE[js]!, arg.slice(js.length));
      continue;
    }
    if (joined !== undefined) {
      push(joined[0], joined[1], arg.slice(joined[0].length));
      continue;
    }
    push(arg, 'both');
  }
  // -x applies to the inputs after it, until the next -x ('-x none' restores suffix rules).
  let lang = 'none';
  for (const item of items) {
    if (item.kind === 'option' && item.name === '-x') lang = item.value ?? 'none';
    else if (item.kind === 'input') item.lang = languageOf(item.path, lang);
  }
  return items;
}
