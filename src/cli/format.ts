/** Number formatting shared by the CLI's commands. */

/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them) and bigints exact. */
export function toJson(value: unknown, indent = 2): string {
  const marker = '\u0000big:';
  const s = JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      if (typeof v === 'bigint') return marker + v.toString();
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    indent,
  );
  return s.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}

/** A loss value for a table: 6 significant decimals, '—' for null. */
export function fmtNum(v: number | null | undefined, digits = 6): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Inf' : '-Inf';
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4)) return v.toExponential(digits - 2);
  return v.toFixed(digits);
}

export function fmtDelta(a: number | null, b: number | null): string {
  if (a === null || b === null) return '—';
  const d = b - a;
  return (d >= 0 ? '+' : '') + fmtNum(d);
}

/** Right-aligns numeric columns and left-aligns the first, with a rule under the header. */
export function table(header: string[], rows: string[][]): string {
  // A loop, not Math.max(...rows): a spread of a million rows overflows the call stack.
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), h.length));
  const line = (cells: string[]) => tableLine(cells, widths);
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One row of {@link table} for given column widths (the first column left-aligned, the rest right-aligned). */
export function tableLine(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
}
