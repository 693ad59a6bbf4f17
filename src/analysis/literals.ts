/**
 * Safe evaluation of Python expressions that are literals, or stand for one, from the syntax tree:
 * numbers (negative, scientific, hex, with underscores), True/False/None, strings, flat lists/tuples of
 * numbers; `torch.tensor([1., 2.])` (optionally `.to(device)` / `.cuda()` / `.float()`), whose list is
 * read as the literal it is; a name bound once to such a value (through `env.name`, see scopes.ts);
 * `D["key"]` / `D[0]` of a dict, list or tuple literal with a constant key; `len(…)` of a list, tuple or
 * dict literal. Nothing is executed or guessed: anything else is unknown, with the reason said.
 */
import { children, isError, type SyntaxNode } from './pyTree';
import { TENSOR_FACTORIES, VALUE_PRESERVING_METHODS } from './catalogue';
import { decodePyStringLiteral } from '../readers/pyString';
import type { ArgValue, PyLiteral } from './types';

/** Resolves a callee expression to its qualified name through the file's imports (null if unknown). */
export type Qualifier = (node: SyntaxNode) => string | null;

/** What a plain name stands for: the expression of its one binding (evaluated in its own env), or why not. */
export type NameTarget = { node: SyntaxNode; env: LiteralEnv } | { reason: string; unbound?: true };

/** Where an expression is evaluated: its text, how callees resolve, and how names resolve. */
export interface LiteralEnv {
  src: string;
  qualify: Qualifier;
  /** Without it, every name is unknown ("not a literal"). */
  name?: (node: SyntaxNode) => NameTarget;
}

type Result = { ok: true; value: PyLiteral } | { ok: false; reason: string };

const NOT_LITERAL: Result = { ok: false, reason: 'not a literal' };
/** Deep enough for `CONFIG["loss"]["eps"]` through a few names; cycles (`a = b`, `b = a`) stop here. */
const MAX_DEPTH = 12;

export function argValue(node: SyntaxNode, env: LiteralEnv): ArgValue {
  const text = env.src.slice(node.from, node.to);
  const inPlace = ev(node, { src: env.src, qualify: env.qualify }, 0);
  if (inPlace.ok) return { known: true, value: inPlace.value, text };
  const r = env.name ? ev(node, env, 0) : inPlace;
  return r.ok ? { known: true, value: r.value, text, resolved: true } : { known: false, text, reason: r.reason };
}

/** The literal value of `node`, or undefined when it is not a literal this module reads. */
export function evaluate(node: SyntaxNode, env: LiteralEnv): PyLiteral | undefined {
  const r = ev(node, env, 0);
  return r.ok ? r.value : undefined;
}

const ok = (value: PyLiteral | undefined): Result => (value === undefined ? NOT_LITERAL : { ok: true, value });

function ev(node: SyntaxNode, env: LiteralEnv, depth: number): Result {
  const { src } = env;
  switch (node.name) {
    case 'Number':
      return ok(parsePyNumber(src.slice(node.from, node.to)));
    case 'Boolean':
      return ok(src.slice(node.from, node.to) === 'True');
    case 'None':
      return { ok: true, value: null };
    case 'String':
      return ok(decodeString(src.slice(node.from, node.to)));
    case 'FormatString':
      // An f-string without replacement fields is a plain string.
      return node.firstChild ? NOT_LITERAL : ok(decodeString(src.slice(node.from, node.to)));
    case 'ContinuedString': {
      let s = '';
      for (const c of children(node)) {
        const part = ev(c, env, depth);
        if (!part.ok) return part;
        if (typeof part.value !== 'string') return NOT_LITERAL;
        s += part.value;
      }
      return { ok: true, value: s };
    }
    case 'UnaryExpression':
      return evaluateUnary(node, env, depth);
    case 'ParenthesizedExpression': {
      const inner = children(node).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== 'Comment');
      return inner.length === 1 ? ev(inner[0] as SyntaxNode, env, depth) : NOT_LITERAL;
    }
    case 'ArrayExpression':
    case 'TupleExpression':
      return numberList(node, env, depth);
    case 'VariableName': {
      const t = named(node, env, depth);
      return 'reason' in t ? { ok: false, reason: t.reason } : ev(t.node, t.env, depth + 1);
    }
    case 'MemberExpression':
      if (node.lastChild?.name === ']') return subscript(node, env, depth);
      return ok(trailingDotFloat(node, src));
    case 'BinaryExpression':
      return ok(trailingDotFloat(node, src));
    case 'CallExpression':
      return call(node, env, depth);
    default:
      return NOT_LITERAL;
  }
}

