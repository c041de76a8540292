// cc-wb: a gcc-compatible driver that runs every C compile as
//   cc -E (user's flags, into a private dir) → instrument/ → cc (the user's command, on the result)
// and links the runtime into everything it links. Anything that is not a C compile goes to the real
// compiler unchanged, so configure probes, -E, -print-*, assembler and C++ inputs behave as with cc.
import { isUtf8 } from 'node:buffer';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InstrumentResult } from '../instrument/index.js';
import type { Item } from './options.js';
import { analyze, compileArgs, gccBase, keepDirFor, outputOf, preprocessArgs, saveTempsPath, tempFilesFor, withRuntime, type Analysis } from './plan.js';
import { assemblerMessages, colorArgs, diagnosticsArgs, needsFullCompile, remainingOutput, SILENT } from './diagnostics.js';
import { appendReport, EMPTY_STATS, formatDiagnostic, formatStats, type UnitReport } from './report.js';
import { expandResponseFiles, quoteResponseArg } from './responsefile.js';
import { blankDefineLines } from '../instrument/comments.js';
import { passViaServer } from './passclient.js';
import { nonUtf8Refusal, sameFileRefusal } from './refusals.js';
import { KilledBySignal, killChildren, makeTempDir, NESTED_ENV, removeTempDir, run, say, signalNumber, type RunResult } from './run.js';
import { CannotServe, cliInvocation, dieBySignal, type Invocation } from './invocation.js';

type Env = NodeJS.ProcessEnv;
type Input = Extract<Item, { kind: 'input' }>;

export interface WbOptions {
  strict: boolean;
  stats: boolean;
  noInstrument: boolean;
  keep?: string; // '' = next to the output
  report?: string;
  help: boolean;
  printValgrindSupp: boolean;
}

const HELP = `cc-wb: a drop-in C compiler (gcc/clang) that puts a write barrier on every pointer store.
Usage: cc-wb [compiler] [gcc options] files...     (e.g. cc-wb -O2 -c foo.c, cc-wb gcc ..., cc-wb clang ...)
cc-wb options (removed before the real compiler runs; each has an environment variable too):
  --wb-strict          fail a compile the pass cannot instrument (default: warn, compile it plainly)  CC_WB_STRICT=1
  --wb-stats           print per-unit counts of stores found / barriered / skipped to stderr       CC_WB_STATS=1
  --wb-report=FILE     append one JSON line per unit to FILE                                         CC_WB_REPORT=FILE
  --wb-keep[=DIR]      keep the preprocessed .i and instrumented .wb.i (next to the output or in DIR) CC_WB_KEEP=DIR
  --wb-no-instrument   compile plainly (the runtime is still linked)                                 CC_WB_NO_INSTRUMENT=1
  --wb-print-valgrind-supp   print the path of the runtime's valgrind suppressions and exit
Other environment: CC_WB_CC="ccache gcc" (the real compiler, default cc), CC_WB_RUNTIME_DIR (libwbrt*),
  CC_WB_PASS_MODULE (a module exporting instrumentPreprocessed, used instead of instrument/).
Resident pass: the first compile starts a server that keeps the pass loaded for the next ones (one per
  CPU, each exits after 120 s idle), and that runs whole compiles for cc-wb's native launcher, which
  then starts no Node process (toolchain/launcher/). CC_WB_SERVER=0 disables both; CC_WB_SERVER_DIR
  (sockets' folder, default $XDG_RUNTIME_DIR/cc-wb or $TMPDIR/ccwb-pass-servers-UID; used only if it
  is the user's own, mode 0700, not a symlink), CC_WB_SERVER_SLOTS (servers), CC_WB_SERVER_IDLE
  (seconds), CC_WB_SERVER_RSS_MB (a server exits after a unit leaves it above this size, default 512).
`;

class UsageError extends Error {}

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0';
}

