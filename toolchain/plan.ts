// What one gcc command line asks for, and the argument lists of the two compiler runs that replace
// each C compile: `cc -E` into a private file (step 1), then one `cc` over the rewritten files (step 2).
// Pure functions: argv in, argv out; the driver does the I/O.
import { basename, dirname, join } from 'node:path';
import { type Item, needsPreprocessor, parseArgs } from './options.js';

export type Mode = 'link' | 'compile' | 'assemble';

export interface Analysis {
  items: Item[];
  /** Why the real compiler should simply get the command line (plus the runtime when linking). */
  passThrough?: 'info' | 'preprocess-only' | 'no-input' | 'no-c-input' | 'gcc-error';
  mode: Mode;
  linking: boolean;
  shared: boolean;
  relocatable: boolean;
  output?: string; // the last -o
  /** The inputs cc-wb rewrites: C sources, and preprocessed C (.i) not already instrumented. */
  cInputs: Extract<Item, { kind: 'input' }>[];
  /** Some other input still needs the preprocessor in step 2, so its flags must stay there. */
  mixed: boolean;
}

const STOP_BEFORE_LINK = new Set(['-c', '-S', '-E', '-M', '-MM', '-fsyntax-only']);

function hasOption(items: Item[], ...names: string[]): boolean {
  return items.some((it) => it.kind === 'option' && names.includes(it.name));
}

/** Words the linker sees: -Wl,a,b and -Xlinker a. */
function linkerWords(items: Item[]): string[] {
  const words: string[] = [];
  for (const it of items) {
    if (it.kind !== 'option' || it.value === undefined) continue;
    if (it.name === '-Wl,') words.push(...it.value.split(','));
    else if (it.name === '-Xlinker') words.push(it.value);
  }
  return words;
}

/**
 * @param alreadyInstrumented tells whether a user-supplied .i file is cc-wb output already
 *   (compiling it again would splice a second prelude); such files are passed through.
 */
export function analyze(args: readonly string[], alreadyInstrumented: (path: string) => boolean = () => false): Analysis {
  const items = parseArgs(args);
  const inputs = items.filter((it): it is Extract<Item, { kind: 'input' }> => it.kind === 'input');
  const modeFlags = items.filter((it) => it.kind === 'option' && it.role === 'mode').map((it) => (it as { name: string }).name);
  const mode: Mode = modeFlags.includes('-S') ? 'assemble' : modeFlags.includes('-c') ? 'compile' : 'link';
  const linking = inputs.length > 0 && !modeFlags.some((m) => STOP_BEFORE_LINK.has(m));
  const words = linkerWords(items);
  const shared = hasOption(items, '-shared') || words.some((w) => w === '-shared' || w === '--shared' || w === '-Bshareable');
  const relocatable = hasOption(items, '-r') || words.some((w) => w === '-r' || w === '--relocatable' || w === '-i');
  let output: string | undefined;
  for (const it of items) if (it.kind === 'option' && it.name === '-o' && it.value !== undefined) output = it.value;

  const cInputs = inputs.filter((it) => it.lang === 'c' || (it.lang === 'cpp-output' && !alreadyInstrumented(it.path)));
  const mixed = inputs.some((it) => !cInputs.includes(it) && needsPreprocessor(it.lang));
  const analysis: Analysis = { items, mode, linking, shared, relocatable, output, cInputs, mixed };

  if (items.some((it) => it.kind === 'option' && it.role === 'info')) analysis.passThrough = 'info';
  else if (modeFlags.some((m) => m === '-E' || m === '-M' || m === '-MM' || m === '-fsyntax-only')) analysis.passThrough = 'preprocess-only';
  else if (inputs.length === 0) analysis.passThrough = 'no-input';
  else if (inputs.some((it) => it.lang === 'stdin-without-x')) analysis.passThrough = 'gcc-error';
  else if (output !== undefined && mode !== 'link' && inputs.filter((it) => it.lang !== 'linker').length > 1) {
    analysis.passThrough = 'gcc-error'; // "cannot specify -o with -c, -S or -E with multiple files"
  } else if (cInputs.length === 0) analysis.passThrough = 'no-c-input';
  return analysis;
}

