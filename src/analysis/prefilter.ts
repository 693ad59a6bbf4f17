/**
 * The fast path of `analyzePython`: most statements of a training script cannot change any finding, and
 * the `@lezer/python` parse is the largest cost. This module finds, without the parser, the logical lines
 * that may matter and returns them as ranges of the source; lezer parses only those ranges (as if they were
 * one text), so every node keeps its offset — and so its line and column — in the original source.
 *
 * How, and why it gives the same result as the full analysis:
 * - a character-level scanner that follows `@lezer/python`'s tokenizer (string prefixes, triple quotes,
 *   escapes, f-string replacement fields, comments, bracket depth, backslash continuations) splits the text
 *   into logical lines and their tokens, and their indentation into blocks; anything it is not sure about
 *   (an unterminated string, a stray character, inconsistent indentation, a misplaced `else`…) makes it
 *   give up (`null`), and the caller runs the full analysis;
 * - kept: import lines; lines with an identifier the catalogue recognises (a loss name after a `.`, or bare
 *   when an import can bind it; a name imported as a loss; `label_smoothing`; a class-count name); lines
 *   that may bind a name those lines look up (the roots of callee chains that can resolve to a loss, a
 *   tensor factory or a layer, and every name of a post-hoc `x.label_smoothing = …` line) — assignment
 *   targets, `for`/`as` targets, `def`/`class` names, `global`; lines with f-string replacement fields;
 *   lines the small conservative grammar below cannot prove free of syntax errors; and the headers (with
 *   decorators and `else`/`except`… clauses) around anything kept — a header whose body is all skipped gets
 *   a `0` statement in place of its first line;
 * - a skipped line contains no recognised name, binds no looked-up name and is well-formed in a subset of
 *   what lezer accepts, so it adds no call, option, class count, post-hoc assignment, binding that matters,
 *   or syntax error. The caller also falls back to the full analysis when the reduced parse has any error
 *   node (lezer's recovery may look past a statement, and the reduced text lacks what it would see).
 * Checked by test/unit/analysis-fastpath.test.ts against the full analysis.
 */
import { isTerminalName, specForPath, TENSOR_FACTORIES } from './catalogue';

const enum K {
  Name,
  Number,
  String,
  Op,
}

interface Tok {
  k: K;
  s: number;
  e: number;
  /** Identifier or operator text. */
  v: string;
  /** Bracket depth before the token (100+ inside an f-string replacement field). */
  d: number;
  /** Preceded by a `.` token. */
  dot: boolean;
  /** Numbers and strings: a form the validator accepts (plain, terminated, no f-string fields); names: ASCII. */
  ok: boolean;
}

interface Line {
  start: number;
  end: number;
  indent: number;
  from: number;
  to: number;
  /** Contains an f-string with replacement fields (never validated). */
  fields: boolean;
  children: Line[];
  groups: Line[][] | null;
  keep: boolean;
  header: boolean;
}

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

const isIdStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0xa1;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdChar = (c: number) => isIdStart(c) || isDigit(c);

function digitsEnd(src: string, j: number): number {
  for (;;) {
    const c = src.charCodeAt(j);
    if (!(isDigit(c) || c === 95)) return j;
    j++;
  }
}

/** The operator or delimiter at `j` (longest match, as Python's tokenizer reads it). */
function opAt(src: string, j: number): string {
  const c = src[j] as string;
  const c2 = src[j + 1];
  const c3 = src[j + 2];
  switch (c) {
    case '.':
      return c2 === '.' && c3 === '.' ? '...' : '.';
    case '*':
    case '/':
    case '>':
    case '<':
      if (c2 === c) return c3 === '=' ? c + c + '=' : c + c;
      if (c2 === '=') return c + '=';
      if (c === '<' && c2 === '>') return '<>';
      return c;
    case '-':
      return c2 === '>' ? '->' : c2 === '=' ? '-=' : '-';
    case ':':
    case '=':
    case '!':
    case '+':
    case '%':
    case '&':
    case '|':
    case '^':
    case '@':
      return c2 === '=' ? c + '=' : c;
    case '~':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case ',':
    case ';':
      return c;
    default:
      return giveUp();
  }
}
const AUG = new Set(['+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=', '**=', '//=', '>>=', '<<=']);
const PREFIXES = new Set(['u', 'b', 'r', 'rb', 'br', 'f', 'rf', 'fr']);

/**
 * Token objects reused from one call to the next (the scanner overwrites them; a 5,000-line file has
 * ~40,000 tokens, and allocating them anew each time costs more in garbage collection than the scan).
 */
const POOL: Tok[] = [];

