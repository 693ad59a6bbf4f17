/**
 * Typed arrays from host messages. VS Code transfers typed arrays in `postMessage`, but a host that
 * serialises through JSON turns `Int16Array [1, 2]` into `{"0": 1, "1": 2}` (or a plain array): accept
 * all three so the views never depend on how the message crossed.
 */
type Ctor<T> = { new (n: number): T; from(a: ArrayLike<number>): T };

function coerce<T extends ArrayLike<number>>(ctor: Ctor<T>, x: unknown, length: number): T {
  if (x instanceof (ctor as unknown as { new (): unknown })) return x as T;
  if (ArrayBuffer.isView(x)) return ctor.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return ctor.from(x as number[]);
  const out = new ctor(length);
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (let i = 0; i < length; i++) {
      const v = o[i];
      (out as unknown as number[])[i] = typeof v === 'number' ? v : v === null ? NaN : Number(v);
    }
  }
  return out;
}

export const asInt16 = (x: unknown, length: number) => coerce(Int16Array, x, length);
export const asFloat32 = (x: unknown, length: number) => coerce(Float32Array, x, length);
export const asUint8 = (x: unknown, length: number) => coerce(Uint8Array, x, length);