/** Takes cc-wb's own --wb-* flags out of the argument list. */
export function extractWbOptions(args: readonly string[], env: Env): { wb: WbOptions; rest: string[] } {
  const wb: WbOptions = {
    strict: envFlag(env.CC_WB_STRICT),
    stats: envFlag(env.CC_WB_STATS),
    noInstrument: envFlag(env.CC_WB_NO_INSTRUMENT),
    keep: env.CC_WB_KEEP || undefined,
    report: env.CC_WB_REPORT || undefined,
    help: false,
    printValgrindSupp: false,
  };
  const rest: string[] = [];
  for (const arg of args) {
    if (!arg.startsWith('--wb-')) rest.push(arg);
    else if (arg === '--wb-strict') wb.strict = true;
    else if (arg === '--wb-stats') wb.stats = true;
    else if (arg === '--wb-no-instrument') wb.noInstrument = true;
    else if (arg === '--wb-keep') wb.keep = '';
    else if (arg.startsWith('--wb-keep=')) wb.keep = arg.slice('--wb-keep='.length);
    else if (arg.startsWith('--wb-report=')) wb.report = arg.slice('--wb-report='.length);
    else if (arg === '--wb-help') wb.help = true;
    else if (arg === '--wb-print-valgrind-supp') wb.printValgrindSupp = true;
    else throw new UsageError(`unrecognized cc-wb option '${arg}' (see cc-wb --wb-help)`);
  }
  return { wb, rest };
}

const WRAPPERS = new Set(['ccache', 'distcc', 'sccache', 'icecc', 'buildcache']);
const COMPILER_NAME = /^(?:[\w.+]+-)*(?:gcc|cc|clang|c89|c99|icc|icx|tcc|pcc)(?:-[\d.]+)?$/;

function isCompilerWord(word: string): boolean {
  const base = basename(word);
  return WRAPPERS.has(base) || COMPILER_NAME.test(base);
}

/**
 * The real compiler: `cc-wb gcc ...` / `cc-wb ccache gcc ...` (ccache-style prefix), else CC_WB_CC
 * (words, e.g. "ccache gcc"), else cc.
 */
export function splitCompiler(args: readonly string[], env: Env): { compiler: string[]; rest: string[] } {
  let n = 0;
  while (n < args.length && !args[n]!.startsWith('-') && isCompilerWord(args[n]!) && (n === 0 || WRAPPERS.has(basename(args[n - 1]!)))) n++;
  if (n > 0) return { compiler: args.slice(0, n), rest: args.slice(n) };
  const words = (env.CC_WB_CC ?? '').split(/\s+/).filter((w) => w !== '');
  return { compiler: words.length > 0 ? words : ['cc'], rest: [...args] };
}

/** Preprocessing stays local: caching and distributing wrappers only see the instrumented compile. */
function withoutWrappers(compiler: string[]): string[] {
  let i = 0;
  while (i < compiler.length && WRAPPERS.has(basename(compiler[i]!))) i++;
  return i < compiler.length ? compiler.slice(i) : ['cc'];
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the runtime's files are (CC_WB_RUNTIME_DIR, or the package's runtime-c/build). */
export function runtimeDir(env: Env, cwd = process.cwd()): string {
  return resolve(cwd, env.CC_WB_RUNTIME_DIR || join(packageRoot, 'runtime-c', 'build'));
}

/** The make targets (in runtime-c's build folder) that links need: runtimeLink's files. */
export const RUNTIME_TARGETS = ['libwbrt.a', 'libwbrt_dso.a', 'libwbrt.so'] as const;

/**
 * What a link gets (runtime-c/README.md, "Linking"): a program the static runtime, whose __wb_*
 * names it exports so that the instrumented shared libraries it loads use that runtime too;
 * a shared library its own active flag (libwbrt_dso.a) and a dependency on the process-wide
 * libwbrt.so, found through a runpath to where it is (dropped, with the dependency, when nothing
 * in the library is instrumented). `files` must exist.
 */
export function runtimeLink(shared: boolean, env: Env, cwd = process.cwd()): { files: string[]; args: string[] } {
  const dir = runtimeDir(env, cwd);
  if (!shared) {
    const archive = join(dir, 'libwbrt.a');
    return { files: [archive], args: [archive, '-Wl,--export-dynamic-symbol=__wb_*'] };
  }
  const stub = join(dir, 'libwbrt_dso.a');
  const lib = join(dir, 'libwbrt.so');
  return { files: [stub, lib], args: [stub, '-Wl,--push-state,--as-needed', lib, '-Wl,--pop-state', '-Xlinker', '-rpath', '-Xlinker', dir] };
}

/** memcheck's suppressions for the barrier's reads of overwritten, possibly uninitialised, values. */
export function valgrindSuppressions(): string {
  return join(packageRoot, 'runtime-c', 'valgrind.supp');
}

