/**
 * The slice viewer for segmentation pairs (rank ≥ 4): batch item, spatial axis and slice index controls
 * ask the host for one 2-D slice (`slice` request; only that slice crosses, never the volume), drawn on
 * three canvases with ImageData: the target, the argmax prediction, and the per-voxel CE (hard or
 * smoothed) in the inferno colour map. A class filter dims everything but one class.
 * A multi-label target (overlapping regions, `targetRegions` in the slice) is drawn as one outline per region over
 * a faint fill, on the target and over the CE map, and the prediction as each channel's sigmoid > 0.5 region: an
 * argmax would show an overlap as one region and the background as the first.
 */
import type { ClassNames } from '../../src/protocol/classPage';
import type { ComparisonState, SliceData, SliceRequest, VolumeInfo } from '../../src/protocol/messages';
import type { ComparisonClient } from '../common/client';
import { classColor, classCss, colorLut, cssGradient } from '../common/colormap';
import { debounce } from '../common/debounce';
import { el, fitPixelCanvas, replaceChildren, setValue } from '../common/dom';
import { className, formatNumber } from '../common/format';
import type { RGB, Theme } from '../common/theme';
import { asFloat32, asInt16, asUint8 } from '../common/typed';
import { dropdown, setChoices, textField, type Choice } from '../toolkit';

const CE_LUT = colorLut('inferno');
/** How much of a filtered-out pixel's colour is kept (the rest is the background). */
const DIM = 0.15;
/** How much of a region's colour fills its inside (multi-label targets); its outline is drawn in full. */
const REGION_FILL = 0.3;

/**
 * Outline planes of `C` region planes (`regions[k·n + i]`, n = width·height): 1 where a pixel of region k has a
 * 4-neighbour outside it or lies on the slice's edge.
 */
export function regionOutlines(regions: Uint8Array, C: number, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(C * n);
  for (let k = 0; k < C; k++) {
    const o = k * n;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const i = r * width + c;
        if (!regions[o + i]) continue;
        const edge =
          r === 0 || c === 0 || r === height - 1 || c === width - 1 ||
          !regions[o + i - 1] || !regions[o + i + 1] || !regions[o + i - width] || !regions[o + i + width];
        if (edge) out[o + i] = 1;
      }
    }
  }
  return out;
}

interface Panel {
  canvas: HTMLCanvasElement;
  element: HTMLElement;
}

function panel(testid: string, title: string): Panel {
  const canvas = el('canvas', { testid, class: 'slice-canvas', attrs: { role: 'img', 'aria-label': title, width: 1, height: 1 } });
  const element = el('figure', { class: 'slice-panel' }, el('figcaption', { text: title }), el('div', { class: 'slice-frame' }, canvas));
  return { canvas, element };
}

function labeled(label: string, control: HTMLElement, extra?: HTMLElement): HTMLElement {
  return el('label', { class: 'field' }, el('span', { class: 'field-label', text: label }), el('span', { class: 'field-control' }, control, extra ?? null));
}

export class SliceViewer {
  readonly element = el('section', { class: 'card slices', testid: 'slice-viewer', attrs: { 'aria-labelledby': 'slices-title' } });
  private readonly batch = dropdown([{ value: '0', label: '0' }], '0', { testid: 'slice-batch', attrs: { 'aria-label': 'Batch item' } });
  private readonly axis = dropdown([{ value: '0', label: 'axis 0' }], '0', { testid: 'slice-axis', attrs: { 'aria-label': 'Axis held fixed' } });
  private readonly indexRange = el('input', { class: 'range', testid: 'slice-index-range', attrs: { type: 'range', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'Slice index' } });
  private readonly indexField = textField('0', { testid: 'slice-index', ariaLabel: 'Slice index', class: 'narrow-field' });
  private readonly indexMax = el('span', { class: 'muted', testid: 'slice-index-max' });
  private readonly mode = dropdown(
    [
      { value: 'hard', label: 'hard (ε = 0)' },
      { value: 'smoothed', label: 'smoothed' },
    ],
    'hard',
    { testid: 'slice-mode', attrs: { 'aria-label': 'CE map' } },
  );
  private readonly classFilter = dropdown([{ value: 'all', label: 'All classes' }], 'all', { testid: 'slice-class', attrs: { 'aria-label': 'Class filter' } });
  private readonly target = panel('slice-target', 'Target');
  private readonly prediction = panel('slice-prediction', 'Prediction (argmax)');
  private readonly ce = panel('slice-ce', 'Per-voxel CE');
  private readonly legend = el('div', { class: 'class-legend', testid: 'slice-legend' });
  private readonly ceBar = el('div', { class: 'colorbar' });
  private readonly ceMax = el('span', { class: 'num', testid: 'slice-ce-max' });
  private readonly readout = el('p', { class: 'readout muted', testid: 'slice-readout', attrs: { 'aria-live': 'polite' }, text: 'Point at a slice to read its values.' });
  private readonly status = el('p', { class: 'slice-status muted', testid: 'slice-status', attrs: { role: 'status' } });

