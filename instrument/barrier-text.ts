// The text the pass writes around a barriered assignment: the only place that spells the
// barrier's C and asm forms (the ABI they call into is runtime-c/include/wb_prelude.h and
// runtime-c/src/store_hook.c). rewrite.ts decides where a barrier goes; this module says what
// it looks like.
import { barrierAbi as abi } from './barrier-abi.js';

const POINTER_CLASS = 5; // __builtin_classify_type: pointer_type_class
const RECORD_CLASS = 12; // record_type_class
const UNION_CLASS = 13; // union_type_class

/**
 * A slot address as the barrier's word type. The detour through an integer drops qualifiers
 * (`const char **`, `T *volatile *`) without the -Wcast-qual warning a direct cast would draw.
 */
const slotOf = (addr: string): string => `(__wb_word_t *)(__wb_uintptr_t)(${addr})`;
const untyped = (addr: string): string => `(void *)(__wb_uintptr_t)(${addr})`;
/** A host is active (__wb_active never goes back to 0; runtime-c/include/wb_prelude.h). */
const ACTIVE = `__builtin_expect(${abi.active} != 0, 0)`;

/**
 * How a pointer store is reported before it happens.
 * - 'call': `if (__wb_active) __wb_store_before(slot, new)`, portable C.
 * - 'x86-64-asm', 'x86-64-avx-asm': one `asm inline` statement: two span tests that fall through
 *   while nothing the store touches can matter to the host (runtime-c/include/wb_abi.h, "spans"),
 *   else a jump to a stub in .text.unlikely that hands the slot and the new value to __wb_store_hook
 *   (runtime-c/src/store_hook.c), which saves every register it or the C runtime could touch
 *   (__wb_store_hook_avx for units built with AVX: it also keeps the upper vector state and
 *   opmasks, which code built without AVX never holds values in).
 *   To the compiler it is two instructions that call nothing and clobber only the flags, so the
 *   surrounding code keeps its registers, its inlining and its layout: with the C call, the cold
 *   branch's call clobbers made gcc keep values in callee-saved registers (pushes and pops in
 *   every small function with a store) and its size stopped gcc inlining small functions such as
 *   gawk's TOP_SCALAR into the interpreter loop (spec-bench/results/analysis.md). Record
 *   assignments likewise (x86RangeAsm, __wb_range_hook).
 */
export type StoreForm = 'call' | 'x86-64-asm' | 'x86-64-avx-asm';

/**
 * The x86-64 store barrier's asm template (see StoreForm). %0 the slot, %1 the new value (a
 * register or a 32-bit immediate: a NULL store needs no register); %2,
 * the slot as a memory operand, is unused text-wise but tells the compiler the hook reads it, so
 * the store cannot move above the asm. The stub skips the red zone (128 bytes) before using the
 * stack, leaves the address to resume at (for unwinders), the slot and the value where
 * __wb_store_hook expects them and calls it: a real call and return, not a jump with a made-up
 * return address, which valgrind's tools need to keep their call stacks (callgrind ran a thousand
 * times slower, the hook returning to where no call had pushed); then it pops its frame and jumps
 * back. Labels
 * use %= (unique per emitted asm, also when gcc duplicates the statement). The stubs get a section
 * of their own: gcc may itself be emitting the store into .text.unlikely (a block it split off as
 * cold), and a stub pushed there would directly follow the `jne`, reached by falling through
 * (conformance/regressions/store-in-cold-partition.c).
 */
export const x86StoreAsm = (hook: string): string =>
  x86HookStub(hook, storeInline(), [stubStore('%0', abi.stubSlot), stubStore('%1', abi.stubValue, true)], spanTest());

/**
 * The store barrier's inline part: the new value against HOST_LO and the slot against SLOT_LO
 * (runtime-c/include/wb_abi.h, WB_X86_STORE_INLINE). Both below their words, and it falls
 * through: no taken branch while no host is active, nor for stores below the host's objects.
 */
const storeInline = (): string[] => [spanCmp('%1', abi.spanHostLo), 'jbe .Lwb_cold%=', spanCmp('%0', abi.spanSlotLo), 'jbe .Lwb_cold%='];

/** The record barrier's: the destination against SLOT_NEAR, the source against SRC_NEAR. */
const rangeInline = (): string[] => [spanCmp('%0', abi.spanSlotNear), 'jbe .Lwb_cold%=', spanCmp('%1', abi.spanSrcNear), 'jbe .Lwb_cold%='];

