/**
 * What the pickle machine's values cost in memory, estimated: the unit of its budget. The figures are V8's
 * sizes on a 64-bit build (object header and fields, a backing array of 8-byte slots, a Map entry with its
 * hash-key string), rounded up so that a flood of any one kind of value is refused before its real cost
 * passes the budget. Exactness does not matter; that every kind of allocation is counted does.
 */
import { PyBytes, PyDict, PyGlobal, PyList, PyOpaque, PySet, PyStorage, PyTensor, PyTuple, type PyValue } from './values';

/**
 * One memo or container slot: 8 bytes, in an array that grows by half again when full, the old and new arrays
 * both alive while it is copied (a flood of slots peaks at about 20 bytes each).
 */
export const SLOT_COST = 20;
/**
 * One stack slot. Given back when popped, so only a flood pays it: one array grown to millions of slots, whose
 * outgrown copies live until a full collection (a DUP flood peaks at about 30 bytes a slot).
 */
export const STACK_SLOT_COST = 32;
/** One dict or set entry: the Map's entry and the `{ key, value }` record (the hash-key string is charged apart). */
export const ENTRY_COST = 64;

const OBJECT = 48;
const STRING = 24;
const BIGINT = 32;
/** A boxed float. */
const NUMBER = 16;
/** A Uint8Array view (JSArrayBufferView) besides its bytes. */
const VIEW = 128;

/**
 * A value's own cost when it is made: a container's object and its item array (its items were charged when
 * they were made), a string's characters, a bytes value's view and bytes. Entries of dicts and sets are
 * charged as they are added ({@link ENTRY_COST}), not here.
 */
export function costOf(v: PyValue): number {
  if (v === null || typeof v === 'boolean') return 0;
  switch (typeof v) {
    case 'bigint':
      return BIGINT;
    case 'number':
      return NUMBER;
    case 'string':
      return STRING + 2 * v.length;
  }
  // The object, and its items' JSArray and backing store.
  if (v instanceof PyTuple || v instanceof PyList) return OBJECT + 40 + 8 * v.items.length;
  if (v instanceof PyDict || v instanceof PySet) return 2 * OBJECT;
  if (v instanceof PyBytes) return OBJECT + VIEW + v.bytes.length;
  if (v instanceof PyGlobal) return OBJECT + 2 * STRING + v.module.length + v.name.length;
  if (v instanceof PyStorage) return 2 * OBJECT + STRING + v.key.length + v.location.length;
  if (v instanceof PyTensor) return 2 * OBJECT + 2 * (STRING + 8 * v.shape.length);
  if (v instanceof PyOpaque) return OBJECT + STRING + v.text.length;
  return OBJECT;
}

/** A hash-key string (a dict or set entry's key, as a flat string). */
export function keyCost(h: string): number {
  return STRING + 2 * h.length;
}
