/** Number formatting shared by the CLI's commands. */

/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (JSON has no literal for them) and bigints exact. */
export function toJson(value: unknown, indent = 2): string {
  // the marker's NUL comes out of JSON.stringify escaped, as the six characters \u0000
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
  return s.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

/** Top-level arrays longer than this are written a batch of items at a time by {@link toJsonChunks}. */
export const JSON_STREAM_ITEMS = 4096;

/**
 * Items per piece: ~100 KB of text, below the size V8 allocates outside the young generation, so every piece dies
 * young instead of piling up in the large-object space until a full collection.
 */
const JSON_BATCH = 256;

/**
 * The text of an object written with a marker string in place of each of some members, in pieces: the text up to
 * each marker, then that member's pieces as `streams` gives them (in the order the markers appear), then the rest.
 * How an object whose long lists no one string could hold is written as it goes.
 */
export function* spliceStreams(text: string, streams: readonly { marker: string; pieces: Iterable<string> }[]): Generator<string> {
  let rest = text;
  for (const { marker, pieces } of streams) {
    const cut = rest.indexOf(marker);
    if (cut < 0) throw new Error(`internal: the JSON text has no ${marker}`);
    yield rest.slice(0, cut);
    yield* pieces;
    rest = rest.slice(cut + marker.length);
  }
  yield rest;
}

/**
 * {@link toJson}'s text of an object (indent 2), in pieces: a top-level array of more than
 * {@link JSON_STREAM_ITEMS} items is written a few hundred items per piece, so that no one string
 * holds it (a string stops at ~512 M characters; 15.7 M per-class rows are ~5 GB of JSON).
 */
export function toJsonChunks(value: Record<string, unknown>): Generator<string> {
  const streams: { marker: string; pieces: Iterable<string> }[] = [];
  const shallow: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (Array.isArray(v) && v.length > JSON_STREAM_ITEMS) {
      shallow[k] = `\u0000stream:${streams.length}`;
      streams.push({ marker: `"\\u0000stream:${streams.length}"`, pieces: arrayPieces(v) });
    } else shallow[k] = v;
  }
  return spliceStreams(toJson(shallow), streams);
}

/** A top-level member's array as {@link toJson} indents it, a batch of items per piece. */
function* arrayPieces(items: readonly unknown[]): Generator<string> {
  yield '[\n';
  for (let j = 0; j < items.length; j += JSON_BATCH) {
    // the batch nested in an array is indented as the object's member is: the items without the two brackets
    const batch = toJson([items.slice(j, j + JSON_BATCH)]);
    yield (j > 0 ? ',\n' : '') + batch.slice(6, -6);
  }
  yield '\n  ]';
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
