/**
 * Real engine output for the webview tests: the repository's sample segmentation (sample/logits.npy
 * (1, 4, 32, 32, 16) float32, sample/labels.npy (1, 1, 32, 32, 16) int64, sample/classes.json) read with
 * the readers and computed with the engine, shaped as the host would send it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeReportAndSweep, computeSlice, resolveOptions, type LossOptions, type Tensor } from '../../src/engine/index';
import { readTensorFile } from '../../src/readers/index';
import type { ComparisonState, SliceData, SliceRequest } from '../../src/protocol/messages';
import { repoRoot } from './harness';

function load(name: string): Tensor {
  const file = readTensorFile(new Uint8Array(readFileSync(join(repoRoot, 'sample', name))), name);
  const t = file.tensors[0];
  if (!t) throw new Error(`sample/${name} holds no tensor`);
  return t.tensor;
}

export const sample = {
  logits: load('logits.npy'),
  target: load('labels.npy'),
  classNames: JSON.parse(readFileSync(join(repoRoot, 'sample', 'classes.json'), 'utf8')) as string[],
};

/** The README demo's options: DiceCELoss(to_onehot_y, softmax, label_smoothing 0.1). */
export const DEMO_OPTIONS: Partial<LossOptions> = { loss: 'dicece', toOnehotY: true, softmax: true, labelSmoothing: 0.1 };

export function sampleState(partial: Partial<LossOptions> = DEMO_OPTIONS): ComparisonState {
  const options = resolveOptions(partial);
  const t0 = performance.now();
  const { report, sweep } = computeReportAndSweep(sample.logits, sample.target, options);
  const computeMs = performance.now() - t0;
  const shape = sample.logits.shape;
  return {
    logits: { uri: 'file:///workspace/sample/logits.npy', key: '', label: 'logits.npy' },
    target: { uri: 'file:///workspace/sample/labels.npy', key: '', label: 'labels.npy' },
    options,
    report,
    sweep,
    classNames: sample.classNames,
    volume: shape.length >= 4 ? { batch: shape[0]!, spatial: shape.slice(2) } : null,
    timings: { readMs: 3, computeMs },
  };
}

export function sampleSlice(options: LossOptions, request: SliceRequest): SliceData {
  return computeSlice(sample.logits, sample.target, options, request);
}
