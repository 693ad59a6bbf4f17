/**
 * WCAG 2 contrast: relative luminance, the contrast ratio of two colours, and the nudge that makes a theme
 * colour legible on its background (chart lines need 3:1, text 4.5:1). Theme palettes are not built for
 * our use: VS Code's orange on Light Modern's white is 2.9:1. Pure.
 */
import type { RGB } from './theme';

/** WCAG relative luminance of an sRGB colour given as bytes. */
export function luminance([r, g, b]: RGB): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** (L_lighter + 0.05) / (L_darker + 0.05): 1 for the same colour, 21 for black on white. */
export function contrastRatio(a: RGB, b: RGB): number {
  const la = luminance(a);
  const lb = luminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * `color`, or the least mix of it toward `toward` (the theme's foreground, or black/white) that reaches
 * `min` against `background`; the hue stays recognisable because the mix stops as soon as it is enough.
 */
export function legible(color: RGB, background: RGB, toward: RGB, min: number): RGB {
  if (contrastRatio(color, background) >= min) return color;
  for (let t = 0.05; t <= 1.0001; t += 0.05) {
    const mixed: RGB = [0, 1, 2].map((i) => Math.round(color[i]! * (1 - t) + toward[i]! * t)) as unknown as RGB;
    if (contrastRatio(mixed, background) >= min) return mixed;
  }
  // The foreground itself did not reach it (a theme with too little contrast): the extreme that does most.
  return luminance(background) > 0.5 ? [0, 0, 0] : [255, 255, 255];
}
