// 16-bit float tensors' stats and histogram from bit-pattern counts (src/readers/stats.ts) against the
// element-by-element float32 path on the same values: min, max, NaN/Inf counts, the first values and every
// histogram bin exactly; sums within a few ulps of the magnitude summed. Views (strided, offset) included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToFloat, halfToFloat, Tensor } from '../../src/engine/tensor';
import { histogram, tensorStats } from '../../src/readers/stats';
import { rng } from './helpers/random';

function halfAndFloat(dtype: 'float16' | 'bfloat16', n: number, seed: number): { half: Uint16Array; f32: Float32Array } {
  const r = rng(seed);
  const half = new Uint16Array(n);
  const special = dtype === 'bfloat16' ? [0x7fc0, 0x7f80, 0xff80, 0x0000, 0x8000, 0x0001, 0x7f7f] : [0x7e00, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x0001, 0x7bff];
  for (let i = 0; i < n; i++) half[i] = r() < 0.01 ? special[Math.floor(r() * special.length)]! : Math.floor(r() * 65536) & (r() < 0.9 ? 0xbfff : 0xffff);
  const decode = dtype === 'float16' ? halfToFloat : bfloat16ToFloat;
  return { half, f32: Float32Array.from(half, (h) => decode(h)) };
}

const close = (a: number, b: number, scale: number) => (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= 1e-12 * scale;

// len 50: every view is under 16,384 elements, read element by element; len 400: the larger views by pattern.
for (const [dtype, len] of [['bfloat16', 50], ['float16', 50], ['bfloat16', 400], ['float16', 400]] as const) {
  test(`${dtype}, ${6 * 7 * len} elements: stats and histogram equal the float32 element-by-element ones`, () => {
    const n = 6 * 7 * len + 3;
    const { half, f32 } = halfAndFloat(dtype, n, dtype === 'bfloat16' ? 5 : 6);
    const views: [readonly number[], readonly number[] | undefined, number][] = [
      [[6, 7, len], undefined, 3], // contiguous with an offset
      [[len, 7, 6], [1, len, 7 * len], 0], // transposed
      [[6, 7, len / 2], [7 * len, len, 2], 1], // every other value
      [[], undefined, 17], // a scalar
    ];
    for (const [shape, strides, offset] of views) {
      const h = new Tensor(dtype, shape, half, strides, offset);
      const f = new Tensor('float32', shape, f32, strides, offset);
      const sh = tensorStats(h);
      const sf = tensorStats(f);
      const where = `${dtype} ${JSON.stringify(shape)}`;
      assert.deepEqual([sh.count, sh.nanCount, sh.infCount, sh.first], [sf.count, sf.nanCount, sf.infCount, sf.first], where);
      assert.ok(sh.min === sf.min && sh.max === sf.max, `${where}: min/max ${sh.min}/${sh.max} vs ${sf.min}/${sf.max}`);
      for (const k of ['sum', 'finiteSum', 'absSum'] as const) assert.ok(close(sh[k], sf[k], sf.absSum), `${where}: ${k} ${sh[k]} vs ${sf[k]}`);
      assert.deepEqual(histogram(h, 64), histogram(f, 64), where);
      assert.deepEqual(histogram(h, 7, { min: -1, max: 3 }), histogram(f, 7, { min: -1, max: 3 }), where);
    }
  });
}

test('only NaN, or nothing: no min/max, an empty histogram', () => {
  const nan = new Tensor('bfloat16', [3], Uint16Array.of(0x7fc0, 0xffc1, 0x7fc0));
  const s = tensorStats(nan);
  assert.deepEqual([s.min, s.max, s.nanCount, Number.isNaN(s.sum)], [null, null, 3, true]);
  assert.deepEqual(histogram(nan, 4), { min: null, max: null, counts: [0, 0, 0, 0], binWidth: 0, nonFinite: 3 });
  const empty = tensorStats(new Tensor('float16', [0, 4], new Uint16Array(0)));
  assert.deepEqual([empty.count, empty.min, empty.sum, empty.first], [0, null, 0, []]);
});

test('small 16-bit tensors are read element by element, without a 65,536-entry pattern table each', () => {
  // An allocation counter: Uint32Array constructions of the table's length while the stats of 1000 tiny tensors
  // are taken (a safetensors file of 46,000 two-element float16 tensors spent 15 s of CPU building tables).
  const Native = globalThis.Uint32Array;
  let tables = 0;
  globalThis.Uint32Array = class extends Native {
    constructor(...args: unknown[]) {
      super(...(args as [number]));
      if (args[0] === 65536) tables++;
    }
  } as Uint32ArrayConstructor;
  try {
    for (let i = 0; i < 1000; i++) tensorStats(new Tensor('float16', [2], Uint16Array.of(0x3c00, i)));
    assert.equal(tables, 0);
    // A large one still counts patterns: one table.
    tensorStats(new Tensor('bfloat16', [20000], new Uint16Array(20000)));
    assert.equal(tables, 1);
  } finally {
    globalThis.Uint32Array = Native;
  }
});
