/**
 * The shape of an allowed callable: what REDUCE / NEWOBJ runs instead of Python code. Each one computes a plain
 * value from its arguments (nothing is imported or executed); arguments of the wrong kind are corrupt input.
 */
import { PyGlobal, PyTuple, typeName, type PyValue } from './values';
import type { PickleMachine } from './machine';

export interface CallContext {
  m: PickleMachine;
  /** The callable's qualified name, for messages. */
  name: string;
  /** Calls nested through `_rebuild_from_type_v2` (bounded). */
  depth: number;
  /** Refuses (as corrupt) a call with fewer than `min` or more than `max` arguments. */
  arity(min: number, max: number): void;
  /** Calls another allowed callable (`_rebuild_from_type_v2`'s inner function). */
  call(func: PyValue, args: PyValue, depth: number): PyValue;
}

export type PyCallable = (args: PyValue[], c: CallContext) => PyValue;

/** Nesting allowed for calls made by a callable (`_rebuild_from_type_v2` wrapping another rebuild). */
export const MAX_CALL_DEPTH = 8;

/** Calls `func(*args)` through `table` (qualified name → callable); anything else is refused. */
export function callThrough(table: ReadonlyMap<string, PyCallable>, m: PickleMachine, func: PyValue, args: PyValue, how: string, depth: number): PyValue {
  if (!(func instanceof PyGlobal)) m.refuse(`${how} calls ${typeName(func)}, which is not an allowed function`);
  if (depth > MAX_CALL_DEPTH) m.corrupt(`rebuild calls nested more than ${MAX_CALL_DEPTH} deep`);
  const name = func.qualified;
  if (!(args instanceof PyTuple)) m.corrupt(`${name} arguments are ${typeName(args)}, not a tuple`);
  m.charge(8 * args.items.length);
  const a = [...args.items];
  const fn = table.get(name);
  // storage types, dtypes, tensor classes, qschemes: allowed as values, never called.
  if (!fn) m.refuse(`calling '${name}' is not allowed`);
  return fn(a, {
    m,
    name,
    depth,
    arity(min, max) {
      if (a.length < min || a.length > max) m.corrupt(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments, got ${a.length}`);
    },
    call: (f, args2, d) => callThrough(table, m, f, args2, how, d),
  });
}
