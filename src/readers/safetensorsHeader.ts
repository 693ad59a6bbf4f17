/**
 * A scanner for the safetensors header's JSON, specialised to its schema: `{name: {dtype, shape,
 * data_offsets}, "__metadata__": {str: str}}`. It validates the whole text as strict JSON (RFC 8259: UTF-8,
 * string escapes, number grammar, nesting) but builds no object per tensor: each entry becomes one row of a
 * column table (typed arrays, names left as byte ranges of the header), so a 100 MB header of a million
 * tensors costs tens of MB instead of the gigabytes of `JSON.parse` and its million objects. Only
 * `__metadata__` and names with escapes are decoded to strings. Semantic checks of each field are the
 * caller's (safetensors.ts), on the values collected here; unknown keys of an entry are validated and skipped.
 */

/** Why the header is not JSON: a message for the caller's `bad-header` error. */
export class HeaderSyntaxError extends Error {}

/** The value of one of an entry's known fields, as scanned. */
export const enum Field {
  Missing = 0,
  /** Present with the wrong JSON type (dtype not a string, shape / data_offsets not an array). */
  WrongType = 1,
  Ok = 2,
}

export interface EntryScan {
  /** Byte range of the name's contents in the header (between the quotes). */
  nameStart: number;
  nameEnd: number;
  /** The decoded name when it has escapes (else it is the range's UTF-8). */
  escapedName: string | undefined;
  dtype: Field;
  /** The dtype string when it is one (as text). */
  dtypeText: string;
  shape: Field;
  /** Number of shape elements; dims are valid (non-negative integers) when `shapeInts`. */
  shapeLength: number;
  shapeInts: boolean;
  /** Byte range of the shape's array text, for messages. */
  shapeStart: number;
  shapeEnd: number;
  /** The dims, when `shapeInts` and at most `maxDims` of them. */
  dims: number[];
  offsets: Field;
  offsetsText: [number, number];
  offsetValues: number[];
  offsetsAllNumbers: boolean;
}

const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;

const KEY_DTYPE = bytesOf('dtype');
const KEY_SHAPE = bytesOf('shape');
const KEY_OFFSETS = bytesOf('data_offsets');
const KEY_METADATA = bytesOf('__metadata__');

const utf8 = new TextDecoder();

/** The text of bytes [start, end): short ASCII runs (names, dtypes) without a decoder call, else UTF-8. */
export function textAt(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 256) {
    let ascii = true;
    for (let k = start; k < end && ascii; k++) ascii = b[k]! < 0x80;
    if (ascii) return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }
  return utf8.decode(b.subarray(start, end));
}

function internedAt(b: Uint8Array, start: number, end: number, interned: readonly { bytes: Uint8Array; text: string }[]): string | undefined {
  outer: for (const { bytes, text } of interned) {
    if (bytes.length !== end - start) continue;
    for (let k = 0; k < bytes.length; k++) if (b[start + k] !== bytes[k]) continue outer;
    return text;
  }
  return undefined;
}

/**
 * Whether `b` is valid UTF-8 (what `TextDecoder` with `fatal` accepts: no overlong forms, no surrogates,
 * nothing past U+10FFFF), checked in place: a 100 MB header is never decoded as a whole.
 */
