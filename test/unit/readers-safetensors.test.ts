// safetensors specifics: header validation (length bounds, UTF-8 JSON, dtypes, offsets tiling the buffer),
// __metadata__, zero-copy views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTensorFile, TensorFileError, tensorStats } from '../../src/readers/index';

/** header object + data buffer → file, the header padded with spaces to 8 bytes as safetensors does. */
function st(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  let text = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(text).length) % 8) text += ' ';
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const isErr = (kind: string, re?: RegExp) => (e: unknown) =>
  e instanceof TensorFileError && e.kind === kind && (!re || re.test(e.message)) && e.message.startsWith('m.safetensors: ');
const read = (b: Uint8Array) => readTensorFile(b, 'm.safetensors');

test('tensors, metadata and zero-copy views', () => {
  const data = new Uint8Array(24 + 2);
  new Float32Array(data.buffer, 0, 4).set([1, -2, 3.5, NaN]);
  new BigInt64Array(data.buffer, 16, 1)[0] = -(2n ** 63n);
  data.set([1, 0], 24);
  const file = st(
    {
      w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      step: { dtype: 'I64', shape: [], data_offsets: [16, 24] },
      m: { dtype: 'BOOL', shape: [2], data_offsets: [24, 26] },
      __metadata__: { format: 'pt', note: 'modèle' },
    },
    data,
  );
  const f = read(file);
  assert.equal(f.format, 'safetensors');
  assert.deepEqual(f.info.metadata, { format: 'pt', note: 'modèle' });
  assert.deepEqual(f.tensors.map((t) => t.key), ['w', 'step', 'm']);
  const w = f.tensors[0]!;
  assert.equal(w.tensor.data.buffer, file.buffer, 'aligned F32 is a view');
  assert.deepEqual(w.info, { stDtype: 'F32', dataOffsets: [0, 16] });
  assert.equal(tensorStats(w.tensor).nanCount, 1);
  assert.deepEqual(tensorStats(f.tensors[1]!.tensor).first, [-(2n ** 63n)]);
  assert.deepEqual([...f.tensors[2]!.tensor.shape], [2]);
});

test('header length: beyond the file, beyond the cap', () => {
  const ok = st({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1));
  assert.throws(() => read(st({}, new Uint8Array(0), 2n ** 62n)), isErr('header-too-large', /4611686018427387904/));
  assert.throws(() => read(st({}, new Uint8Array(0), 4096n)), isErr('header-too-large', /exceeds the/));
  assert.equal(read(ok).tensors.length, 1);
  assert.throws(() => read(ok.subarray(0, 7)), (e: unknown) => e instanceof TensorFileError);
});