/** A record of more than abi.rangeSpanMax bytes: __wb_active, and the hook decides. */
const activeInline = (): string[] => [`{cmpl $0, ${abi.active}(%%rip)|cmp DWORD PTR ${abi.active}[rip], 0}`, 'jne .Lwb_cold%='];

/**
 * The store stub's first test, before it touches the stack: the slot against the SLOTS span and
 * the new value against the HOST span, both bounds (runtime-c/include/wb_abi.h, "spans"); outside
 * both, straight back. `cmpq op, word` computes word - op for a register and a sign-extended
 * immediate alike, so `ja` reads "op below the word".
 */
function spanTest(): string[] {
  const { spanSlotLo, spanSlotHi, spanHostLo, spanHostHi } = abi;
  const cmp = spanCmp;
  return [
    cmp('%0', spanSlotLo),
    'ja .Lwb_val%=',
    cmp('%0', spanSlotHi),
    'ja .Lwb_full%=',
    '.Lwb_val%=:',
    cmp('%1', spanHostLo),
    'ja .Lwb_back%=',
    cmp('%1', spanHostHi),
    'jbe .Lwb_back%=',
    '.Lwb_full%=:',
  ];
}

/**
 * The x86-64 record-assignment barrier's asm template: as x86StoreAsm, with %0 the destination,
 * %1 the source and %2 the size (an immediate, or a register); %3 and %4, the two records as
 * memory operands, order the asm after pending writes to either. The hook (__wb_range_hook)
 * finds the size at its stub-frame offset plus 8 on entry.
 */
export const x86RangeAsm = (hook: string): string => x86HookStub(hook, rangeInline(), rangeStores(), rangeSpanTest());

/** The record-assignment template for records of more than abi.rangeSpanMax bytes: no span test. */
export const x86RangeBigAsm = (hook: string): string => x86HookStub(hook, activeInline(), rangeStores());

const rangeStores = (): string[] => [stubStore('%0', abi.stubSlot), stubStore('%1', abi.stubValue), stubStore('%2', abi.stubSize, true)];

/** `cmpq op, word` for the span word at byte offset `off`, in both dialects. */
const spanCmp = (op: string, off: number): string =>
  `{cmpq ${op}, ${abi.spans}+${off}(%%rip)|cmp QWORD PTR ${abi.spans}[rip+${off}], ${op}}`;

/**
 * The record stub's first test (runtime-c/include/wb_abi.h, WB_X86_RANGE_SPAN_TEST): the
 * destination and the source against the SLOTS span from SLOT_NEAR, then whether the source can
 * lie on the calling thread's stack (src - %rsp in the source's register, restored by `leaq`,
 * which leaves the flags alone).
 */
function rangeSpanTest(): string[] {
  const { spanSlotNear, spanSlotHi, redZone, rangeSpanMax } = abi;
  const margin = `(${redZone} + ${rangeSpanMax})`;
  return [
    spanCmp('%0', spanSlotNear),
    'ja .Lwb_src%=',
    spanCmp('%0', spanSlotHi),
    'ja .Lwb_full%=',
    '.Lwb_src%=:',
    spanCmp('%1', spanSlotNear),
    'ja .Lwb_stk%=',
    spanCmp('%1', spanSlotHi),
    'ja .Lwb_full%=',
    '.Lwb_stk%=:',
    '{subq %%rsp, %1|sub %1, rsp}',
    `{cmpq $-${margin}, %1|cmp %1, -${margin}}`,
    '{leaq (%%rsp,%1), %1|lea %1, [rsp+%1]}',
    'jl .Lwb_back%=',
    '.Lwb_full%=:',
  ];
}

/** `mov operand -> off(%rsp)` in both dialects; `sized` when the operand may be an immediate. */
function stubStore(operand: string, off: number, sized = false): string {
  return `{movq ${operand}, ${off}(%%rsp)|mov ${sized ? 'QWORD PTR ' : ''}[rsp+${off}], ${operand}}`;
}

/**
 * The shape every template shares: the inline test (`inline`, which jumps to .Lwb_cold or falls
 * through), and the cold stub that runs `firstTest` (which may jump back at once), makes the frame,
 * saves %rax, stores the operands (`operandStores`), calls the hook and jumps back. Every name and
 * offset comes from runtime-c/include/wb_abi.h (barrier-abi.ts), which the hooks also use.
 * {AT&T|Intel}: gcc and clang pick the dialect the unit is compiled for (-masm=intel).
 */