/** Splits the text into logical lines and tokens the way `@lezer/python` tokenizes it. */
function scan(src: string): { toks: Tok[]; lines: Line[] } {
  const n = src.length;
  const toks = POOL;
  let count = 0;
  const lines: Line[] = [];
  let i = 0;
  let depth = 0;
  let cur: Line | null = null;
  let lineStart = true;
  let fields = false;
  /** The last token's effect on the bracket depth (+1, -1 or 0). */
  let bracket = 0;

  const push = (k: K, s: number, e: number, v: string, d: number, ok: boolean) => {
    const prev = count > 0 ? (toks[count - 1] as Tok) : undefined;
    const dot = prev !== undefined && cur !== null && count > cur.from && prev.k === K.Op && prev.v === '.';
    const t = toks[count];
    if (t === undefined) toks[count] = { k, s, e, v, d, dot, ok };
    else {
      t.k = k;
      t.s = s;
      t.e = e;
      t.v = v;
      t.d = d;
      t.dot = dot;
      t.ok = ok;
    }
    count++;
  };

  /** Scans a number at `i` as lezer's Number token; returns its end and whether it is a clean literal. */
  function number(at: number): { end: number; ok: boolean } {
    let j = at;
    const c0 = src.charCodeAt(j);
    const c1 = src.charCodeAt(j + 1) | 32;
    if (c0 === 48 && (c1 === 120 || c1 === 111 || c1 === 98)) {
      j += 2;
      const s = j;
      while (j < n && /[0-9a-fA-F_]/.test(src[j] as string)) j++;
      if (j === s) giveUp();
      const body = src.slice(s, j);
      const ok = c1 === 120 || (c1 === 111 ? /^[0-7_]+$/.test(body) : /^[01_]+$/.test(body));
      if (!ok) giveUp();
    } else {
      if (c0 === 46) j++;
      j = digitsEnd(src, j);
      if (c0 !== 46 && src.charCodeAt(j) === 46 && isDigit(src.charCodeAt(j + 1))) {
        j++;
        j = digitsEnd(src, j);
      }
      const e = src.charCodeAt(j) | 32;
      if (e === 101) {
        let k = j + 1;
        if (src[k] === '+' || src[k] === '-') k++;
        if (isDigit(src.charCodeAt(k))) {
          j = k;
          j = digitsEnd(src, j);
        }
      }
      if ((src.charCodeAt(j) | 32) === 106) j++;
    }
    const next = src.charCodeAt(j);
    const clean = !(j < n && (isIdChar(next) || next === 46)) && src.charCodeAt(j - 1) !== 95;
    return { end: j, ok: clean };
  }

  /** Scans a string starting at its first quote; prefix already consumed. Returns the end offset. */
  function string(q: number, prefix: string): { end: number; ok: boolean } {
    const raw = prefix.includes('r');
    const format = prefix.includes('f');
    const quote = src.charCodeAt(q);
    const long = src.charCodeAt(q + 1) === quote && src.charCodeAt(q + 2) === quote;
    let j = q + (long ? 3 : 1);
    let ok = !format;
    for (;;) {
      if (j >= n) giveUp(); // unterminated at the end of the text
      const c = src.charCodeAt(j);
      if (format && c === 123) {
        if (src.charCodeAt(j + 1) === 123) j += 2;
        else {
          fields = true;
          ok = false;
          j = replacement(j + 1);
        }
      } else if (c === 92) {
        if (j + 1 >= n) giveUp();
        const e = src.charCodeAt(j + 1);
        j += 2;
        if (!raw && e === 78 && src.charCodeAt(j) === 123) {
          // `\N{NAME}`: lezer skips to the brace, a quote or a newline.
          while (j < n && !'}\'"\n'.includes(src[j] as string)) j++;
          if (src.charCodeAt(j) === 125) j++;
        }
      } else if (c === quote && (!long || (src.charCodeAt(j + 1) === quote && src.charCodeAt(j + 2) === quote))) {
        return { end: j + (long ? 3 : 1), ok };
      } else if (c === 10 && !long) {
        giveUp(); // a short string running into a newline
      } else j++;
    }
  }

  /** Scans an f-string replacement field from after its `{`; returns the offset after its `}`. */
  function replacement(at: number): number {
    let j = at;
    let d = 0;
    for (;;) {
      if (j >= n) giveUp();
      const c = src.charCodeAt(j);
      if (c === 32 || c === 9 || c === 10 || c === 13) j++;
      else if (c === 35 || c === 92 || c === 33) giveUp(); // comments, backslashes, `!` conversions: not followed
      else if (c === 125 && d === 0) return j + 1;
      else if (c === 58 && d === 0 && src.charCodeAt(j + 1) !== 61) {
        // Format spec: any characters but braces; `{…}` nests.
        j++;
        for (;;) {
          if (j >= n) giveUp();
          const s = src.charCodeAt(j);
          if (s === 125) return j + 1;
          if (s === 123) j = replacement(j + 1);
          else j++;
        }
      } else {
        j = token(j, 100 + d);
        d += bracket;
        if (d < 0) giveUp();
      }
    }
  }

  /** One token at `j` (not whitespace/newline/comment); returns its end. */
  function token(j: number, d: number): number {
    bracket = 0;
    const c = src.charCodeAt(j);
    if (isIdStart(c)) {
      if (c >= 0x80 && c < 0xa1) giveUp();
      let e = j + 1;
      let ascii = c < 128;
      for (;;) {
        const x = src.charCodeAt(e);
        if (!(e < n && isIdChar(x))) break;
        if (x >= 128) ascii = false;
        e++;
      }
      const word = src.slice(j, e);
      const q = src.charCodeAt(e);
      if ((q === 34 || q === 39) && e - j <= 2 && PREFIXES.has(word.toLowerCase())) {
        const r = string(e, word.toLowerCase());
        bracket = 0;
        push(K.String, j, r.end, '', d, r.ok && !word.toLowerCase().includes('f'));
        return r.end;
      }
      push(K.Name, j, e, word, d, ascii);
      return e;
    }
    if (c === 34 || c === 39) {
      const r = string(j, '');
      bracket = 0;
      push(K.String, j, r.end, '', d, r.ok);
      return r.end;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(j + 1)))) {
      const r = number(j);
      push(K.Number, j, r.end, src.slice(j, r.end), d, r.ok);
      return r.end;
    }
    const op = opAt(src, j);
    if (op === '(' || op === '[' || op === '{') bracket = 1;
    else if (op === ')' || op === ']' || op === '}') bracket = -1;
    push(K.Op, j, j + op.length, op, op === ')' || op === ']' || op === '}' ? d - 1 : d, true);
    return j + op.length;
  }

  const close = () => {
    if (!cur) return;
    if (count === cur.from) giveUp(); // a line that is only a backslash continuation
    const last = toks[count - 1] as Tok;
    cur.end = last.e;
    cur.to = count;
    cur.header = last.k === K.Op && last.v === ':' && last.d === 0;
    lines.push(cur);
    cur = null;
  };

  while (i < n) {
    if (lineStart && depth === 0) {
      lineStart = false;
      let col = 0;
      let j = i;
      for (;; j++) {
        const c = src.charCodeAt(j);
        if (c === 32) col++;
        else if (c === 9) col += 8 - (col % 8);
        else if (c === 12) giveUp();
        else break;
      }
      const c = src.charCodeAt(j);
      if (j >= n && j > i) giveUp(); // lezer reads trailing spaces at the very end as an indentation
      i = j;
      if (j >= n) break;
      if (c === 10 || c === 13 || c === 35) continue; // blank or comment-only line
      cur = { start: j, end: j, indent: col, from: count, to: count, fields: false, children: [], groups: null, keep: false, header: false };
      fields = false;
    }
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 12) i++;
    else if (c === 10 || c === 13) {
      i += c === 13 && src.charCodeAt(i + 1) === 10 ? 2 : 1;
      if (depth === 0) {
        if (cur) (cur as Line).fields = fields;
        close();
        lineStart = true;
      }
    } else if (c === 35) {
      while (i < n && src.charCodeAt(i) !== 10 && src.charCodeAt(i) !== 13) i++;
    } else if (c === 92) {
      if (src.charCodeAt(i + 1) !== 10) giveUp(); // `\` + CR, or a stray backslash
      i += 2;
      // Lezer reads a blank or comment-only line after a continuation as the end of the statement.
      let k = i;
      while (src.charCodeAt(k) === 32 || src.charCodeAt(k) === 9) k++;
      const after = src.charCodeAt(k);
      if (k >= n || after === 10 || after === 13 || after === 35) giveUp();
    } else {
      if (!cur) giveUp(); // continuation line before any token
      i = token(i, depth);
      depth += bracket;
      if (depth < 0) giveUp();
    }
  }
  if (depth !== 0) giveUp();
  if (cur) (cur as Line).fields = fields;
  close();
  return { toks, lines };
}