// Linux allows ~2 MiB of arguments and environment in all (ARG_MAX): an expanded @file can exceed
// that, so such a list goes to the compiler as an @file again (gcc and clang both read them).
const ARG_BYTES_LIMIT = 512 * 1024;

/** @param trace print the command (-v), for commands that are not the user's own */
async function runCompiler(inv: Invocation, compiler: string[], args: string[], trace: boolean, tmp?: string, captureStderr = false, stdin?: Buffer): Promise<RunResult> {
  let spawnArgs = args;
  if (args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > ARG_BYTES_LIMIT) {
    const dir = tmp ?? makeTempDir(inv);
    const file = join(dir, 'args.rsp');
    writeFileSync(file, args.map(quoteResponseArg).join('\n') + '\n');
    spawnArgs = ['@' + file];
    try {
      return await runCompiler(inv, compiler, spawnArgs, trace, dir, captureStderr, stdin);
    } finally {
      if (tmp === undefined) removeTempDir(inv, dir);
    }
  }
  if (trace) say(inv, `cc-wb: ${[...compiler, ...spawnArgs].map(shellQuote).join(' ')}\n`);
  const result = await run(inv, compiler, spawnArgs, { captureStderr, stdin });
  if (result.signal !== undefined) throw new KilledBySignal(result.signal);
  return result;
}

/** For -v traces only (never executed). */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** All of stdin, for a unit read from it ('-'): an unreadable stdin reads as empty, as for gcc. */
function readStdin(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

function looksInstrumented(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r'); // absolute: the caller resolves it against the command's cwd
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).includes('__wb_abi_version');
  } catch {
    return false; // the real compiler reports unreadable inputs
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const MARKER = /^# \d+ "(?:[^"\\]|\\.)*"[ \d]*$/;

/**
 * gcc takes the unit's name (DW_AT_name, `.file`) from the first line marker and the compilation
 * directory from a `# 0 "/cwd//"` line right after it. If the code to compile does not start with
 * them (a prelude in front, or `-E -P`), the name would be the temp file's: copy them to the front.
 */
export function anchorToSource(code: string, original: string, inputPath: string): string {
  if (code.startsWith('# ')) return code;
  const lines = original.split('\n', 2);
  let head = '';
  if (MARKER.test(lines[0] ?? '')) {
    head = lines[0] + '\n';
    if (lines[1] !== undefined && MARKER.test(lines[1]) && lines[1].includes('//"')) head += lines[1] + '\n';
  } else {
    const name = inputPath === '-' ? '<stdin>' : inputPath;
    head = `# 1 "${name.replace(/[\\"]/g, (c) => '\\' + c)}"\n`;
  }
  return head + code;
}

type Instrument = (text: string, options: { fileName?: string }) => InstrumentResult;
let instrumentFn: Instrument | undefined;

/**
 * The pass, imported on first use: tree-sitter's native addon is the slowest thing cc-wb loads.
 * CC_WB_PASS_MODULE names another module with the same `instrumentPreprocessed` export (tests use
 * it to make the pass fail; pass developers to try a variant without rebuilding).
 */
async function loadPass(env: Env, cwd: string): Promise<Instrument> {
  if (instrumentFn === undefined) {
    const alt = env.CC_WB_PASS_MODULE;
    const mod = (alt ? await import(pathToFileURL(resolve(cwd, alt)).href) : await import('../instrument/index.js')) as { instrumentPreprocessed?: Instrument };
    if (typeof mod.instrumentPreprocessed !== 'function') throw new UsageError(`${alt}: does not export instrumentPreprocessed`);
    instrumentFn = mod.instrumentPreprocessed;
  }
  return instrumentFn;
}

/**
 * The pass's result for a unit: from a resident server when one is up, else run here (always here
 * in a server, which holds the pass itself).
 */
async function passFor(inv: Invocation, text: string, input: Input): Promise<InstrumentResult> {
  const served = inv.served ? undefined : await passViaServer(text, input.path, inv.env);
  return served ?? runPass(await loadPass(inv.env, inv.cwd), text, input);
}

function runPass(instrument: Instrument, text: string, input: Input): InstrumentResult {
  try {
    return instrument(text, { fileName: input.path });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      code: text,
      sites: [],
      stats: EMPTY_STATS,
      diagnostics: [{ file: input.path, line: 0, col: 0, severity: 'error', message: `internal error in the pass: ${message}` }],
    };
  }
}

