/**
 * A tiny, safe expression language for a form's `visibleIf` conditions.
 *
 * Grammar (no eval, no Function; identifiers are looked up, never executed):
 *   expr    := and ('||' and)*
 *   and     := unary ('&&' unary)*
 *   unary   := '!' unary | '(' expr ')' | ident [cmp]
 *   cmp     := ('=='|'!='|'<'|'<='|'>'|'>=') literal
 *            | 'in' '[' literal (',' literal)* ']'
 *            | 'contains' literal
 *   literal := number | 'single-quoted' | "double-quoted" | true | false
 *
 * A bare identifier is true only when its value is the boolean `true` (a case fact such as
 * `octPresent`, or a bool question). Comparisons against an absent value are false, so a
 * question that depends on an unanswered or hidden one stays hidden.
 */

export type Literal = string | number | boolean;
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'contains';

export type Expr =
  | { readonly kind: 'or' | 'and'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'ident'; readonly name: string }
  | { readonly kind: 'compare'; readonly name: string; readonly op: CompareOp; readonly values: readonly Literal[] };

/** What an identifier is compared with, so config validation can check it against the form. */
export interface IdentifierUse {
  readonly name: string;
  /** `undefined` for a bare identifier (used as a boolean). */
  readonly op?: CompareOp;
  readonly values: readonly Literal[];
}

export interface CompiledVisibleIf {
  readonly source: string;
  readonly ast: Expr;
  readonly uses: readonly IdentifierUse[];
  evaluate(context: Readonly<Record<string, unknown>>): boolean;
}

export class VisibleIfParseError extends Error {
  constructor(
    readonly expression: string,
    readonly position: number,
    detail: string,
  ) {
    super(`visibleIf "${expression}": ${detail} at position ${position}`);
    this.name = 'VisibleIfParseError';
  }
}

// Bounds keep a hostile or mistaken config from exhausting the stack at synth time.
const MAX_LENGTH = 500;
const MAX_DEPTH = 32;

type Token =
  | { type: 'op'; value: string; pos: number }
  | { type: 'ident'; value: string; pos: number }
  | { type: 'literal'; value: Literal; pos: number }
  | { type: 'end'; pos: number };

