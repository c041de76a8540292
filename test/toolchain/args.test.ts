// Argument handling of the cc-wb driver, table-driven: how gcc's command line is read, which step
// each flag goes to, what the two compiler runs receive. No processes are started here.
import { describe, expect, it } from 'vitest';
import { anchorToSource, extractWbOptions, splitCompiler } from '../../toolchain/driver.js';
import { type Item, languageOf, parseArgs } from '../../toolchain/options.js';
import { analyze, compileArgs, gccBase, outputOf, preprocessArgs, withRuntime } from '../../toolchain/plan.js';
import { expandResponseFiles, quoteResponseArg, splitResponseText } from '../../toolchain/responsefile.js';

type Summary = [string, string | undefined, string];

/** Items as [name-or-input, value, role-or-lang] triples, easy to read in a table. */
function summarize(args: string[]): Summary[] {
  return parseArgs(args).map((it) => (it.kind === 'input' ? ['<in>', it.path, it.lang] : [it.name, it.value, it.role]));
}

describe('parseArgs', () => {
  const table: [string, string[], Summary[]][] = [
    ['-o joined and separate; last -x applies', ['-ofoo.o', '-xc', 'bar', '-x', 'none', 'baz.c'], [
      ['-o', 'foo.o', 'output'], ['-x', 'c', 'lang'], ['<in>', 'bar', 'c'], ['-x', 'none', 'lang'], ['<in>', 'baz.c', 'c'],
    ]],
    ['preprocessor flags, joined and separate', ['-include', 'cfg.h', '-Iinc', '-I', 'inc2', '-DX=1', '-D', 'Y', '-UZ', '-isystem', 'sys', '-iquote', 'q', '-idirafter', 'a', '-imacros', 'm.h', '-nostdinc', '-I-'], [
      ['-include', 'cfg.h', 'pp'], ['-I', 'inc', 'pp'], ['-I', 'inc2', 'pp'], ['-D', 'X=1', 'pp'], ['-D', 'Y', 'pp'], ['-U', 'Z', 'pp'],
      ['-isystem', 'sys', 'pp'], ['-iquote', 'q', 'pp'], ['-idirafter', 'a', 'pp'], ['-imacros', 'm.h', 'pp'], ['-nostdinc', undefined, 'pp'], ['-I-', undefined, 'pp'],
    ]],
    ['dependency flags', ['-MD', '-MF', 'x.d', '-MT', 't', '-MQ', 'q', '-MP', '-MMD', '-MFy.d'], [
      ['-MD', undefined, 'deps'], ['-MF', 'x.d', 'deps'], ['-MT', 't', 'deps'], ['-MQ', 'q', 'deps'], ['-MP', undefined, 'deps'],
      ['-MMD', undefined, 'deps'], ['-MF', 'y.d', 'deps'],
    ]],
    ['a separate argument is taken even when it looks like an option', ['-MT', '-weird', '-Xlinker', '-rpath', '-Xlinker', '/opt'], [
      ['-MT', '-weird', 'deps'], ['-Xlinker', '-rpath', 'link'], ['-Xlinker', '/opt', 'link'],
    ]],
    ['-W, passthroughs by tool', ['-Wp,-MD,f.d', '-Wl,-soname,libx.so', '-Wa,--noexecstack', '-Xpreprocessor', '-DQ', '-Xassembler', '-g'], [
      ['-Wp,', '-MD,f.d', 'pp'], ['-Wl,', '-soname,libx.so', 'link'], ['-Wa,', '--noexecstack', 'compile'],
      ['-Xpreprocessor', '-DQ', 'pp'], ['-Xassembler', '-g', 'compile'],
    ]],
    ['exact flags beat joined prefixes', ['-undef', '-u', 'sym', '-usym2', '-export-dynamic', '-emit-llvm'], [
      ['-undef', undefined, 'pp'], ['-u', 'sym', 'link'], ['-u', 'sym2', 'link'], ['-export-dynamic', undefined, 'link'], ['-emit-llvm', undefined, 'compile'],
    ]],
    ['flags for both steps', ['-std=c99', '-O2', '-g3', '-fPIC', '-Wall', '-Werror=format', '-march=native', '-pthread', '-pipe', '-fopenmp', '-m32'], [
      ['-std=c99', undefined, 'both'], ['-O2', undefined, 'both'], ['-g3', undefined, 'both'], ['-fPIC', undefined, 'both'], ['-Wall', undefined, 'both'],
      ['-Werror=format', undefined, 'both'], ['-march=native', undefined, 'both'], ['-pthread', undefined, 'both'], ['-pipe', undefined, 'both'],
      ['-fopenmp', undefined, 'both'], ['-m32', undefined, 'both'],
    ]],
    ['separate-argument options of both steps', ['--param', 'max-inline-insns-single=10', '--param=x=1', '--sysroot', '/s', '--sysroot=/t', '-dumpbase', 'x', '-B', '/b', '-Bprefix/'], [
      ['--param', 'max-inline-insns-single=10', 'both'], ['--param=', 'x=1', 'both'], ['--sysroot', '/s', 'both'], ['--sysroot=', '/t', 'both'],
      ['-dumpbase', 'x', 'both'], ['-B', '/b', 'both'], ['-B', 'prefix/', 'both'],
    ]],
    ['linker options', ['-lm', '-l', 'pthread', '-L/x', '-L', 'y', '-shared', '-static', '-rdynamic', '-T', 'link.ld', '-Ttext', '0x100', '-z', 'now', '-nostdlib', '-fuse-ld=gold', '-r', '-s'], [
      ['-l', 'm', 'link'], ['-l', 'pthread', 'link'], ['-L', '/x', 'link'], ['-L', 'y', 'link'], ['-shared', undefined, 'link'], ['-static', undefined, 'link'],
      ['-rdynamic', undefined, 'link'], ['-T', 'link.ld', 'link'], ['-Ttext', '0x100', 'link'], ['-z', 'now', 'link'], ['-nostdlib', undefined, 'link'],
      ['-fuse-ld=', 'gold', 'link'], ['-r', undefined, 'link'], ['-s', undefined, 'link'],
    ]],
    ['preprocessor-only -f flags (gcc converts the charset twice if -finput-charset reaches the .i)', ['-finput-charset=latin1', '-fmacro-prefix-map=a=b', '-fno-working-directory', '-fdirectives-only'], [
      ['-finput-charset=', 'latin1', 'pp'], ['-fmacro-prefix-map=', 'a=b', 'pp'], ['-fno-working-directory', undefined, 'pp'], ['-fdirectives-only', undefined, 'pp'],
    ]],
    ['questions answered by the real compiler', ['--version', '-dumpversion', '-dumpmachine', '-print-file-name=libc.a', '--print-multiarch', '-###', '--help=warnings'], [
      ['--version', undefined, 'info'], ['-dumpversion', undefined, 'info'], ['-dumpmachine', undefined, 'info'], ['-print-', 'file-name=libc.a', 'info'],
      ['--print-', 'multiarch', 'info'], ['-###', undefined, 'info'], ['--help=', 'warnings', 'info'],
    ]],
    ['long GNU aliases', ['--output', 'x', '--compile', '--language=c', 'a', '--define-macro=V', '--include-directory', 'd'], [
      ['-o', 'x', 'output'], ['-c', undefined, 'mode'], ['-x', 'c', 'lang'], ['<in>', 'a', 'c'], ['-D', 'V', 'pp'], ['-I', 'd', 'pp'],
    ]],
    ['clang spellings', ['-Xclang', '-fcolor-diagnostics', '-target', 'x86_64-linux-gnu', '-mllvm', '-x=y', '--target=aarch64'], [
      ['-Xclang', '-fcolor-diagnostics', 'both'], ['-target', 'x86_64-linux-gnu', 'both'], ['-mllvm', '-x=y', 'both'], ['--target=aarch64', undefined, 'both'],
    ]],
    ['stdin and unexpanded @files are inputs', ['-x', 'c', '-', '@missing.rsp'], [
      ['-x', 'c', 'lang'], ['<in>', '-', 'c'], ['<in>', '@missing.rsp', 'c'],
    ]],
    ['a missing separate argument is left to the compiler', ['-c', 'a.c', '-o'], [
      ['-c', undefined, 'mode'], ['<in>', 'a.c', 'c'], ['-o', undefined, 'output'],
    ]],
  ];
  it.each(table)('%s', (_name, args, expected) => {
    expect(summarize(args)).toEqual(expected);
  });
});

