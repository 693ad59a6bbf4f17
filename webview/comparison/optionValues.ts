/** Parsing of the options panel's text fields (pure: unit-tested without a browser). */

/** `"0.1, 1, 2"` → `[0.1, 1, 2]`; empty → null; anything else → an error sentence. */
export function parseWeight(s: string): number[] | null | string {
  const t = s.trim().replace(/^\[|\]$/g, '').trim();
  if (t === '' || t.toLowerCase() === 'none' || t.toLowerCase() === 'null') return null;
  const parts = t.split(/[\s,;]+/).filter((p) => p !== '');
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isFinite(n))) return 'weight: expected numbers separated by commas';
  return nums;
}

export function parseNumber(s: string, integer = false): number | null {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return null;
  return n;
}
