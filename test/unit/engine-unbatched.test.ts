// torch's unbatched cross-entropy: logits (C,) with a 0-d class index or a (C,) probability target, as
// torch.nn.functional.cross_entropy takes them. Expected numbers were printed by torch 1.13 (float32 inputs):
//   x = tensor([0.5, -1.0, 2.0, 0.1]); F.cross_entropy(x, tensor(2)) = 0.35240593552589417,
//   F.cross_entropy(x, tensor([0.1, 0.2, 0.3, 0.4])) = 1.8624060153961182,
//   F.cross_entropy(x, tensor(2), label_smoothing=0.1) = 0.5124059319496155.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, computeReport, crossEntropy, resolveOptions, LossInputError } from '../../src/engine/index';

const x = new Tensor('float32', [4], Float32Array.from([0.5, -1.0, 2.0, 0.1]));
const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) <= 1e-6 * Math.abs(b), `${a} vs ${b}`);

test('(C,) logits with a 0-d class index: torch reads one unbatched sample', () => {
  const t = new Tensor('int64', [], BigInt64Array.from([2n]));
  close(crossEntropy(x, t) as number, 0.35240593552589417);
  close(computeReport(x, t, resolveOptions({ loss: 'ce' })).hard.total, 0.35240593552589417);
  close(computeReport(x, t, resolveOptions({ loss: 'ce', labelSmoothing: 0.1 })).smoothed?.total ?? null, 0.5124059319496155);
});

test('(C,) logits with a (C,) probability target', () => {
  const p = new Tensor('float32', [4], Float32Array.from([0.1, 0.2, 0.3, 0.4]));
  close(computeReport(x, p, resolveOptions({ loss: 'ce' })).hard.total, 1.8624060153961182);
});

test('other target shapes, and the MONAI losses, still refuse unbatched logits', () => {
  const t2 = new Tensor('int64', [2], BigInt64Array.from([1n, 2n]));
  assert.throws(() => computeReport(x, t2, resolveOptions({ loss: 'ce' })), LossInputError);
  const t = new Tensor('int64', [], BigInt64Array.from([2n]));
  assert.throws(() => computeReport(x, t, resolveOptions({ loss: 'dice', toOnehotY: true, softmax: true })), LossInputError);
});