/** The expression a name stands for (names to names followed), or why it stands for none. */
function named(node: SyntaxNode, env: LiteralEnv, depth: number): NameTarget {
  const name = env.src.slice(node.from, node.to);
  if (depth > MAX_DEPTH) return { reason: `\`${name}\` is defined through too many names` };
  if (!env.name) return { reason: 'not a literal' };
  const t = env.name(node);
  if ('reason' in t) return t;
  return t.node.name === 'VariableName' ? named(t.node, t.env, depth + 1) : t;
}

/**
 * The container literal (dict, list, tuple) an expression stands for: the literal itself, a name bound
 * to one, or an entry of one (`CONFIG["loss"]`).
 */
function container(node: SyntaxNode, env: LiteralEnv, depth: number): { node: SyntaxNode; env: LiteralEnv } | { reason: string } {
  if (depth > MAX_DEPTH) return { reason: 'defined through too many names' };
  switch (node.name) {
    case 'DictionaryExpression':
    case 'ArrayExpression':
    case 'TupleExpression':
      return { node, env };
    case 'ParenthesizedExpression': {
      const inner = children(node).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== 'Comment');
      return inner.length === 1 ? container(inner[0] as SyntaxNode, env, depth) : { reason: 'not a literal' };
    }
    case 'VariableName': {
      const t = named(node, env, depth);
      return 'reason' in t ? t : container(t.node, t.env, depth + 1);
    }
    case 'MemberExpression': {
      if (node.lastChild?.name !== ']') return { reason: 'not a literal' };
      const e = entry(node, env, depth);
      return 'reason' in e ? e : container(e.node, e.env, depth + 1);
    }
    default:
      return { reason: 'not a literal' };
  }
}

/** The elements of a list/tuple literal, or the key/value pairs of a dict literal; null with `*`/`**` unpacking. */
function items(node: SyntaxNode): { key: SyntaxNode | null; value: SyntaxNode }[] | null {
  const out: { key: SyntaxNode | null; value: SyntaxNode }[] = [];
  const dict = node.name === 'DictionaryExpression';
  let group: SyntaxNode[] = [];
  const flush = (): boolean => {
    const g = group;
    group = [];
    if (g.length === 0) return true;
    if (dict) {
      if (g.length !== 3 || g[1]?.name !== ':') return false;
      out.push({ key: g[0] as SyntaxNode, value: g[2] as SyntaxNode });
    } else {
      if (g.length !== 1) return false;
      out.push({ key: null, value: g[0] as SyntaxNode });
    }
    return true;
  };
  for (const c of children(node)) {
    if (c.name === '{' || c.name === '}' || c.name === '[' || c.name === ']' || c.name === '(' || c.name === ')' || c.name === 'Comment') continue;
    if (c.name === '*' || c.name === '**' || isError(c)) return null;
    if (c.name === ',') {
      if (!flush()) return null;
    } else group.push(c);
  }
  return flush() ? out : null;
}

/** `D[key]`: the entry's expression (the last one with an equal key, as Python's dict display keeps). */
function entry(node: SyntaxNode, env: LiteralEnv, depth: number): { node: SyntaxNode; env: LiteralEnv } | { reason: string } {
  const parts = children(node).filter((c) => c.name !== 'Comment');
  const [obj, open, index, close, ...rest] = parts;
  if (!obj || open?.name !== '[' || !index || close?.name !== ']' || rest.length) return { reason: 'not a literal' };
  const keyText = env.src.slice(index.from, index.to);
  const key = ev(index, env, depth + 1);
  if (!key.ok || (typeof key.value !== 'string' && typeof key.value !== 'number')) return { reason: `key \`${keyText}\` is not a constant` };
  const c = container(obj, env, depth + 1);
  if ('reason' in c) return c;
  const list = items(c.node);
  const objText = env.src.slice(obj.from, obj.to);
  if (!list) return { reason: `\`${objText}\` is built with * or ** unpacking` };
  if (c.node.name === 'DictionaryExpression') {
    let found: SyntaxNode | null = null;
    for (const it of list) {
      const k = ev(it.key as SyntaxNode, c.env, depth + 1);
      if (!k.ok) return { reason: `\`${objText}\` has a key that is not a constant` };
      if (k.value === key.value) found = it.value;
    }
    return found ? { node: found, env: c.env } : { reason: `\`${objText}\` has no key ${keyText}` };
  }
  if (typeof key.value !== 'number' || !Number.isInteger(key.value)) return { reason: `index \`${keyText}\` is not an integer` };
  const i = key.value < 0 ? list.length + key.value : key.value;
  const it = list[i];
  return it ? { node: it.value, env: c.env } : { reason: `\`${objText}\` has no index ${keyText}` };
}