interface Unit {
  input: Input;
  result: InstrumentResult;
  /** The file step 2 compiles, and the uninstrumented one to fall back to. */
  compiled: string;
  original: string;
  /**
   * Set when the unit's diagnostics compile has not run (mayProveSilent): step 2 then compiles
   * with the user's warnings on, and only if it says anything does this run to say it exactly.
   */
  diagnose?: () => Promise<RunResult>;
}

/** The line that best says why a build failed: the first error, or the linker's first complaint. */
function firstError(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  return lines.find((l) => /\b(error|fatal error): /.test(l) && !/^collect2: /.test(l)) ?? lines.find((l) => /undefined reference to|error: /.test(l));
}

/**
 * A unit whose pass result has nothing to barrier and no call to reroute: the instrumented text
 * is the user's code plus the prelude's declarations and the host's metadata.
 */
function changesNothing(result: InstrumentResult): boolean {
  return result.ok && result.sites.length === 0 && result.stats.barriered === 0 && result.stats.calls === 0 && result.diagnostics.length === 0;
}

/**
 * Whether the command may turn out to need one compile: it links a program (not a shared library
 * or a relocatable object, whose units' metadata a host may read) from one C source file, as
 * configure's link and run tests do. If the pass then changes nothing in it, the user's command
 * with the runtime appended builds exactly what cc-wb would, and its messages are the user's.
 */
function mayCompileOnce(a: Analysis): boolean {
  return a.linking && !a.shared && !a.relocatable && a.cInputs.length === 1 && a.cInputs[0]!.lang === 'c' && a.cInputs[0]!.path !== '-';
}

/** Sources at most this big may wait for the pass before their diagnostics compile starts. */
const SMALL_SOURCE = 16 * 1024;

/**
 * Whether a compile (-c) may do without its diagnostics compile: one C source file, small (as
 * configure's compile tests are; a bigger unit starts its diagnostics compile alongside step 1 and
 * the pass, which keeps a parallel build's wall time), no -save-temps. If the pass then changes
 * nothing in it, step 2 compiles the user's own preprocessed code (plus the prelude and the
 * metadata, both marked as a system header) with the user's warnings on. Compiling the
 * preprocessed text never hides a warning the source would get: what it loses is macro context,
 * which only ever suppresses warnings (and preprocessor messages are step 1's, checked empty). So a
 * step 2 that says nothing proves the diagnostics compile would have said nothing; one that says
 * anything sends the unit to the diagnostics compile for the exact text.
 */
function mayProveSilent(inv: Invocation, a: Analysis): boolean {
  if (a.mode !== 'compile' || a.linking || a.cInputs.length !== 1) return false;
  const input = a.cInputs[0]!;
  if (input.lang !== 'c' || input.path === '-') return false;
  if (a.items.some((it) => it.kind === 'option' && /^-{1,2}save-temps/.test(it.name))) return false;
  try {
    return statSync(resolve(inv.cwd, input.path)).size <= SMALL_SOURCE;
  } catch {
    return false;
  }
}

