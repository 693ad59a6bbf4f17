/**
 * Python's string-literal escapes, decoded as CPython 3.11 decodes them — the one decoder for every place
 * that reads Python text: `.npy` headers (pyliteral.ts), protocol-0 pickle strings (pickle.ts) and string
 * arguments in training scripts (src/analysis). Checked against a table of CPython's own results
 * (test/fixtures/python-strings/, made by its generate.py).
 *
 * The rules (`Objects/unicodeobject.c` `_PyUnicode_DecodeUnicodeEscapeInternal`, `Objects/bytesobject.c`
 * `_PyBytes_DecodeEscape`):
 * - `\` + newline is dropped; `\\ \' \" \a \b \f \n \r \t \v` are the usual characters;
 * - `\ooo`: one to three octal digits; in a str the code point (up to 0o777), in bytes its low byte;
 * - `\xhh`: exactly two hex digits, else a syntax error ("truncated \xXX escape");
 * - str only: `\uXXXX`, `\UXXXXXXXX` (exact digit counts; above U+10FFFF is an error), `\N{name}`;
 * - any other escape (`\q`, `\8`, and `\u` in bytes) stays as written, backslash included.
 * Lone surrogates (`'\ud800'`) are kept as the UTF-16 code unit they are. One difference is inherent to
 * JavaScript strings: two surrogate escapes that form a pair (`'\ud83d\ude00'`, two code points in Python)
 * read as the one character they pair to; their UTF-16 code units, which the table compares, are equal.
 * `\N{name}` is decoded for the names and aliases of the ASCII characters (asciiCharNames.ts: every value an
 * option or a header key can take is ASCII); any other name is reported `unsupported` (the analysis then says
 * the value is not a literal it reads), never a wrong character.
 */
import { asciiCharByName } from './asciiCharNames';

export type PyStringKind = 'str' | 'bytes';

export type DecodedString =
  | { ok: true; value: string }
  /** A literal CPython rejects (`error`), or one this decoder does not read (`unsupported`: `\N{…}` of a non-ASCII name). */
  | { ok: false; error: string; unsupported?: boolean };

const SIMPLE: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));

/**
 * Decodes the body of a non-raw literal (the text between the quotes). For `bytes` the result holds one
 * code unit per byte (the body's other characters are taken as they are, as `codecs.escape_decode` takes
 * the bytes of a protocol-0 pickle string; a bytes literal in source must be ASCII, which
 * {@link decodePyStringLiteral} checks).
 */
export function decodePyEscapes(body: string, kind: PyStringKind): DecodedString {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[i + 1];
    if (n === undefined) return { ok: false, error: 'a trailing backslash' };
    i++;
    if (n === '\n') continue;
    if (n === '\r') {
      if (body[i + 1] === '\n') i++;
      continue;
    }
    const simple = SIMPLE[n];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (isOctal(n)) {
      let v = 0;
      let k = 0;
      while (k < 3 && isOctal(body[i + k])) v = v * 8 + (body.charCodeAt(i + k++) - 48);
      i += k - 1;
      out += String.fromCharCode(kind === 'bytes' ? v & 0xff : v);
      continue;
    }
    const digits = n === 'x' ? 2 : kind === 'str' && n === 'u' ? 4 : kind === 'str' && n === 'U' ? 8 : 0;
    if (digits > 0) {
      const hex = body.slice(i + 1, i + 1 + digits);
      if (hex.length < digits || ![...hex].every(isHex)) return { ok: false, error: `truncated \\${n}${n === 'x' ? 'XX' : n === 'u' ? 'XXXX' : 'XXXXXXXX'} escape` };
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) return { ok: false, error: 'illegal Unicode character' };
      out += cp <= 0xffff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
      i += digits;
      continue;
    }
    if (kind === 'str' && n === 'N') {
      const close = body[i + 1] === '{' ? body.indexOf('}', i + 2) : -1;
      if (close < 0 || close === i + 2) return { ok: false, error: 'malformed \\N character escape' };
      const name = body.slice(i + 2, close);
      const ch = asciiCharByName(name);
      if (ch === undefined) return { ok: false, unsupported: true, error: `\\N{${name}}: only the names of ASCII characters are decoded (no full Unicode name table)` };
      out += ch;
      i = close;
      continue;
    }
    out += `\\${n}`; // an unknown escape stays as written
  }
  return { ok: true, value: out };
}

/** The prefix, quotes and body of a Python string literal's source text; null when it is not one. */
export function splitPyStringLiteral(text: string): { raw: boolean; bytes: boolean; formatted: boolean; body: string } | null {
  let i = 0;
  let raw = false;
  let bytes = false;
  let formatted = false;
  for (; i < text.length && text[i] !== '"' && text[i] !== "'"; i++) {
    const p = (text[i] as string).toLowerCase();
    if (p === 'r') raw = true;
    else if (p === 'b') bytes = true;
    else if (p === 'f') formatted = true;
    else if (p !== 'u') return null;
  }
  const q = text[i];
  if (q === undefined || i > 2) return null;
  const open = text.startsWith(q.repeat(3), i) && text.length - i >= 6 ? 3 : 1;
  if (text.length - i < 2 * open || !text.endsWith(q.repeat(open))) return null;
  return { raw, bytes, formatted, body: text.slice(i + open, text.length - open) };
}

/**
 * A whole literal's value as written in source (`'a\n'`, `r"\d"`, `b'\x00'`, `"""…"""`); f-strings are the
 * caller's business (only one without replacement fields is a plain string). Bytes come back as one code
 * unit per byte.
 */
export function decodePyStringLiteral(text: string): (DecodedString & { bytes?: boolean }) {
  const split = splitPyStringLiteral(text);
  if (!split) return { ok: false, error: 'not a string literal' };
  // Python reads source with universal newlines: CRLF and CR inside a literal are LF.
  const parts = /\r/.test(split.body) ? { ...split, body: split.body.replace(/\r\n?/g, '\n') } : split;
  if (parts.bytes && /[^\x00-\x7f]/.test(parts.body)) return { ok: false, error: 'bytes can only contain ASCII literal characters' };
  if (parts.raw) return { ok: true, value: parts.body, bytes: parts.bytes };
  const d = decodePyEscapes(parts.body, parts.bytes ? 'bytes' : 'str');
  return d.ok ? { ...d, bytes: parts.bytes } : d;
}