/** Builds the block structure from indentation; gives up where Python (or lezer) would not agree. */
function structure(lines: Line[]): Line[] {
  const root: Line[] = [];
  const stack: { indent: number; list: Line[] }[] = [{ indent: 0, list: root }];
  let prev: Line | null = null;
  for (const l of lines) {
    const top = stack[stack.length - 1] as { indent: number; list: Line[] };
    if (prev === null) {
      if (l.indent !== 0) giveUp();
    } else if (l.indent > top.indent) {
      if (!prev.header) giveUp();
      stack.push({ indent: l.indent, list: prev.children });
    } else {
      if (prev.header) giveUp();
      while ((stack[stack.length - 1] as { indent: number }).indent > l.indent) stack.pop();
      if ((stack[stack.length - 1] as { indent: number }).indent !== l.indent) giveUp();
    }
    (stack[stack.length - 1] as { list: Line[] }).list.push(l);
    prev = l;
  }
  if (prev?.header) giveUp();
  return root;
}

const CLAUSES: Record<string, Record<string, string[]>> = {
  // head → clause → clauses that may precede it
  if: { elif: ['if', 'elif'], else: ['if', 'elif'] },
  while: { else: ['while'] },
  for: { else: ['for'] },
  try: { except: ['try', 'except'], else: ['except'], finally: ['try', 'except', 'else'] },
};

