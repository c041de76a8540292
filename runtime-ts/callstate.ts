// Per-process state of calls between TypeScript and native code, shared by every loaded library.
//
// depth: native frames active (call-outs, including call-outs made by callbacks). Memory may be
//   released only at depth 0 (a safe point): see docs/lifetimes.md, "Safe points".
// errDepth/err: an exception a callback threw, waiting to be rethrown by the call-out at that
//   depth when C returns to it. While one is pending, further callbacks return 0 at once, so at
//   most one is pending and nesting cannot clobber it.
export interface CallState {
  depth: number;
  errDepth: number;
  err: unknown;
  /** Set by anything that wants to run at the next safe point (see onSafePoint). */
  safePointDue: boolean;
  safePoint(): void;
}

const hooks: Array<() => void> = [];

export const calls: CallState = {
  depth: 0,
  errDepth: 0,
  err: undefined,
  safePointDue: false,
  safePoint(): void {
    calls.safePointDue = false;
    for (const h of hooks) h();
  },
};

/** Registers work for safe points; request one with `calls.safePointDue = true`. */
export function onSafePoint(hook: () => void): void {
  hooks.push(hook);
}

/** Thrown by a call-out when C returns to it after a callback threw; the callback's error is `cause`. */
export function takePendingError(): unknown {
  const e = calls.err;
  calls.err = undefined;
  calls.errDepth = 0;
  return e;
}
