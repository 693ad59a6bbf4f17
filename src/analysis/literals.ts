/**
 * Safe evaluation of Python literals from the syntax tree: numbers (negative, scientific, hex, with
 * underscores), True/False/None, strings, and flat lists/tuples of numbers — plus one call pattern,
 * `torch.tensor([1., 2.])` (optionally `.to(device)` / `.cuda()` / `.float()`), whose list is read as
 * the literal it is. Anything else is unknown: nothing is executed or guessed.
 */
import { children, isError, type SyntaxNode } from './pyTree';
import { TENSOR_FACTORIES, VALUE_PRESERVING_METHODS } from './catalogue';
import { decodePyStringLiteral } from '../readers/pyString';
import type { ArgValue, PyLiteral } from './types';

/** Resolves a callee expression to its qualified name through the file's imports (null if unknown). */
export type Qualifier = (node: SyntaxNode) => string | null;

export function argValue(node: SyntaxNode, src: string, qualify: Qualifier): ArgValue {
  const text = src.slice(node.from, node.to);
  const value = evaluate(node, src, qualify);
  return value === undefined ? { known: false, text } : { known: true, value, text };
}

/** The literal value of `node`, or undefined when it is not a literal this module reads. */
export function evaluate(node: SyntaxNode, src: string, qualify: Qualifier): PyLiteral | undefined {
  switch (node.name) {
    case 'Number':
      return parsePyNumber(src.slice(node.from, node.to));
    case 'Boolean':
      return src.slice(node.from, node.to) === 'True';
    case 'None':
      return null;
    case 'String':
      return decodeString(src.slice(node.from, node.to));
    case 'FormatString':
      // An f-string without replacement fields is a plain string.
      return node.firstChild ? undefined : decodeString(src.slice(node.from, node.to));
    case 'ContinuedString': {
      let s = '';
      for (const c of children(node)) {
        const part = evaluate(c, src, qualify);
        if (typeof part !== 'string') return undefined;
        s += part;
      }
      return s;
    }
    case 'UnaryExpression':
      return evaluateUnary(node, src);
    case 'ParenthesizedExpression': {
      const inner = children(node).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== 'Comment');
      return inner.length === 1 ? evaluate(inner[0] as SyntaxNode, src, qualify) : undefined;
    }
    case 'ArrayExpression':
    case 'TupleExpression':
      return numberList(node, src);
    case 'MemberExpression':
    case 'BinaryExpression':
      return trailingDotFloat(node, src);
    case 'CallExpression':
      return tensorLiteral(node, src, qualify);
    default:
      return undefined;
  }
}

function evaluateUnary(node: SyntaxNode, src: string): number | undefined {
  const [op, operand, ...rest] = children(node);
  if (!op || !operand || rest.length) return undefined;
  const sign = src.slice(op.from, op.to);
  if (sign !== '-' && sign !== '+') return undefined;
  const v = operand.name === 'Number' ? parsePyNumber(src.slice(operand.from, operand.to)) : trailingDotFloat(operand, src);
  if (v === undefined) return undefined;
  return sign === '-' ? -v + 0 : v; // `+ 0`: Python's -0.0 is reported as 0
}

/** A number or a negated number (the elements of a weight list). */
function numeric(node: SyntaxNode, src: string): number | undefined {
  if (node.name === 'Number') return parsePyNumber(src.slice(node.from, node.to));
  if (node.name === 'UnaryExpression') return evaluateUnary(node, src);
  return trailingDotFloat(node, src);
}

