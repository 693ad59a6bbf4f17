/**
 * Capped DEFLATE / gzip decompression on top of fflate's streaming `Inflate`.
 *
 * Why streaming: a compressed stream's own sizes can lie (see the corpus's `zip_bomb_lying_size.npz`,
 * whose headers declare 3 MB but whose stream inflates to 1.25 GiB). We feed the compressed bytes in
 * small chunks, so one push can produce at most ~1032 × CHUNK bytes (deflate's maximum ratio), and we
 * stop as soon as the output passes the size we accept — nothing near a bomb's size is ever allocated.
 */
import { Inflate } from 'fflate';
import { describeBytes, fail } from './bytes';
import { TensorFileError } from './types';

/** Compressed bytes fed per push at most: bounds one push's output to ~33 MB even at deflate's 1032:1 maximum. */
const CHUNK = 32 * 1024;
/** Deflate cannot expand by more than this factor (258-byte matches in 1–2 bits, plus slack). */
const MAX_RATIO = 1032;

export interface InflateOptions {
  fileName: string;
  /** What is being inflated, for messages ("member 'probs.npy'", "gzip stream"). */
  what: string;
  /**
   * Exact inflated size the container declares (zip). The output buffer is allocated at this size and
   * the stream must produce exactly this many bytes: more is 'decompression-limit', fewer 'truncated-data'.
   */
  declaredSize?: number;
  /** Hard cap on the inflated size when no exact size is declared (gzip). */
  cap: number;
  /** Size hint (gzip ISIZE) used only for the first allocation; never trusted beyond the cap. */
  sizeHint?: number;
}

/** Inflates raw DEFLATE data under the options' limits. Throws TensorFileError, never a bare Error. */
export function inflateCapped(src: Uint8Array, opts: InflateOptions): Uint8Array {
  const { fileName, what, declaredSize, cap } = opts;
  const limit = declaredSize ?? cap;
  let out: Uint8Array;
  if (declaredSize !== undefined) {
    out = new Uint8Array(declaredSize);
  } else {
    const ratioBound = src.length * MAX_RATIO + 1024;
    const hint = opts.sizeHint !== undefined && opts.sizeHint <= cap ? opts.sizeHint : Math.min(cap, src.length * 4 + 1024);
    out = new Uint8Array(Math.max(0, Math.min(hint, ratioBound, cap)));
  }
  let written = 0;
  let done = false;
  const inflater = new Inflate((chunk: Uint8Array, final: boolean) => {
    if (written + chunk.length > limit) {
      if (declaredSize !== undefined) {
        fail(
          'decompression-limit',
          fileName,
          `${what} declares ${describeBytes(declaredSize)} but its deflate stream inflates to more: refusing a corrupt or oversized member`,
        );
      }
      fail('decompression-limit', fileName, `${what} inflates to more than the ${describeBytes(cap)} limit: refusing to decompress it`);
    }
    if (written + chunk.length > out.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(out.length * 2, written + chunk.length)));
      grown.set(out.subarray(0, written));
      out = grown;
    }
    out.set(chunk, written);
    written += chunk.length;
    if (final) done = true;
  });
  try {
    if (src.length === 0) fail('truncated-data', fileName, `${what} has no compressed data`);
    // Near the limit, feed less: one push can then overshoot the limit by at most ~1 MB (+ the window).
    for (let pos = 0; pos < src.length; ) {
      const room = Math.ceil((limit - written) / MAX_RATIO) + 1024;
      const end = Math.min(src.length, pos + Math.min(CHUNK, room));
      inflater.push(src.subarray(pos, end), end === src.length);
      pos = end;
    }
  } catch (e) {
    if (e instanceof TensorFileError) throw e;
    const code = (e as { code?: number }).code;
    const msg = e instanceof Error ? e.message : String(e);
    if (code === 0) fail('truncated-data', fileName, `${what}: compressed stream ends early (${msg})`);
    fail('bad-header', fileName, `${what}: corrupt deflate data (${msg})`);
  }
  if (!done) fail('truncated-data', fileName, `${what}: compressed stream ends early`);
  if (declaredSize !== undefined && written !== declaredSize) {
    fail('truncated-data', fileName, `${what} declares ${describeBytes(declaredSize)} but inflates to only ${written}`);
  }
  return written === out.length ? out : out.subarray(0, written);
}

/**
 * Decompresses a single-member gzip file (RFC 1952) with a cap. The header is parsed here; the trailer's
 * ISIZE must match the inflated length (mod 2**32) or the stream is reported as truncated/corrupt.
 */
export function gunzipCapped(src: Uint8Array, fileName: string, cap: number): Uint8Array {
  const what = 'gzip stream';
  if (src.length < 18) fail('truncated-data', fileName, `${what} is only ${src.length} bytes (truncated .gz)`);
  if (src[0] !== 0x1f || src[1] !== 0x8b) fail('bad-header', fileName, 'not a gzip stream');
  if (src[2] !== 8) fail('bad-header', fileName, `${what} uses compression method ${src[2]}, not deflate`);
  const flg = src[3]!;
  let p = 10;
  if (flg & 0x04) {
    if (p + 2 > src.length) fail('truncated-data', fileName, `${what} header is truncated`);
    p += 2 + (src[p]! | (src[p + 1]! << 8));
  }
  for (const bit of [0x08, 0x10]) {
    if (flg & bit) {
      while (p < src.length && src[p] !== 0) p++;
      p++;
    }
  }
  if (flg & 0x02) p += 2;
  if (p + 8 > src.length) fail('truncated-data', fileName, `${what} header is truncated`);
  const n = src.length;
  const isize = (src[n - 4]! | (src[n - 3]! << 8) | (src[n - 2]! << 16) | (src[n - 1]! << 24)) >>> 0;
  // The deflate data may be followed by the 8-byte trailer (and possibly padding): inflate everything
  // after the header; fflate stops at the final block and ignores what follows.
  const out = inflateCapped(src.subarray(p), { fileName, what, cap, sizeHint: isize });
  if (out.length % 2 ** 32 !== isize) {
    fail('truncated-data', fileName, `${what} inflates to ${out.length} bytes but its trailer says ${isize} (truncated or corrupt .gz)`);
  }
  return out;
}
