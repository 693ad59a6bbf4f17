/**
 * The globals a tensor file may name: the allowlist of `torch.load(weights_only=True)` (torch 1.13 – 2.x),
 * each mapped to the role the rebuild functions give it. Everything else is refused at GLOBAL / STACK_GLOBAL /
 * INST, before any later opcode runs. Also the element types of torch's storage classes and dtypes.
 */
import type { DType } from '../../engine/tensor';
import type { StorageTypeInfo } from './values';

export type GlobalRole =
  | 'dict'
  | 'set'
  | 'size'
  | 'parameter'
  | 'tensorType'
  | 'storage'
  | 'dtype'
  | 'device'
  | 'layout'
  | 'qscheme'
  | 'codecsEncode'
  | 'bytearray'
  | 'complex'
  | 'rebuildTensor'
  | 'rebuildTensorV2'
  | 'rebuildTensorV3'
  | 'rebuildParameter'
  | 'rebuildParameterWithState'
  | 'rebuildFromTypeV2'
  | 'rebuildFromCpuTensor'
  | 'rebuildMeta'
  | 'rebuildUnsupported';


/** torch dtype global name (`torch.float32`) → our dtype and item size (undefined dtype: not shown). */
export const TORCH_DTYPES: Readonly<Record<string, { dtype: DType | undefined; itemSize: number }>> = {
  float16: { dtype: 'float16', itemSize: 2 },
  bfloat16: { dtype: 'bfloat16', itemSize: 2 },
  float32: { dtype: 'float32', itemSize: 4 },
  float64: { dtype: 'float64', itemSize: 8 },
  int8: { dtype: 'int8', itemSize: 1 },
  int16: { dtype: 'int16', itemSize: 2 },
  int32: { dtype: 'int32', itemSize: 4 },
  int64: { dtype: 'int64', itemSize: 8 },
  uint8: { dtype: 'uint8', itemSize: 1 },
  uint16: { dtype: 'uint16', itemSize: 2 },
  uint32: { dtype: 'uint32', itemSize: 4 },
  uint64: { dtype: 'uint64', itemSize: 8 },
  bool: { dtype: 'bool', itemSize: 1 },
  complex32: { dtype: undefined, itemSize: 4 },
  complex64: { dtype: undefined, itemSize: 8 },
  complex128: { dtype: undefined, itemSize: 16 },
  float8_e5m2: { dtype: undefined, itemSize: 1 },
  float8_e4m3fn: { dtype: undefined, itemSize: 1 },
  float8_e5m2fnuz: { dtype: undefined, itemSize: 1 },
  float8_e4m3fnuz: { dtype: undefined, itemSize: 1 },
  quint8: { dtype: undefined, itemSize: 1 },
  qint8: { dtype: undefined, itemSize: 1 },
  qint32: { dtype: undefined, itemSize: 4 },
  quint4x2: { dtype: undefined, itemSize: 1 },
  quint2x4: { dtype: undefined, itemSize: 1 },
};

/** A storage class's element type, from its torch dtype's row of {@link TORCH_DTYPES}. */
function storage(torchDType: string): StorageTypeInfo {
  const t = TORCH_DTYPES[torchDType];
  if (!t) throw new Error(`allowlist: no torch dtype ${torchDType}`);
  return { torchDType, ...t };
}

/** torch storage class name → element type. */
export const STORAGE_TYPES: Readonly<Record<string, StorageTypeInfo>> = {
  DoubleStorage: storage('float64'),
  FloatStorage: storage('float32'),
  HalfStorage: storage('float16'),
  BFloat16Storage: storage('bfloat16'),
  LongStorage: storage('int64'),
  IntStorage: storage('int32'),
  ShortStorage: storage('int16'),
  CharStorage: storage('int8'),
  ByteStorage: storage('uint8'),
  BoolStorage: storage('bool'),
  ComplexDoubleStorage: storage('complex128'),
  ComplexFloatStorage: storage('complex64'),
  QUInt8Storage: storage('quint8'),
  QInt8Storage: storage('qint8'),
  QInt32Storage: storage('qint32'),
  QUInt4x2Storage: storage('quint4x2'),
  QUInt2x4Storage: storage('quint2x4'),
  // torch 2.x writes UntypedStorage (bytes) for storages saved on their own and for _rebuild_tensor_v3.
  UntypedStorage: storage('uint8'),
};

const TENSOR_CLASS_PREFIXES = ['Double', 'Float', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];

function buildAllowlist(): Map<string, GlobalRole> {
  const m = new Map<string, GlobalRole>([
    ['collections.OrderedDict', 'dict'],
    ['collections.Counter', 'dict'],
    ['builtins.set', 'set'],
    ['builtins.bytearray', 'bytearray'],
    ['builtins.complex', 'complex'],
    ['_codecs.encode', 'codecsEncode'],
    ['torch.Size', 'size'],
    ['torch.Tensor', 'tensorType'],
    ['torch.nn.parameter.Parameter', 'parameter'],
    ['torch.device', 'device'],
    ['torch.serialization._get_layout', 'layout'],
    ['torch._utils._rebuild_tensor', 'rebuildTensor'],
    ['torch._utils._rebuild_tensor_v2', 'rebuildTensorV2'],
    ['torch._utils._rebuild_tensor_v3', 'rebuildTensorV3'],
    ['torch._utils._rebuild_parameter', 'rebuildParameter'],
    ['torch._utils._rebuild_parameter_with_state', 'rebuildParameterWithState'],
    ['torch._tensor._rebuild_from_type_v2', 'rebuildFromTypeV2'],
    ['torch._utils._rebuild_device_tensor_from_cpu_tensor', 'rebuildFromCpuTensor'],
    ['torch._utils._rebuild_meta_tensor_no_storage', 'rebuildMeta'],
    ['torch._utils._rebuild_sparse_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_sparse_csr_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_qtensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_nested_tensor', 'rebuildUnsupported'],
    ['torch._utils._rebuild_wrapper_subclass', 'rebuildUnsupported'],
    ['torch.storage.TypedStorage', 'storage'],
    ['torch.storage.UntypedStorage', 'storage'],
    ['torch.UntypedStorage', 'storage'],
  ]);
  for (const name of Object.keys(STORAGE_TYPES)) {
    if (name === 'UntypedStorage') continue;
    m.set(`torch.${name}`, 'storage');
    m.set(`torch.cuda.${name}`, 'storage');
  }
  for (const name of Object.keys(TORCH_DTYPES)) m.set(`torch.${name}`, 'dtype');
  for (const q of ['per_tensor_affine', 'per_tensor_symmetric', 'per_channel_affine', 'per_channel_symmetric', 'per_channel_affine_float_qparams']) {
    m.set(`torch.${q}`, 'qscheme');
  }
  for (const p of TENSOR_CLASS_PREFIXES) {
    for (const mod of ['torch', 'torch.cuda', 'torch.sparse', 'torch.cuda.sparse']) m.set(`${mod}.${p}Tensor`, 'tensorType');
  }
  return m;
}

/** `module.name` → role, for every global a tensor file may name. */
export const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalRole> = buildAllowlist();

/** Python 2 module names that pickles written by Python 2 use (pickle's own IMPORT_MAPPING, the part we need). */
const PY2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** `module.name` after pickle's Python 2 name mapping, and its role (undefined: not allowed). */
export function lookupGlobal(rawModule: string, name: string): { module: string; qualified: string; role: GlobalRole | undefined } {
  const module = PY2_MODULES[rawModule] ?? rawModule;
  const qualified = `${module}.${name}`;
  return { module, qualified, role: ALLOWED_GLOBALS.get(qualified) };
}
