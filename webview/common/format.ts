/**
 * Number and label formatting shared by both webviews. Losses are shown with 4 decimals (small ones in
 * exponent form so they never read as 0.0000); the full value is always kept in `data-value` and in the
 * title tooltip.
 */

export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  let s: string;
  if (a === 0) s = (0).toFixed(digits);
  else if (a < 10 ** -digits * 10 || a >= 1e6) s = x.toExponential(2);
  else if (a >= 1000) s = x.toFixed(Math.max(0, digits - 3));
  else s = x.toFixed(digits);
  return s.replace(/^-/, '−');
}

/**
 * `after − before`, or exactly 0 when the two agree to 1e-12 of their size: float noise (−1.11e-16 at ε 0)
 * must not read as a change. Null when either side is null.
 */
export function difference(after: number | null, before: number | null): number | null {
  if (after === null || before === null) return null;
  const d = after - before;
  return Math.abs(d) <= 1e-12 * Math.max(Math.abs(after), Math.abs(before)) ? 0 : d;
}

/** A difference with an explicit sign (`+0.0123`, `−0.0040`, `±0.0000`). */
export function formatDelta(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '—';
  const s = formatNumber(x, digits);
  if (x > 0) return `+${s}`;
  if (/^[0.]+$/.test(s)) return `±${s}`;
  return s;
}

/** Counts: integers with thin-space thousands, sums of a float target with 2 decimals. */
export function formatCount(x: number): string {
  if (!Number.isFinite(x)) return formatNumber(x);
  if (Number.isInteger(x)) return groupThousands(String(Math.abs(x)), x < 0);
  return groupThousands(Math.abs(x).toFixed(2), x < 0);
}

function groupThousands(s: string, negative: boolean): string {
  const [int = '', frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return (negative ? '−' : '') + grouped + (frac !== undefined ? `.${frac}` : '');
}

export function formatPercent(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return formatNumber(x);
  return `${(x * 100).toFixed(digits)}%`;
}

export { formatShape } from '../../src/engine/tensor';

export { formatBytes } from '../../src/readers/bytes';

/**
 * The display name of class `c`: from the class names when given (a list, or by index: a vocabulary's view holds only
 * the names of the classes it shows), else `class c`.
 */
export function className(c: number, names: Readonly<Record<number, string>> | null | undefined): string {
  const n = names?.[c];
  return n !== undefined && n !== '' ? n : `class ${c}`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
