/**
 * Unpickling a tensor file: the generic, bounded machine (`pickle/machine.ts`) with torch's weights-only
 * meanings plugged in, the way `torch.load(weights_only=True)` plugs its `Unpickler` into Python's:
 * - globals resolve through the allowlist (`pickle/allowlist.ts`); anything else is refused on the spot with
 *   `unsafe-pickle` naming the global, before any later opcode runs;
 * - REDUCE / NEWOBJ run the allowed builtins (`pickle/pyBuiltins.ts`) and torch's rebuild functions
 *   (`pickle/torchRebuild.ts`), which produce plain values: a {@link PyTensor} is a *descriptor* (storage
 *   reference, offset, shape, stride), never data;
 * - persistent ids go through torch's `persistent_load` (`pickle/torchSerialization.ts`), injected as a hook;
 * - BUILD only sets the (dropped) attribute state of dicts (`state_dict._metadata`) and tensors.
 * The caller (`pt.ts`) resolves storages after the whole pickle has been read, so a refused global is always
 * reported first. The value model and Python's reprs are in `pickle/values.ts`.
 */
import { lookupGlobal } from './pickle/allowlist';
import { callThrough, type CallContext, type PyCallable } from './pickle/callables';
import { runPickle, type PickleBudget, type PickleHooks, type PickleMachine, type UnpickleResult } from './pickle/machine';
import { PY_BUILTINS } from './pickle/pyBuiltins';
import { newParameter, TORCH_CALLABLES } from './pickle/torchRebuild';
import { _get_layout, persistent_load } from './pickle/torchSerialization';
import { PyDict, PyGlobal, PyOpaque, PyTensor, PyTuple, typeName, type PyStorage, type PyValue } from './pickle/values';

export * from './pickle/values';
export { ALLOWED_GLOBALS, STORAGE_TYPES, TORCH_DTYPES, type GlobalRole } from './pickle/allowlist';
export { pickleBudget, MAX_PICKLE_BYTES, decodeUtf8SurrogatePass, type PickleBudget, type UnpickleResult } from './pickle/machine';

export interface UnpickleOptions {
  /** For error messages (TensorFileError.fileName). */
  fileName: string;
  /** What is being read, for messages: `data.pkl`, `pickle 4 of the legacy stream`. */
  label: string;
  /** Called for every storage reference (persistent id), reachable from the result or not. */
  onStorage?: (storage: PyStorage) => void;
  /** Overrides the machine's size-derived budget (tests). */
  budget?: Partial<PickleBudget>;
}

/** Every callable a tensor file may call, by qualified name. */
const CALLABLES: ReadonlyMap<string, PyCallable> = new Map<string, PyCallable>([
  ...PY_BUILTINS,
  ...TORCH_CALLABLES,
  ['torch.serialization._get_layout', _get_layout],
]);

/** torch's weights-only meanings for the machine's hooks. */
function torchHooks(onStorage: ((s: PyStorage) => void) | undefined): PickleHooks {
  return {
    findClass(rawModule: string, name: string, m: PickleMachine): PyValue {
      const { module, qualified, role } = lookupGlobal(rawModule, name);
      if (role === undefined) m.refuse(`'${qualified}' is not an allowed global`);
      return new PyGlobal(module, name, role);
    },
    call: (func, args, how, m) => callThrough(CALLABLES, m, func, args, how, 0),
    instantiate(cls: PyValue, args: PyValue, how: string, kwargs: PyValue | undefined, m: PickleMachine): PyValue {
      // Only Parameter and the containers can be instantiated.
      if (!(cls instanceof PyGlobal)) m.corrupt(`${how} of ${typeName(cls)}, which is not a class`);
      if (!(args instanceof PyTuple)) m.corrupt(`${how} arguments are ${typeName(args)}, not a tuple`);
      m.charge(8 * args.items.length);
      const a = [...args.items];
      if (cls.role === 'parameter') {
        const c: CallContext = { m, name: cls.qualified, depth: 0, arity: () => undefined, call: () => null };
        return newParameter(a, kwargs instanceof PyDict ? kwargs.entries.values() : [], how, c);
      }
      if (kwargs !== undefined && !(kwargs instanceof PyDict && kwargs.size === 0)) {
        m.refuse(`${how} of '${cls.qualified}' with keyword arguments is not allowed`);
      }
      if (cls.role === 'dict' || cls.role === 'set') return callThrough(CALLABLES, m, cls, new PyTuple(a), how, 0);
      return m.refuse(`${how} (instantiating '${cls.qualified}') is not allowed`);
    },
    build(inst: PyValue, _state: PyValue, m: PickleMachine): void {
      if (!(inst instanceof PyDict || inst instanceof PyTensor || inst instanceof PyOpaque)) {
        m.refuse(`BUILD (setting the state of ${typeName(inst)}) is not allowed`);
      }
    },
    persistentLoad: (pid, how, m) => persistent_load(pid, how, m, onStorage),
  };
}

/** Reads one pickle starting at `start` and returns its value; throws TensorFileError on anything else. */
export function unpickle(bytes: Uint8Array, start: number, options: UnpickleOptions): UnpickleResult {
  return runPickle(bytes, start, {
    fileName: options.fileName,
    label: options.label,
    hooks: torchHooks(options.onStorage),
    ...(options.budget ? { budget: options.budget } : {}),
  });
}