describe('languageOf (gcc default_compilers)', () => {
  const table: [string, string][] = [
    ['a.c', 'c'], ['dir.x/a.c', 'c'], ['a.i', 'cpp-output'], ['a.h', 'c-header'], ['a.s', 'assembler'], ['a.S', 'assembler-with-cpp'],
    ['a.sx', 'assembler-with-cpp'], ['a.C', 'c++'], ['a.cc', 'c++'], ['a.cpp', 'c++'], ['a.cxx', 'c++'], ['a.ii', 'c++-cpp-output'],
    ['a.m', 'objective-c'], ['a.o', 'linker'], ['liba.a', 'linker'], ['liba.so.1', 'linker'], ['a', 'linker'], ['dir.d/a', 'linker'], ['a.F90', 'f95-cpp-input'],
  ];
  it.each(table)('%s is %s', (path, lang) => expect(languageOf(path, 'none')).toBe(lang));
  it('-x overrides the suffix', () => expect(languageOf('a.o', 'c')).toBe('c'));
});

describe('analyze: what the command asks for', () => {
  const table: [string[], Partial<ReturnType<typeof analyze>> & { cInputs?: never }, number][] = [
    [['-E', 'a.c'], { passThrough: 'preprocess-only', linking: false }, 1],
    [['-M', 'a.c'], { passThrough: 'preprocess-only' }, 1],
    [['-MM', '-MF', 'x', 'a.c'], { passThrough: 'preprocess-only' }, 1],
    [['-fsyntax-only', 'a.c'], { passThrough: 'preprocess-only' }, 1],
    [['--version'], { passThrough: 'info' }, 0],
    [['-v'], { passThrough: 'no-input', linking: false }, 0],
    [['-print-search-dirs'], { passThrough: 'info' }, 0],
    [['-dumpversion', 'a.c'], { passThrough: 'info' }, 1],
    [['-c', 'a.s', 'b.S', 'c.cpp'], { passThrough: 'no-c-input', linking: false, mixed: true }, 0],
    [['a.o', 'b.o', '-o', 'p'], { passThrough: 'no-c-input', linking: true, mode: 'link', output: 'p' }, 0],
    [['-c', 'a.c', 'b.c', '-o', 'x.o'], { passThrough: 'gcc-error' }, 2],
    [['-c', 'a.c', '-o', 'x.o', 'e.o', '-lm'], { passThrough: undefined, mode: 'compile', linking: false }, 1],
    [['-', '-c'], { passThrough: 'gcc-error' }, 0],
    [['-x', 'c', '-', '-c'], { passThrough: undefined }, 1],
    [['-S', '-c', 'a.c'], { mode: 'assemble' }, 1],
    [['-shared', '-fPIC', 'a.c', '-o', 'l.so'], { linking: true, shared: true, relocatable: false }, 1],
    [['-Wl,-shared', 'a.o'], { shared: true }, 0],
    [['-r', 'a.o', 'b.o', '-o', 'ab.o'], { linking: true, relocatable: true }, 0],
    [['-Wl,-r', 'a.o'], { relocatable: true }, 0],
    [['-Xlinker', '--relocatable', 'a.o'], { relocatable: true }, 0],
    [['-nostdlib', 'a.c'], { linking: true, relocatable: false }, 1],
    [['-c', 'a.c', 'b.S'], { mixed: true }, 1],
    [['-c', 'a.c', 'b.s', 'c.i'], { mixed: false }, 2],
  ];
  it.each(table)('%j', (args, expected, cCount) => {
    const a = analyze(args);
    for (const [k, v] of Object.entries(expected)) expect(a[k as keyof typeof a], k).toEqual(v);
    expect(a.cInputs.length).toBe(cCount);
  });
  it('leaves .i files that cc-wb already instrumented to the compiler', () => {
    expect(analyze(['-c', 'a.i'], () => true).passThrough).toBe('no-c-input');
    expect(analyze(['-c', 'a.i'], () => false).cInputs.length).toBe(1);
  });
});