/** Sibling lines → groups: decorators + definition, or a compound head + its clauses. */
function groupsOf(list: Line[], toks: Tok[]): Line[][] {
  const out: Line[][] = [];
  let pending: Line[] = [];
  const first = (l: Line) => (toks[l.from] as Tok).v;
  for (const l of list) {
    const f = first(l);
    if (f === 'elif' || f === 'else' || f === 'except' || f === 'finally') {
      const g = out[out.length - 1];
      if (pending.length || !g) giveUp();
      const head = first((g as Line[])[0] as Line);
      const prevClause = first((g as Line[])[(g as Line[]).length - 1] as Line);
      const allowed = CLAUSES[head]?.[f];
      if (!allowed || !allowed.includes(prevClause) || !l.header) giveUp();
      if (head === 'try' && f === 'else' && !(g as Line[]).some((x) => first(x) === 'except')) giveUp();
      (g as Line[]).push(l);
      continue;
    }
    const g = out[out.length - 1];
    if (g && first(g[0] as Line) === 'try' && !g.some((x) => first(x) === 'except' || first(x) === 'finally')) giveUp();
    if (pending.length && f !== '@' && f !== 'def' && f !== 'class') giveUp();
    pending.push(l);
    if (f !== '@') {
      out.push(pending);
      pending = [];
    }
  }
  if (pending.length) giveUp();
  const g = out[out.length - 1];
  if (g && first(g[0] as Line) === 'try' && !g.some((x) => first(x) === 'except' || first(x) === 'finally')) giveUp();
  return out;
}

// ——— A conservative statement grammar (a subset of what lezer parses without error nodes) ———

const KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try',
  'while', 'with', 'yield', 'print', 'exec', 'match', 'case', 'type',
]);
const COMPARE = new Set(['<', '>', '==', '>=', '<=', '!=']);
const BINARY = new Set(['|', '^', '&', '<<', '>>', '+', '-', '*', '/', '//', '%', '@']);

class Bad extends Error {}
const BAD = new Bad();

// The validator's state (module-level so that no closures are made per line).
let toks: Tok[] = [];
let p = 0;
let to = 0;

function peek(o = 0): Tok | undefined {
  return p + o < to ? toks[p + o] : undefined;
}
function isOp(v: string, o = 0): boolean {
  const t = peek(o);
  return t !== undefined && t.k === K.Op && t.v === v;
}
function isKw(v: string, o = 0): boolean {
  const t = peek(o);
  return t !== undefined && t.k === K.Name && t.v === v;
}
function expect(v: string): void {
  const t = peek();
  if (!t || t.v !== v || (t.k !== K.Op && t.k !== K.Name)) throw BAD;
  p++;
}
function name(): void {
  const t = peek();
  if (!t || t.k !== K.Name || !t.ok) throw BAD; // `ok`: an ASCII identifier
  if (KEYWORDS.has(t.v)) {
    // `print(` is a call (lezer's legacy print statement needs a space-separated operand).
    const next = p + 1 < to ? toks[p + 1] : undefined;
    if (!(t.v === 'print' && next && next.v === '(' && next.s === t.e)) throw BAD;
  }
  p++;
}

function atom(): void {
  const t = peek();
  if (!t) throw BAD;
  if (t.k === K.Name) {
    if (t.v === 'None' || t.v === 'True' || t.v === 'False') p++;
    else name();
  } else if (t.k === K.Number) {
    if (!t.ok) throw BAD;
    p++;
  } else if (t.k === K.String) {
    while (peek()?.k === K.String) {
      if (!(peek() as Tok).ok) throw BAD;
      p++;
    }
  } else if (t.v === '...') p++;
  else if (t.v === '(') {
    p++;
    if (isOp(')')) return void p++;
    test();
    if (isKw('for')) compFor();
    else while (isOp(',')) {
      p++;
      if (isOp(')')) break;
      test();
    }
    expect(')');
  } else if (t.v === '[') {
    p++;
    if (isOp(']')) return void p++;
    test();
    if (isKw('for')) compFor();
    else list(']');
    expect(']');
  } else if (t.v === '{') {
    p++;
    if (isOp('}')) return void p++;
    test();
    if (isOp(':')) {
      p++;
      test();
      if (isKw('for')) compFor();
      else
        while (isOp(',')) {
          p++;
          if (isOp('}')) break;
          test();
          expect(':');
          test();
        }
    } else if (isKw('for')) compFor();
    else list('}');
    expect('}');
  } else throw BAD;
}

function list(close: string): void {
  while (isOp(',')) {
    p++;
    if (isOp(close)) break;
    test();
  }
}

