/**
 * Capped DEFLATE / gzip decompression on top of fflate's streaming `Inflate` / `Gunzip`.
 *
 * Why streaming: a compressed stream's own sizes can lie (see the corpus's `zip_bomb_lying_size.npz`,
 * whose headers declare 3 MB but whose stream inflates to 1.25 GiB). We feed the compressed bytes in
 * small chunks, so one push can produce at most ~1032 × CHUNK bytes (deflate's maximum ratio), and we
 * stop as soon as the output passes the size we accept — nothing near a bomb's size is ever allocated.
 */
import { Gunzip, Inflate } from 'fflate';
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

/**
 * A platform's own inflater (Node's zlib is ~10× faster than fflate on large streams), installed by the Node
 * entry points with {@link useNativeInflate}. It must stop at `maxOutputLength` (throwing a RangeError), and
 * throw an error with `code` 'Z_BUF_ERROR' for a stream that ends early. Pure code keeps fflate by default.
 */
export interface NativeInflate {
  gunzip(src: Uint8Array, maxOutputLength: number): Uint8Array;
  inflateRaw(src: Uint8Array, maxOutputLength: number): Uint8Array;
}

let native: NativeInflate | null = null;

export function useNativeInflate(impl: NativeInflate | null): void {
  native = impl;
}

/** The native path with the same limits and error kinds as the streaming one. */
function runNative(impl: NativeInflate, src: Uint8Array, opts: InflateOptions, gzip: boolean): Uint8Array {
  const { fileName, what, declaredSize, cap } = opts;
  const limit = declaredSize ?? cap;
  if (src.length === 0) fail('truncated-data', fileName, `${what} has no compressed data`);
  let out: Uint8Array | null = null;
  try {
    out = gzip ? impl.gunzip(src, limit + 1) : impl.inflateRaw(src, limit + 1);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = e instanceof Error ? e.message : String(e);
    const overflow = e instanceof RangeError || code === 'ERR_BUFFER_TOO_LARGE';
    if (!overflow && code === 'Z_BUF_ERROR') fail('truncated-data', fileName, `${what}: compressed stream ends early (${msg})`);
    if (!overflow) fail('bad-header', fileName, `${what}: corrupt deflate data (${msg})`);
  }
  if (out === null || out.length > limit) {
    if (declaredSize !== undefined) {
      fail('decompression-limit', fileName, `${what} declares ${describeBytes(declaredSize)} but its deflate stream inflates to more: refusing a corrupt or oversized member`);
    }
    fail('decompression-limit', fileName, `${what} inflates to more than the ${describeBytes(cap)} limit: refusing to decompress it`);
  }
  if (declaredSize !== undefined && out.length !== declaredSize) {
    fail('truncated-data', fileName, `${what} declares ${describeBytes(declaredSize)} but inflates to only ${out.length}`);
  }
  return out;
}

/** Inflates raw DEFLATE data under the options' limits. Throws TensorFileError, never a bare Error. */
export function inflateCapped(src: Uint8Array, opts: InflateOptions): Uint8Array {
  if (native) return runNative(native, src, opts, false);
  return run(src, opts, false).out;
}

/**
 * The capped streaming loop for raw deflate (`gzip` false) or gzip members (`gzip` true; fflate parses
 * the member headers and continues across concatenated members). `lastMemberStart` is the output offset
 * where the last gzip member's data begin (0 for raw deflate and single-member gzip).
 */
function run(src: Uint8Array, opts: InflateOptions, gzip: boolean): { out: Uint8Array; lastMemberStart: number } {
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
  let lastMemberStart = 0;
  const onData = (chunk: Uint8Array, final: boolean): void => {
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
  };
  let inflater: Inflate | Gunzip;
  if (gzip) {
    const g = new Gunzip(onData);
    g.onmember = () => {
      lastMemberStart = written;
    };
    inflater = g;
  } else {
    inflater = new Inflate(onData);
  }
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
  return { out: written === out.length ? out : out.subarray(0, written), lastMemberStart };
}

/**
 * Decompresses a gzip file (RFC 1952; concatenated members too, as Python's gzip reads them) with a cap.
 * The last member's trailer ISIZE must match its inflated length (mod 2**32), which also catches a file
 * cut inside or just before its trailer.
 */