function firstC(a: ReturnType<typeof analyze>, n = 0) {
  return a.cInputs[n]!;
}

describe('step 1: preprocessArgs', () => {
  const T = '/tmp/cc-wb-x/0/a.i';
  const table: [string, string[], string[]][] = [
    ['keeps preprocessor and shared flags in order, drops link, compile, mode and output flags',
      ['-c', '-O2', '-Iinc', '-DX', '-UX', 'sub/a.c', '-o', 'out/a.o', '-lm', '-Wl,-z,now', '-Wa,-x', '-save-temps', '-shared', '-g'],
      ['-O2', '-Iinc', '-DX', '-UX', '-g', '-E', '-dD', '-x', 'c', 'sub/a.c', '-o', T]],
    ['-MD with -o: the .d and target follow -o (gcc: %{o*:%.d%*}, -MQ %*)',
      ['-MD', '-c', 'sub/a.c', '-o', 'out/x.y.o'],
      ['-MD', '-MF', 'out/x.y.d', '-MQ', 'out/x.y.o', '-E', '-dD', '-x', 'c', 'sub/a.c', '-o', T]],
    ['-MMD without -o: base name in the current directory, target base.o',
      ['-MMD', '-c', 'sub/a.c'],
      ['-MMD', '-MF', 'a.d', '-MQ', 'a.o', '-E', '-dD', '-x', 'c', 'sub/a.c', '-o', T]],
    ['user -MF/-MT are kept and nothing is added',
      ['-MD', '-MF', 'dep.d', '-MT', 'tgt', '-MP', '-c', 'a.c'],
      ['-MD', '-MF', 'dep.d', '-MT', 'tgt', '-MP', '-E', '-dD', '-x', 'c', 'a.c', '-o', T]],
    ['-MD while linking: named after the program, like gcc',
      ['-MD', 'a.c', 'b.c', '-o', 'prog'],
      ['-MD', '-MF', 'prog.d', '-MQ', 'prog', '-E', '-dD', '-x', 'c', 'a.c', '-o', T]],
    ['stdin: gcc names it -.d with target -',
      ['-x', 'c', '-', '-MD', '-c'],
      ['-MD', '-MF', './-.d', '-MQ', '-', '-E', '-dD', '-x', 'c', '-', '-o', T]],
    ['-o into a hidden directory', ['-MD', '-c', 'x.c', '-o', '.libs/x.o'],
      ['-MD', '-MF', '.libs/x.d', '-MQ', '.libs/x.o', '-E', '-dD', '-x', 'c', 'x.c', '-o', T]],
    ['-Wp,-MD is the preprocessor\'s own and passes as it is', ['-Wp,-MD,.x.d', '-c', 'x.c', '-o', 'y.o'],
      ['-Wp,-MD,.x.d', '-E', '-dD', '-x', 'c', 'x.c', '-o', T]],
    ['-x c applies to a file without suffix', ['-c', '-x', 'c', 'noext'], ['-E', '-dD', '-x', 'c', 'noext', '-o', T]],
  ];
  it.each(table)('%s', (_name, args, expected) => {
    const a = analyze(args);
    expect(preprocessArgs(a, firstC(a), T)).toEqual(expected);
  });
});