/** gcc's %b: the file name without directories and without its last suffix (a leading dot is no suffix). */
export function gccBase(path: string): string {
  if (path === '-') return '-';
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** gcc's %.d%* on an -o value: the last dot of the last path component starts the suffix. */
function replaceSuffix(path: string, suffix: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return (dot > slash ? path.slice(0, dot) : path) + suffix;
}

/** The target cc1 names when none is given: the input's base name with its suffix replaced by .o. */
function defaultDepsTarget(input: string): string {
  if (input === '-') return '-';
  const base = basename(input);
  const dot = base.lastIndexOf('.');
  return (dot >= 0 ? base.slice(0, dot) : base) + '.o';
}

/** A file name that cannot be mistaken for an option when it is a separate argument. */
function safePath(path: string): string {
  return path.startsWith('-') ? './' + path : path;
}

/**
 * Step 1: the user's preprocessor-relevant flags, then `-E -x c input -o tmp`. Dependency output
 * is named exactly as `gcc -MD -c` would name it (gcc derives it from -o, which here is the temp).
 */
export function preprocessArgs(a: Analysis, input: Extract<Item, { kind: 'input' }>, tmpFile: string, extra: readonly string[] = []): string[] {
  const out: string[] = [];
  let md = false;
  let mf = false;
  let mt = false;
  for (const it of a.items) {
    if (it.kind !== 'option') continue;
    if (it.role !== 'pp' && it.role !== 'deps' && it.role !== 'both') continue;
    if (it.name === '-MD' || it.name === '-MMD') md = true;
    if (it.name === '-MF') mf = true;
    if (it.name === '-MT' || it.name === '-MQ') mt = true;
    out.push(...it.raw);
  }
  if (md) {
    if (!mf) out.push('-MF', safePath(a.output !== undefined ? replaceSuffix(a.output, '.d') : gccBase(input.path) + '.d'));
    if (!mt) out.push('-MQ', a.output ?? defaultDepsTarget(input.path));
  }
  // -dD keeps the unit's #define lines: the pass reads integer and string macros from them into
  // the host's metadata, then empties them before the compile.
  out.push(...extra, '-E', '-dD', '-x', 'c', input.path, '-o', tmpFile);
  return out;
}

/**
 * Step 2: the command line as the user wrote it, with each rewritten input replaced by its file
 * (`null` = drop the input: it failed earlier), only the inputs in `only` (all when not given), and
 * the preprocessor's flags dropped unless an input passed on as it is still needs them. The
 * replacement ends in `.i`, so gcc (and distcc, which runs any `-x` locally) reads it as
 * preprocessed C; an explicit `-x cpp-output` is only needed where the user's `-x` is active.
 */
export function compileArgs(a: Analysis, replacement: Map<Item, string | null>, runtime: string[], only?: Set<Item>): string[] {
  const included = (it: Item) => replacement.get(it) !== null && (only === undefined || only.has(it));
  const keepPreprocessorFlags = a.items.some((it) => it.kind === 'input' && included(it) && replacement.get(it) === undefined && needsPreprocessor(it.lang));
  const out: string[] = [];
  let lang = 'none'; // the user's -x at this point of their command line
  let outLang = 'none'; // the -x in force at this point of ours
  for (const it of a.items) {
    if (it.kind === 'option') {
      if (it.name === '-x') lang = outLang = it.value ?? 'none';
      if ((it.role === 'pp' || it.role === 'deps') && !keepPreprocessorFlags) continue;
      out.push(...it.raw);
      continue;
    }
    if (!included(it)) continue;
    const file = replacement.get(it);
    if (file === undefined || file === null) {
      // gcc warns about a -x after the last input, so the user's -x comes back only when needed
      if (outLang !== lang) out.push('-x', lang);
      outLang = lang;
      out.push(...it.raw);
    } else if (outLang === 'none') {
      out.push(safePath(file));
    } else {
      if (outLang !== 'cpp-output') out.push('-x', 'cpp-output');
      outLang = 'cpp-output';
      out.push(safePath(file));
    }
  }
  if (runtime.length > 0) {
    if (outLang !== 'none') out.push('-x', 'none'); // or the archive would be read as C
    out.push(...runtime);
  }
  return out;
}

/** Appends the runtime to a command line that is otherwise passed on unchanged. */
export function withRuntime(a: Analysis, args: readonly string[], runtime: string[]): string[] {
  if (runtime.length === 0) return [...args];
  let lang = 'none';
  for (const it of a.items) if (it.kind === 'option' && it.name === '-x') lang = it.value ?? 'none';
  return [...args, ...(lang !== 'none' ? ['-x', 'none'] : []), ...runtime];
}

/** The file this compile produces for an input (the object, the assembly, or the linked program). */
export function outputOf(a: Analysis, input: Extract<Item, { kind: 'input' }>): string {
  if (a.output !== undefined) return a.output;
  if (a.mode === 'link') return 'a.out';
  return gccBase(input.path) + (a.mode === 'assemble' ? '.s' : '.o');
}

/**
 * Where input number `index` goes: step 1 writes `<tmp>/<index>/pp/<base>.i`, the pass's result is
 * `<tmp>/<index>/wb/<base>.i`, the diagnostics compile's assembly `<tmp>/<index>/diag/<base>.s`.
 * Own directories, so equal base names never clash, and the base name stays the user's: gcc
 * derives default output and auxiliary file names from it.
 */
export function tempFilesFor(tmpDir: string, index: number, input: Extract<Item, { kind: 'input' }>): { pp: string; wb: string; diag: string } {
  const base = gccBase(input.path);
  const dir = join(tmpDir, String(index));
  return { pp: join(dir, 'pp', base + '.i'), wb: join(dir, 'wb', base + '.i'), diag: join(dir, 'diag', base + '.s') };
}

/**
 * Where gcc 12 would leave the .i of this input under -save-temps[=cwd|=obj] (undefined without it),
 * so that the file shows what cc-wb compiled. gcc names it after the output (`-o out/x.o` →
 * `out/x.i`), in a link after the program and the input (`out/prog-a.i`, `a-a.i` for several inputs
 * without -o), and puts it in the current directory for =cwd.
 */
export function saveTempsPath(a: Analysis, input: Extract<Item, { kind: 'input' }>): string | undefined {
  let where: string | undefined;
  for (const it of a.items) {
    if (it.kind !== 'option') continue;
    if (it.name === '-save-temps') where = 'cwd-or-output';
    else if (it.name === '-save-temps=') where = it.value === 'obj' ? 'cwd-or-output' : 'cwd';
  }
  if (where === undefined) return undefined;
  const base = gccBase(input.path);
  const dir = where === 'cwd' || a.output === undefined ? '' : dirname(a.output);
  if (a.mode !== 'link') return a.output === undefined ? base + '.i' : join(dir, gccBase(a.output) + '.i');
  if (a.output !== undefined) return join(dir, basename(a.output) + '-' + base + '.i');
  const compiled = a.items.filter((it) => it.kind === 'input' && it.lang !== 'linker').length;
  return (compiled > 1 ? 'a-' : '') + base + '.i';
}

/** The directory --wb-keep writes next to when it names no directory: the output's. */
export function keepDirFor(a: Analysis, input: Extract<Item, { kind: 'input' }>): string {
  return dirname(outputOf(a, input));
}
