/**
 * The header facts the tensor editor shows beside the tensors: what a NIfTI header says about geometry
 * (dims, voxel spacing with units, the affine the readers chose as nibabel does, the description) and a
 * safetensors file's `__metadata__`. Other formats' headers hold nothing beyond dtype and shape. Pure.
 */
import type { HeaderFact } from '../protocol/messages';
import type { TensorFile } from '../readers/types';

export function headerFacts(file: TensorFile): HeaderFact[] {
  if (file.format === 'nifti') return niftiFacts(file.tensors[0]?.info ?? {});
  if (file.format === 'safetensors') return metadataFacts(file.info.metadata);
  return [];
}

function niftiFacts(info: Record<string, unknown>): HeaderFact[] {
  const facts: HeaderFact[] = [];
  const dim = numbers(info.dim);
  if (dim.length > 0) {
    const n = Math.max(0, Math.min(7, dim[0]!));
    facts.push({ label: 'dims', value: `${dim.slice(1, n + 1).join(' × ')} (dim[0] = ${dim[0]})` });
  }
  const zooms = numbers(info.zooms);
  if (zooms.length > 0) {
    const unit = typeof info.spatialUnit === 'string' && info.spatialUnit !== 'unknown' ? ` ${info.spatialUnit}` : '';
    facts.push({ label: 'spacing', value: zooms.slice(0, 3).map((z) => trim(z)).join(' × ') + unit });
    if (zooms.length > 3) {
      const t = typeof info.temporalUnit === 'string' && info.temporalUnit !== 'unknown' ? ` ${info.temporalUnit}` : '';
      facts.push({ label: 'time step', value: `${trim(zooms[3]!)}${t}` });
    }
  }
  if (typeof info.spatialUnit === 'string') facts.push({ label: 'units', value: `${info.spatialUnit} (space), ${String(info.temporalUnit ?? 'unknown')} (time)` });
  const affine = info.affine;
  if (Array.isArray(affine)) {
    affine.forEach((row, i) => {
      const r = numbers(row);
      if (r.length > 0) facts.push({ label: i === 0 ? 'affine' : '', value: `[${r.map((v) => trim(v)).join(', ')}]` });
    });
  }
  if (typeof info.datatype === 'number') facts.push({ label: 'datatype', value: `${info.datatype} (${String(info.storedDtype ?? '?')}, ${String(info.bitpix ?? '?')} bits)` });
  const slope = info.sclSlope;
  const inter = info.sclInter;
  if (typeof slope === 'number' && typeof inter === 'number' && !(slope === 0 || (slope === 1 && inter === 0)) && Number.isFinite(slope)) {
    facts.push({ label: 'scaling', value: `stored × ${trim(slope)} ${inter < 0 ? '−' : '+'} ${trim(Math.abs(inter))}` });
  }
  if (typeof info.description === 'string' && info.description.trim() !== '') facts.push({ label: 'description', value: info.description });
  if (typeof info.magic === 'string') facts.push({ label: 'magic', value: info.magic });
  return facts;
}

function metadataFacts(metadata: unknown): HeaderFact[] {
  if (typeof metadata !== 'object' || metadata === null) return [];
  return Object.entries(metadata as Record<string, unknown>).map(([k, v]) => ({ label: k, value: String(v) }));
}

function numbers(v: unknown): number[] {
  return Array.isArray(v) ? v.map((x) => Number(x)).filter((x) => !Number.isNaN(x)) : [];
}

/** A header number as a person reads it: float32 noise trimmed to 6 significant digits. */
function trim(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