describe('step 2: compileArgs', () => {
  const RT = '/rt/libwbrt.a';
  function step2(args: string[], files: (string | null)[], runtime: string[] = []): string[] {
    const a = analyze(args);
    const map = new Map<Item, string | null>();
    a.cInputs.forEach((it, i) => map.set(it, files[i]!));
    return compileArgs(a, map, runtime);
  }
  it('drops preprocessor-only and dependency flags, replaces the input', () => {
    expect(step2(['-c', '-O2', '-Iinc', '-DX', '-MD', '-MF', 'a.d', '-Wp,-MD,x', 'a.c', '-o', 'a.o', '-finput-charset=latin1'], ['/t/0/a.i']))
      .toEqual(['-c', '-O2', '/t/0/a.i', '-o', 'a.o']);
  });
  it('says -x cpp-output only where the user\'s -x is active, then restores it', () => {
    expect(step2(['-x', 'c', 'a.txt', '-c'], ['/t/0/a.i'])).toEqual(['-x', 'c', '-x', 'cpp-output', '/t/0/a.i', '-c']);
    expect(step2(['-c', '-x', 'c', 'a', 'b', '-x', 'c++', 'e.cpp'], ['/t/0/a.i', '/t/1/b.i'])).toEqual(['-c', '-x', 'c', '-x', 'cpp-output', '/t/0/a.i', '/t/1/b.i', '-x', 'c++', 'e.cpp']);
    const a = analyze(['-c', '-x', 'cpp-output', 'a.i', 'b.i', 'c.o'], (p) => p === 'b.i');
    expect(compileArgs(a, new Map([[a.cInputs[0]!, '/t/0/a.i']]), [])).toEqual(['-c', '-x', 'cpp-output', '/t/0/a.i', 'b.i', 'c.o']);
  });
  it('gives the user\'s -x back before an input that is still theirs (never after the last input: gcc warns)', () => {
    expect(step2(['-c', '-x', 'c', 'a.c', 'b.c'], ['/t/0/a.i', null])).toEqual(['-c', '-x', 'c', '-x', 'cpp-output', '/t/0/a.i']);
    const a = analyze(['-c', '-x', 'c', 'a.c', 'b.c']);
    expect(compileArgs(a, new Map([[a.cInputs[0]!, '/t/0/a.i']]), [])).toEqual(['-c', '-x', 'c', '-x', 'cpp-output', '/t/0/a.i', '-x', 'c', 'b.c']);
  });
  it('appends the runtime after everything the user links', () => {
    expect(step2(['a.c', 'b.o', '-L.', '-lfoo', '-o', 'p'], ['/t/0/a.i'], [RT])).toEqual(['/t/0/a.i', 'b.o', '-L.', '-lfoo', '-o', 'p', RT]);
  });
  it('resets -x before the runtime archive', () => {
    expect(step2(['-x', 'c', 'a.c'], ['/t/0/a.i'], [RT])).toEqual(['-x', 'c', '-x', 'cpp-output', '/t/0/a.i', '-x', 'none', RT]);
  });
  it('keeps preprocessor flags when another input still needs them', () => {
    expect(step2(['-c', '-Iinc', '-DX', 'a.c', 'b.S'], ['/t/0/a.i'])).toEqual(['-c', '-Iinc', '-DX', '/t/0/a.i', 'b.S']);
  });
  it('compiles only the inputs asked for, keeping -I/-D only if one of them needs them', () => {
    const a = analyze(['-c', '-Iinc', 'a.c', 'b.S', 'x.o']);
    const map = new Map<Item, string | null>([[a.cInputs[0]!, '/t/0/a.i']]);
    const inputs = a.items.filter((it) => it.kind === 'input');
    expect(compileArgs(a, map, [], new Set([inputs[0]!]))).toEqual(['-c', '/t/0/a.i']);
    expect(compileArgs(a, map, [], new Set(inputs.slice(1)))).toEqual(['-c', '-Iinc', 'b.S', 'x.o']);
  });
  it('drops inputs that failed', () => {
    expect(step2(['-c', 'a.c', 'b.c', 'c.s'], [null, '/t/1/b.i'])).toEqual(['-c', '/t/1/b.i', 'c.s']);
  });
  it('pass-through gets the runtime too, after a -x reset', () => {
    const a = analyze(['-x', 'c', 'a.c', 'b.o']);
    expect(withRuntime(a, ['-x', 'c', 'a.c', 'b.o'], [RT])).toEqual(['-x', 'c', 'a.c', 'b.o', '-x', 'none', RT]);
  });
});