function subscript(node: SyntaxNode, env: LiteralEnv, depth: number): Result {
  const e = entry(node, env, depth);
  return 'reason' in e ? { ok: false, reason: e.reason } : ev(e.node, e.env, depth + 1);
}

/** `len(literal)` (the builtin: `len` bound to nothing in the file) and the tensor factories. */
function call(node: SyntaxNode, env: LiteralEnv, depth: number): Result {
  const [callee, args] = children(node);
  if (callee?.name === 'VariableName' && args?.name === 'ArgList' && env.src.slice(callee.from, callee.to) === 'len') {
    const t = env.name?.(callee);
    if (!t || !('unbound' in t)) return NOT_LITERAL;
    const list = children(args).filter((c) => c.name !== '(' && c.name !== ')' && c.name !== 'Comment' && c.name !== ',');
    if (list.length !== 1) return NOT_LITERAL;
    const arg = list[0] as SyntaxNode;
    const c = container(arg, env, depth + 1);
    if ('reason' in c) {
      // `len(torch.tensor([…]))` and the like: the length of the evaluated list.
      const v = ev(arg, env, depth + 1);
      return v.ok && Array.isArray(v.value) ? { ok: true, value: v.value.length } : { ok: false, reason: c.reason };
    }
    const its = items(c.node);
    return its ? { ok: true, value: its.length } : { ok: false, reason: `\`${env.src.slice(arg.from, arg.to)}\` is built with * or ** unpacking` };
  }
  return ok(tensorLiteral(node, env, depth));
}

function evaluateUnary(node: SyntaxNode, env: LiteralEnv, depth: number): Result {
  const [op, operand, ...rest] = children(node);
  if (!op || !operand || rest.length) return NOT_LITERAL;
  const sign = env.src.slice(op.from, op.to);
  if (sign !== '-' && sign !== '+') return NOT_LITERAL;
  const r = ev(operand, env, depth);
  if (!r.ok) return r;
  const v = r.value;
  if (typeof v !== 'number') return NOT_LITERAL;
  return { ok: true, value: sign === '-' ? -v + 0 : v }; // `+ 0`: Python's -0.0 is reported as 0
}

/** A flat list/tuple of numbers (a weight list); its elements may be names bound to numbers. */
function numberList(node: SyntaxNode, env: LiteralEnv, depth: number): Result {
  const its = items(node);
  if (!its) return NOT_LITERAL;
  const out: number[] = [];
  for (const it of its) {
    const r = ev(it.value, env, depth);
    if (!r.ok) return r;
    if (typeof r.value !== 'number') return { ok: false, reason: 'not a list of numbers' };
    out.push(r.value);
  }
  return { ok: true, value: out };
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
 * undefined for bytes and for what the decoder does not read (`\N{…}` naming a non-ASCII character) or Python rejects.
 */
export function decodeString(text: string): string | undefined {
  const d = decodePyStringLiteral(text);
  return d.ok && !d.bytes ? d.value : undefined;
}

/** `torch.tensor([1., 2.], dtype=…)` and the same followed by `.to(device)` / `.cuda()` / `.float()`. */
function tensorLiteral(node: SyntaxNode, env: LiteralEnv, depth: number): number[] | undefined {
  const { src } = env;
  const [callee, args] = children(node);
  if (!callee || !args || args.name !== 'ArgList') return undefined;
  if (callee.name === 'MemberExpression') {
    const parts = children(callee);
    const obj = parts[0];
    const prop = parts[parts.length - 1];
    if (obj && prop && prop.name === 'PropertyName' && obj.name === 'CallExpression' && VALUE_PRESERVING_METHODS.has(src.slice(prop.from, prop.to))) {
      return tensorLiteral(obj, env, depth);
    }
  }
  const q = env.qualify(callee);
  if (q === null || !TENSOR_FACTORIES.has(q)) return undefined;
  const first = children(args).find((c) => c.name !== '(' && c.name !== 'Comment');
  if (!first || first.name === ')' || first.name === '*' || first.name === '**') return undefined;
  // The list must be the first *positional* argument: `torch.tensor(data=[…])` is left unknown.
  const next = first.nextSibling;
  if (next && next.name === 'AssignOp') return undefined;
  const r = ev(first, env, depth + 1);
  return r.ok && Array.isArray(r.value) ? r.value : undefined;
}
