// What a TypeScript-driven benchmark is: one library, one job, written twice: against the cc-wb build
// through runtime-ts (no declarations, memory managed) and against the plain build through raw koffi
// with hand-written declarations and manual frees (the code a user writes without cc-wb).
import type { LibraryModule } from '../../runtime-ts/index.js';
import type { RunContext, Size } from '../suite.js';
import type { LibraryName } from './libraries.js';

/** What a run computed: a digest both versions must agree on, and a few figures about the job. */
export interface Outcome {
  digest: string;
  facts: Record<string, number>;
}

/** A library opened and declared (load time is measured apart from the job). */
export interface Opened {
  run(input: string): Outcome;
  /** The cc-wb version's module, for its memory statistics at the end. */
  lib?: LibraryModule;
}

export interface Driver {
  library: LibraryName;
  what: string;
  /** The input file (generated into the cache on first use). */
  input(ctx: Pick<RunContext, 'input' | 'text'>, size: Size): string;
  ccwb(libraryPath: string): Opened;
  koffi(libraryPath: string): Opened;
}

export type Variant = 'ccwb' | 'koffi';
