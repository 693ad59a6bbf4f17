/**
 * What `torch/serialization.py` adds to the pickle: `persistent_load`, which turns a storage's persistent id into
 * a storage reference (zip `('storage', storage_type, key, location, numel)`; the legacy format adds
 * `view_metadata` = None or `(view_key, offset, numel)`), and `_get_layout`. Injected into the generic machine
 * as its persistent-load hook; every storage reference is reported to `onStorage` as it is made.
 */
import { STORAGE_TYPES } from './allowlist';
import type { CallContext, PyCallable } from './callables';
import type { PickleMachine } from './machine';
import { count } from './torchRebuild';
import { PyBytes, PyGlobal, PyOpaque, PyStorage, PyTuple, typeName, type PyValue } from './values';

const latin1 = new TextDecoder('latin1');

/** torch's `persistent_load` for both containers; anything but a well-formed storage id is refused. */
export function persistent_load(pid: PyValue, how: 'PERSID' | 'BINPERSID', m: PickleMachine, onStorage?: (s: PyStorage) => void): PyStorage {
  if (how === 'PERSID') m.refuse(`persistent id '${String(pid)}' is not a storage reference`);
  if (!(pid instanceof PyTuple) || pid.items.length === 0) m.refuse(`persistent id ${typeName(pid)} is not a storage reference`);
  const tag = pid.items[0];
  const tagText = tag instanceof PyBytes ? latin1.decode(tag.bytes) : tag;
  if (tagText !== 'storage') {
    m.refuse(`persistent id of kind ${typeof tagText === 'string' ? `'${tagText.slice(0, 40)}'` : typeName(tag!)} is not a storage reference`);
  }
  const items = pid.items;
  if (items.length !== 5 && items.length !== 6) m.corrupt(`storage persistent id has ${items.length} items, expected 5 or 6`);
  const [, type, rawKey, location, rawNumel, viewMeta] = items;
  if (!(type instanceof PyGlobal) || type.role !== 'storage') {
    m.corrupt(`storage persistent id names ${type instanceof PyGlobal ? `'${type.qualified}'` : typeName(type!)}, not a storage type`);
  }
  const info = STORAGE_TYPES[type.name];
  if (!info) m.corrupt(`storage persistent id names '${type.qualified}', which has no element type`);
  const key = storageKey(rawKey!, m);
  if (typeof location !== 'string') m.corrupt(`storage '${key}' location is ${typeName(location!)}`);
  const numel = count({ m, name: `storage '${key}'` }, rawNumel!, 'element count');
  let view: PyStorage['view'];
  if (viewMeta !== undefined && viewMeta !== null) {
    if (!(viewMeta instanceof PyTuple) || viewMeta.items.length !== 3) m.corrupt(`storage '${key}' view metadata is not a (key, offset, size) tuple`);
    const [vk, vo, vn] = viewMeta.items;
    const c = { m, name: `storage view of '${key}'` };
    view = { key: storageKey(vk!, m), offset: count(c, vo!, 'offset'), numel: count(c, vn!, 'size') };
  }
  const storage = new PyStorage(key, type.qualified, info, location, numel, view);
  onStorage?.(storage);
  return storage;
}

function storageKey(k: PyValue, m: PickleMachine): string {
  if (typeof k === 'string') {
    if (k.length === 0 || k.length > 256) m.corrupt(`storage key of length ${k.length}`);
    return k;
  }
  if (typeof k === 'bigint') return k.toString();
  return m.corrupt(`storage key is ${typeName(k)}, not a string`);
}

/** `_get_layout(name)`: `torch.strided` and friends, shown by name. */
export const _get_layout: PyCallable = (a: PyValue[], c: CallContext) => {
  c.arity(1, 1);
  if (typeof a[0] !== 'string') c.m.corrupt(`${c.name} argument is ${typeName(a[0]!)}`);
  return new PyOpaque('layout', a[0]);
};