describe('output names (gcc defaults)', () => {
  const table: [string[], string][] = [
    [['-c', 'sub/a.c'], 'a.o'], [['-S', 'sub/a.c'], 'a.s'], [['sub/a.c'], 'a.out'], [['-c', 'x.c', '-o', 'o/y.o'], 'o/y.o'],
    [['-c', '-x', 'c', '-'], '-.o'], [['-c', 'a.b.c'], 'a.b.o'], [['-c', '.hidden.c'], '.hidden.o'],
  ];
  it.each(table)('%j → %s', (args, out) => {
    const a = analyze(args);
    expect(outputOf(a, firstC(a))).toBe(out);
  });
  it('gccBase strips directories and the last suffix only', () => {
    expect([gccBase('d/a.b.c'), gccBase('.c'), gccBase('x'), gccBase('-')]).toEqual(['a.b', '.c', 'x', '-']);
  });
});

describe('response files', () => {
  it('splits like libiberty buildargv', () => {
    expect(splitResponseText(` -DMSG="hello world" 'a b'\\ c\n\t-c  x\\"y ""`)).toEqual(['-DMSG=hello world', 'a b c', '-c', 'x"y', '']);
  });
  it('quotes so that splitting gives the arguments back', () => {
    const args = ['plain', 'with space', 'quo"te', "apo's", 'back\\slash', '', 'tab\there', 'new\nline'];
    expect(splitResponseText(args.map(quoteResponseArg).join('\n'))).toEqual(args);
  });
  it('expands nested files in place and leaves unreadable ones', () => {
    const files: Record<string, string> = { a: '-c @b -O2', b: '-DX "-DY=1 2"' };
    const read = (p: string) => {
      if (!(p in files)) throw new Error('ENOENT');
      return files[p]!;
    };
    expect(expandResponseFiles(['x.c', '@a', '@nope', '-o', 'y'], read)).toEqual(['x.c', '-c', '-DX', '-DY=1 2', '-O2', '@nope', '-o', 'y']);
  });
  it('stops a file that includes itself', () => {
    expect(() => expandResponseFiles(['@self'], () => '@self')).toThrow(/too many/);
  });
});