async function compileInstrumented(inv: Invocation, compiler: string[], a: Analysis, args: readonly string[], wb: WbOptions, runtime: string[], verbose: boolean): Promise<number> {
  const env = inv.env;
  const at = (path: string) => resolve(inv.cwd, path);
  const tmp = makeTempDir(inv);
  const once = mayCompileOnce(a);
  const proveSilent = !once && mayProveSilent(inv, a);
  try {
    const replacement = new Map<Item, string | null>();
    const units: Unit[] = [];
    let failure = 0;
    const preprocessor = withoutWrappers(compiler);

    const color = colorArgs(a, inv.tty.stderr);
    // stdin can be read once: a unit read from it goes to both of its compiler runs from memory.
    const stdin = a.cInputs.some((it) => it.path === '-') ? readStdin() : undefined;

    for (const [index, input] of a.cInputs.entries()) {
      const files = tempFilesFor(tmp, index, input);
      mkdirSync(dirname(files.pp), { recursive: true });
      mkdirSync(dirname(files.wb), { recursive: true });
      mkdirSync(dirname(files.diag), { recursive: true });
      const fromStdin = input.path === '-' ? stdin : undefined;
      // The user's diagnostics: the real compiler on the original, while step 1 and the pass run
      // (a command that may compile only once starts it when the pass has found work to do).
      const diagnose = (full: boolean) => settled(runCompiler(inv, preprocessor, diagnosticsArgs(a, input, full, files.diag, color), verbose, tmp, true, fromStdin));
      let full = needsFullCompile(preprocessor, a);
      let diagnostics = once || proveSilent ? undefined : diagnose(full);
      let unitDiagnose: (() => Promise<RunResult>) | undefined;
      let original = input.path;
      let pp: RunResult | undefined;
      if (input.lang === 'c') {
        // Its messages are the diagnostics compile's too: only its exit status and files count.
        pp = await runCompiler(inv, preprocessor, preprocessArgs(a, input, files.pp), verbose, tmp, true, fromStdin);
        original = files.pp;
      }
      const bytes = pp === undefined || pp.code === 0 ? readFileSync(at(original)) : Buffer.alloc(0);
      // Text that is not UTF-8 (Latin-1 string literals...) goes through byte for byte.
      const encoding: BufferEncoding = isUtf8(bytes) ? 'utf8' : 'latin1';
      let text = bytes.toString(encoding);
      if (!full && needsFullCompile(preprocessor, a, text)) {
        full = true;
        if (diagnostics !== undefined) diagnostics = settled(diagnostics.then(() => diagnose(true)));
      }
      let passed: InstrumentResult | undefined;
      if (once && (pp === undefined || pp.code === 0) && text.startsWith('# ')) {
        passed = await passFor(inv, text, input);
        if (changesNothing(passed)) {
          // The program is the user's own compile: one run of their command is the whole job. Its
          // stderr is the user's, so its compiler must see the real one when that is a terminal.
          if (inv.served && (inv.tty.stderr || inv.tty.stdout)) throw new CannotServe('a compile that needs the terminal');
          const code = (await runCompiler(inv, compiler, withRuntime(a, args, runtime), verbose && runtime.length > 0)).code;
          if (wb.stats) say(inv, formatStats(input.path, passed));
          // what was compiled is the source itself: the pass's text is not kept as if it had been
          if (wb.keep !== undefined) keepFiles(inv, a, input, wb.keep, text, { ...passed, ok: false }, encoding);
          if (wb.report !== undefined) appendReport(at(wb.report), unitReport(inv, a, input, passed));
          return code;
        }
      }
      if (proveSilent && pp !== undefined && pp.code === 0 && (pp.stderr?.length ?? 0) === 0 && text.startsWith('# ')) {
        passed = await passFor(inv, text, input);
        if (changesNothing(passed)) {
          const asked = full;
          unitDiagnose = () => diagnose(asked);
        } else diagnostics = diagnose(full);
      }
      const said: RunResult = unitDiagnose !== undefined ? { code: 0 } : await (diagnostics ?? diagnose(full));
      say(inv, said.stderr ?? '');
      if (said.code !== 0 || (pp !== undefined && pp.code !== 0)) {
        // The compiler refused the user's code (its own messages, above), or step 1 failed where the
        // diagnostics compile did not (e.g. an unwritable dependency file): gcc's status either way.
        if (said.code === 0) say(inv, pp?.stderr ?? '');
        failure ||= said.code || pp!.code;
        replacement.set(input, null);
        continue;
      }
      if (!text.startsWith('# ')) {
        // -P: no line markers, so name the source for debug info (or it is the temp file's name)
        original = files.pp;
        writeFileSync(original, anchorToSource(text, text, input.path), encoding);
      }
      // A resident server (passserver.ts) when one is up; else the pass runs here.
      const result = passed ?? (await passFor(inv, text, input));
      // An instrumented unit's remarks are warnings; a unit that is not instrumented fails only if --wb-strict.
      const severity = !result.ok && wb.strict ? 'error' : 'warning';
      for (const d of result.diagnostics) say(inv, formatDiagnostic(d, severity));
      if (!result.ok && result.diagnostics.length === 0) {
        say(inv, `${input.path}: ${severity}: cc-wb: the pass could not instrument this unit\n`);
      }
      if (!result.ok && !wb.strict) say(inv, `${input.path}: note: cc-wb: compiled without write barriers\n`);
      if (wb.stats) say(inv, formatStats(input.path, result));
      if (wb.keep !== undefined) keepFiles(inv, a, input, wb.keep, text, result, encoding);

      if (input.lang === 'c') {
        // What a fallback compiles: the unit without its -dD lines, and with the host's metadata
        // when the pass could not give it.
        // The metadata module loads tree-sitter: only a unit the pass could not handle needs it here
        // (--version, -E, links and units served by the resident pass must not pay for it).
        original = files.pp;
        const appendix = result.ok ? '' : metadataOrNothing((await import('../instrument/metadata.js')).metadataForPreprocessed, text, input.path);
        writeFileSync(original, anchorToSource(blankDefineLines(text) + appendix, text, input.path), encoding);
      }
      let compiled = original;
      if (result.ok) {
        compiled = files.wb;
        writeFileSync(compiled, anchorToSource(result.code, text, input.path), encoding);
      }
      const saved = saveTempsPath(a, input);
      if (saved !== undefined && !(wb.strict && !result.ok) && at(saved) !== at(compiled)) copyFileSync(at(compiled), at(saved));
      if (!result.ok && wb.strict) {
        failure ||= 1;
        replacement.set(input, null);
        units.push({ input, result, compiled, original });
        continue;
      }
      replacement.set(input, compiled);
      units.push({ input, result, compiled, original, diagnose: result.ok ? unitDiagnose : undefined });
    }

    let code = failure;
    if (!(failure !== 0 && a.linking)) {
      // Linking: one call, as the user wrote it. -c/-S: one call per C unit (a unit that must fall
      // back is then recompiled alone), and one for whatever else the command compiles.
      const groups: Set<Item>[] = [];
      if (a.linking) groups.push(new Set(a.items.filter((it) => it.kind === 'input')));
      else {
        for (const u of units) if (replacement.get(u.input) !== null) groups.push(new Set([u.input]));
        const rest = a.items.filter((it) => it.kind === 'input' && !replacement.has(it));
        if (rest.length > 0) groups.push(new Set(rest));
      }
      for (const group of groups) {
        const step2 = await compileGroup(inv, compiler, a, wb, replacement, runtime, group, units, verbose, tmp);
        code ||= step2;
      }
    }
    if (wb.report !== undefined) {
      for (const { input, result } of units) appendReport(at(wb.report), unitReport(inv, a, input, result));
    }
    return code;
  } finally {
    removeTempDir(inv, tmp);
  }
}

