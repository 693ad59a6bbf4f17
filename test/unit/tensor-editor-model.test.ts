// The tensor editor's view model, computed in the worker: where the heat map opens (never on a blank
// slice) and which header facts a file shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/engine/tensor';
import { headerFacts } from '../../src/worker/headerFacts';
import { initialSlice } from '../../src/worker/heatmap';

test('initialSlice: a label map opens on the middle one of its labelled slices', () => {
  // (10, 4, 4) labels; slices 3..7 hold labels, the middle labelled one is 5.
  const data = new Uint8Array(10 * 16);
  for (let s = 3; s <= 7; s++) data[s * 16 + 5] = 2;
  assert.deepEqual(initialSlice(new Tensor('uint8', [10, 4, 4], data)), [5]);
  // Labelled slices 2 and 8 only: the lower middle of the two.
  const sparse = new Int32Array(10 * 16);
  sparse[2 * 16] = 1;
  sparse[8 * 16 + 15] = 1;
  assert.deepEqual(initialSlice(new Tensor('int32', [10, 4, 4], sparse)), [2]);
  // No label at all: the middle slice.
  assert.deepEqual(initialSlice(new Tensor('uint8', [10, 4, 4], new Uint8Array(160))), [5]);
});

test('initialSlice: float data opens on the slice whose values vary most; leading indices unravel', () => {
  // (2, 3, 2, 2): slice (1, 2) is the only one that varies.
  const data = new Float32Array(2 * 3 * 4).fill(0.5);
  data.set([0, 4, -4, 1], (1 * 3 + 2) * 4);
  assert.deepEqual(initialSlice(new Tensor('float32', [2, 3, 2, 2], data)), [1, 2]);
  // NaN and Inf are not signal.
  const noisy = new Float64Array(3 * 4).fill(1);
  noisy.set([NaN, Infinity, -Infinity, 1], 0);
  noisy.set([1, 2, 1, 2], 8);
  assert.deepEqual(initialSlice(new Tensor('float64', [3, 2, 2], noisy)), [2]);
  assert.deepEqual(initialSlice(new Tensor('float32', [4, 4], new Float32Array(16))), []);
});

test('initialSlice: contiguous float data (the fast path) picks what the strided walk picks', () => {
  // (5, 3, 4, 6) random floats with a NaN and an Inf, read contiguously and as a strided view with an offset
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const shape = [5, 3, 4, 6];
  const n = 5 * 3 * 4 * 6;
  const dense = new Float64Array(n).map((_, i) => rand() * (1 + (i % 37 === 0 ? 3 : 0)));
  dense[17] = NaN;
  dense[200] = Infinity;
  // the same values with every element doubled in a padded buffer: strides ×2, offset 1 (not contiguous)
  const padded = new Float64Array(2 * n + 1);
  for (let i = 0; i < n; i++) padded[1 + 2 * i] = dense[i]!;
  const strided = new Tensor('float64', shape, padded, [144, 48, 12, 2], 1);
  assert.equal(strided.isContiguous(), false);
  const fast = initialSlice(new Tensor('float64', shape, dense));
  assert.deepEqual(fast, initialSlice(strided));
  assert.deepEqual(initialSlice(new Tensor('float32', shape, Float32Array.from(dense))), fast);
});

test('headerFacts: NIfTI geometry with units and signed scaling; safetensors metadata; nothing for npy', () => {
  const t = new Tensor('float32', [2, 2, 2], new Float32Array(8));
  const nifti = headerFacts({
    format: 'nifti',
    tensors: [{ key: '', tensor: t, info: { dim: [3, 2, 2, 2, 1, 1, 1, 1], zooms: [0.699999988079071, 0.7, 5], spatialUnit: 'mm', temporalUnit: 'unknown', affine: [[0.7, 0, 0, 1], [0, 0.7, 0, 2], [0, 0, 5, 3], [0, 0, 0, 1]], datatype: 4, storedDtype: 'int16', bitpix: 16, sclSlope: 0.5, sclInter: -1024, description: 'CT', magic: 'n+1' } }],
    nonTensors: [],
    info: {},
  });
  const byLabel = Object.fromEntries(nifti.filter((f) => f.label).map((f) => [f.label, f.value]));
  assert.equal(byLabel.dims, '2 × 2 × 2 (dim[0] = 3)');
  assert.equal(byLabel.spacing, '0.7 × 0.7 × 5 mm');
  assert.equal(byLabel.scaling, 'stored × 0.5 − 1024');
  assert.equal(byLabel.description, 'CT');
  assert.equal(nifti.filter((f) => f.value.startsWith('[')).length, 4, 'four affine rows');
  assert.deepEqual(headerFacts({ format: 'safetensors', tensors: [], nonTensors: [], info: { metadata: { format: 'pt' } } }), [{ label: 'format', value: 'pt' }]);
  assert.deepEqual(headerFacts({ format: 'npy', tensors: [{ key: '', tensor: t }], nonTensors: [], info: {} }), []);
});
