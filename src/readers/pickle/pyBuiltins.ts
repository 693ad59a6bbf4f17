/**
 * The Python builtins a tensor file may call (all on torch's weights-only allowlist): `collections.OrderedDict`
 * and `Counter`, `builtins.set`, `bytearray` and `complex`, and `_codecs.encode` (protocol 2 pickles bytes as
 * `_codecs.encode(text, 'latin1')`). Each builds a plain value, as the real one would.
 */
import type { CallContext, PyCallable } from './callables';
import { ENTRY_COST } from './cost';
import { PyBytes, PyDict, PyList, PyOpaque, PySet, PyTuple, pyFloatRepr, typeName, type PyValue } from './values';

/** `OrderedDict(src)` / `Counter(src)`: from a dict or from (key, value) pairs. */
function dictOf(kind: 'OrderedDict' | 'Counter'): PyCallable {
  return (a: PyValue[], c: CallContext) => {
    c.arity(0, 1);
    const d = new PyDict(kind);
    const src = a[0];
    if (src === undefined) return d;
    if (src instanceof PyDict) {
      c.m.charge(ENTRY_COST * src.size);
      for (const [h, e] of src.entries) d.entries.set(h, e);
      return d;
    }
    if (src instanceof PyList || src instanceof PyTuple) {
      for (const pair of src.items) {
        const kv = pair instanceof PyTuple || pair instanceof PyList ? pair.items : undefined;
        if (!kv || kv.length !== 2) c.m.corrupt(`${c.name} argument holds ${typeName(pair)}, not a (key, value) pair`);
        c.m.setItems(d, kv, c.name);
      }
      return d;
    }
    return c.m.corrupt(`${c.name} argument is ${typeName(src)}`);
  };
}

const set: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(0, 1);
  const s = new PySet(false);
  const src = a[0];
  if (src === undefined) return s;
  const items = src instanceof PyList || src instanceof PyTuple ? src.items : src instanceof PySet ? [...src.items.values()] : undefined;
  if (!items) c.m.corrupt(`${c.name} argument is ${typeName(src)}`);
  for (const it of items) c.m.addToSet(s, it);
  return s;
};

const encode: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(1, 2);
  const [text, enc = 'utf-8'] = a;
  if (typeof text !== 'string' || typeof enc !== 'string') c.m.corrupt(`${c.name} arguments are not strings`);
  const e = enc.toLowerCase().replace(/_/g, '-');
  if (e === 'latin1' || e === 'latin-1' || e === 'iso-8859-1') {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch > 255) c.m.corrupt(`${c.name}: character U+${ch.toString(16)} is not latin-1`);
      out[i] = ch;
    }
    return new PyBytes(out, 'bytes');
  }
  if (e === 'utf-8' || e === 'utf8') return new PyBytes(new TextEncoder().encode(text), 'bytes');
  return c.m.corrupt(`${c.name} with encoding '${enc}' is not supported`);
};

const bytearray: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(0, 1);
  const src = a[0];
  if (src === undefined) return new PyBytes(new Uint8Array(0), 'bytearray');
  if (src instanceof PyBytes) return new PyBytes(src.bytes, 'bytearray');
  return c.m.corrupt(`${c.name} argument is ${typeName(src)}`);
};

const complex: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(0, 2);
  const num = (x: PyValue): number => (typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : c.m.corrupt(`${c.name} argument is ${typeName(x)}`));
  const r = num(a[0] ?? 0);
  const i = num(a[1] ?? 0);
  return new PyOpaque('complex', `(${pyFloatRepr(r)}${i < 0 || Object.is(i, -0) ? '-' : '+'}${pyFloatRepr(Math.abs(i))}j)`);
};

/** Qualified name → callable. */
export const PY_BUILTINS: ReadonlyMap<string, PyCallable> = new Map([
  ['collections.OrderedDict', dictOf('OrderedDict')],
  ['collections.Counter', dictOf('Counter')],
  ['builtins.set', set],
  ['builtins.bytearray', bytearray],
  ['builtins.complex', complex],
  ['_codecs.encode', encode],
]);
