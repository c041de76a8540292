// The object-like macros of a unit that the host can offer as constants. With `cc -E -dD` the
// preprocessed text keeps every #define/#undef where it happened, inside the line markers of its
// file. The macros of the user's own files that expand to a constant expression (checked by a
// small parser: numbers, characters, enumerators, casts to arithmetic types, sizeof, operators) or
// to string literals are handed to the compiler to evaluate (metadata.ts).
import type { UnitLines } from './metadata.js';

/** What a macro expansion may refer to and still be a constant expression at the end of the unit. */
export interface KnownIdentifiers {
  enumerators: { has(name: string): boolean };
  arithmeticTypedefs: { has(name: string): boolean };
}

export type MacroValue = { kind: 'arith' | 'string'; expr: string };

interface MacroDef {
  params: string[] | null; // null: object-like
  variadic: boolean;
  body: string[];
  loc: string;
  own: boolean; // defined in a user file (not a system header, not built in or on the command line)
}

const PUNCTUATORS = ['...', '<<=', '>>=', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '##', '<:', ':>', '<%', '%>'];

/** Preprocessing tokens of a directive body (no whitespace tokens; strings stay whole). */
function ppTokens(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (/[A-Za-z_$]/.test(ch)) {
      let j = i + 1;
      while (j < s.length && /[A-Za-z0-9_$]/.test(s[j]!)) j++;
      // L"...", u8"..." prefixes
      if ((s[j] === '"' || s[j] === "'") && /^(?:L|u|U|u8)$/.test(s.slice(i, j))) {
        const end = skipLiteral(s, j);
        if (end < 0) return null;
        out.push(s.slice(i, end));
        i = end;
        continue;
      }
      out.push(s.slice(i, j));
      i = j;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < s.length && (/[0-9A-Za-z_.]/.test(s[j]!) || ((s[j] === '+' || s[j] === '-') && /[eEpP]/.test(s[j - 1]!)))) j++;
      out.push(s.slice(i, j));
      i = j;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = skipLiteral(s, i);
      if (end < 0) return null;
      out.push(s.slice(i, end));
      i = end;
      continue;
    }
    const p = PUNCTUATORS.find((q) => s.startsWith(q, i));
    out.push(p ?? ch);
    i += p ? p.length : 1;
  }
  return out;
}

function skipLiteral(s: string, i: number): number {
  const q = s[i];
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === q) return j + 1;
  }
  return -1;
}

/** A definition not of the user's files, its body and place read when asked (most never are). */
class UnreadDef implements MacroDef {
  readonly own = false;
  private tokens: string[] | undefined;
  constructor(
    readonly params: string[] | null,
    readonly variadic: boolean,
    private readonly rest: string,
    private readonly at: number,
    private readonly lines: UnitLines,
  ) {}
  get body(): string[] {
    return (this.tokens ??= ppTokens(this.rest)!);
  }
  get loc(): string {
    const pos = this.lines.map(this.at);
    return `${pos.file}:${pos.line}`;
  }
}

export class MacroTable {
  readonly defs = new Map<string, MacroDef>();

  constructor(text: string, lines: UnitLines) {
    const re = /^#[ \t]*(define|undef)[ \t]+((?:[A-Za-z_$]|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8})(?:[\w$]|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8})*)(.*)$/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const name = m[2]!;
      if (m[1] === 'undef') {
        this.defs.delete(name);
        continue;
      }
      const at = m.index;
      // Most definitions are system headers' that nothing expands (UnreadDef).
      const own = !lines.isSystem(at) && !lines.map(at).file.startsWith('<');
      let rest = m[3]!;
      let params: string[] | null = null;
      let variadic = false;
      if (rest.startsWith('(')) {
        const close = rest.indexOf(')');
        if (close < 0) continue;
        params = rest
          .slice(1, close)
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p.length > 0);
        if (params.length && params[params.length - 1]!.endsWith('...')) {
          variadic = true;
          const last = params.pop()!.slice(0, -3).trim();
          params.push(last || '__VA_ARGS__');
        }
        rest = rest.slice(close + 1);
      }
      // Only a literal left open makes the body unreadable (and the definition ignored): read at once then.
      if (!own && !rest.includes('"') && !rest.includes("'")) {
        this.defs.set(name, new UnreadDef(params, variadic, rest, at, lines));
        continue;
      }
      const body = ppTokens(rest);
      if (!body) continue;
      const pos = lines.map(at);
      this.defs.set(name, { params, variadic, body, loc: `${pos.file}:${pos.line}`, own });
    }
  }

  /** Fully macro-expands a token list; null when it cannot (stringizing, pasting, runaway). */
  expand(tokens: string[], hide: ReadonlySet<string>, budget = { n: 4000 }): string[] | null {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (--budget.n < 0) return null;
      const t = tokens[i]!;
      const def = this.defs.get(t);
      if (!def || hide.has(t)) {
        out.push(t);
        continue;
      }
      if (def.body.includes('#') || def.body.includes('##')) return null;
      const inner = new Set(hide).add(t);
      if (def.params === null) {
        const r = this.expand(def.body, inner, budget);
        if (!r) return null;
        out.push(...r);
        continue;
      }
      if (tokens[i + 1] !== '(') {
        out.push(t);
        continue;
      }
      const args: string[][] = [[]];
      let depth = 0;
      let j = i + 2;
      for (; j < tokens.length; j++) {
        const a = tokens[j]!;
        if (a === '(') depth++;
        else if (a === ')') {
          if (depth === 0) break;
          depth--;
        } else if (a === ',' && depth === 0 && !(def.variadic && args.length >= def.params.length)) {
          args.push([]);
          continue;
        }
        args[args.length - 1]!.push(a);
      }
      if (j >= tokens.length) return null;
      if (def.params.length === 0 && args.length === 1 && args[0]!.length === 0) args.length = 0;
      if (args.length !== def.params.length && !(def.variadic && args.length === def.params.length - 1)) return null;
      const expandedArgs = new Map<string, string[]>();
      for (let k = 0; k < def.params.length; k++) {
        const r = this.expand(args[k] ?? [], hide, budget);
        if (!r) return null;
        expandedArgs.set(def.params[k]!, r);
      }
      const substituted = def.body.flatMap((b) => expandedArgs.get(b) ?? [b]);
      const r = this.expand(substituted, inner, budget);
      if (!r) return null;
      out.push(...r);
      i = j;
    }
    return out;
  }
}