/**
 * A promise that runs alongside the command's other steps: if one of those fails first (a compiler
 * killed by a signal), this one's rejection is no longer awaited and must not end the process.
 */
function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** The unit's host metadata, or nothing when even that cannot be had from the text. */
function metadataOrNothing(make: (text: string, fileName: string) => string, text: string, fileName: string): string {
  try {
    return make(text, fileName);
  } catch {
    return '';
  }
}

/**
 * Step 2 for one group of inputs. Its stderr is held back: if a compile with instrumented code fails
 * (the diagnostics compile accepted the user's code, so the pass produced code that does not
 * compile), the group is compiled again from the uninstrumented text; if that works the units
 * count as not instrumented (a warning, as when the pass gives up), and if it fails too (the
 * assembler or the linker), the user sees that compile's messages. --wb-strict skips this.
 */
async function compileGroup(inv: Invocation, compiler: string[], a: Analysis, wb: WbOptions, replacement: Map<Item, string | null>, runtime: string[], group: Set<Item>, units: Unit[], verbose: boolean, tmp: string): Promise<number> {
  // A group with a unit of ours compiles silently (its diagnostics were the diagnostics compile's),
  // unless another source in it still needs its warnings from this run.
  const ours = units.some((u) => group.has(u.input));
  const others = [...group].some((it) => it.kind === 'input' && it.lang !== 'linker' && !units.some((u) => u.input === it));
  const quiet = ours && !others ? [SILENT] : [];
  const color = colorArgs(a, inv.tty.stderr);
  const step2 = async (files: Map<Item, string | null>) => {
    const r = await runCompiler(inv, compiler, [...quiet, ...color, ...compileArgs(a, files, runtime, group)], verbose, tmp, true);
    return { code: r.code, stderr: quiet.length > 0 ? remainingOutput(String(r.stderr ?? '')) : String(r.stderr ?? '') };
  };
  const instrumented = units.filter((u) => group.has(u.input) && u.result.ok && replacement.get(u.input) === u.compiled);
  const unproven = instrumented.length === 1 && !others ? instrumented[0]!.diagnose : undefined;
  if (unproven !== undefined) {
    // The unit's diagnostics compile has not run (mayProveSilent): a step 2 with the user's
    // warnings on that says nothing stands for it.
    const r = await runCompiler(inv, compiler, [...color, ...compileArgs(a, replacement, runtime, group)], verbose, tmp, true);
    const stderr = String(r.stderr ?? '');
    if (r.code === 0 && stderr.length === 0) return 0;
    const said = await unproven();
    say(inv, said.stderr ?? '');
    if (said.code !== 0) {
      // The user's code does not compile: an object step 2 wrote is one the compiler would not have.
      if (r.code === 0) for (const u of instrumented) rmSync(resolve(inv.cwd, outputOf(a, u.input)), { force: true });
      return said.code;
    }
    if (r.code === 0) {
      say(inv, assemblerMessages(stderr));
      return 0;
    }
  }
  const first = await step2(replacement);
  if (first.code === 0 || instrumented.length === 0 || wb.strict) {
    say(inv, first.stderr);
    return first.code;
  }
  const fallback = new Map(replacement);
  for (const u of instrumented) fallback.set(u.input, u.original);
  const second = await step2(fallback);
  if (second.code !== 0) {
    say(inv, second.stderr);
    return second.code;
  }
  const why = firstError(first.stderr);
  for (const u of instrumented) {
    say(inv, `${u.input.path}: warning: cc-wb: the instrumented code failed to build; compiled without write barriers\n`);
    if (why !== undefined) say(inv, `${u.input.path}: note: cc-wb: the compiler said: ${why}\n`);
    u.result = {
      ...u.result,
      ok: false,
      diagnostics: [...u.result.diagnostics, { file: u.input.path, line: 0, col: 0, severity: 'error', message: `instrumented code failed to build: ${why ?? `exit status ${first.code}`}` }],
    };
  }
  say(inv, second.stderr);
  return 0;
}