describe('the real compiler', () => {
  const table: [string[], string | undefined, string[], string[]][] = [
    [['gcc', '-c', 'a.c'], undefined, ['gcc'], ['-c', 'a.c']],
    [['clang', '-c', 'a.c'], 'gcc', ['clang'], ['-c', 'a.c']],
    [['ccache', 'gcc', '-c', 'a.c'], undefined, ['ccache', 'gcc'], ['-c', 'a.c']],
    [['/usr/bin/x86_64-linux-gnu-gcc-12', 'a.c'], undefined, ['/usr/bin/x86_64-linux-gnu-gcc-12'], ['a.c']],
    [['clang-14', 'a.c'], undefined, ['clang-14'], ['a.c']],
    [['-c', 'a.c'], 'ccache  gcc', ['ccache', 'gcc'], ['-c', 'a.c']],
    [['-c', 'a.c'], undefined, ['cc'], ['-c', 'a.c']],
    [['-c', 'a.c'], '', ['cc'], ['-c', 'a.c']],
    [['a.c', 'gcc'], undefined, ['cc'], ['a.c', 'gcc']],
    [['gcc.c'], undefined, ['cc'], ['gcc.c']],
  ];
  it.each(table)('%j with CC_WB_CC=%j', (args, ccwbcc, compiler, rest) => {
    expect(splitCompiler(args, ccwbcc === undefined ? {} : { CC_WB_CC: ccwbcc })).toEqual({ compiler, rest });
  });
});

describe('cc-wb flags', () => {
  it('are removed, with environment defaults', () => {
    const { wb, rest } = extractWbOptions(['-c', '--wb-stats', 'a.c', '--wb-keep=k', '--wb-strict'], { CC_WB_REPORT: '/r.jsonl', CC_WB_NO_INSTRUMENT: '0' });
    expect(rest).toEqual(['-c', 'a.c']);
    expect(wb).toEqual({ strict: true, stats: true, noInstrument: false, keep: 'k', report: '/r.jsonl', help: false, printValgrindSupp: false });
  });
  it('--wb-print-valgrind-supp asks for the suppressions file, whatever else is there', () => {
    expect(extractWbOptions(['--wb-print-valgrind-supp', '-c', 'a.c'], {}).wb.printValgrindSupp).toBe(true);
  });
  it('reject unknown --wb- flags', () => {
    expect(() => extractWbOptions(['--wb-bogus'], {})).toThrow(/unrecognized cc-wb option '--wb-bogus'/);
  });
});

describe('anchorToSource (the unit must keep the user\'s file name)', () => {
  const orig = '# 0 "sub/a.c"\n# 0 "/home/u//"\n# 0 "<built-in>"\nint x;\n';
  it('copies the leading marker and the working-directory marker before a prelude', () => {
    expect(anchorToSource('PRELUDE\n' + orig, orig, 'sub/a.c')).toBe('# 0 "sub/a.c"\n# 0 "/home/u//"\nPRELUDE\n' + orig);
  });
  it('leaves code that starts with a marker alone', () => {
    expect(anchorToSource(orig, orig, 'sub/a.c')).toBe(orig);
  });
  it('names the source when the text has no markers (-P)', () => {
    expect(anchorToSource('int x;\n', 'int x;\n', 'we"ird.c')).toBe('# 1 "we\\"ird.c"\nint x;\n');
  });
});
