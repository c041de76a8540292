// What memory management sees of the host: the events of proxies and host allocations. The
// runtime's MemoryManager (heap/) implements it; load() takes another in its options.

export interface MemoryHooks {
  /**
   * Once per new proxy of native memory: the place to attach the host to heap objects. true: a
   * scope() holds the proxy and will release it, so the identity caches hold it strongly until
   * then instead of through a WeakRef.
   */
  reached(addr: number, proxy: object): boolean | void;
  /** Memory the host allocated itself: proxy, or null for strings and arrays made for arguments. true: as for reached(). */
  created(addr: number, proxy: object | null, size?: number): boolean | void;
  /**
   * A pointer store from TypeScript into native memory (a field, an array element, a global).
   * Default: the runtime's wb_store_ptr, which accounts it like an instrumented C store.
   */
  storePointer?(slot: number, value: number): void;
  /** A record-pointer result of a function whose record type has a destructor (destroyWith). */
  returned?(proxy: object): void;
  /**
   * A result or out-parameter its function declares owned (`{ owned: fn }`): call fn once nothing
   * reaches it; or a handle (`{ handle: fn }`, handle true): call fn once this proxy is let go of,
   * whatever C still refers to it.
   */
  owned?(proxy: object, fn: (p: bigint) => unknown, handle?: boolean): void;
  /** The proxy's `release()` / `[Symbol.dispose]()` (the proxy then ends); false if it held nothing. */
  release?(proxy: object): boolean;
}

/** No memory management: nothing is attached, nothing the host allocates is released. */
export const noMemory: MemoryHooks = { reached() {}, created() {} };