/** Returns whether the trailers end in a call (for targets). */
function trailers(): boolean {
  let call = false;
  for (;;) {
    if (isOp('.')) {
      p++;
      name();
      call = false;
    } else if (isOp('(')) {
      p++;
      args();
      expect(')');
      call = true;
    } else if (isOp('[')) {
      p++;
      subscript();
      while (isOp(',')) {
        p++;
        if (isOp(']')) break;
        subscript();
      }
      expect(']');
      call = false;
    } else return call;
  }
}

function subscript(): void {
  if (!isOp(':')) test();
  if (isOp(':')) {
    p++;
    if (!isOp(':') && !isOp(']') && !isOp(',')) test();
    if (isOp(':')) {
      p++;
      if (!isOp(']') && !isOp(',')) test();
    }
  }
}

function args(): void {
  if (isOp(')')) return;
  let keyword = false;
  let count = 0;
  for (;;) {
    if (isOp('**')) {
      p++;
      test();
      keyword = true;
    } else if (isOp('*')) {
      if (keyword) throw BAD;
      p++;
      test();
    } else if (peek()?.k === K.Name && isOp('=', 1)) {
      name();
      p++;
      test();
      keyword = true;
    } else {
      if (keyword) throw BAD;
      test();
      if (isKw('for')) {
        if (count > 0) throw BAD;
        compFor();
        if (!isOp(')')) throw BAD;
        return;
      }
    }
    count++;
    if (!isOp(',')) return;
    p++;
    if (isOp(')')) return;
  }
}

function compFor(): void {
  while (isKw('for')) {
    p++;
    targets();
    expect('in');
    orTest();
    while (isKw('if')) {
      p++;
      orTest();
    }
  }
}

function power(): void {
  atom();
  trailers();
  if (isOp('**')) {
    p++;
    factor();
  }
}
function factor(): void {
  if (isOp('-') || isOp('+') || isOp('~')) {
    p++;
    factor();
  } else power();
}
function binary(): void {
  factor();
  while (peek()?.k === K.Op && BINARY.has((peek() as Tok).v)) {
    p++;
    factor();
  }
}
function comparison(): void {
  binary();
  for (;;) {
    const t = peek();
    if (t?.k === K.Op && COMPARE.has(t.v)) p++;
    else if (isKw('in')) p++;
    else if (isKw('not') && isKw('in', 1)) p += 2;
    else if (isKw('is')) {
      p++;
      if (isKw('not')) p++;
    } else return;
    binary();
  }
}
function notTest(): void {
  if (isKw('not')) {
    p++;
    notTest();
  } else comparison();
}
function andTest(): void {
  notTest();
  while (isKw('and')) {
    p++;
    notTest();
  }
}
function orTest(): void {
  andTest();
  while (isKw('or')) {
    p++;
    andTest();
  }
}
function test(): void {
  orTest();
  if (isKw('if')) {
    p++;
    orTest();
    expect('else');
    test();
  }
}
function testList(): void {
  test();
  while (isOp(',')) {
    p++;
    if (p >= to || isOp('=') || isOp(':')) return;
    test();
  }
}
/** `a`, `a.b`, `a[i]`, `a, b.c` (not calls, not parenthesised). */
function target(): void {
  name();
  if (trailers()) throw BAD;
}
function targets(): void {
  target();
  while (isOp(',')) {
    p++;
    if (isKw('in') || isOp('=') || p >= to) return;
    target();
  }
}
function params(): void {
  expect('(');
  let star = false;
  while (!isOp(')')) {
    if (isOp('**')) {
      p++;
      name();
      if (isOp(':')) {
        p++;
        test();
      }
      if (!isOp(')') && !(isOp(',') && isOp(')', 1))) throw BAD;
    } else if (isOp('*')) {
      if (star) throw BAD;
      star = true;
      p++;
      if (!isOp(',')) {
        name();
        if (isOp(':')) {
          p++;
          test();
        }
      }
    } else {
      name();
      if (isOp(':')) {
        p++;
        test();
      }
      if (isOp('=')) {
        p++;
        test();
      }
    }
    if (isOp(',')) p++;
    else if (!isOp(')')) throw BAD;
  }
  p++;
}