function x86HookStub(hook: string, inline: string[], operandStores: string[], firstTest: string[] = []): string {
  const { stubSection, stubFrame, stubScratch, stubBack } = abi;
  if (stubBack !== 0) throw new Error('wb_abi.h: the stub templates spell the back slot as (%rsp)');
  return [
    ...inline,
    '.Lwb_back%=:',
    `.pushsection ${stubSection},\\"ax\\",@progbits`,
    '.Lwb_cold%=:',
    ...firstTest,
    `{leaq -${stubFrame}(%%rsp), %%rsp|lea rsp, [rsp-${stubFrame}]}`,
    `{movq %%rax, ${stubScratch}(%%rsp)|mov [rsp+${stubScratch}], rax}`,
    ...operandStores,
    '{leaq .Lwb_back%=(%%rip), %%rax|lea rax, .Lwb_back%=[rip]}',
    '{movq %%rax, (%%rsp)|mov [rsp], rax}',
    `{movq ${stubScratch}(%%rsp), %%rax|mov rax, [rsp+${stubScratch}]}`,
    `call ${hook}`,
    `{leaq ${stubFrame}(%%rsp), %%rsp|lea rsp, [rsp+${stubFrame}]}`,
    'jmp .Lwb_back%=',
    '.popsection',
  ].join('\\n\\t');
}

/**
 * The prefix of the barrier's temporaries in a unit: `<prefix>s<k>`, `<prefix>v<k>`... A user's
 * name that a temporary took would be captured (`g = __wb_s1` would read the barrier's slot), so
 * the prefix is one that no identifier of the unit contains: the first `__wb<n>_` absent from its
 * text (the prelude's names are `__wb_...`, which no such prefix begins).
 */
export function temporaryPrefix(unitText: string): string {
  for (let n = 0; ; n++) {
    const prefix = `__wb${n}_`;
    if (!unitText.includes(prefix)) return prefix;
  }
}

/** The prefix barrier texts use when not given one (for output read by people and tests). */
const DEFAULT_PREFIX = '__wb_';

export interface AssignmentParts {
  /** The assignment's number in the unit: names its temporaries (`__wb_s<k>`...). */
  k: number;
  /** The temporaries' prefix in this unit (temporaryPrefix); `__wb_` by default. */
  prefix?: string;
  /** The left operand's text and the right operand's, already rewritten. */
  lhs: string;
  rhs: string;
  /** The right operand is an addressable record lvalue: copied from where it lives, not a temporary. */
  fromLvalue: boolean;
  /** The assignment's value is used (it must remain an expression yielding the stored value). */
  valueUsed: boolean;
  form: StoreForm;
}

const templates = new Map<string, string>();
/** An asm template, built once per template and hook (a unit may have 100,000 barriers). */
function memo(template: (hook: string) => string, hook: string): string {
  const key = template.name + ' ' + hook;
  let t = templates.get(key);
  if (t === undefined) templates.set(key, (t = template(hook)));
  return t;
}

/** The statement that reports a pointer store into `*s` of the value at `valueAddr`, before it happens. */
function pointerStoreReport(s: string, valueAddr: string, form: StoreForm): string {
  const slot = slotOf(s);
  if (form === 'call') return `if (${ACTIVE}) ${abi.storeBefore}(${slot}, *${slotOf(valueAddr)});`;
  const hook = form === 'x86-64-avx-asm' ? abi.storeHookAvx : abi.storeHook;
  return `__asm__ __inline__ __volatile__("${memo(x86StoreAsm, hook)}" : : "r"(${slot}), "re"(*${slotOf(valueAddr)}), "m"(*${slot}) : "cc");`;
}

/**
 * `lhs = rhs` with a barrier that the compiler selects by the stored type: a pointer store, a
 * record assignment (a range), or a plain store for anything else.
 */
