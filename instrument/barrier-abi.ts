/**
 * The barrier ABI's constants as the pass sees them, read from runtime-c/include/wb_abi.h when this
 * module loads: the header is the one place they are written, and the runtime's asm hooks, its
 * benchmarks and the pass's stand-in runtime compile against the same lines.
 *
 * The header states them as `#define WB_ABI_<NAME> <value>` lines, each value a decimal integer or
 * one string literal. Function-like WB_ABI_ macros (the C spelling of the asm templates) are C's
 * alone and skipped here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The path of a header in runtime-c/include, next to the sources (instrument/) or to the compiled
 * output (dist/instrument/). Throws with the name when neither layout has it.
 */
export function runtimeHeaderPath(name: string): string {
  const candidates = [join(here, '..', 'runtime-c', 'include', name), join(here, '..', '..', 'runtime-c', 'include', name)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found) return found;
  throw new Error(`cc-wb: cannot find runtime-c/include/${name}`);
}

export type AbiValue = number | string;

const DEFINE = /^\s*#\s*define\s+WB_ABI_([A-Z0-9_]+)(?:\s+(.*?))?\s*$/;
const FUNCTION_LIKE = /^\s*#\s*define\s+WB_ABI_[A-Z0-9_]+\(/;
const INTEGER = /^-?\d+$/;
const STRING = /^"([^"\\]*)"$/;

/**
 * The WB_ABI_ constants of a header's text, by name without the prefix. A WB_ABI_ line whose value
 * is not a decimal integer or a plain string literal (an expression, a continued line, a comment
 * after the value) is an error naming the line: the header's contract is that every such line can
 * be read without a preprocessor.
 */
export function parseAbiDefines(text: string, file = 'wb_abi.h'): Map<string, AbiValue> {
  const out = new Map<string, AbiValue>();
  text.split('\n').forEach((line, i) => {
    if (FUNCTION_LIKE.test(line)) return;
    const m = DEFINE.exec(line);
    if (!m) return;
    const [, name, value = ''] = m;
    const where = `${file}:${i + 1}`;
    if (out.has(name!)) throw new Error(`${where}: WB_ABI_${name} defined twice`);
    if (INTEGER.test(value)) out.set(name!, Number(value));
    else if (STRING.test(value)) out.set(name!, STRING.exec(value)![1]!);
    else throw new Error(`${where}: WB_ABI_${name} is not a decimal integer or a plain string literal: ${value || '(empty)'}`);
  });
  return out;
}

/** The constants by their role; see wb_abi.h for each one's contract. */
export interface BarrierAbi {
  /** WB_ABI_VERSION; every instrumented unit refers to `versionSymbol`, which the runtime defines. */
  readonly version: number;
  readonly versionSymbol: string;
  /** The flag every barrier tests inline. */
  readonly active: string;
  /** The portable form's calls: a pointer store, a record assignment. */
  readonly storeBefore: string;
  readonly rangeAssign: string;
  /** The x86-64 form's hooks (the _avx ones for units built with AVX). */
  readonly storeHook: string;
  readonly storeHookAvx: string;
  readonly rangeHook: string;
  readonly rangeHookAvx: string;
  /** The span words the x86-64 store stub tests first, and each word's byte offset in them. */
  readonly spans: string;
  readonly spanSlotLo: number;
  readonly spanSlotHi: number;
  readonly spanHostLo: number;
  readonly spanHostHi: number;
  readonly spanSlotNear: number;
  readonly spanSrcNear: number;
  /** The largest record the record stub's span test covers (larger ones take the plain stub). */
  readonly rangeSpanMax: number;
  /** The section the x86-64 cold stubs go to. */
  readonly stubSection: string;
  readonly shadowShift: number;
  readonly shadowBits: number;
  /** The x86-64 stub frame: how far the stub moves %rsp down, and its slots' offsets from there. */
  readonly redZone: number;
  readonly stubFrame: number;
  readonly stubBack: number;
  readonly stubSlot: number;
  readonly stubValue: number;
  readonly stubScratch: number;
  readonly stubSize: number;
}

/** The BarrierAbi a header's text defines; throws naming any constant missing or of the wrong kind. */
export function barrierAbiFrom(text: string, file = 'wb_abi.h'): BarrierAbi {
  const defines = parseAbiDefines(text, file);
  const num = (name: string): number => {
    const v = defines.get(name);
    if (typeof v !== 'number') throw new Error(`${file}: WB_ABI_${name} ${v === undefined ? 'is missing' : 'must be an integer'}`);
    return v;
  };
  const str = (name: string): string => {
    const v = defines.get(name);
    if (typeof v !== 'string') throw new Error(`${file}: WB_ABI_${name} ${v === undefined ? 'is missing' : 'must be a string literal'}`);
    return v;
  };
  const version = num('VERSION');
  return {
    version,
    versionSymbol: `__wb_abi_version_${version}`,
    active: str('ACTIVE'),
    storeBefore: str('STORE_BEFORE'),
    rangeAssign: str('RANGE_ASSIGN'),
    storeHook: str('STORE_HOOK'),
    storeHookAvx: str('STORE_HOOK_AVX'),
    rangeHook: str('RANGE_HOOK'),
    rangeHookAvx: str('RANGE_HOOK_AVX'),
    spans: str('SPANS'),
    spanSlotLo: num('SPAN_SLOT_LO'),
    spanSlotHi: num('SPAN_SLOT_HI'),
    spanHostLo: num('SPAN_HOST_LO'),
    spanHostHi: num('SPAN_HOST_HI'),
    spanSlotNear: num('SPAN_SLOT_NEAR'),
    spanSrcNear: num('SPAN_SRC_NEAR'),
    rangeSpanMax: num('RANGE_SPAN_MAX'),
    stubSection: str('STUB_SECTION'),
    shadowShift: num('SHADOW_SHIFT'),
    shadowBits: num('SHADOW_BITS'),
    redZone: num('RED_ZONE'),
    stubFrame: num('STUB_FRAME'),
    stubBack: num('STUB_BACK'),
    stubSlot: num('STUB_SLOT'),
    stubValue: num('STUB_VALUE'),
    stubScratch: num('STUB_SCRATCH'),
    stubSize: num('STUB_SIZE'),
  };
}

/** The header this module read. */
export const barrierAbiHeader: string = runtimeHeaderPath('wb_abi.h');

/** The barrier ABI the pass emits code for. */
export const barrierAbi: BarrierAbi = barrierAbiFrom(readFileSync(barrierAbiHeader, 'utf8'), barrierAbiHeader);