function numberList(node: SyntaxNode, src: string): number[] | undefined {
  const out: number[] = [];
  for (const c of children(node)) {
    if (c.name === '[' || c.name === ']' || c.name === '(' || c.name === ')' || c.name === ',' || c.name === 'Comment') continue;
    const v = numeric(c, src);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * `@lezer/python` does not tokenise floats that end in a dot: `1.` parses as a member access with a
 * missing property, `2.e-3` as `(2).e - 3`. Read those shapes back as the floats they are, only when the
 * pieces touch (no spaces), as Python's tokenizer would.
 */
function trailingDotFloat(node: SyntaxNode, src: string): number | undefined {
  if (node.name === 'MemberExpression') {
    const [num, dot, prop, ...rest] = children(node);
    if (!num || num.name !== 'Number' || !dot || dot.name !== '.' || num.to !== dot.from || rest.length) return undefined;
    const intText = src.slice(num.from, num.to);
    if (!isDigits(intText)) return undefined;
    if (!prop || isError(prop)) return parsePyNumber(intText + '.');
    if (prop.name !== 'PropertyName' || prop.from !== dot.to) return undefined;
    const p = src.slice(prop.from, prop.to);
    // `2.e5` → PropertyName `e5`.
    if ((p[0] === 'e' || p[0] === 'E') && p.length > 1 && isDigits(p.slice(1))) return parsePyNumber(`${intText}.${p}`);
    return undefined;
  }
  if (node.name === 'BinaryExpression') {
    // `2.e-3` → BinaryExpression(MemberExpression(2 . e), -, 3).
    const [left, op, right, ...rest] = children(node);
    if (!left || !op || !right || rest.length || left.name !== 'MemberExpression' || right.name !== 'Number') return undefined;
    if (left.to !== op.from || op.to !== right.from) return undefined;
    const sign = src.slice(op.from, op.to);
    if (sign !== '-' && sign !== '+') return undefined;
    const [num, dot, prop, ...more] = children(left);
    if (!num || num.name !== 'Number' || !dot || !prop || prop.name !== 'PropertyName' || more.length) return undefined;
    if (num.to !== dot.from || dot.to !== prop.from) return undefined;
    const e = src.slice(prop.from, prop.to);
    const intText = src.slice(num.from, num.to);
    const expText = src.slice(right.from, right.to);
    if ((e !== 'e' && e !== 'E') || !isDigits(intText) || !isDigits(expText.split('_').join(''))) return undefined;
    return parsePyNumber(`${intText}.e${sign}${expText}`);
  }
  return undefined;
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 95 /* _ */) return false;
  }
  return true;
}

/** Python numeric literal text → number; undefined for complex (`3j`) or malformed text. */
export function parsePyNumber(text: string): number | undefined {
  const t = text.split('_').join('').toLowerCase();
  if (t.length === 0 || t.endsWith('j')) return undefined;
  let v: number;
  if (t.startsWith('0x')) v = parseRadix(t.slice(2), 16);
  else if (t.startsWith('0o')) v = parseRadix(t.slice(2), 8);
  else if (t.startsWith('0b')) v = parseRadix(t.slice(2), 2);
  else v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

function parseRadix(digits: string, radix: number): number {
  if (digits.length === 0) return NaN;
  let v = 0;
  for (const ch of digits) {
    const d = parseInt(ch, radix);
    if (Number.isNaN(d)) return NaN;
    v = v * radix + d;
  }
  return v;
}

/**
 * A Python string literal's value (prefix, quotes, escapes — Python's rules, see readers/pyString.ts);
 * undefined for bytes and for what the decoder does not read (`\N{…}`) or Python rejects.
 */
export function decodeString(text: string): string | undefined {
  const d = decodePyStringLiteral(text);
  return d.ok && !d.bytes ? d.value : undefined;
}

/** `torch.tensor([1., 2.], dtype=…)` and the same followed by `.to(device)` / `.cuda()` / `.float()`. */
function tensorLiteral(node: SyntaxNode, src: string, qualify: Qualifier): number[] | undefined {
  const [callee, args] = children(node);
  if (!callee || !args || args.name !== 'ArgList') return undefined;
  if (callee.name === 'MemberExpression') {
    const parts = children(callee);
    const obj = parts[0];
    const prop = parts[parts.length - 1];
    if (obj && prop && prop.name === 'PropertyName' && obj.name === 'CallExpression' && VALUE_PRESERVING_METHODS.has(src.slice(prop.from, prop.to))) {
      return tensorLiteral(obj, src, qualify);
    }
  }
  const q = qualify(callee);
  if (q === null || !TENSOR_FACTORIES.has(q)) return undefined;
  const first = children(args).find((c) => c.name !== '(' && c.name !== 'Comment');
  if (!first || (first.name !== 'ArrayExpression' && first.name !== 'TupleExpression')) return undefined;
  // The list must be the first *positional* argument: `torch.tensor(data=[…])` is left unknown.
  const next = first.nextSibling;
  if (next && next.name === 'AssignOp') return undefined;
  return numberList(first, src);
}
