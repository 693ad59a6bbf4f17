/**
 * The tensor editor's 2-D heat map: the last two axes of a tensor with the leading axes fixed, as float32,
 * row-major `height × width` (height = axis rank−2, width = axis rank−1). Pure; runs in the worker.
 * Sides longer than `maxSide` are subsampled by an integer stride (nearest sample, no averaging, so every
 * value shown is a real element), which keeps what crosses to the webview bounded.
 */
import { elementToNumber, type Tensor } from '../engine/tensor';
import type { HeatmapData, HeatmapRequest } from '../protocol/messages';

export function heatmapOf(t: Tensor, fileName: string, request: HeatmapRequest, maxSide = 1024): HeatmapData {
  const where = `${fileName}#${request.key}`;
  if (t.rank < 2) throw new RangeError(`${where}: a heat map needs rank ≥ 2, the tensor has shape [${t.shape.join(', ')}]`);
  const lead = t.rank - 2;
  if (!Array.isArray(request.leading) || request.leading.length !== lead) {
    throw new RangeError(`${where}: expected ${lead} leading indices for shape [${t.shape.join(', ')}], got [${String(request.leading)}]`);
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
