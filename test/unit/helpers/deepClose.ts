// Deep equality for reports computed along different summation orders (the thread split adds the same
// values in another order): every number within a relative tolerance, everything else strictly equal.
import assert from 'node:assert/strict';

export function assertDeepClose(got: unknown, want: unknown, rtol = 1e-12, path = '$'): void {
  if (typeof want === 'number') {
    assert.equal(typeof got, 'number', `${path}: want a number, got ${JSON.stringify(got)}`);
    const g = got as number;
    if (Number.isNaN(want) || !Number.isFinite(want)) {
      assert.ok(Object.is(g, want), `${path}: ${g} ≠ ${want}`);
      return;
    }
    assert.ok(Math.abs(g - want) <= 1e-300 + rtol * Math.abs(want), `${path}: ${g} ≠ ${want} (rtol ${rtol})`);
    return;
  }
  if (want === null || typeof want !== 'object') {
    assert.strictEqual(got, want, path);
    return;
  }
  assert.ok(got !== null && typeof got === 'object', `${path}: want an object, got ${JSON.stringify(got)}`);
  if (Array.isArray(want) || ArrayBuffer.isView(want)) {
    const w = want as unknown as ArrayLike<unknown>;
    const g = got as ArrayLike<unknown>;
    assert.equal(g.length, w.length, `${path}: length`);
    for (let i = 0; i < w.length; i++) assertDeepClose(g[i], w[i], rtol, `${path}[${i}]`);
    return;
  }
  assert.deepEqual(Object.keys(got as object).sort(), Object.keys(want).sort(), `${path}: keys`);
  for (const [k, v] of Object.entries(want)) assertDeepClose((got as Record<string, unknown>)[k], v, rtol, `${path}.${k}`);
}
