// Shared by the corpus, fuzz and info-CLI tests: locates test/fixtures/corpus (failing, never skipping, when it
// is missing), parses manifest.json keeping integers beyond 2**53 exact (as bigint), and compares reader
// output with the manifest's numbers by the corpus README's rules.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const corpusDir = path.join(repoRoot, 'test', 'fixtures', 'corpus');

export interface ManifestTensor {
  key: string;
  dtype: string;
  shape: number[];
  sum: number | string;
  finiteSum: number | string;
  absSum: number | string;
  min: number | bigint | string | null;
  max: number | bigint | string | null;
  nanCount: number;
  infCount: number;
  first: (number | bigint | string)[];
  info?: Record<string, unknown>;
}
export interface ManifestFile {
  file: string;
  format: string;
  bytes: number;
  sha256: string;
  tensors?: ManifestTensor[];
  nonTensors?: { key: string; type: string; value: unknown }[];
  info?: Record<string, unknown>;
  expectError?: string;
  errorKind?: string;
  marker?: string;
  notes?: string;
}
export interface Manifest {
  manifestVersion: number;
  files: ManifestFile[];
}

/** Reads the corpus manifest; throws (so the test fails) when test/fixtures/corpus is missing. */
export function loadManifest(): Manifest {
  const p = path.join(corpusDir, 'manifest.json');
  if (!existsSync(p)) {
    throw new Error(`corpus manifest not found at ${p}: the tests need the repository's test/fixtures/corpus`);
  }
  return parseJsonExact(readFileSync(p, 'utf8')) as Manifest;
}

/** JSON.parse, except that integer literals beyond 2**53 become bigints (exact). */
export function parseJsonExact(text: string): unknown {
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos++;
  };
  const value = (): unknown => {
    ws();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[pos] === '}') {
        pos++;
        return o;
      }
      for (;;) {
        ws();
        const k = value() as string;
        ws();
        assert.equal(text[pos], ':', `manifest JSON: ':' expected at ${pos}`);
        pos++;
        o[k] = value();
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        assert.equal(text[pos], '}', `manifest JSON: '}' expected at ${pos}`);
        pos++;
        return o;
      }
    }
    if (c === '[') {
      pos++;
      const a: unknown[] = [];
      ws();
      if (text[pos] === ']') {
        pos++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        assert.equal(text[pos], ']', `manifest JSON: ']' expected at ${pos}`);
        pos++;
        return a;
      }
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(pos, pos + 100000));
      assert.ok(m, `manifest JSON: bad string at ${pos}`);
      pos += m[0].length;
      return JSON.parse(m[0]);
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(pos, pos + 64));
    if (m) {
      pos += m[0].length;
      if (m[1] === undefined && m[2] === undefined) {
        const b = BigInt(m[0]);
        return b > BigInt(Number.MAX_SAFE_INTEGER) || b < -BigInt(Number.MAX_SAFE_INTEGER) ? b : Number(m[0]);
      }
      return Number(m[0]);
    }
    for (const [w, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(w, pos)) {
        pos += w.length;
        return v;
      }
    }
    throw new Error(`manifest JSON: unexpected '${c}' at ${pos}`);
  };
  const v = value();
  ws();
  assert.equal(pos, text.length, 'manifest JSON: trailing text');
  return v;
}

/** A value in the manifest's encoding: "NaN"/"Infinity"/"-Infinity" strings, exact bigints. */
export function encodeValue(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'Infinity';
    if (v === -Infinity) return '-Infinity';
  }
  return v;
}

/**
 * Exact equality of one number in the manifest's encoding: non-finite strings equal, integers equal as
 * bigints, floats by value (`signed` also distinguishes -0 from 0).
 */
export function sameNumber(got: unknown, want: unknown, signed = false): boolean {
  const g = encodeValue(got);
  if (typeof want === 'string' || typeof g === 'string') return g === want;
  if (want === null || g === null) return g === want;
  if (typeof want === 'bigint' || typeof g === 'bigint') {
    try {
      return BigInt(g as number | bigint) === BigInt(want as number | bigint);
    } catch {
      return false;
    }
  }
  return signed ? Object.is(g, want) : g === want;
}

/** Deep equality for info objects: numbers by {@link sameNumber}, -0 ignored, arrays/objects recursively. */
export function sameInfo(got: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => sameInfo(got[i], w));
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;
    const gk = Object.keys(got).sort();
    const wk = Object.keys(want).sort();
    return gk.join('\u0000') === wk.join('\u0000') && wk.every((k) => sameInfo((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k]));
  }
  if (typeof want === 'number' || typeof want === 'bigint' || typeof got === 'number' || typeof got === 'bigint') return sameNumber(got, want);
  return got === want;
}

/** The README's sum rule: non-finite strings exactly, else |got - want| <= 1e-9 * max(1, absSum). */
export function sumMatches(got: number, want: number | string, absSum: number | string): boolean {
  if (typeof want === 'string') return encodeValue(got) === want;
  if (!Number.isFinite(got)) return false;
  const scale = typeof absSum === 'string' ? Infinity : Math.max(1, absSum);
  return Math.abs(got - want) <= 1e-9 * scale;
}
