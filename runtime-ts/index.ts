// runtime-ts: use a C library built by cc-wb from TypeScript, with no declarations.
export { load, LoadError, type Address, type LibraryModule, type LoadOptions } from './load.js';
export type { CFunction, FunctionInfo, ParamDeclaration, PointerFunction, ResultDeclaration, ResultSpec } from './ownership.js';
export { Lib } from './library.js';
export type { MemoryHooks } from './hooks.js';
export { NativeObject, NativeStruct, NativeArray, NativePointer } from './values.js';
export { va, VarArg } from './marshal.js';
export { calls, onSafePoint } from './callstate.js';
export { scope, release, adopt, collect, configure, stats, MemoryManager, type ManagerStats, type MemoryOptions, type RuntimeStats } from './heap/index.js';
export { readLibraryMeta, typeName, type LibraryMeta, type CType, type RecordMeta, type FunctionMeta, type GlobalMeta, type EnumMeta } from './meta.js';
