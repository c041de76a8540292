// Builds a stream of AST nodes out of clang's JSON dump, one node at a time, innermost first, with
// every source location made absolute. clang prints a location's "file" and "line" only when they
// differ from the previously printed location, so they are carried forward here in text order.
import { JsonStream, type JsonHandler } from './json-stream.js';

export interface BareLoc {
  file: string;
  line: number;
  col: number;
}

/** A location as the dumper prints it: plain, or split into spelling and expansion (macros). */
export interface Loc extends Partial<BareLoc> {
  spellingLoc?: BareLoc;
  expansionLoc?: BareLoc;
}

/** Where the code was written in a file: for macro-expanded code, the macro invocation. */
export function expansionOf(loc: Loc | undefined): BareLoc | null {
  if (!loc) return null;
  if (loc.expansionLoc?.file !== undefined) return loc.expansionLoc;
  if (loc.file !== undefined && loc.line !== undefined) return { file: loc.file, line: loc.line, col: loc.col ?? 0 };
  return null;
}

/** The node's own attributes (everything but "inner"), with nested objects kept as plain values. */
export interface NodeProps {
  id?: string;
  kind?: string;
  name?: string;
  opcode?: string;
  isPostfix?: boolean;
  isArrow?: boolean;
  castKind?: string;
  storageClass?: string;
  tagUsed?: string;
  completeDefinition?: boolean;
  isImplicit?: boolean;
  type?: { qualType?: string; desugaredQualType?: string };
  referencedDecl?: { id?: string; kind?: string; name?: string; type?: { qualType?: string } };
  loc?: Loc;
  range?: { begin?: Loc; end?: Loc };
  [key: string]: unknown;
}

/**
 * Per-node callbacks. `enter` runs once the node's attributes are known, before its children;
 * `exit` receives what `childExit` returned for each child, and returns the node's own summary.
 */
export interface AstVisitor<S> {
  enter(node: NodeProps, depth: number): void;
  exit(node: NodeProps, children: S[], depth: number): S;
}

type Ctx<S> =
  | { t: 'node'; props: NodeProps; key: string | null; children: S[]; entered: boolean }
  | { t: 'obj'; value: Record<string, unknown>; key: string | null }
  | { t: 'arr'; value: unknown[] }
  | { t: 'inner' };

class AstBuilder<S> implements JsonHandler {
  private stack: Ctx<S>[] = [];
  private lastFile = '';
  private lastLine = 0;
  private nodeDepth = 0;
  root: S | undefined;

  constructor(private readonly v: AstVisitor<S>) {}

  private top(): Ctx<S> | undefined {
    return this.stack[this.stack.length - 1];
  }

  private attach(val: unknown): void {
    const t = this.top();
    if (!t) return;
    if (t.t === 'node') {
      if (t.key !== null) t.props[t.key] = val;
    } else if (t.t === 'obj') {
      if (t.key !== null) t.value[t.key] = val;
    } else if (t.t === 'arr') {
      t.value.push(val);
    }
  }

  startObject(): void {
    const t = this.top();
    if (!t || t.t === 'inner') {
      this.stack.push({ t: 'node', props: {}, key: null, children: [], entered: false });
      this.nodeDepth++;
    } else {
      this.stack.push({ t: 'obj', value: {}, key: null });
    }
  }

  endObject(): void {
    const c = this.stack.pop()!;
    if (c.t === 'obj') {
      const o = c.value;
      if ('offset' in o) {
        // A bare location: carry file/line forward in text order.
        if (typeof o.file === 'string') {
          this.lastFile = o.file;
          this.lastLine = o.line as number;
        } else if (typeof o.line === 'number') {
          this.lastLine = o.line;
        }
        o.file = this.lastFile;
        o.line = this.lastLine;
      }
      this.attach(o);
    } else if (c.t === 'node') {
      this.nodeDepth--;
      if (!c.entered) this.v.enter(c.props, this.nodeDepth);
      const s = this.v.exit(c.props, c.children, this.nodeDepth);
      const parent = this.stack[this.stack.length - 2];
      if (this.stack.length === 0) this.root = s;
      else if (parent?.t === 'node') parent.children.push(s);
    }
  }

  startArray(): void {
    const t = this.top();
    if (t?.t === 'node' && t.key === 'inner') {
      if (!t.entered) {
        t.entered = true;
        this.v.enter(t.props, this.nodeDepth - 1);
      }
      this.stack.push({ t: 'inner' });
    } else {
      this.stack.push({ t: 'arr', value: [] });
    }
  }

  endArray(): void {
    const c = this.stack.pop()!;
    if (c.t === 'arr') this.attach(c.value);
  }

  key(name: string): void {
    const t = this.top();
    if (t && (t.t === 'node' || t.t === 'obj')) t.key = name;
  }

  value(v: string | number | boolean | null): void {
    this.attach(v);
  }
}

/** Feeds chunks of `clang -Xclang -ast-dump=json` output to a visitor. */
export class AstStream<S> {
  private readonly builder: AstBuilder<S>;
  private readonly json: JsonStream;

  constructor(visitor: AstVisitor<S>) {
    this.builder = new AstBuilder(visitor);
    this.json = new JsonStream(this.builder);
  }

  write(chunk: Buffer): void {
    this.json.write(chunk);
  }

  end(): S | undefined {
    this.json.end();
    return this.builder.root;
  }
}
