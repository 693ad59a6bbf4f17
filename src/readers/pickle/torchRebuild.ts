/**
 * torch's rebuild functions, computed on descriptors: each is named after its upstream definition
 * (`torch/_utils.py`, `torch/_tensor.py`, `torch/nn/parameter.py`, `torch/__init__.py`) so it can be read side by
 * side with it. A tensor comes out as a {@link PyTensor} (storage reference, offset, shape, stride): no data is
 * read here; `pt.ts` resolves storages after the whole pickle has been accepted.
 */
import type { CallContext, PyCallable } from './callables';
import { TORCH_DTYPES } from './allowlist';
import { PyGlobal, PyList, PyOpaque, PyStorage, PyTensor, PyTuple, typeName, type PyValue } from './values';
import { fmtShape } from '../../engine/errors';

/** torch allows at most 64 dimensions. */
const MAX_TENSOR_RANK = 64;

/** A bool argument (`requires_grad`); 0/1 ints as Python would take them. */
function flag(c: CallContext, v: PyValue, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint' && (v === 0n || v === 1n)) return v === 1n;
  return c.m.corrupt(`${c.name} ${what} argument is ${typeName(v)}, not a bool`);
}

/** A non-negative safe integer argument (offsets, dims, strides, numel). */
export function count(c: Pick<CallContext, 'm' | 'name'>, v: PyValue, what: string): number {
  if (typeof v !== 'bigint') c.m.corrupt(`${c.name} ${what} is ${typeName(v)}, not an int`);
  if (v < 0n) c.m.corrupt(`${c.name} ${what} ${v} is negative`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) c.m.corrupt(`${c.name} ${what} ${v} is impossibly large`);
  return Number(v);
}

function dims(c: CallContext, v: PyValue, what: string): readonly number[] {
  if (!(v instanceof PyTuple || v instanceof PyList)) c.m.corrupt(`${c.name} ${what} is ${typeName(v)}, not a tuple`);
  if (v.items.length > MAX_TENSOR_RANK) c.m.corrupt(`${c.name} ${what} has ${v.items.length} dimensions (torch allows ${MAX_TENSOR_RANK})`);
  return c.m.intern(v.items.map((x, i) => count(c, x, `${what}[${i}]`)));
}

/** `tensor.set_(storage, offset, size, stride)`, the step every rebuild shares; `dtype` is v3's reinterpretation. */
function tensorOn(c: CallContext, storage: PyValue, offset: PyValue, size: PyValue, stride: PyValue, requiresGrad: boolean, dtype?: string): PyTensor {
  if (!(storage instanceof PyStorage)) c.m.corrupt(`${c.name} storage argument is ${typeName(storage)}, not a storage reference`);
  const shape = dims(c, size, 'size');
  const strides = dims(c, stride, 'stride');
  if (shape.length !== strides.length) c.m.corrupt(`${c.name} size ${fmtShape(shape)} and stride ${fmtShape(strides)} differ in length`);
  const off = count(c, offset, 'storage offset');
  if (dtype === undefined) return new PyTensor(storage, storage.info.dtype, storage.info.torchDType, off, shape, strides, requiresGrad, false);
  return new PyTensor(storage, TORCH_DTYPES[dtype]?.dtype, dtype, off, shape, strides, requiresGrad, false);
}

/** A Parameter around a tensor (or around a tensor we only show as text). */
function asParameter(c: CallContext, data: PyValue, requiresGrad: PyValue): PyValue {
  if (data instanceof PyTensor) return data.with({ parameter: true, requiresGrad: flag(c, requiresGrad, 'requires_grad') });
  if (data instanceof PyOpaque && data.typeName === 'Tensor') return data;
  return c.m.corrupt(`${c.name} data argument is ${typeName(data)}, not a tensor`);
}

// --- torch/_utils.py -------------------------------------------------------------------------------

