/**
 * The tensor editor's 2-D heat map: the last two axes of a tensor with the leading axes fixed, as float32,
 * row-major `height × width` (height = axis rank−2, width = axis rank−1). Pure; runs in the worker.
 * Sides longer than `maxSide` are subsampled by an integer stride (nearest sample, no averaging, so every
 * value shown is a real element), which keeps what crosses to the webview bounded.
 */
import { elementToNumber, isFloatDType, type Tensor } from '../engine/tensor';
import type { HeatmapData, HeatmapRequest } from '../protocol/messages';
import { fmtShape } from '../engine/errors';

export function heatmapOf(t: Tensor, fileName: string, request: HeatmapRequest, maxSide = 1024): HeatmapData {
  const where = `${fileName}#${request.key}`;
  if (t.rank < 2) throw new RangeError(`${where}: a heat map needs rank ≥ 2, the tensor has shape ${fmtShape(t.shape)}`);
  const lead = t.rank - 2;
  if (!Array.isArray(request.leading) || request.leading.length !== lead) {
    throw new RangeError(`${where}: expected ${lead} leading indices for shape ${fmtShape(t.shape)}, got [${String(request.leading)}]`);
  }
  let base = t.offset;
  for (let a = 0; a < lead; a++) {
    const i = request.leading[a]!;
    if (!Number.isInteger(i) || i < 0 || i >= t.shape[a]!) {
      throw new RangeError(`${where}: index ${i} out of range for axis ${a} of size ${t.shape[a]}`);
    }
    base += i * t.strides[a]!;
  }
  const H = t.shape[lead]!;
  const W = t.shape[lead + 1]!;
  const side = Math.max(1, Math.floor(maxSide));
  const sy = Math.max(1, Math.ceil(H / side));
  const sx = Math.max(1, Math.ceil(W / side));
  const height = Math.ceil(H / sy);
  const width = Math.ceil(W / sx);
  const rowStride = t.strides[lead]! * sy;
  const colStride = t.strides[lead + 1]! * sx;
  const values = new Float32Array(width * height);
  let min = Infinity;
  let max = -Infinity;
  const { dtype, data } = t;
  const fast = dtype === 'float32' || dtype === 'float64' || dtype === 'uint8' || dtype === 'int32' || dtype === 'int16' || dtype === 'int8' || dtype === 'uint16' || dtype === 'uint32' || dtype === 'bool';
  const arr = data as unknown as ArrayLike<number>;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let s = base + y * rowStride;
    for (let x = 0; x < width; x++, s += colStride) {
      const v = fast ? arr[s]! : elementToNumber(dtype, data, s);
      values[o++] = v;
      if (v - v === 0) {
        // finite (NaN − NaN and ±Inf − ±Inf are NaN): the colour scale spans the finite values only
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (min === Infinity && max === -Infinity) {
    min = 0;
    max = 0;
  }
  return { request: { key: request.key, leading: [...request.leading] }, width, height, values, min, max };
}

/**
 * The leading indices of the 2-D slice (last two axes) a heat map should open on, so that it does not open
 * on a blank slice: for a label map (integer or bool dtype), the middle one of the slices that hold any
 * non-zero label; for other dtypes, the slice whose finite values vary most. One pass over the elements.
 * A tensor without a labelled or varying slice opens on the middle slice.
 */
export function initialSlice(t: Tensor): number[] {
  const lead = t.rank - 2;
  if (lead <= 0) return [];
  const leadShape = t.shape.slice(0, lead);
  const slices = leadShape.reduce((a, b) => a * b, 1);
  if (slices <= 1) return leadShape.map(() => 0);
  const H = t.shape[lead]!;
  const W = t.shape[lead + 1]!;
  const labels = !isFloatDType(t.dtype);
  const { dtype, data } = t;
  if ((dtype === 'float32' || dtype === 'float64') && t.isContiguous()) return unravel(mostVariedBlock(data as Float32Array | Float64Array, t.offset, slices, H * W), leadShape);
  const fast = dtype === 'float32' || dtype === 'float64' || dtype === 'uint8' || dtype === 'int32' || dtype === 'int16' || dtype === 'int8' || dtype === 'uint16' || dtype === 'uint32' || dtype === 'bool';
  const arr = data as unknown as ArrayLike<number>;
  const labelled: number[] = [];
  let best = -1;
  let bestSpread = 0;
  const index = new Array<number>(lead).fill(0);
  for (let s = 0; s < slices; s++) {
    let base = t.offset;
    for (let a = 0; a < lead; a++) base += index[a]! * t.strides[a]!;
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    let any = false;
    for (let y = 0; y < H && !(labels && any); y++) {
      let o = base + y * t.strides[lead]!;
      for (let x = 0; x < W; x++, o += t.strides[lead + 1]!) {
        const v = fast ? arr[o]! : elementToNumber(dtype, data, o);
        if (labels) {
          if (v !== 0) {
            any = true;
            break;
          }
        } else if (v - v === 0) {
          n++;
          sum += v;
          sumSq += v * v;
        }
      }
    }
    if (labels) {
      if (any) labelled.push(s);
    } else if (n > 0) {
      const spread = sumSq / n - (sum / n) ** 2;
      if (spread > bestSpread) {
        bestSpread = spread;
        best = s;
      }
    }
    for (let a = lead - 1; a >= 0; a--) {
      if (++index[a]! < leadShape[a]!) break;
      index[a] = 0;
    }
  }
  const chosen = labels ? (labelled.length > 0 ? labelled[Math.floor((labelled.length - 1) / 2)]! : -1) : best;
  return unravel(chosen >= 0 ? chosen : Math.floor(slices / 2), leadShape);
}

/**
 * `initialSlice` for contiguous float data, where the slices are consecutive blocks of `n` values: the same choice
 * (the block whose finite values vary most; the middle one when none varies) as one tight loop per block.
 */
function mostVariedBlock(d: Float32Array | Float64Array, offset: number, slices: number, n: number): number {
  let best = -1;
  let bestSpread = 0;
  for (let s = 0; s < slices; s++) {
    const start = offset + s * n;
    const end = start + n;
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    for (let i = start; i < end; i++) {
      const v = d[i]!;
      if (v - v === 0) {
        count++;
        sum += v;
        sumSq += v * v;
      }
    }
    if (count > 0) {
      const spread = sumSq / count - (sum / count) ** 2;
      if (spread > bestSpread) {
        bestSpread = spread;
        best = s;
      }
    }
  }
  return best >= 0 ? best : Math.floor(slices / 2);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return out;
}