test('header must be a UTF-8 JSON object with known dtypes and well-formed entries', () => {
  const bad = st({}, new Uint8Array(0));
  bad.set([0x7b, 0xff, 0xfe], 8);
  assert.throws(() => read(bad), isErr('bad-header', /UTF-8/));
  const unterminated = st({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
  unterminated[unterminated.lastIndexOf(0x7d, unterminated.length - 5)] = 0x20; // drop the closing brace
  assert.throws(() => read(unterminated), isErr('bad-header', /not valid JSON/));
  assert.throws(() => read(st({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))), isErr('bad-header', /F8_E4M3/));
  assert.throws(() => read(st({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))), isErr('bad-header'));
  assert.throws(() => read(st({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4))), isErr('bad-header'));
  assert.throws(() => read(st({ __metadata__: { n: 1 } }, new Uint8Array(0))), isErr('bad-header', /not a string/));
});

test('sizes, bounds, overlaps and holes', () => {
  const d = new Uint8Array(64);
  assert.throws(() => read(st({ t: { dtype: 'F32', shape: [4, 4], data_offsets: [0, 60] } }, d)), isErr('size-mismatch', /span 60 bytes/));
  assert.throws(
    () => read(st({ t: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8))),
    isErr('size-mismatch'),
  );
  assert.throws(() => read(st({ logits: { dtype: 'U8', shape: [10000], data_offsets: [0, 10000] } }, d)), isErr('offsets-out-of-bounds', /64-byte data buffer/));
  assert.throws(
    () => read(st({ a: { dtype: 'U8', shape: [64], data_offsets: [0, 64] }, b: { dtype: 'U8', shape: [64], data_offsets: [32, 96] } }, new Uint8Array(96))),
    isErr('overlapping-offsets', /'a' \[0, 64\] and 'b' \[32, 96\]/),
  );
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [32], data_offsets: [32, 64] } }, d)), isErr('offsets-out-of-bounds', /no tensor/));
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [32], data_offsets: [0, 32] } }, d)), isErr('offsets-out-of-bounds', /cover 32 bytes/));
  assert.throws(() => read(st({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 2 ** 60] } }, d)), (e: unknown) => e instanceof TensorFileError);
  // empty tensors may sit anywhere on the tiling
  const f = read(st({ e: { dtype: 'F32', shape: [0, 3], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
  assert.deepEqual(f.tensors.map((t) => t.tensor.size), [0, 1]);
});

test('maxTensorBytes applies per tensor', () => {
  const f = st({ a: { dtype: 'F32', shape: [256], data_offsets: [0, 1024] } }, new Uint8Array(1024));
  assert.throws(() => readTensorFile(f, 'm.safetensors', { maxTensorBytes: 1000 }), (e: unknown) => e instanceof TensorFileError && e.kind === 'too-large');
});

/** A header given as raw text (not re-serialised), padded to 8 bytes, over `data`. */
function stText(text: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(text + ' '.repeat((8 - ((8 + new TextEncoder().encode(text).length) % 8)) % 8));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('the header scanner accepts exactly the JSON that JSON.parse accepts, whatever the spelling', () => {
  const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  const d4 = new Uint8Array(4);
  // [header text, accepted by JSON.parse and the schema]
  const cases: [string, boolean][] = [
    [`{"a":${entry}}`, true],
    [`{ \t\r\n"a" : { "shape" : [ 1 ] , "dtype" : "F32" , "data_offsets" : [ 0 , 4 ] } } \n`, true],
    // Unknown fields of any JSON shape are skipped (validated), as the reference ignores them.
    [`{"a":{"dtype":"F32","x":{"y":[1,{"z":null}],"w":"\\u00e9\\n"},"shape":[1],"t":true,"data_offsets":[0,4],"f":-1.5e+3}}`, true],
    // Escaped spellings of names and keys are what they decode to.
    [`{"\\u0061":{"\\u0064type":"F\\u0033\\u0032","shape":[1],"data_offsets":[0,4]}}`, true],
    [`{"a":${entry},"\\u005f_metadata__":{"k":"v"}}`, true],
    // Numbers as JSON.parse reads them (1.0 and 4e0 are the integers 1 and 4).
    [`{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4e0]}}`, true],
    [`{"a":${entry},}`, false],
    [`{"a":${entry}`, false],
    [`{'a':${entry}}`, false],
    [`{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,+4]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":NaN}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\\q"}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"\\u12g4"}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":"tab\there"}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":[1,]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":tru}}`, false],
    [`{"a":${entry}} {}`, false],
    [`{"a":${entry},"a":${entry}}`, false],
    [`{"a":${entry},"\\u0061":${entry}}`, false],
    [`{"a":{"dtype":"F32","shape":[1,"2"],"data_offsets":[0,4]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}`, false],
    [`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}`, false],
    [`{"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}}`, false],
    [`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, false],
    [`{"a":[]}`, false],
  ];
  for (const [text, ok] of cases) {
    let parsed = true;
    try {
      JSON.parse(text);
    } catch {
      parsed = false;
    }
    if (ok) assert.ok(parsed, `JSON.parse accepts ${text}`);
    if (ok) {
      const f = read(stText(text, d4));
      assert.deepEqual(f.tensors.map((t) => [t.key, t.tensor.dtype, [...t.tensor.shape]]), [['a', 'float32', [1]]], text);
    } else {
      assert.throws(() => read(stText(text, d4)), isErr('bad-header'), text);
    }
  }
  const meta = read(stText(`{"a":${entry},"__metadata__":{"k":"v\\u00e9","n":"\\ud800"}}`, d4));
  assert.deepEqual(meta.info.metadata, { k: 'vé', n: '\ud800' });
  // A name with escapes keeps what they decode to, lone surrogates included; a duplicate is named.
  assert.equal(read(stText(`{"x\\"y\\ud800":${entry}}`, d4)).tensors[0]!.key, 'x"y\ud800');
  assert.throws(() => read(stText(`{"a":${entry},"a":${entry}}`, d4)), isErr('bad-header', /tensor name 'a' appears twice/));
  assert.throws(() => read(stText(`{"é":${entry},"\\u00e9":${entry}}`, d4)), isErr('bad-header', /tensor name 'é' appears twice/));
});

test('the header must be valid UTF-8: overlong forms, surrogates and truncated sequences are refused', () => {
  const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  const withName = (bytes: number[]) => {
    const text = `{"@":${entry}}`;
    const f = stText(text, new Uint8Array(4));
    const at = f.indexOf(0x40);
    const out = new Uint8Array(f.length + bytes.length - 1);
    out.set(f.subarray(0, at));
    out.set(bytes, at);
    out.set(f.subarray(at + 1), at + bytes.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(f.length - 8 - 4 + bytes.length - 1), true);
    return out;
  };
  assert.equal(read(withName([0xc3, 0xa9])).tensors[0]!.key, 'é');
  assert.equal(read(withName([0xf0, 0x9f, 0x98, 0x80])).tensors[0]!.key, '😀');
  for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8], [0xe2, 0x82], [0x80]]) {
    assert.throws(() => read(withName(bad)), isErr('bad-header', /UTF-8/), bad.join(','));
  }
});