const TYPE_WORDS = new Set(['char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', '_Bool', 'const', 'volatile']);
const INT_CONSTANT = /^(?:0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)(?:[uU](?:ll|LL|l|L)?|(?:ll|LL|l|L)[uU]?)?$/;
const FLOAT_CONSTANT = /^(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][+-]?[0-9]+)?[fFlL]?$/;
const CHAR_CONSTANT = /^'(?:\\(?:[0-7]{1,3}|x[0-9a-fA-F]+|[\\'"?abfnrtv])|[^'\\\n])'$/;
const STRING_LITERAL = /^"(?:\\.|[^"\\\n])*"$/;

/**
 * Checks that tokens form an arithmetic constant expression the compiler will accept in a static
 * initializer: a recursive-descent parser over C's expression grammar without assignment,
 * comma, calls or member access.
 */
function isConstantExpression(tokens: string[], known: KnownIdentifiers): boolean {
  let i = 0;
  const peek = () => tokens[i];
  const isTypeStart = (t: string | undefined) => t !== undefined && (TYPE_WORDS.has(t) || known.arithmeticTypedefs.has(t));
  const typeName = (): boolean => {
    let words = 0;
    let typedefs = 0;
    while (isTypeStart(peek())) {
      if (known.arithmeticTypedefs.has(peek()!)) typedefs++;
      else if (peek() !== 'const' && peek() !== 'volatile') words++;
      i++;
    }
    return (words > 0) !== (typedefs > 0) && typedefs <= 1;
  };
  const primary = (): boolean => {
    const t = peek();
    if (t === undefined) return false;
    if (t === '(') {
      i++;
      if (!conditional()) return false;
      return tokens[i++] === ')';
    }
    if (INT_CONSTANT.test(t) || FLOAT_CONSTANT.test(t) || CHAR_CONSTANT.test(t) || known.enumerators.has(t)) {
      i++;
      return true;
    }
    return false;
  };
  const unary = (): boolean => {
    const t = peek();
    if (t === '+' || t === '-' || t === '~' || t === '!') {
      i++;
      return unary();
    }
    if (t === 'sizeof') {
      i++;
      if (peek() === '(' && isTypeStart(tokens[i + 1])) {
        i++;
        if (!typeName()) return false;
        return tokens[i++] === ')';
      }
      return unary();
    }
    if (t === '(' && isTypeStart(tokens[i + 1])) {
      i++;
      if (!typeName() || tokens[i++] !== ')') return false;
      return unary();
    }
    return primary();
  };
  const levels = [['*', '/', '%'], ['+', '-'], ['<<', '>>'], ['<', '>', '<=', '>='], ['==', '!='], ['&'], ['^'], ['|'], ['&&'], ['||']];
  const binary = (level: number): boolean => {
    if (level < 0) return unary();
    if (!binary(level - 1)) return false;
    while (peek() !== undefined && levels[level]!.includes(peek()!)) {
      const op = tokens[i++]!;
      // A literal zero divisor would not be a constant: leave such macros out.
      if ((op === '/' || op === '%') && /^0+[uUlL]*$/.test(peek() ?? '')) return false;
      if (!binary(level - 1)) return false;
    }
    return true;
  };
  const conditional = (): boolean => {
    if (!binary(levels.length - 1)) return false;
    if (peek() === '?') {
      i++;
      if (!conditional() || tokens[i++] !== ':') return false;
      return conditional();
    }
    return true;
  };
  return tokens.length > 0 && conditional() && i === tokens.length;
}

export function macroCandidates(table: MacroTable, known: KnownIdentifiers): Array<{ name: string; value: MacroValue; loc: string }> {
  const out: Array<{ name: string; value: MacroValue; loc: string }> = [];
  for (const [name, def] of table.defs) {
    if (!def.own || def.params !== null || def.body.length === 0 || name.startsWith('__')) continue;
    // A macro spelling a declared name (`#define stat stat64`) is not a constant.
    const tokens = table.expand(def.body, new Set([name]));
    if (!tokens || tokens.length === 0 || tokens.length > 400) continue;
    if (tokens.every((t) => STRING_LITERAL.test(t))) out.push({ name, value: { kind: 'string', expr: tokens.join(' ') }, loc: def.loc });
    else if (isConstantExpression(tokens, known)) out.push({ name, value: { kind: 'arith', expr: tokens.join(' ') }, loc: def.loc });
  }
  return out;
}

