/**
 * The reference workloads and the data sets they run on. Everything that decides the bytes
 * of a data set lives in its spec, and the cache sidecar stores the spec: change a number here and the
 * files are generated again.
 */
import type { LossOptions } from '../src/engine/types';

export interface SegSpec {
  kind: 'seg';
  /** Batch items, classes, spatial dims (X, Y, Z). */
  B: number;
  C: number;
  dims: [number, number, number];
  seed: number;
  /** Logit boost of the class that "wins" at a voxel, times a smooth confidence field in [0.3, 1]. */
  signal: number;
  /** Standard deviation of the per-logit noise. */
  noise: number;
  /** Fraction of voxels whose boost goes to a random class instead of the true one (model mistakes). */
  flip: number;
  /** How the target is stored: MONAI's (B, 1, X, Y, Z) int64 .npy, or a uint8 NIfTI label map (B must be 1). */
  target: 'npy-int64' | 'nifti-uint8';
}

export interface ClsSpec {
  kind: 'cls';
  N: number;
  C: number;
  seed: number;
  /** Per-sample logit boost drawn uniformly in [0, signal]. */
  signal: number;
  noise: number;
  flip: number;
}

export type DatasetSpec = SegSpec | ClsSpec;

export interface Dataset {
  name: string;
  spec: DatasetSpec;
}

/** Data-generator version: bump when the generation code changes the bytes. */
export const GENERATOR_VERSION = 1;

export const DATASETS = {
  seg96: {
    name: 'seg96',
    spec: { kind: 'seg', B: 2, C: 14, dims: [96, 96, 96], seed: 1, signal: 7, noise: 1, flip: 0.02, target: 'npy-int64' },
  },
  seg256: {
    name: 'seg256',
    spec: { kind: 'seg', B: 1, C: 14, dims: [256, 256, 128], seed: 2, signal: 7, noise: 1, flip: 0.02, target: 'nifti-uint8' },
  },
  cls: {
    name: 'cls',
    spec: { kind: 'cls', N: 4096, C: 1000, seed: 3, signal: 8, noise: 1, flip: 0.1 },
  },
} as const satisfies Record<string, Dataset>;

export type DatasetName = keyof typeof DATASETS;

/** File names of a data set inside bench/data/. */
export function datasetFiles(name: DatasetName): { logits: string; target: string; targetRaw?: string } {
  const d: Dataset = DATASETS[name];
  if (d.spec.kind === 'seg' && d.spec.target === 'nifti-uint8') {
    return { logits: `${name}_logits.npy`, target: `${name}_labels.nii.gz`, targetRaw: `${name}_labels.nii` };
  }
  return { logits: `${name}_logits.npy`, target: `${name}_target.npy` };
}

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W6';

export interface Workload {
  id: WorkloadId;
  title: string;
  dataset: DatasetName;
  /** Partial options passed through `resolveOptions`. */
  options: Partial<LossOptions>;
  /**
   * `report`: one full report; `sweep`: what the comparison view asks for at the workload's ε (the report and
   * the ε sweep on the view's grid, from one pass), compared with one report on the same data.
   */
  mode: 'report' | 'sweep';
  /** Compare with bench/torch_report.py (false where torch has no such loss: MONAI is not installed). */
  torch?: boolean;
}

const SEG_OPTIONS: Partial<LossOptions> = { loss: 'dicece', softmax: true, toOnehotY: true, labelSmoothing: 0.1 };

export const WORKLOADS: Workload[] = [
  { id: 'W1', title: 'DiceCE 2×14×96³', dataset: 'seg96', options: SEG_OPTIONS, mode: 'report' },
  { id: 'W2', title: 'DiceCE 1×14×256²×128 + .nii.gz', dataset: 'seg256', options: SEG_OPTIONS, mode: 'report' },
  { id: 'W3', title: 'CE 4096×1000', dataset: 'cls', options: { loss: 'ce', labelSmoothing: 0.1 }, mode: 'report' },
  { id: 'W4', title: 'the view\'s report + ε sweep on W1', dataset: 'seg96', options: SEG_OPTIONS, mode: 'sweep' },
  // DiceFocalLoss on W1's files (W5 is the validation-set folder): the focal term's cost against W1's DiceCE.
  { id: 'W6', title: 'DiceFocal 2×14×96³', dataset: 'seg96', options: { ...SEG_OPTIONS, loss: 'dicefocal' }, mode: 'report', torch: false },
];