/** Validates the tokens [from, to) of one logical line as one statement of the subset grammar. */
function validLine(all: Tok[], from: number, end: number): boolean {
  toks = all;
  p = from;
  to = end;
  try {
    const first = peek() as Tok;
    const f = first.k === K.Name ? first.v : first.k === K.Op ? first.v : '';
    switch (f) {
      case 'def':
        p++;
        name();
        params();
        if (isOp('->')) {
          p++;
          test();
        }
        expect(':');
        break;
      case 'class':
        p++;
        name();
        if (isOp('(')) {
          p++;
          args();
          expect(')');
        }
        expect(':');
        break;
      case '@':
        p++;
        name();
        while (isOp('.')) {
          p++;
          name();
        }
        if (isOp('(')) {
          p++;
          args();
          expect(')');
        }
        break;
      case 'if':
      case 'elif':
      case 'while':
        p++;
        test();
        expect(':');
        break;
      case 'else':
      case 'try':
      case 'finally':
        p++;
        expect(':');
        break;
      case 'except':
        p++;
        if (!isOp(':')) {
          test();
          if (isKw('as')) {
            p++;
            name();
          }
        }
        expect(':');
        break;
      case 'for':
        p++;
        targets();
        expect('in');
        testList();
        expect(':');
        break;
      case 'with':
        p++;
        for (;;) {
          test();
          if (isKw('as')) {
            p++;
            name(); // lezer reads only a plain name after `as` here
          }
          if (!isOp(',')) break;
          p++;
        }
        expect(':');
        break;
      case 'pass':
      case 'break':
      case 'continue':
        p++;
        break;
      case 'return':
        p++;
        if (p < to) testList();
        break;
      case 'raise':
        p++;
        if (p < to) {
          test();
          if (isKw('from')) {
            p++;
            test();
          }
        }
        break;
      case 'assert':
        p++;
        test();
        if (isOp(',')) {
          p++;
          test();
        }
        break;
      case 'global':
        p++;
        name();
        while (isOp(',')) {
          p++;
          name();
        }
        break;
      default: {
        if (first.k === K.Name && KEYWORDS.has(first.v) && first.v !== 'None' && first.v !== 'True' && first.v !== 'False' && first.v !== 'not' && first.v !== 'print') throw BAD;
        // Expression statement, or assignment: targets (= targets)* = value, or target op= value.
        const eqs: number[] = [];
        let aug = -1;
        for (let k = from; k < to; k++) {
          const t = toks[k] as Tok;
          if (t.d !== 0 || t.k !== K.Op) continue;
          if (t.v === '=') eqs.push(k);
          else if (t.v === ':' || t.v === ':=') throw BAD; // annotations, walrus: not in the subset
          else if (AUG.has(t.v)) {
            if (aug >= 0) throw BAD;
            aug = k;
          }
        }
        if (aug >= 0) {
          if (eqs.length) throw BAD;
          targets();
          if (p !== aug) throw BAD;
          p++;
          testList();
          break;
        }
        for (const eq of eqs) {
          targets();
          if (p !== eq) throw BAD;
          p++;
        }
        testList();
      }
    }
    return p === to;
  } catch (e) {
    if (e === BAD) return false;
    throw e;
  }
}

/** What to parse: `text` (the source, with a `0` statement in place of some skipped lines) within `ranges`. */
export interface Reduced {
  text: string;
  ranges: TextRange[];
}

interface TextRange {
  from: number;
  to: number;
}

// ——— Relevance ———

/** Last components of the tensor factories whose literal list argument the analysis reads. */
const FACTORY_NAMES = new Set([...TENSOR_FACTORIES].map((f) => f.slice(f.lastIndexOf('.') + 1)));

const CLASS_COUNT_NAMES = ['num_classes', 'out_channels', 'NUM_CLASSES', 'OUT_CHANNELS', 'n_classes', 'N_CLASSES'];

/** Names bound by one import line and their import paths (null path: not a module import). */
function importBindings(toks: Tok[], l: Line): { name: string; path: string | null }[] | null {
  const out: { name: string; path: string | null }[] = [];
  let p = l.from;
  const at = (k: number) => (k < l.to ? (toks[k] as Tok) : undefined);
  const dotted = (): string[] | null => {
    const parts: string[] = [];
    for (;;) {
      const t = at(p);
      if (!t || t.k !== K.Name) return null;
      parts.push(t.v);
      p++;
      if (at(p)?.v !== '.') return parts;
      p++;
    }
  };
  const first = at(p) as Tok;
  if (first.v === 'import') {
    p++;
    for (;;) {
      const d = dotted();
      if (!d) return null;
      if (at(p)?.v === 'as') {
        p++;
        const a = at(p);
        if (!a || a.k !== K.Name) return null;
        out.push({ name: a.v, path: d.join('.') });
        p++;
      } else out.push({ name: d[0] as string, path: d[0] as string });
      if (at(p)?.v !== ',') break;
      p++;
    }
  } else {
    p++;
    let relative = false;
    while (at(p)?.v === '.' || at(p)?.v === '...') {
      relative = true;
      p++;
    }
    let base: string[] = [];
    if (at(p)?.v !== 'import') {
      const d = dotted();
      if (!d) return null;
      base = d;
    }
    if (at(p)?.v !== 'import') return null;
    p++;
    if (at(p)?.v === '(') p++;
    for (;;) {
      const t = at(p);
      if (!t) break;
      if (t.v === '*') {
        p++;
      } else {
        if (t.k !== K.Name) return null;
        p++;
        let local = t.v;
        if (at(p)?.v === 'as') {
          p++;
          const a = at(p);
          if (!a || a.k !== K.Name) return null;
          local = a.v;
          p++;
        }
        out.push({ name: local, path: relative || base.length === 0 ? null : `${base.join('.')}.${t.v}` });
      }
      if (at(p)?.v === ',') p++;
      else break;
    }
    if (at(p)?.v === ')') p++;
  }
  return p === l.to ? out : null;
}