/** A unit's report line, its paths absolute. */
function unitReport(inv: Invocation, a: Analysis, input: Input, result: InstrumentResult): UnitReport {
  return {
    source: input.path === '-' ? '-' : resolve(inv.cwd, input.path),
    output: resolve(inv.cwd, outputOf(a, input)),
    instrumented: result.ok,
    stats: result.stats,
    sites: result.sites,
    diagnostics: result.diagnostics,
  };
}

function keepFiles(inv: Invocation, a: Analysis, input: Input, keep: string, text: string, result: InstrumentResult, encoding: BufferEncoding): void {
  const dir = resolve(inv.cwd, keep === '' ? keepDirFor(a, input) : keep);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, gccBase(input.path));
  if (base + '.i' !== resolve(inv.cwd, input.path)) writeFileSync(base + '.i', text, encoding);
  if (result.ok) writeFileSync(base + '.wb.i', result.code, encoding);
}

/** How a command ended: its exit status, and the signal that ended it if a compiler was killed by one. */
export interface Outcome {
  code: number;
  signal?: NodeJS.Signals;
}

/** Runs one cc-wb command line in this process; resolves to the exit status (or ends by a signal). */
export async function main(argv: readonly string[], env: Env = process.env): Promise<number> {
  const inv = cliInvocation(env);
  const outcome = await drive(argv, inv);
  if (outcome.signal !== undefined) dieBySignal(inv, outcome.signal);
  return outcome.code;
}

/**
 * What a served command cannot have exactly as the command-line driver would give it: its own
 * stdin, or compilers that write to the client's terminal or print what they run. Throws CannotServe.
 */