export function assignmentBarrier({ k, prefix = DEFAULT_PREFIX, lhs, rhs, fromLvalue, valueUsed, form }: AssignmentParts): string {
  const s = `${prefix}s${k}`;
  const r = `${prefix}r${k}`;
  const tv = `${prefix}v${k}`;
  // A record-typed right-hand side that is an lvalue is copied straight from where it lives:
  // copying it into an addressable temporary first (to give the range barrier a source
  // address) would force every such copy through the stack.
  const [prologue, v, vAddr] = fromLvalue
    ? [`__auto_type ${r} = &(${rhs}); `, `*${r}`, r]
    : [`__typeof__(*${s}) ${tv}; ${tv} = (${rhs}); `, tv, `&${tv}`];
  // The barrier reports the store just before it happens (the runtime reads the old value), so
  // the store is written once and the cold branch is one call: nothing that changes gcc's
  // inlining or splitting of the function, nothing it could call uninitialised.
  // Spelled out rather than through inline wrappers (such as the prelude's
  // __wb_note_range_assign): gcc's early inliner counts a wrapper
  // call before it inlines it, and that is enough to change its inlining and splitting of
  // small functions (GCC torture 990208-1).
  const avx = form === 'x86-64-avx-asm';
  const ptrStore = `({ ${pointerStoreReport(s, vAddr, form)} *${s} = ${v}; })`;
  // The span-testing record stub for records of at most abi.rangeSpanMax bytes (a constant test,
  // folded; for a variably modified record, a test at run time), the plain one for larger ones.
  const rangeHook = avx ? abi.rangeHookAvx : abi.rangeHook;
  const rangeOperands = `: : "r"(${untyped(s)}), "r"(${untyped(vAddr)}), "re"(sizeof *${s}), "m"(*${s}), "m"(*${vAddr}) : "cc"`;
  // A record of one pointer-aligned word (a union of a pointer and a number, such as Lua's
  // Value) is reported as a pointer store of that word: the store barrier tests the value itself
  // inline, where the record barrier would have to ask out of line whether the source lies on a
  // stack (whose words the host does not count) once the host has made any object.
  const wordRecord = `sizeof *${s} == sizeof (void *) && __alignof__ (*${s}) >= __alignof__ (void *)`;
  const recStore =
    form !== 'call'
      ? `({ if (${wordRecord}) ${pointerStoreReport(s, vAddr, form)} else if (sizeof *${s} <= ${abi.rangeSpanMax}) __asm__ __inline__ __volatile__("${memo(x86RangeAsm, rangeHook)}" ${rangeOperands}); ` +
        `else __asm__ __inline__ __volatile__("${memo(x86RangeBigAsm, rangeHook)}" ${rangeOperands}); *${s} = ${v}; (void)0; })`
      : `({ if (${ACTIVE}) ${abi.rangeAssign}(${untyped(s)}, ${untyped(vAddr)}, sizeof *${s}); *${s} = ${v}; (void)0; })`;
  const cls = `__builtin_classify_type(*${s})`;
  return (
    `__extension__ ({ __auto_type ${s} = &(${lhs}); ${prologue}` +
    `__builtin_choose_expr(${cls} == ${POINTER_CLASS}, ${ptrStore}, ` +
    `__builtin_choose_expr(${cls} == ${RECORD_CLASS} || ${cls} == ${UNION_CLASS}, ${recStore}, (void)(*${s} = ${v})));` +
    (valueUsed ? ` ${v}; })` : ' })')
  );
}


/** The text of a barriered store under `#pragma omp atomic`, which rewrite.ts places around the pragma. */
export interface AtomicBarrier {
  /** Goes before the pragma line: opens a block. */
  before: string;
  /** Replaces the statement (`x = e;`): the statement OpenMP requires, then the block's end. */
  statement: string;
}

/**
 * `#pragma omp atomic write` of `lhs = rhs;`: the slot and the value are computed and a pointer
 * store reported before the pragma, and the atomic statement stores the value into the slot
 * (`*slot = value;`, still the `x = expr` form). `#pragma omp atomic read` of `lhs = rhs;`: the
 * atomic statement loads into a temporary, and a barriered assignment then stores it into lhs.
 */
export function atomicStoreBarrier(parts: { k: number; prefix?: string; lhs: string; rhs: string; read: boolean; form: StoreForm }): AtomicBarrier {
  const { k, prefix = DEFAULT_PREFIX, lhs, rhs, read, form } = parts;
  if (read) {
    const loaded = `${prefix}a${k}`;
    const store = assignmentBarrier({ k, prefix, lhs, rhs: loaded, fromLvalue: false, valueUsed: false, form });
    return { before: `{ __typeof__(${lhs}) ${loaded}; `, statement: `${loaded} = ${rhs}; ${store}; }` };
  }
  const s = `${prefix}s${k}`;
  const v = `${prefix}v${k}`;
  const cls = `__builtin_classify_type(*${s})`;
  return {
    before: `{ __auto_type ${s} = &(${lhs}); __typeof__(*${s}) ${v}; ${v} = (${rhs}); __builtin_choose_expr(${cls} == ${POINTER_CLASS}, ({ ${pointerStoreReport(s, `&${v}`, form)} }), (void)0); `,
    statement: `*${s} = ${v}; }`,
  };
}