  private volume: VolumeInfo | null = null;
  private names: ClassNames | null = null;
  private numClasses = 0;
  private data: SliceData | null = null;
  /** Outlines of the multi-label regions of `data` (target, prediction), computed once per slice. */
  private outlines: { target: Uint8Array; prediction: Uint8Array; C: number } | null = null;
  private seq = 0;
  private theme: Theme;
  private readonly requestSoon = debounce(() => void this.request(), 60);

  // Shown only where they choose something: a batch of 1 has no batch to pick, a 2-D pair no axis or slice.
  private readonly batchField = labeled('Batch', this.batch);
  private readonly axisField = labeled('Axis', this.axis);
  private readonly sliceField = el('div', { class: 'field field-wide', testid: 'slice-index-field' }, el('span', { class: 'field-label', text: 'Slice' }), el('span', { class: 'field-control' }, this.indexRange, this.indexField, this.indexMax));

  constructor(
    private readonly client: ComparisonClient,
    theme: Theme,
  ) {
    this.theme = theme;
    this.ceBar.style.backgroundImage = cssGradient('inferno');
    const ceLegend = el('div', { class: 'colorbar-legend' }, el('span', { class: 'num', text: '0' }), this.ceBar, this.ceMax);
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, el('h2', { text: 'Slices', attrs: { id: 'slices-title' } }), el('span', { class: 'muted', text: 'Only the slice shown is sent to this view' })),
      el(
        'div',
        { class: 'slice-controls' },
        this.batchField,
        this.axisField,
        this.sliceField,
        labeled('CE map', this.mode),
        labeled('Class', this.classFilter),
      ),
      el('div', { class: 'slice-panels' }, this.target.element, this.prediction.element, this.ce.element),
      el('div', { class: 'slice-legends' }, this.legend, ceLegend),
      this.readout,
      this.status,
    );

    this.batch.addEventListener('change', () => this.requestSoon());
    this.axis.addEventListener('change', () => {
      this.syncIndexBounds(true);
      this.requestSoon();
    });
    this.indexRange.addEventListener('input', () => {
      this.indexField.value = this.indexRange.value;
      this.requestSoon();
    });
    this.indexField.addEventListener('input', () => {
      const n = Number(this.indexField.value);
      const max = Number(this.indexRange.max);
      const ok = Number.isInteger(n) && n >= 0 && n <= max;
      this.indexField.classList.toggle('is-invalid', !ok);
      if (!ok) return;
      this.indexRange.value = String(n);
      this.requestSoon();
    });
    this.mode.addEventListener('change', () => this.requestSoon());
    this.classFilter.addEventListener('change', () => this.draw());
    for (const p of [this.target, this.prediction, this.ce]) {
      p.canvas.addEventListener('mousemove', (e) => this.showReadout(p.canvas, e));
      p.canvas.addEventListener('mouseleave', () => (this.readout.textContent = 'Point at a slice to read its values.'));
    }
  }

  /** New comparison state: refresh the controls and ask again (the CE map depends on the options). */
  render(state: ComparisonState): void {
    const volume = state.volume;
    this.element.hidden = volume === null;
    this.names = state.classNames;
    this.numClasses = state.report.numClasses;
    if (!volume) return;
    const changed = JSON.stringify(volume) !== JSON.stringify(this.volume);
    this.volume = volume;
    if (changed) {
      const batchChoices: Choice[] = Array.from({ length: volume.batch }, (_, b) => ({ value: String(b), label: String(b) }));
      setChoices(this.batch, batchChoices, clampChoice(this.batch.value, volume.batch));
      const axisChoices = volume.spatial.map((n, a) => ({ value: String(a), label: `axis ${a} (${n})` }));
      const defaultAxis = String(volume.spatial.length - 1);
      setChoices(this.axis, axisChoices, this.axis.value && Number(this.axis.value) < volume.spatial.length && this.data ? this.axis.value : defaultAxis);
      this.syncIndexBounds(this.data === null);
      this.batchField.hidden = volume.batch <= 1;
      this.axisField.hidden = volume.spatial.length < 3;
      this.sliceField.hidden = volume.spatial.length < 3;
    }
    const classChoices: Choice[] = [{ value: 'all', label: 'All classes' }, ...Array.from({ length: this.numClasses }, (_, c) => ({ value: String(c), label: `${c} ${className(c, this.names)}` }))];
    const keep = this.classFilter.value !== 'all' && Number(this.classFilter.value) < this.numClasses ? this.classFilter.value : 'all';
    setChoices(this.classFilter, classChoices, keep);
    this.drawLegend();
    this.requestSoon();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.draw();
  }

  /** The parameters the controls describe. */
  currentRequest(): SliceRequest {
    return {
      batch: Number(this.batch.value) || 0,
      axis: Number(this.axis.value) || 0,
      index: Number(this.indexRange.value) || 0,
      mode: this.mode.value === 'smoothed' ? 'smoothed' : 'hard',
    };
  }

  private syncIndexBounds(center: boolean): void {
    if (!this.volume) return;
    const n = this.volume.spatial[Number(this.axis.value) || 0] ?? 1;
    this.indexRange.max = String(Math.max(0, n - 1));
    const idx = center ? Math.floor(n / 2) : Math.min(Number(this.indexRange.value) || 0, n - 1);
    this.indexRange.value = String(idx);
    this.indexField.value = String(idx);
    this.indexField.classList.remove('is-invalid');
    this.indexMax.textContent = `of 0–${n - 1}`;
  }

  private async request(): Promise<void> {
    if (!this.volume) return;
    const req = this.currentRequest();
    const seq = ++this.seq;
    this.status.textContent = 'Loading slice…';
    this.status.classList.remove('is-error');
    this.element.classList.add('is-loading');
    try {
      const data = await this.client.request('slice', req);
      if (seq !== this.seq) return; // a newer request superseded this one
      const n = data.width * data.height;
      const C = this.numClasses;
      const targetRegions = data.targetRegions ? asUint8(data.targetRegions, C * n) : null;
      const predictionRegions = data.predictionRegions ? asUint8(data.predictionRegions, C * n) : null;
      this.data = { ...data, target: asInt16(data.target, n), prediction: asInt16(data.prediction, n), ce: asFloat32(data.ce, n), targetRegions, predictionRegions };
      this.outlines =
        targetRegions && predictionRegions
          ? { target: regionOutlines(targetRegions, C, data.width, data.height), prediction: regionOutlines(predictionRegions, C, data.width, data.height), C }
          : null;
      this.status.textContent = '';
      this.draw();
    } catch (e) {
      if (seq !== this.seq) return;
      this.status.textContent = `Could not load the slice: ${e instanceof Error ? e.message : String(e)}`;
      this.status.classList.add('is-error');
    } finally {
      if (seq === this.seq) this.element.classList.remove('is-loading');
    }
  }

  private filterClass(): number | null {
    const v = this.classFilter.value;
    return v === 'all' || v === '' ? null : Number(v);
  }

  private draw(): void {
    const d = this.data;
    if (!d) return;
    const only = this.filterClass();
    const bg = this.theme.backgroundRgb;
    const ceMax = d.ceMax > 0 && Number.isFinite(d.ceMax) ? d.ceMax : 1;
    const n = d.width * d.height;
    const paint = (p: Panel, pixel: (i: number, out: Uint8ClampedArray, o: number) => void) => {
      const c = p.canvas;
      c.width = d.width;
      c.height = d.height;
      fitPixelCanvas(c, d.width, d.height, 340);
      const ctx = c.getContext('2d');
      if (!ctx) return;
      const img = ctx.createImageData(d.width, d.height);
      for (let i = 0; i < n; i++) pixel(i, img.data, i * 4);
      ctx.putImageData(img, 0, 0);
    };
    const put = (out: Uint8ClampedArray, o: number, rgb: RGB, keep: boolean) => {
      const t = keep ? 1 : DIM;
      out[o] = rgb[0] * t + bg[0] * (1 - t);
      out[o + 1] = rgb[1] * t + bg[1] * (1 - t);
      out[o + 2] = rgb[2] * t + bg[2] * (1 - t);
      out[o + 3] = 255;
    };
    const ignored: RGB = checkerless(bg);
    const outlines = this.outlines;
    if (outlines && d.targetRegions && d.predictionRegions) {
      // one outline per region over a faint fill; later channels (inner regions, by the usual nesting) on top
      const C = outlines.C;
      const regionPixel = (regions: Uint8Array, lines: Uint8Array, base: (i: number) => RGB, fill: boolean) => (i: number, out: Uint8ClampedArray, o: number) => {
        let rgb: RGB = base(i);
        for (let k = 0; k < C; k++) {
          if (!fill || !regions[k * n + i]) continue;
          const kc = classColor(k);
          const t = only === null || only === k ? REGION_FILL : REGION_FILL * DIM;
          rgb = [rgb[0] * (1 - t) + kc[0] * t, rgb[1] * (1 - t) + kc[1] * t, rgb[2] * (1 - t) + kc[2] * t];
        }
        let keep = true;
        for (let k = 0; k < C; k++) {
          if (!lines[k * n + i]) continue;
          rgb = classColor(k);
          keep = only === null || only === k;
        }
        put(out, o, rgb, keep);
      };
      paint(this.target, regionPixel(d.targetRegions, outlines.target, () => bg, true));
      paint(this.prediction, regionPixel(d.predictionRegions, outlines.prediction, () => bg, true));
      paint(
        this.ce,
        regionPixel(d.targetRegions, outlines.target, (i) => {
          const v = d.ce[i]!;
          if (!Number.isFinite(v)) return ignored;
          const k = Math.max(0, Math.min(255, Math.round((v / ceMax) * 255))) * 3;
          return [CE_LUT[k]!, CE_LUT[k + 1]!, CE_LUT[k + 2]!];
        }, false),
      );
    } else {
      paint(this.target, (i, out, o) => {
        const c = d.target[i]!;
        put(out, o, c < 0 ? ignored : classColor(c), only === null || c === only);
      });
      paint(this.prediction, (i, out, o) => {
        const c = d.prediction[i]!;
        put(out, o, classColor(c), only === null || c === only);
      });
      paint(this.ce, (i, out, o) => {
        const t = d.target[i]!;
        const v = d.ce[i]!;
        if (t < 0 || !Number.isFinite(v)) return put(out, o, ignored, true);
        const k = Math.max(0, Math.min(255, Math.round((v / ceMax) * 255))) * 3;
        put(out, o, [CE_LUT[k]!, CE_LUT[k + 1]!, CE_LUT[k + 2]!], only === null || t === only);
      });
    }
    this.element.dataset.regions = outlines ? 'outlines' : 'argmax';
    const caption = (p: Panel, text: string) => {
      const f = p.element.querySelector('figcaption');
      if (f) f.textContent = text;
    };
    caption(this.target, outlines ? 'Target regions (one outline each)' : 'Target');
    caption(this.prediction, outlines ? 'Prediction (sigmoid > 0.5 per channel)' : 'Prediction (argmax)');
    this.ceMax.textContent = formatNumber(d.ceMax);
    setValue(this.ceMax, d.ceMax);
    const ceTitle = this.ce.element.querySelector('figcaption');
    if (ceTitle) ceTitle.textContent = `Per-voxel CE (${d.request.mode === 'smoothed' ? 'smoothed' : 'hard'})${outlines ? ', target outlines' : ''}`;
    this.element.dataset.drawn = `${d.request.batch}/${d.request.axis}/${d.request.index}/${d.request.mode}`;
  }

  private drawLegend(): void {
    replaceChildren(
      this.legend,
      ...Array.from({ length: this.numClasses }, (_, c) => {
        const dot = el('span', { class: 'class-dot', attrs: { 'aria-hidden': 'true' } });
        dot.style.backgroundColor = classCss(c);
        return el('span', { class: 'legend-item' }, dot, `${c} ${className(c, this.names)}`);
      }),
    );
  }

  private showReadout(canvas: HTMLCanvasElement, e: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * d.width);
    const row = Math.floor(((e.clientY - rect.top) / rect.height) * d.height);
    if (col < 0 || row < 0 || col >= d.width || row >= d.height) return;
    const i = row * d.width + col;
    const t = d.target[i]!;
    const p = d.prediction[i]!;
    if (d.targetRegions && d.predictionRegions) {
      const n = d.width * d.height;
      const inside = (planes: Uint8Array) => {
        const ks = Array.from({ length: this.numClasses }, (_, k) => k).filter((k) => planes[k * n + i]);
        return ks.length ? ks.map((k) => className(k, this.names)).join(' + ') : 'none';
      };
      this.readout.textContent = `row ${row}, column ${col} — target regions ${inside(d.targetRegions)} · predicted ${inside(d.predictionRegions)} · CE ${formatNumber(d.ce[i]!)}`;
      return;
    }
    this.readout.textContent =
      `row ${row}, column ${col} — target ${t < 0 ? 'ignored' : className(t, this.names)} · prediction ${className(p, this.names)} · CE ${formatNumber(d.ce[i]!)}`;
  }
}

/** Ignored pixels: the background, slightly shifted so they read as "no data" rather than class 0. */
function checkerless(bg: RGB): RGB {
  const lum = (bg[0] + bg[1] + bg[2]) / 3;
  const shift = lum > 128 ? -28 : 28;
  return [bg[0] + shift, bg[1] + shift, bg[2] + shift];
}

function clampChoice(value: string, n: number): string {
  const v = Number(value);
  return Number.isInteger(v) && v >= 0 && v < n ? value : '0';
}

