/**
 * The readers' public contract, shared by every format reader, the CLI, the worker and the extension.
 * Pure: no `vscode`, no DOM, no Node-only modules (readers take bytes, never paths).
 */
import type { Tensor } from '../engine/tensor';

export type TensorFormat = 'npy' | 'npz' | 'pt' | 'safetensors' | 'nifti';

/**
 * Why a file was refused. The first fourteen are the corpus's `errorKind`s; `too-large` is our own
 * allocation limit (ReadLimits.maxTensorBytes), `unknown-key` a `#key` that the file does not hold.
 */
export type TensorFileErrorKind =
  | 'unsafe-pickle'
  | 'pickle-required'
  | 'missing-record'
  | 'truncated-data'
  | 'view-out-of-bounds'
  | 'bad-header'
  | 'header-too-large'
  | 'offsets-out-of-bounds'
  | 'overlapping-offsets'
  | 'size-mismatch'
  | 'decompression-limit'
  | 'bad-dim'
  | 'empty-file'
  | 'unrecognized-format'
  | 'git-lfs-pointer'
  | 'too-large'
  | 'unknown-key';

/** A file that cannot be read. The message is one line: `<file name>: <problem>`. */
export class TensorFileError extends Error {
  override name = 'TensorFileError';
  readonly kind: TensorFileErrorKind;
  readonly fileName: string;
  readonly problem: string;
  constructor(kind: TensorFileErrorKind, fileName: string, problem: string) {
    super(`${fileName}: ${problem}`);
    this.kind = kind;
    this.fileName = fileName;
    this.problem = problem;
  }
}

export interface ReadLimits {
  /** Largest tensor (logical elements × item size) a reader will hand out or materialise. */
  maxTensorBytes: number;
  /** Decompression budget per file: the inflated sizes of all members an archive inflates, or of a gzip stream. */
  maxDecompressedBytes: number;
  /**
   * The one key the caller wants (`file#key`), when it wants one: readers may then skip the work the other
   * tensors need (an archive checks its budget for, and inflates, that member only; the others are still
   * listed and inflate on access).
   */
  onlyKey?: string;
}

export const DEFAULT_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxTensorBytes: 4 * 1024 ** 3,
  maxDecompressedBytes: 1024 ** 3,
});

export interface TensorEntry {
  /** The corpus's key rules: '' for a single unnamed tensor, dotted paths for nested containers. */
  key: string;
  tensor: Tensor;
  /** Format-specific facts, named as in the corpus manifest's per-tensor `info`. */
  info?: Record<string, unknown>;
}

export interface NonTensorEntry {
  key: string;
  /** Python type name: int, float, str, bool, NoneType, … */
  type: string;
  /** JSON-safe value (non-finite floats as the strings "NaN", "Infinity", "-Infinity"; big ints as bigint). */
  value: unknown;
}

export interface TensorFile {
  format: TensorFormat;
  tensors: TensorEntry[];
  nonTensors: NonTensorEntry[];
  /** File-level facts, named as in the corpus manifest's file `info`. */
  info: Record<string, unknown>;
  /** What a reader wants the user to know about an accepted file (one line each: colliding keys, …). */
  warnings?: string[];
}
