// A real library from Debian (cJSON), built with cc-wb and used from TypeScript with no
// hand-written declaration: parse, walk, modify and print JSON.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildLibrary, requireBuilt } from './helpers.js';
import { fetchDebianSource } from '../../harness/debian.js';
import { load, type LibraryModule } from '../../runtime-ts/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let lib: LibraryModule & Record<string, any>;

beforeAll(async () => {
  await requireBuilt();
  const src = await fetchDebianSource({ name: 'cjson', patches: { apply: 'all' } });
  lib = load(await buildLibrary('cjson', [join(src.dir, 'cJSON.c'), join(src.dir, 'cJSON_Utils.c')], ['-std=c89', '-pedantic'])) as typeof lib;
});

const text = '{"name":"cc-wb","version":[1,2,3],"ok":true,"nested":{"pi":3.5,"none":null},"list":["a","b"]}';

/** A cJSON tree as plain JavaScript, walked through the proxies' fields only. */
function toJs(item: any): unknown {
  const t = item.type & 0xff;
  if (t === lib.cJSON_NULL) return null;
  if (t === lib.cJSON_True) return true;
  if (t === lib.cJSON_False) return false;
  if (t === lib.cJSON_Number) return item.valuedouble;
  if (t === lib.cJSON_String) return item.valuestring;
  if (t === lib.cJSON_Array) {
    const out: unknown[] = [];
    for (let c = item.child; c; c = c.next) out.push(toJs(c));
    return out;
  }
  if (t === lib.cJSON_Object) {
    const out: Record<string, unknown> = {};
    for (let c = item.child; c; c = c.next) out[c.string] = toJs(c);
    return out;
  }
  throw new Error(`unknown cJSON type ${item.type}`);
}

describe('cJSON from Debian, built with cc-wb', () => {
  it('exposes its functions, struct, macros and version without declarations', () => {
    expect(typeof lib.cJSON_Parse).toBe('function');
    expect(lib.cJSON.size).toBe(64);
    expect(lib.cJSON_Number).toBe(8);
    expect(lib.CJSON_VERSION_MAJOR).toBe(1);
    expect(lib.cJSON_Version()).toBe(`${lib.CJSON_VERSION_MAJOR}.${lib.CJSON_VERSION_MINOR}.${lib.CJSON_VERSION_PATCH}`);
  });

  it('parses and walks a document', () => {
    const root = lib.cJSON_Parse(text);
    expect(root).toBeInstanceOf(lib.cJSON);
    expect(toJs(root)).toEqual(JSON.parse(text));
    expect(lib.cJSON_GetArraySize(lib.cJSON_GetObjectItem(root, 'version'))).toBe(3);
    const nested = lib.cJSON_GetObjectItemCaseSensitive(root, 'nested');
    expect(nested.child.string).toBe('pi');
    expect(lib.cJSON_GetNumberValue(nested.child)).toBe(3.5);
    expect(lib.cJSON_IsObject(nested)).toBe(1);
    expect(lib.cJSON_GetObjectItem(root, 'list').child.next.prev).toBe(lib.cJSON_GetObjectItem(root, 'list').child);
    lib.cJSON_Delete(root);
  });

  it('modifies a document from TypeScript and prints it in C', () => {
    const root = lib.cJSON_Parse(text);
    lib.cJSON_AddNumberToObject(root, 'answer', 42);
    lib.cJSON_AddItemToArray(lib.cJSON_GetObjectItem(root, 'list'), lib.cJSON_CreateString('c'));
    lib.cJSON_SetNumberHelper(lib.cJSON_GetObjectItem(root, 'nested').child, 6.25);
    lib.cJSON_DeleteItemFromObject(root, 'ok');
    // A field write from TypeScript: rename a key by pointing `string` at a new C string.
    lib.cJSON_GetObjectItem(root, 'name').valuestring = lib.cJSON_Print(lib.cJSON_CreateString('renamed')).slice(1, -1);
    // $raw keeps the address of a string the caller must free.
    const raw = lib.$raw.cJSON_PrintUnformatted(root);
    const printed = raw.toString();
    lib.cJSON_free(raw);
    expect(JSON.parse(printed)).toEqual({ name: 'renamed', version: [1, 2, 3], nested: { pi: 6.25, none: null }, list: ['a', 'b', 'c'], answer: 42 });
    lib.cJSON_Delete(root);
  });

  it('builds a document from TypeScript', () => {
    const obj = lib.cJSON_CreateObject();
    const arr = lib.cJSON_AddArrayToObject(obj, 'primes');
    for (const p of [2, 3, 5]) lib.cJSON_AddItemToArray(arr, lib.cJSON_CreateNumber(p));
    lib.cJSON_AddStringToObject(obj, 'ünïcode', 'snow ☃');
    lib.cJSON_AddBoolToObject(obj, 'yes', 1);
    expect(JSON.parse(lib.cJSON_PrintUnformatted(obj))).toEqual({ primes: [2, 3, 5], 'ünïcode': 'snow ☃', yes: true });
    expect(lib.cJSON_Compare(obj, lib.cJSON_Duplicate(obj, 1), 1)).toBe(1);
    lib.cJSON_Delete(obj);
  });

  it('uses cJSON_Utils (a second unit of the library)', () => {
    const a = lib.cJSON_Parse('{"x":1,"y":[1,2]}');
    const b = lib.cJSON_Parse('{"x":2,"y":[1,2],"z":true}');
    const patch = lib.cJSONUtils_GeneratePatches(a, b);
    expect(JSON.parse(lib.cJSON_PrintUnformatted(patch))).toEqual([
      { op: 'replace', path: '/x', value: 2 },
      { op: 'add', path: '/z', value: true },
    ]);
    expect(lib.cJSONUtils_ApplyPatches(a, patch)).toBe(0);
    expect(lib.cJSON_Compare(a, b, 1)).toBe(1);
    expect(lib.cJSONUtils_GetPointer(b, '/y/1').valuedouble).toBe(2);
  });

  it('rejects wrong arguments naming the C signature', () => {
    expect(() => lib.cJSON_GetArraySize('[]')).toThrow(/cJSON_GetArraySize\(\): argument 1 'array' \(C: int cJSON_GetArraySize\(const cJSON \*array\)\)/);
  });
});