const PUNCTUATION = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')', '[', ']', ','];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (detail: string): never => {
    throw new VisibleIfParseError(src, i, detail);
  };
  while (i < src.length) {
    const ch = src[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "'" || ch === '"') {
      const end = src.indexOf(ch, i + 1);
      if (end < 0) fail('unterminated string');
      tokens.push({ type: 'literal', value: src.slice(i + 1, end), pos: i });
      i = end + 1;
    } else if (/[0-9]/.test(ch) || (ch === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      tokens.push({ type: 'literal', value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      if (word === 'true' || word === 'false') tokens.push({ type: 'literal', value: word === 'true', pos: i });
      else if (word === 'in' || word === 'contains') tokens.push({ type: 'op', value: word, pos: i });
      else tokens.push({ type: 'ident', value: word, pos: i });
      i += word.length;
    } else {
      const op = PUNCTUATION.find((p) => src.startsWith(p, i));
      if (!op) fail(`unexpected character '${ch}'`);
      tokens.push({ type: 'op', value: op!, pos: i });
      i += op!.length;
    }
  }
  tokens.push({ type: 'end', pos: src.length });
  return tokens;
}

const COMPARISONS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

class Parser {
  private index = 0;
  readonly uses: IdentifierUse[] = [];

  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Expr {
    const expr = this.or(0);
    const next = this.peek();
    if (next.type !== 'end') this.fail(next.pos, `unexpected ${describe(next)}`);
    return expr;
  }

  private or(depth: number): Expr {
    let left = this.and(depth);
    while (this.acceptOp('||')) left = { kind: 'or', left, right: this.and(depth) };
    return left;
  }

  private and(depth: number): Expr {
    let left = this.unary(depth);
    while (this.acceptOp('&&')) left = { kind: 'and', left, right: this.unary(depth) };
    return left;
  }

  private unary(depth: number): Expr {
    const tok = this.peek();
    if (depth > MAX_DEPTH) this.fail(tok.pos, `nesting deeper than ${MAX_DEPTH}`);
    if (this.acceptOp('!')) return { kind: 'not', operand: this.unary(depth + 1) };
    if (this.acceptOp('(')) {
      const inner = this.or(depth + 1);
      this.expectOp(')');
      return inner;
    }
    if (tok.type !== 'ident') return this.fail(tok.pos, `expected an identifier, '!' or '(' but found ${describe(tok)}`);
    this.index++;
    return this.comparison(tok.value);
  }

  private comparison(name: string): Expr {
    const tok = this.peek();
    if (tok.type === 'op' && COMPARISONS.has(tok.value)) {
      this.index++;
      return this.use(name, tok.value as CompareOp, [this.literal()]);
    }
    if (this.acceptOp('contains')) return this.use(name, 'contains', [this.literal()]);
    if (this.acceptOp('in')) {
      this.expectOp('[');
      const values = [this.literal()];
      while (this.acceptOp(',')) values.push(this.literal());
      this.expectOp(']');
      return this.use(name, 'in', values);
    }
    this.uses.push({ name, values: [] });
    return { kind: 'ident', name };
  }

  private use(name: string, op: CompareOp, values: Literal[]): Expr {
    this.uses.push({ name, op, values });
    return { kind: 'compare', name, op, values };
  }

  private literal(): Literal {
    const tok = this.peek();
    if (tok.type !== 'literal') return this.fail(tok.pos, `expected a literal but found ${describe(tok)}`);
    this.index++;
    return tok.value;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private acceptOp(op: string): boolean {
    const tok = this.peek();
    if (tok.type === 'op' && tok.value === op) {
      this.index++;
      return true;
    }
    return false;
  }

  private expectOp(op: string): void {
    const tok = this.peek();
    if (!this.acceptOp(op)) this.fail(tok.pos, `expected '${op}' but found ${describe(tok)}`);
  }

  private fail(pos: number, detail: string): never {
    throw new VisibleIfParseError(this.src, pos, detail);
  }
}

function describe(tok: Token): string {
  if (tok.type === 'end') return 'end of expression';
  if (tok.type === 'literal') return `literal ${JSON.stringify(tok.value)}`;
  return `'${tok.value}'`;
}

function lookup(context: Readonly<Record<string, unknown>>, name: string): unknown {
  // Own properties only: `constructor` or `__proto__` must not resolve to Object.prototype members.
  return Object.prototype.hasOwnProperty.call(context, name) ? context[name] : undefined;
}

function compare(value: unknown, op: CompareOp, values: readonly Literal[]): boolean {
  switch (op) {
    case '==':
      return value === values[0];
    case '!=':
      return value !== undefined && value !== values[0];
    case 'in':
      return values.some((v) => v === value);
    case 'contains':
      return Array.isArray(value) && value.includes(values[0]);
    default:
      return typeof value === 'number' && typeof values[0] === 'number' && ORDER[op](value, values[0]);
  }
}

const ORDER: Record<'<' | '<=' | '>' | '>=', (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function evaluate(expr: Expr, context: Readonly<Record<string, unknown>>): boolean {
  switch (expr.kind) {
    case 'or':
      return evaluate(expr.left, context) || evaluate(expr.right, context);
    case 'and':
      return evaluate(expr.left, context) && evaluate(expr.right, context);
    case 'not':
      return !evaluate(expr.operand, context);
    case 'ident':
      return lookup(context, expr.name) === true;
    case 'compare':
      return compare(lookup(context, expr.name), expr.op, expr.values);
  }
}

/** Parses once; throws {@link VisibleIfParseError} naming the expression and the position. */
export function compileVisibleIf(source: string): CompiledVisibleIf {
  if (source.length > MAX_LENGTH) throw new VisibleIfParseError(source.slice(0, 40) + '…', MAX_LENGTH, `longer than ${MAX_LENGTH} characters`);
  const parser = new Parser(source, tokenize(source));
  const ast = parser.parse();
  return { source, ast, uses: parser.uses, evaluate: (context) => evaluate(ast, context) };
}
