/**
 * A tiny, strict parser for the Python literal subset found in `.npy` headers
 * (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`): dicts, tuples, lists, strings,
 * integers, True/False/None. It plays the role of numpy's `ast.literal_eval` — never `eval`, never a
 * regular expression over the whole header — and rejects anything else with a message naming the column.
 */
import { decodePyEscapes } from './pyString';

export type PyValue = string | bigint | boolean | null | PyValue[] | PyTuple | PyDict;
/** A tuple is an array tagged so it can be told apart from a list (numpy requires `shape` to be a tuple). */
export interface PyTuple {
  tuple: PyValue[];
}
export interface PyDict {
  dict: Map<string, PyValue>;
}

export class PyLiteralError extends Error {
  override name = 'PyLiteralError';
}

export interface PyLiteralOptions {
  /** Accept Python 2 long suffixes (`3L`), as numpy does for format 1.0/2.0 headers written by Python 2. */
  allowLongSuffix?: boolean;
}

/** Parses `text` as exactly one literal (surrounding whitespace allowed). Throws PyLiteralError. */
export function parsePyLiteral(text: string, opts: PyLiteralOptions = {}): PyValue {
  let pos = 0;
  const MAX_DEPTH = 32;

  const error = (what: string): never => {
    throw new PyLiteralError(`${what} at column ${pos + 1}`);
  };
  const skipWs = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    const quote = text[pos]!;
    const start = pos;
    pos++;
    // Find the closing quote (an escaped character is skipped), then decode the body by Python's rules.
    while (true) {
      if (pos >= text.length) error('unterminated string');
      const c = text[pos]!;
      if (c === quote) break;
      if (c === '\n') error('newline in string');
      pos += c === '\\' && text[pos + 1] !== '\n' ? 2 : 1;
    }
    const d = decodePyEscapes(text.slice(start + 1, pos), 'str');
    if (!d.ok) {
      pos = start;
      error(d.error);
    }
    pos++;
    return (d as { value: string }).value;
  };

  const parseInt_ = (): bigint => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    const digitsStart = pos;
    while (pos < text.length && text.charCodeAt(pos) >= 0x30 && text.charCodeAt(pos) <= 0x39) pos++;
    const digits = text.slice(digitsStart, pos);
    if (digits.length === 0) error('expected a number');
    if (digits.length > 1 && digits[0] === '0' && /[1-9]/.test(digits)) error('integer with a leading zero');
    if (digits.length > 400) error('integer literal too long');
    if (opts.allowLongSuffix && (text[pos] === 'L' || text[pos] === 'l')) pos++;
    const c = text[pos];
    if (c !== undefined && /[A-Za-z0-9_.]/.test(c)) error('unsupported number syntax');
    const v = BigInt(digits);
    return text[start] === '-' ? -v : v;
  };

  const parseSeq = (close: string, depth: number): { items: PyValue[]; trailingComma: boolean } => {
    const items: PyValue[] = [];
    let trailingComma = false;
    skipWs();
    if (text[pos] === close) {
      pos++;
      return { items, trailingComma };
    }
    while (true) {
      items.push(parseValue(depth + 1));
      skipWs();
      if (text[pos] === ',') {
        pos++;
        skipWs();
        if (text[pos] === close) {
          pos++;
          return { items, trailingComma: true };
        }
        continue;
      }
      if (text[pos] === close) {
        pos++;
        return { items, trailingComma };
      }
      error(`expected ',' or '${close}'`);
    }
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) error('nesting too deep');
    skipWs();
    const c = text[pos];
    if (c === undefined) return error('unexpected end of text');
    if (c === '{') {
      pos++;
      const dict = new Map<string, PyValue>();
      skipWs();
      if (text[pos] === '}') {
        pos++;
        return { dict };
      }
      while (true) {
        skipWs();
        const k = text[pos];
        if (k !== "'" && k !== '"') error('dictionary key is not a string');
        const key = parseString();
        skipWs();
        if (text[pos] !== ':') error("expected ':'");
        pos++;
        const value = parseValue(depth + 1);
        if (dict.has(key)) error(`duplicate key '${key}'`);
        dict.set(key, value);
        skipWs();
        if (text[pos] === ',') {
          pos++;
          skipWs();
          if (text[pos] === '}') {
            pos++;
            return { dict };
          }
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return { dict };
        }
        error("expected ',' or '}'");
      }
    }
    if (c === '(') {
      pos++;
      const { items, trailingComma } = parseSeq(')', depth);
      // `(x)` is just x in Python; `()` and `(x,)` are tuples.
      if (items.length === 1 && !trailingComma) return items[0]!;
      return { tuple: items };
    }
    if (c === '[') {
      pos++;
      return parseSeq(']', depth).items;
    }
    if (c === "'" || c === '"') return parseString();
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return parseInt_();
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        const after = text[pos + word.length];
        if (after === undefined || !/[A-Za-z0-9_]/.test(after)) {
          pos += word.length;
          return value;
        }
      }
    }
    return error('not a Python literal');
  };

  const v = parseValue(0);
  skipWs();
  if (pos !== text.length) error('unexpected text after the literal');
  return v;
}

export function isPyTuple(v: PyValue): v is PyTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'tuple' in v;
}
export function isPyDict(v: PyValue): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dict' in v;
}