/** `_rebuild_tensor(storage, storage_offset, size, stride)` */
export const _rebuild_tensor: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(4, 4);
  return tensorOn(c, a[0]!, a[1]!, a[2]!, a[3]!, false);
};

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])` */
export const _rebuild_tensor_v2: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(6, 7);
  return tensorOn(c, a[0]!, a[1]!, a[2]!, a[3]!, flag(c, a[4]!, 'requires_grad'));
};

/** `_rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype[, metadata])` */
export const _rebuild_tensor_v3: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(7, 8);
  const dt = a[6]!;
  if (!(dt instanceof PyGlobal) || dt.role !== 'dtype') c.m.corrupt(`${c.name} dtype argument is ${typeName(dt)}`);
  return tensorOn(c, a[0]!, a[1]!, a[2]!, a[3]!, flag(c, a[4]!, 'requires_grad'), dt.name);
};

/** `_rebuild_parameter(data, requires_grad, backward_hooks)` */
export const _rebuild_parameter: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(3, 3);
  return asParameter(c, a[0]!, a[1]!);
};

/** `_rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)`: the Python state is dropped. */
export const _rebuild_parameter_with_state: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(4, 4);
  return asParameter(c, a[0]!, a[1]!);
};

/** `_rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad)`: a tensor of another device saved via the CPU. */
export const _rebuild_device_tensor_from_cpu_tensor: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(4, 4);
  const data = a[0]!;
  if (!(data instanceof PyTensor)) c.m.corrupt(`${c.name} data argument is ${typeName(data)}, not a tensor`);
  return data.with({ requiresGrad: flag(c, a[3]!, 'requires_grad') });
};

/** `_rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad)`: a tensor saved without data. */
export const _rebuild_meta_tensor_no_storage: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(4, 4);
  const dt = a[0]!;
  const shape = dims(c, a[1]!, 'size');
  return new PyOpaque('Tensor', `meta tensor ${dt instanceof PyGlobal ? dt.name : '?'} ${fmtShape(shape)} (saved without data)`);
};

/** Sparse, quantized, nested and wrapper-subclass tensors: recognised, shown as text only. */
function unsupported(fn: string): PyCallable {
  return () => new PyOpaque('Tensor', `${fn.replace(/^_rebuild_/, '').replace(/_/g, ' ')} (not supported: not shown)`);
}

// --- torch/_tensor.py ------------------------------------------------------------------------------

/** `_rebuild_from_type_v2(func, new_type, args, state)`: a tensor subclass or a tensor with Python attributes. */
export const _rebuild_from_type_v2: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(4, 4);
  const inner = c.call(a[0]!, a[2]!, c.depth + 1);
  const newType = a[1]!;
  if (!(newType instanceof PyGlobal) || (newType.role !== 'tensorType' && newType.role !== 'parameter')) {
    c.m.refuse(`${c.name} with type ${newType instanceof PyGlobal ? `'${newType.qualified}'` : typeName(newType)} is not allowed`);
  }
  if (newType.role === 'parameter' && inner instanceof PyTensor) return inner.with({ parameter: true });
  return inner;
};

// --- torch/nn/parameter.py, torch/__init__.py --------------------------------------------------------

/** `Parameter(data=None, requires_grad=True)` */
export const Parameter: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(0, 2);
  return asParameter(c, a[0] ?? null, a.length > 1 ? a[1]! : true);
};

/** `Parameter.__new__` through NEWOBJ / NEWOBJ_EX, with `data` / `requires_grad` keywords. */
export function newParameter(a: PyValue[], kwargs: Iterable<{ key: PyValue; value: PyValue }>, how: string, c: CallContext): PyValue {
  let requiresGrad: PyValue = a.length > 1 ? a[1]! : true;
  for (const { key, value } of kwargs) {
    if (key === 'requires_grad') requiresGrad = value;
    else if (key !== 'data') c.m.corrupt(`${how} of Parameter with keyword '${String(key)}'`);
    else a[0] = value;
  }
  return asParameter(c, a[0] ?? null, requiresGrad);
}

/** `torch.Size(sizes)`: a tuple of ints. */
export const Size: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(0, 1);
  const src = a[0];
  if (src === undefined) return new PyTuple([]);
  if (!(src instanceof PyTuple || src instanceof PyList) || !src.items.every((x) => typeof x === 'bigint')) {
    c.m.corrupt(`${c.name} argument is not a sequence of ints`);
  }
  return new PyTuple([...src.items]);
};

/** `torch.device(type[, index])`: shown as `cuda:1`. */
export const device: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(1, 2);
  const [type, index] = a;
  if (typeof type !== 'string') c.m.corrupt(`${c.name} argument is ${typeName(type!)}`);
  if (index !== undefined && index !== null && typeof index !== 'bigint') c.m.corrupt(`${c.name} index is ${typeName(index)}`);
  return new PyOpaque('device', index === undefined || index === null ? type : `${type}:${index}`);
};

/** Qualified name → callable, for every torch function a tensor file may call. */
export const TORCH_CALLABLES: ReadonlyMap<string, PyCallable> = new Map<string, PyCallable>([
  ['torch._utils._rebuild_tensor', _rebuild_tensor],
  ['torch._utils._rebuild_tensor_v2', _rebuild_tensor_v2],
  ['torch._utils._rebuild_tensor_v3', _rebuild_tensor_v3],
  ['torch._utils._rebuild_parameter', _rebuild_parameter],
  ['torch._utils._rebuild_parameter_with_state', _rebuild_parameter_with_state],
  ['torch._utils._rebuild_device_tensor_from_cpu_tensor', _rebuild_device_tensor_from_cpu_tensor],
  ['torch._utils._rebuild_meta_tensor_no_storage', _rebuild_meta_tensor_no_storage],
  ...['_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor', '_rebuild_qtensor', '_rebuild_nested_tensor', '_rebuild_wrapper_subclass'].map(
    (fn): [string, PyCallable] => [`torch._utils.${fn}`, unsupported(fn)],
  ),
  ['torch._tensor._rebuild_from_type_v2', _rebuild_from_type_v2],
  ['torch.nn.parameter.Parameter', Parameter],
  ['torch.Size', Size],
  ['torch.device', device],
]);