function refuseUnservable(inv: Invocation, wb: WbOptions, a: Analysis, verbose: boolean): void {
  const why = (() => {
    if (wb.help || wb.printValgrindSupp) return 'prints to stdout';
    if (inv.env.CC_WB_PASS_MODULE || inv.env.CC_WB_SERVER === '0') return 'a pass of its own, or no server wanted';
    if (verbose || a.passThrough === 'info') return 'a request for information';
    if (a.items.some((it) => it.kind === 'input' && it.path === '-')) return 'reads stdin';
    if (a.items.some((it) => it.kind === 'option' && it.name.startsWith('-flto'))) return "-flto's jobserver";
    const plain = a.passThrough !== undefined || wb.noInstrument;
    if (plain && (inv.tty.stdout || inv.tty.stderr)) return 'the compiler writes to a terminal';
    if (a.passThrough === 'preprocess-only' && a.output === undefined && a.items.some((it) => it.kind === 'option' && it.name === '-E')) return '-E to stdout';
    return undefined;
  })();
  if (why !== undefined) throw new CannotServe(why);
}

/**
 * Runs one cc-wb command line for an invocation (this process's, or one a server answers for a
 * launcher). Throws CannotServe only for a served invocation, and then before it printed anything.
 */
export async function drive(argv: readonly string[], inv: Invocation): Promise<Outcome> {
  const env = inv.env;
  try {
    if (inv.served && argv.some((arg) => arg.startsWith('@'))) throw new CannotServe('response files');
    if (env[NESTED_ENV] !== undefined) {
      throw new UsageError('the real compiler started cc-wb again; set CC_WB_CC to the real compiler (e.g. CC_WB_CC=gcc)');
    }
    // A server took the words as bytes and serves only valid UTF-8.
    const notUtf8 = inv.served ? undefined : nonUtf8Refusal(argv);
    if (notUtf8 !== undefined) {
      say(inv, notUtf8);
      return { code: 1 };
    }
    const expanded = expandResponseFiles(argv);
    const { compiler, rest } = splitCompiler(expanded, env);
    const { wb, rest: args } = extractWbOptions(rest, env);
    const a = analyze(args, (path) => looksInstrumented(resolve(inv.cwd, path)));
    const verbose = a.items.some((it) => it.kind === 'option' && it.name === '-v');
    if (inv.served) refuseUnservable(inv, wb, a, verbose);
    if (wb.help) {
      say(inv, HELP, 1);
      return { code: 0 };
    }
    if (wb.printValgrindSupp) {
      say(inv, `${valgrindSuppressions()}\n`, 1);
      return { code: 0 };
    }
    const refusal = a.passThrough === 'info' ? undefined : sameFileRefusal(a, env, inv.cwd);
    if (refusal !== undefined) {
      say(inv, refusal);
      return { code: 1 };
    }
    const gccWillFail = a.passThrough === 'info' || a.passThrough === 'preprocess-only' || a.passThrough === 'no-input' || a.passThrough === 'gcc-error';
    const runtime: string[] = [];
    if (a.linking && !a.relocatable && !gccWillFail) {
      const link = runtimeLink(a.shared, env, inv.cwd);
      const missing = link.files.find((f) => !existsSync(f));
      if (missing !== undefined) {
        throw new UsageError(`runtime library ${missing} not found (build it with 'make -C runtime-c', or set CC_WB_RUNTIME_DIR)`);
      }
      runtime.push(...link.args);
    }
    if (a.passThrough !== undefined || wb.noInstrument) {
      // -v output is parsed by configure and libtool: trace only a command the user did not write
      return { code: (await runCompiler(inv, compiler, withRuntime(a, args, runtime), verbose && runtime.length > 0)).code };
    }
    return { code: await compileInstrumented(inv, compiler, a, args, wb, runtime, verbose) };
  } catch (err) {
    if (err instanceof KilledBySignal) {
      killChildren(inv, err.signal); // a compiler that ran alongside the one killed
      return { code: 128 + signalNumber(err.signal), signal: err.signal };
    }
    if (err instanceof CannotServe) throw err;
    if (err instanceof UsageError) {
      say(inv, `cc-wb: error: ${err.message}\n`);
      return { code: 1 };
    }
    // One line saying what went wrong; the stack only on request.
    const message = err instanceof Error ? err.message : String(err);
    say(inv, `cc-wb: internal error: ${message.split('\n')[0]}\n`);
    if (envFlag(env.CC_WB_DEBUG) && err instanceof Error) say(inv, `${err.stack}\n`);
    else say(inv, 'cc-wb: note: CC_WB_DEBUG=1 shows where; CC_WB_CC=gcc builds without cc-wb meanwhile\n');
    return { code: 1 };
  }
}
