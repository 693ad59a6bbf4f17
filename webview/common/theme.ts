/**
 * Theme colours for canvases. CSS follows the `--vscode-*` variables by itself, but a canvas is painted
 * with colours read once, so they are read here from the computed style of `<body>` and read again when
 * VS Code switches theme (it changes `<body>`'s class and `data-vscode-theme-kind`).
 */
import { legible } from './contrast';

export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

/** An opaque colour as bytes, for ImageData. */
export type RGB = readonly [number, number, number];

export interface Theme {
  kind: ThemeKind;
  foreground: string;
  muted: string;
  background: string;
  border: string;
  grid: string;
  /** Hard (ε = 0) series. */
  hard: string;
  /** Smoothed (configured ε) series. */
  smoothed: string;
  /** The label-smoothing floor and the "ideal" references. */
  reference: string;
  accent: string;
  error: string;
  warning: string;
  fontFamily: string;
  fontSize: number;
  backgroundRgb: RGB;
  foregroundRgb: RGB;
}

export function themeKind(body: HTMLElement = document.body): ThemeKind {
  const kind = body.dataset.vscodeThemeKind ?? '';
  const cls = body.classList;
  if (kind === 'vscode-high-contrast-light' || cls.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (kind === 'vscode-high-contrast' || cls.contains('vscode-high-contrast')) return 'high-contrast';
  if (kind === 'vscode-light' || cls.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readTheme(): Theme {
  const kind = themeKind();
  const light = kind === 'light' || kind === 'high-contrast-light';
  const hc = kind === 'high-contrast' || kind === 'high-contrast-light';
  const style = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const foreground = v('--vscode-foreground', light ? '#3b3b3b' : '#cccccc');
  const background = v('--vscode-editor-background', light ? '#ffffff' : '#1f1f1f');
  const fontSize = parseFloat(v('--vscode-font-size', '13px')) || 13;
  const backgroundRgb = toRgb(background, [0, 0, 0]);
  const foregroundRgb = toRgb(foreground, [255, 255, 255]);
  // Chart series are lines and bars: at least 3:1 (WCAG's non-text contrast) against the background, with a
  // margin for the cards' tint behind the canvases.
  const series = (color: string) => rgbString(legible(toRgb(opaque(color, background), foregroundRgb), backgroundRgb, foregroundRgb, 3.3));
  return {
    kind,
    foreground,
    muted: rgbString(legible(toRgb(v('--vscode-descriptionForeground', light ? '#717171' : '#9d9d9d'), foregroundRgb), backgroundRgb, foregroundRgb, 4.5)),
    background,
    border: hc ? v('--vscode-contrastBorder', foreground) : v('--vscode-panel-border', light ? '#e5e5e5' : '#2b2b2b'),
    grid: hc ? v('--vscode-contrastBorder', foreground) : light ? 'rgba(0,0,0,0.08)' : 'rgba(255,255,255,0.08)',
    hard: series(v('--vscode-charts-blue', light ? '#1a85ff' : '#3794ff')),
    smoothed: series(v('--vscode-charts-orange', light ? '#d18616' : '#d18616')),
    reference: series(v('--vscode-charts-red', light ? '#e51400' : '#f14c4c')),
    accent: series(v('--vscode-charts-purple', light ? '#652d90' : '#b180d7')),
    error: v('--vscode-errorForeground', light ? '#a1260d' : '#f85149'),
    warning: v('--vscode-editorWarning-foreground', light ? '#bf8803' : '#cca700'),
    fontFamily: v('--vscode-font-family', 'system-ui, sans-serif'),
    fontSize,
    backgroundRgb,
    foregroundRgb,
  };
}

function rgbString([r, g, b]: RGB): string {
  return `rgb(${r}, ${g}, ${b})`;
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour as RGBA bytes (via a 1×1 canvas, which parses every CSS colour syntax). */
export function toRgba(color: string): [number, number, number, number] {
  probe ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  if (!probe) return [0, 0, 0, 255];
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = '#000';
  probe.fillStyle = color;
  probe.fillRect(0, 0, 1, 1);
  const d = probe.getImageData(0, 0, 1, 1).data;
  return [d[0] ?? 0, d[1] ?? 0, d[2] ?? 0, d[3] ?? 255];
}

function toRgb(color: string, fallback: RGB): RGB {
  const [r, g, b, a] = toRgba(color);
  return a === 0 ? fallback : [r, g, b];
}

/**
 * Some `--vscode-charts-*` colours are translucent; lines and bars drawn with them over the editor
 * background look washed out, so they are flattened onto the background first.
 */
export function opaque(color: string, background: string): string {
  const [r, g, b, a] = toRgba(color);
  if (a >= 255) return `rgb(${r}, ${g}, ${b})`;
  const [br, bg, bb] = toRgba(background);
  const t = a / 255;
  const mix = (x: number, y: number) => Math.round(x * t + y * (1 - t));
  return `rgb(${mix(r, br)}, ${mix(g, bg)}, ${mix(b, bb)})`;
}

/** `color` at opacity `alpha` (0…1), as an rgba() string. */
export function withAlpha(color: string, alpha: number): string {
  const [r, g, b] = toRgba(color);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/**
 * Calls `fn` with the new theme whenever VS Code switches theme. Returns the observer's disconnect.
 * Several class changes in one task (VS Code removes one class, then adds another) give one call.
 */
export function onThemeChange(fn: (t: Theme) => void): () => void {
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn(readTheme());
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return () => observer.disconnect();
}
