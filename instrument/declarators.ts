// The declarator walk of the type model (ctype.ts), and the storage-class and bit-field readers
// of declarations. A declarator wraps the declared name in
// pointer, array and function layers, outermost layer applied last in C's reading (`*a[3]`: a is
// an array of pointers); the walk goes from the outside in, handing each layer to the caller's
// type model, and stops at the name.
import type { Node } from './parse.js';

/** How a type model builds the type of each layer around what it has so far. */
export interface DeclaratorLayers<T> {
  pointer(inner: T, declarator: Node): T;
  array(inner: T, declarator: Node): T;
  func(ret: T, declarator: Node): T;
  /** A node the walk does not know (a macro the grammar took for a declarator...): the result. */
  unknown(sofar: T, node: Node): T;
}

export interface Declared<T> {
  /** The declared name, or null for an abstract declarator or one the walk could not read. */
  name: string | null;
  nameNode: Node | null;
  type: T;
}

/** Applies a declarator (or abstract declarator, or null for none) to a base type. */
export function applyDeclarator<T>(d: Node | null, base: T, layers: DeclaratorLayers<T>): Declared<T> {
  let type = base;
  let node: Node | null = d;
  while (node) {
    switch (node.type) {
      case 'identifier':
      case 'field_identifier':
      case 'type_identifier':
      case 'primitive_type':
        return { name: node.text, nameNode: node, type };
      case 'pointer_declarator':
      case 'abstract_pointer_declarator':
        type = layers.pointer(type, node);
        node = node.childForFieldName('declarator');
        break;
      case 'array_declarator':
      case 'abstract_array_declarator':
        type = layers.array(type, node);
        node = node.childForFieldName('declarator');
        break;
      case 'function_declarator':
      case 'abstract_function_declarator':
        type = layers.func(type, node);
        node = node.childForFieldName('declarator');
        break;
      case 'init_declarator':
      case 'attributed_declarator':
        node = node.childForFieldName('declarator') ?? node.namedChildren[0] ?? null;
        break;
      case 'parenthesized_declarator':
      case 'abstract_parenthesized_declarator':
        node = node.namedChildren.find((c) => c.type.endsWith('declarator') || c.type.endsWith('identifier')) ?? null;
        break;
      default:
        return { name: null, nameNode: null, type: layers.unknown(type, node) };
    }
  }
  return { name: null, nameNode: null, type };
}

/** The storage-class keywords a declaration's syntax tree holds (`static`, `extern`, `register`...). */
export function storageClassSpecifiers(decl: Node): Set<string> {
  const out = new Set<string>();
  for (const c of decl.namedChildren) if (c.type === 'storage_class_specifier') out.add(c.text.trim());
  return out;
}

/** Whether a field declaration declares bit-fields (`int a : 3, b : 2;`). */
export function isBitfield(field: Node): boolean {
  return field.namedChildren.some((c) => c.type === 'bitfield_clause');
}