export function isUtf8(b: Uint8Array): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return false;
    const c1 = b[i + 1];
    if (c1 === undefined || c1 < lo || c1 > hi) return false;
    for (let k = 2; k <= need; k++) {
      const ck = b[i + k];
      if (ck === undefined || ck < 0x80 || ck > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * Scans `h` (the header's bytes; already checked to be valid UTF-8; `dtypeNames` the expected dtype strings) and calls `onEntry` for every tensor
 * entry in file order (the scan object is reused: copy what you keep) and `onMetadata` with the
 * `__metadata__` value's JSON text. Throws {@link HeaderSyntaxError} on any JSON error, or
 * `notObject(name)` when a tensor entry or the header itself is not an object.
 */
export function scanHeader(
  h: Uint8Array,
  maxDims: number,
  dtypeNames: readonly string[],
  onEntry: (e: EntryScan) => void,
  onMetadata: (jsonText: string) => void,
  onNotObject: (what: string) => never,
): void {
  const n = h.length;
  let p = 0;
  // The dtype names come back as these very strings: no new string per entry.
  const interned = dtypeNames.map((text) => ({ bytes: bytesOf(text), text }));
  const e: EntryScan = {
    nameStart: 0,
    nameEnd: 0,
    escapedName: undefined,
    dtype: Field.Missing,
    dtypeText: '',
    shape: Field.Missing,
    shapeLength: 0,
    shapeInts: true,
    shapeStart: 0,
    shapeEnd: 0,
    dims: [],
    offsets: Field.Missing,
    offsetsText: [0, 0],
    offsetValues: [],
    offsetsAllNumbers: true,
  };

  const bad = (what: string): never => {
    if (p >= n) throw new HeaderSyntaxError(`unexpected end of the header while reading ${what}`);
    const b = h[p]!;
    const shown = b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
    throw new HeaderSyntaxError(`unexpected ${shown} at header byte ${p} while reading ${what}`);
  };
  const ws = () => {
    while (p < n && WS[h[p]!] === 1) p++;
  };
  const expect = (c: number, what: string) => {
    if (h[p] !== c) bad(what);
    p++;
  };

  /** A string at p (the opening quote); returns whether it had escapes; p after the closing quote. */
  const string = (): boolean => {
    expect(0x22, 'a string');
    let escaped = false;
    for (;;) {
      if (p >= n) bad('a string');
      const b = h[p]!;
      if (b === 0x22) {
        p++;
        return escaped;
      }
      if (b < 0x20) bad('a string (control characters must be escaped)');
      if (b === 0x5c) {
        escaped = true;
        p++;
        const c = h[p];
        if (c === 0x75) {
          for (let k = 1; k <= 4; k++) {
            const x = h[p + k];
            if (x === undefined || !((x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x46) || (x >= 0x61 && x <= 0x66))) {
              p += k;
              bad('a \\u escape');
            }
          }
          p += 5;
        } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) p++;
        else bad('a string escape');
      } else p++;
    }
  };

  /** A number at p (JSON grammar); returns its value (as JSON.parse gives it). */
  const number = (): number => {
    const start = p;
    if (h[p] === 0x2d) p++;
    if (h[p] === 0x30) p++;
    else if (h[p]! >= 0x31 && h[p]! <= 0x39) while (h[p]! >= 0x30 && h[p]! <= 0x39) p++;
    else bad('a number');
    let plain = true;
    if (h[p] === 0x2e) {
      plain = false;
      p++;
      if (!(h[p]! >= 0x30 && h[p]! <= 0x39)) bad('a number');
      while (h[p]! >= 0x30 && h[p]! <= 0x39) p++;
    }
    if (h[p] === 0x65 || h[p] === 0x45) {
      plain = false;
      p++;
      if (h[p] === 0x2b || h[p] === 0x2d) p++;
      if (!(h[p]! >= 0x30 && h[p]! <= 0x39)) bad('a number');
      while (h[p]! >= 0x30 && h[p]! <= 0x39) p++;
    }
    // Short non-negative integers (every honest dim and offset) without a string; the rest as JSON.parse reads them.
    if (plain && h[start] !== 0x2d && p - start <= 15) {
      let v = 0;
      for (let k = start; k < p; k++) v = v * 10 + (h[k]! - 0x30);
      return v;
    }
    return Number(textAt(h, start, p));
  };

  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++) {
      if (h[p] !== word.charCodeAt(k)) bad(`'${word}'`);
      p++;
    }
  };

  /** Any value at p, validated and skipped, nesting handled with an explicit stack (no recursion). */
  const skipValue = () => {
    // The closer each open container needs (0x5d ']' or 0x7d '}'), one byte per level: a header nesting millions
    // deep costs megabytes, not an array of numbers.
    let stack = new Uint8Array(64);
    let depth = 0;
    for (;;) {
      ws();
      const b = h[p];
      if (b === 0x7b || b === 0x5b) {
        p++;
        ws();
        if (h[p] === (b === 0x7b ? 0x7d : 0x5d)) p++;
        else {
          if (depth === stack.length) {
            const grown = new Uint8Array(stack.length * 2);
            grown.set(stack);
            stack = grown;
          }
          stack[depth++] = b + 2;
          if (b === 0x7b) {
            string();
            ws();
            expect(0x3a, "':' after an object key");
          }
          continue;
        }
      } else if (b === 0x22) string();
      else if (b === 0x74) literal('true');
      else if (b === 0x66) literal('false');
      else if (b === 0x6e) literal('null');
      else number();
      // After a value: close containers or go on to the next element.
      for (;;) {
        if (depth === 0) return;
        ws();
        const closer = stack[depth - 1]!;
        if (h[p] === closer) {
          p++;
          depth--;
          continue;
        }
        expect(0x2c, closer === 0x7d ? "',' or '}' in an object" : "',' or ']' in an array");
        if (closer === 0x7d) {
          ws();
          string();
          ws();
          expect(0x3a, "':' after an object key");
        }
        break;
      }
    }
  };

  const keyIs = (start: number, end: number, key: Uint8Array): boolean => {
    if (end - start !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (h[start + k] !== key[k]) return false;
    return true;
  };
  const text = (start: number, end: number): string => textAt(h, start, end);
  /** The decoded key just scanned: only keys with escapes need JSON's decoding. */
  const keyText = (start: number, end: number, escaped: boolean): string => (escaped ? (JSON.parse(text(start - 1, end + 1)) as string) : text(start, end));

  /** An array of numbers at p: calls `each` per element (NaN for a non-number, which is skipped). */
  const numberArray = (each: (v: number) => void) => {
    expect(0x5b, "'['");
    ws();
    if (h[p] === 0x5d) {
      p++;
      return;
    }
    for (;;) {
      ws();
      const b = h[p];
      if (b === 0x2d || (b! >= 0x30 && b! <= 0x39)) each(number());
      else {
        skipValue();
        each(NaN);
      }
      ws();
      if (h[p] === 0x5d) {
        p++;
        return;
      }
      expect(0x2c, "',' or ']' in an array");
    }
  };

  // Made once, not per entry: the scan is called for up to millions of entries.
  const shapeElement = (v: number) => {
    e.shapeLength++;
    if (!(Number.isInteger(v) && v >= 0)) e.shapeInts = false;
    else if (e.shapeLength <= maxDims) e.dims.push(v);
  };
  const offsetElement = (v: number) => {
    if (Number.isNaN(v)) e.offsetsAllNumbers = false;
    if (e.offsetValues.length < 3) e.offsetValues.push(v);
  };

  const entry = () => {
    e.dtype = Field.Missing;
    e.dtypeText = '';
    e.shape = Field.Missing;
    e.offsets = Field.Missing;
    ws();
    if (h[p] !== 0x7b) {
      const start = p;
      skipValue();
      p = start;
      onNotObject(e.escapedName ?? text(e.nameStart, e.nameEnd));
    }
    p++;
    ws();
    if (h[p] === 0x7d) {
      p++;
      return;
    }
    for (;;) {
      ws();
      const ks = p + 1;
      const kEsc = string();
      const ke = p - 1;
      ws();
      expect(0x3a, "':' after an object key");
      ws();
      // An escaped spelling of a known key is that key (JSON.parse decodes it).
      const key = kEsc ? keyText(ks, ke, true) : undefined;
      if (key === undefined ? keyIs(ks, ke, KEY_DTYPE) : key === 'dtype') {
        if (h[p] === 0x22) {
          const s = p + 1;
          const esc = string();
          e.dtype = Field.Ok;
          // The few dtype names are interned: no new string per entry.
          e.dtypeText = esc ? keyText(s, p - 1, true) : (internedAt(h, s, p - 1, interned) ?? text(s, p - 1));
        } else {
          skipValue();
          e.dtype = Field.WrongType;
        }
      } else if (key === undefined ? keyIs(ks, ke, KEY_SHAPE) : key === 'shape') {
        e.shapeStart = p;
        if (h[p] === 0x5b) {
          e.shape = Field.Ok;
          e.shapeLength = 0;
          e.shapeInts = true;
          e.dims.length = 0;
          numberArray(shapeElement);
        } else {
          skipValue();
          e.shape = Field.WrongType;
        }
        e.shapeEnd = p;
      } else if (key === undefined ? keyIs(ks, ke, KEY_OFFSETS) : key === 'data_offsets') {
        e.offsetsText[0] = p;
        if (h[p] === 0x5b) {
          e.offsets = Field.Ok;
          e.offsetValues.length = 0;
          e.offsetsAllNumbers = true;
          numberArray(offsetElement);
        } else {
          skipValue();
          e.offsets = Field.WrongType;
        }
        e.offsetsText[1] = p;
      } else skipValue();
      ws();
      if (h[p] === 0x7d) {
        p++;
        return;
      }
      expect(0x2c, "',' or '}' in an object");
    }
  };

  ws();
  if (h[p] !== 0x7b) {
    skipValue();
    ws();
    if (p < n) bad('the end of the header');
    onNotObject('');
  }
  p++;
  ws();
  if (h[p] === 0x7d) p++;
  else {
    for (;;) {
      ws();
      e.nameStart = p + 1;
      const esc = string();
      e.nameEnd = p - 1;
      e.escapedName = esc ? keyText(e.nameStart, e.nameEnd, true) : undefined;
      ws();
      expect(0x3a, "':' after a tensor name");
      ws();
      if (esc ? e.escapedName === '__metadata__' : keyIs(e.nameStart, e.nameEnd, KEY_METADATA)) {
        const start = p;
        skipValue();
        onMetadata(text(start, p));
      } else {
        entry();
        onEntry(e);
      }
      ws();
      if (h[p] === 0x7d) {
        p++;
        break;
      }
      expect(0x2c, "',' or '}' after a tensor entry");
    }
  }
  ws();
  if (p < n) bad('the end of the header');
}
