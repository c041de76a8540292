// Memory shared between TypeScript and C, as the user sees it: proxies hold native objects until
// released (`using`, `release()`, `scope()`, or the garbage collector as a backstop); `collect()`
// runs the cycle collector; `adopt()` and `destroyWith()` cover C APIs whose caller owns the
// result; `stats()` reports. The work is done by one MemoryManager per runtime (manager.ts).
import koffi from 'koffi';
import { calls } from '../callstate.js';
import { noMemory, type MemoryHooks } from '../hooks.js';
import type { LibraryModule } from '../load.js';
import { NativeObject, NativeStruct, type ProxyContext } from '../values.js';
import { endScope, MemoryManager, scopes, type ManagerStats, type RuntimeStats, type Scope } from './manager.js';

export { MemoryManager, type ManagerStats, type RuntimeStats } from './manager.js';

type KoffiLib = ReturnType<typeof koffi.load>;

/** Keyed by the runtime's log-hint address: one manager per runtime, however often it is loaded. */
const managers = new Map<number, MemoryManager>();

function managerFor(handle: KoffiLib): MemoryManager {
  const key = Number(handle.func('uintptr_t wb_log_hint(void)')() as number | bigint);
  let m = managers.get(key);
  if (!m) managers.set(key, (m = new MemoryManager(handle)));
  return m;
}

/**
 * The memory management load() gives a library that contains the runtime: the runtime's one
 * manager (shared by every load of it), or no management when the runtime's stress mode
 * (WB_STRESS=1) owns the event log, with a warning.
 */
export function defaultMemory(path: string, handle: KoffiLib): MemoryHooks {
  try {
    return managerFor(handle);
  } catch (e) {
    process.emitWarning(`${path}: no memory management: ${(e as Error).message}`, 'CcWbMemoryWarning');
    return noMemory;
  }
}

function managerOf(x: LibraryModule | NativeObject): MemoryManager {
  const lib = x instanceof NativeObject ? (x instanceof NativeStruct ? (x.constructor as typeof NativeStruct).$lib : (x as unknown as { $lib: ProxyContext }).$lib) : x.$lib;
  const hooks = lib?.hooks;
  if (!(hooks instanceof MemoryManager)) throw new TypeError('this library is loaded without memory management (load(path, { memory: false }) or custom hooks)');
  return hooks;
}

/**
 * Runs fn and releases every proxy of a heap object created or first reached inside it (nested
 * scopes release their own), except what fn returns: a proxy, or the proxies of an array (they
 * join the enclosing scope, or outside any are held weakly). Like an arena: deterministic, and cheap
 * to write. A proxy made inside a scope has no WeakRef, so a synchronous loop of scopes keeps no
 * proxy past its scope (a WeakRef keeps its target until the current job ends).
 */
export function scope<T>(fn: () => T): T {
  const mine: Scope = new Set();
  scopes.push(mine);
  let keep: unknown = undefined;
  try {
    const result = fn();
    keep = result;
    return result;
  } finally {
    scopes.pop();
    endScope(mine, keep);
  }
}

/** Releases a proxy (same as `p.release()`, for records with a field named `release`). */
export function release(p: NativeObject): boolean {
  return NativeObject.prototype.release.call(p);
}

/** The host takes over C's duty to free the object behind p (wb_adopt): C must not free it. */
export function adopt<T extends NativeObject>(p: T): T {
  managerOf(p).adopt(p);
  return p;
}

/**
 * Runs the cycle collector of one library's runtime (or of every runtime) now, or, inside a
 * call-out, when the outermost call returns.
 */
export function collect(lib?: LibraryModule): void {
  for (const m of lib ? [managerOf(lib)] : managers.values()) m.collect();
}

export interface MemoryOptions {
  /**
   * Objects attached or created between automatic cycle collections. Default (null): as many as
   * were live after the last collection, at least 10,000. Infinity: only collect() collects.
   */
  collectThreshold?: number | null;
}

/** Tunes the memory management of one library's runtime. */
export function configure(lib: LibraryModule, options: MemoryOptions): void {
  const m = managerOf(lib);
  if (options.collectThreshold !== undefined) m.setCollectThreshold(options.collectThreshold);
}

/** The host's figures and the runtime's own counters for one library. */
export function stats(lib: LibraryModule): ManagerStats & { runtime: RuntimeStats; depth: number } {
  const m = managerOf(lib);
  return { ...m.stats(), runtime: m.runtimeStats(), depth: calls.depth };
}