export function gunzipCapped(src: Uint8Array, fileName: string, cap: number): Uint8Array {
  const what = 'gzip stream';
  if (src.length < 18) fail('truncated-data', fileName, `${what} is only ${src.length} bytes (truncated .gz)`);
  if (src[0] !== 0x1f || src[1] !== 0x8b) fail('bad-header', fileName, 'not a gzip stream');
  if (src[2] !== 8) fail('bad-header', fileName, `${what} uses compression method ${src[2]}, not deflate`);
  const n = src.length;
  const isize = (src[n - 4]! | (src[n - 3]! << 8) | (src[n - 2]! << 16) | (src[n - 1]! << 24)) >>> 0;
  // zlib checks every member's CRC-32 and ISIZE itself.
  if (native) return runNative(native, src, { fileName, what, cap }, true);
  const { out, lastMemberStart } = run(src, { fileName, what, cap, sizeHint: isize }, true);
  if ((out.length - lastMemberStart) % 2 ** 32 !== isize) {
    fail(
      'truncated-data',
      fileName,
      `${what} inflates to ${out.length - lastMemberStart} bytes but its trailer says ${isize} (truncated or corrupt .gz)`,
    );
  }
  return out;
}

/**
 * The first `n` inflated bytes of a gzip file (fewer when the stream ends first), inflating no further: what
 * nibabel reads of a `.nii.gz` whose image ends before the stream does. Errors after the first `n` bytes
 * (trailing junk, a corrupt tail) are not seen, as they are not by a reader that stops there; a stream that ends
 * before its end-of-stream marker within what was read is truncated-data. Native zlib
 * serves the common case (the stream is exactly as long as needed, and its CRC/ISIZE are then checked too);
 * a longer, shorter or broken stream is read again by the streaming inflater, which stops at `n`.
 */
export function gunzipPrefix(src: Uint8Array, fileName: string, n: number): Uint8Array {
  const what = 'gzip stream';
  if (src.length < 18) fail('truncated-data', fileName, `${what} is only ${src.length} bytes (truncated .gz)`);
  if (src[0] !== 0x1f || src[1] !== 0x8b) fail('bad-header', fileName, 'not a gzip stream');
  if (src[2] !== 8) fail('bad-header', fileName, `${what} uses compression method ${src[2]}, not deflate`);
  if (native) {
    try {
      return native.gunzip(src, n);
    } catch {
      // longer than n, cut short or corrupt: the streaming path below stops at n or reports where it fails.
    }
  }
  let out = new Uint8Array(Math.min(n, src.length * 4 + 1024));
  let written = 0;
  let done = false;
  let produced = 0;
  let lastMemberStart = 0;
  const g = new Gunzip((chunk, final) => {
    if (final) done = true;
    produced += chunk.length;
    const take = Math.min(chunk.length, n - written);
    if (written + take > out.length) {
      const grown = new Uint8Array(Math.min(n, Math.max(out.length * 2, written + take)));
      grown.set(out.subarray(0, written));
      out = grown;
    }
    out.set(chunk.subarray(0, take), written);
    written += take;
  });
  g.onmember = () => {
    lastMemberStart = produced;
  };
  let pos = 0;
  try {
    while (pos < src.length && written < n) {
      // Near n, feed less: one push then produces at most ~1 MB past it.
      const room = Math.ceil((n - written) / MAX_RATIO) + 1024;
      const end = Math.min(src.length, pos + Math.min(CHUNK, room));
      g.push(src.subarray(pos, end), end === src.length);
      pos = end;
    }
  } catch (e) {
    const code = (e as { code?: number }).code;
    const msg = e instanceof Error ? e.message : String(e);
    if (code === 0) fail('truncated-data', fileName, `${what} ends early (truncated .gz): ${msg}`);
    fail('bad-header', fileName, `${what}: corrupt deflate data after ${written} bytes (${msg})`);
  }
  // Only a read that stopped at n before the input ran out skips the end-of-stream check.
  if (pos >= src.length) {
    const k = src.length;
    const isize = (src[k - 4]! | (src[k - 3]! << 8) | (src[k - 2]! << 16) | (src[k - 1]! << 24)) >>> 0;
    if (!done || (produced - lastMemberStart) % 2 ** 32 !== isize) {
      fail('truncated-data', fileName, `${what} ends early or its trailer disagrees (${produced - lastMemberStart} bytes inflated, trailer says ${isize}): truncated or corrupt .gz`);
    }
  }
  return written === out.length ? out : out.subarray(0, written);
}