/**
 * The parts of the text that can change the analysis, as ranges for lezer to parse (offsets into `text`,
 * which is the source with `0` placeholders), or null when the scanner is not sure of the text's structure
 * (then the caller analyses the whole text).
 */
export function reduceSource(src: string): Reduced | null {
  let scanned: { toks: Tok[]; lines: Line[] };
  let root: Line[];
  try {
    scanned = scan(src);
    root = structure(scanned.lines);
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
  const { toks, lines } = scanned;
  if (lines.length === 0) return { text: src, ranges: [] };
  // Every block's statements must group up as Python's (decorators, `else`/`except` clauses) — skipped
  // blocks too, since a misplaced clause is a syntax error wherever it is.
  let rootGroups: Line[][];
  try {
    rootGroups = groupsOf(root, toks);
    for (const l of lines) if (l.children.length) l.groups = groupsOf(l.children, toks);
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }

  // 1. Triggers: recognised names, and names imported as a loss.
  const triggers = new Set<string>(CLASS_COUNT_NAMES);
  triggers.add('label_smoothing');
  const isImport = (l: Line) => {
    const t = toks[l.from] as Tok;
    return t.k === K.Name && (t.v === 'import' || t.v === 'from');
  };
  for (const l of lines) {
    if (!isImport(l)) continue;
    const b = importBindings(toks, l);
    if (b === null) return null;
    for (const { name, path } of b) if (path !== null && specForPath(path)) triggers.add(name);
  }
  // A loss's own name counts after a `.` (`nn.CrossEntropyLoss`); as a bare name only when an import can
  // bind it (an import line naming it, or a star import) — otherwise a bare `dice(...)` resolves to nothing.
  const importNamed = new Set<string>();
  let star = false;
  for (const l of lines) {
    if (!isImport(l)) continue;
    for (let k = l.from; k < l.to; k++) {
      const t = toks[k] as Tok;
      if (t.k === K.Name) importNamed.add(t.v);
      else if (t.v === '*') star = true;
    }
  }
  const isTrigger = (t: Tok) => t.k === K.Name && (triggers.has(t.v) || (isTerminalName(t.v) && (t.dot || star || importNamed.has(t.v))));

  // 2. What trigger lines look up (chain roots), and the attributes of post-hoc targets.
  const looked = new Set<string>();
  const triggerLine: boolean[] = [];
  for (const l of lines) {
    let hit = false;
    for (let k = l.from; k < l.to && !hit; k++) hit = isTrigger(toks[k] as Tok);
    triggerLine.push(hit);
    if (!hit) continue;
    let smoothing = false;
    let channels = false;
    for (let k = l.from; k < l.to; k++) {
      const v = (toks[k] as Tok).v;
      // A post-hoc assignment's target ends in `.label_smoothing` (the keyword `label_smoothing=` looks up nothing).
      if (v === 'label_smoothing' && (toks[k] as Tok).dot) smoothing = true;
      else if (v === 'out_channels') channels = true;
    }
    for (let k = l.from; k < l.to; k++) {
      const t = toks[k] as Tok;
      if (t.k !== K.Name) continue;
      if (smoothing) {
        // A post-hoc target's root and attributes, and whatever its value reads.
        looked.add(t.v);
        continue;
      }
      if (t.dot) continue;
      // A callee chain `root.a.b(`: its root is looked up when the callee can resolve to a loss, a tensor
      // factory, or (on a line with `out_channels`) a layer.
      let j = k + 1;
      let last = t.v;
      while (j + 1 < l.to && (toks[j] as Tok).v === '.' && (toks[j] as Tok).k === K.Op && (toks[j + 1] as Tok).k === K.Name) {
        last = (toks[j + 1] as Tok).v;
        j += 2;
      }
      const open = toks[j];
      if (j < l.to && open && open.k === K.Op && open.v === '(' && (channels || triggers.has(last) || isTerminalName(last) || FACTORY_NAMES.has(last))) looked.add(t.v);
    }
  }
  // 3. Per line: kept for itself?
  lines.forEach((l, idx) => {
    if (triggerLine[idx] || isImport(l) || l.fields) {
      l.keep = true;
      return;
    }
    if (bindsLooked(toks, l, looked)) {
      l.keep = true;
      return;
    }
    l.keep = !validLine(toks, l.from, l.to);
  });

  // 4. Blocks: a group is kept when anything in it is; the kept lines become the ranges to parse.
  const n = src.length;
  const ranges: TextRange[] = [];
  const placeholders: number[] = [];
  const add = (from: number, to: number) => {
    const last = ranges[ranges.length - 1];
    if (last && last.to >= from) last.to = Math.max(last.to, to);
    else ranges.push({ from, to });
  };
  const lineStartOf = (at: number) => {
    let k = at;
    while (k > 0 && src.charCodeAt(k - 1) !== 10 && src.charCodeAt(k - 1) !== 13) k--;
    return k;
  };
  /** The offset after the line break that ends the physical line containing `at` (or the end of the text). */
  const lineEndOf = (at: number) => {
    let k = at;
    while (k < n && src.charCodeAt(k) !== 10 && src.charCodeAt(k) !== 13) k++;
    if (k < n) k += src.charCodeAt(k) === 13 && src.charCodeAt(k + 1) === 10 ? 2 : 1;
    return k;
  };
  const kept = (l: Line): boolean => {
    if (l.keep) return true;
    for (const c of l.children) if (kept(c)) return true;
    return false;
  };
  const emit = (list: Line[], header: Line | null) => {
    const groups = (header ? header.groups : rootGroups) as Line[][];
    let any = false;
    for (const g of groups) {
      if (g.some(kept)) {
        any = true;
        for (const l of g) {
          add(lineStartOf(l.start), lineEndOf(l.end));
          if (l.children.length) emit(l.children, l);
        }
      } else if (!any && header && g === groups[groups.length - 1]) {
        // Nothing of this body is kept: a `0` statement in place of its first line holds its place.
        const first = g[0] as Line;
        placeholders.push(first.start);
        add(lineStartOf(first.start), first.start + 1);
        const eol = lineEndOf(first.start);
        let k = eol;
        while (k > first.start + 1 && (src.charCodeAt(k - 1) === 10 || src.charCodeAt(k - 1) === 13)) k--;
        if (k < eol) add(k, eol);
        any = true;
      }
    }
  };
  try {
    emit(root, null);
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
  let text = src;
  if (placeholders.length) {
    const parts: string[] = [];
    let pos = 0;
    for (const at of placeholders) {
      parts.push(src.slice(pos, at), '0');
      pos = at + 1;
    }
    parts.push(src.slice(pos));
    text = parts.join('');
  }
  return { text, ranges };
}

/** The reduced text as one string: everything outside the ranges blanked (line breaks kept). For tests. */
export function reducedView(r: Reduced): string {
  const out: string[] = [];
  let pos = 0;
  const blank = (a: number, b: number) => {
    for (let k = a; k < b; k++) {
      const c = r.text[k] as string;
      out.push(c === '\n' || c === '\r' ? c : ' ');
    }
  };
  for (const { from, to } of r.ranges) {
    blank(pos, from);
    out.push(r.text.slice(from, to));
    pos = to;
  }
  blank(pos, r.text.length);
  return out.join('');
}

/** Whether the line may bind one of `names` (an over-approximation of Python's binding positions). */
function bindsLooked(toks: Tok[], l: Line, names: Set<string>): boolean {
  const first = toks[l.from] as Tok;
  if (first.k === K.Name && (first.v === 'def' || first.v === 'class')) {
    const id = l.from + 1 < l.to ? toks[l.from + 1] : undefined;
    return id !== undefined && names.has(id.v);
  }
  if (first.k === K.Name && (first.v === 'global' || first.v === 'nonlocal')) {
    for (let k = l.from + 1; k < l.to; k++) if (names.has((toks[k] as Tok).v)) return true;
    return false;
  }
  // The last top-level `=` / augmented assignment / annotation colon: names before it are targets.
  let lastAssign = -1;
  for (let k = l.from; k < l.to; k++) {
    const t = toks[k] as Tok;
    if (t.d === 0 && t.k === K.Op && (t.v === '=' || AUG.has(t.v) || t.v === ':=' || (t.v === ':' && k === l.from + 1))) lastAssign = k;
  }
  let afterFor = false;
  for (let k = l.from; k < l.to; k++) {
    const t = toks[k] as Tok;
    if (t.k === K.Op && t.v === ':=') {
      const prev = toks[k - 1] as Tok;
      if (names.has(prev.v)) return true;
    }
    if (t.k !== K.Name) continue;
    if (t.v === 'for') afterFor = true;
    else if (t.v === 'in') afterFor = false;
    else if (names.has(t.v)) {
      if (afterFor || (k > l.from && (toks[k - 1] as Tok).v === 'as')) return true;
      // An assignment target binds the name that ends its chain (`x`, `self.attr`), not `x` in `x.a` / `x[i]`.
      const next = k + 1 < l.to ? (toks[k + 1] as Tok) : undefined;
      const end = !next || next.k !== K.Op || (next.v !== '.' && next.v !== '[' && next.v !== '(');
      if (k < lastAssign && end) return true;
    }
  }
  return false;
}
