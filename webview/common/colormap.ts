/**
 * Colour maps for the canvases drawn with ImageData: perceptually uniform sequential maps for values
 * (viridis for tensor heat maps, inferno for per-voxel CE) and a categorical palette for classes.
 */
import type { RGB } from './theme';

type Stops = readonly RGB[];

/** matplotlib's viridis, 9 evenly spaced stops. */
const VIRIDIS: Stops = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** matplotlib's inferno, 9 evenly spaced stops. */
const INFERNO: Stops = [
  [0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85],
  [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164],
];

export type ColorMapName = 'viridis' | 'inferno';

/** A 256-entry lookup table (RGB triples) interpolated from the stops. */
export function colorLut(name: ColorMapName): Uint8ClampedArray {
  const stops = name === 'viridis' ? VIRIDIS : INFERNO;
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const pos = (i / 255) * (stops.length - 1);
    const k = Math.min(Math.floor(pos), stops.length - 2);
    const t = pos - k;
    const a = stops[k] as RGB;
    const b = stops[k + 1] as RGB;
    for (let ch = 0; ch < 3; ch++) lut[i * 3 + ch] = Math.round(a[ch]! + (b[ch]! - a[ch]!) * t);
  }
  return lut;
}

/** CSS `linear-gradient` of a colour map, for colour bars. */
export function cssGradient(name: ColorMapName): string {
  const stops = name === 'viridis' ? VIRIDIS : INFERNO;
  return `linear-gradient(to right, ${stops.map((s, i) => `rgb(${s.join(',')}) ${((i / (stops.length - 1)) * 100).toFixed(1)}%`).join(', ')})`;
}

/**
 * Class colours (Tableau 10, readable on light and dark backgrounds); class 0, usually the background
 * of a segmentation, is a neutral grey so that the structures stand out.
 */
const CLASS_COLORS: Stops = [
  [120, 120, 120], [78, 121, 167], [242, 142, 43], [225, 87, 89], [118, 183, 178],
  [89, 161, 79], [237, 201, 72], [176, 122, 161], [255, 157, 167], [156, 117, 95], [186, 176, 172],
];

export function classColor(c: number): RGB {
  if (c < 0) return [0, 0, 0];
  if (c < CLASS_COLORS.length) return CLASS_COLORS[c] as RGB;
  // Beyond the palette: spread hues by the golden angle.
  return hslToRgb(((c * 137.508) % 360) / 360, 0.55, 0.55);
}

export function classCss(c: number): string {
  const [r, g, b] = classColor(c);
  return `rgb(${r}, ${g}, ${b})`;
}

function hslToRgb(h: number, s: number, l: number): RGB {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
