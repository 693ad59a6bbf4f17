/**
 * The selected tensor: its value histogram (Chart.js bars over [min, max]) and, for rank ≥ 2, a heat map
 * of the last two axes with one index control per leading axis (`heatmap` request, drawn with ImageData
 * in viridis; NaN and ±Inf in distinct colours outside the scale).
 */
import type { ChartConfiguration } from 'chart.js';
import type { HeatmapData, TensorSummary } from '../../src/protocol/messages';
import type { HostClient } from '../common/client';
import { axisStyle, ChartView } from '../common/charts';
import { colorLut, cssGradient } from '../common/colormap';
import { debounce } from '../common/debounce';
import { el, fitPixelCanvas, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatNumber, formatShape } from '../common/format';
import type { Theme } from '../common/theme';
import { asFloat32 } from '../common/typed';
import { textField, type ValueControl } from '../toolkit';

const VIRIDIS = colorLut('viridis');
const NAN_RGB = [255, 0, 255] as const;
const POS_INF_RGB = [255, 255, 255] as const;
const NEG_INF_RGB = [0, 0, 0] as const;

export class TensorDetail {
  readonly element = el('section', { class: 'card detail', testid: 'tensor-detail', attrs: { 'aria-labelledby': 'detail-title' } });
  private readonly title = el('h2', { attrs: { id: 'detail-title' }, testid: 'detail-title' });
  private readonly chips = el('div', { class: 'chips' });
  private readonly histCanvas = el('canvas', { testid: 'histogram-canvas', attrs: { role: 'img', 'aria-label': 'Value histogram' } });
  private readonly histBox = el('div', { class: 'chart-box' }, this.histCanvas);
  private readonly histNote = el('p', { class: 'chart-note muted', testid: 'histogram-note' });
  private readonly hist = new ChartView(this.histCanvas);
  private readonly heatCard = el('figure', { class: 'heatmap', testid: 'heatmap' });
  private readonly heatCanvas = el('canvas', { testid: 'heatmap-canvas', class: 'heatmap-canvas', attrs: { role: 'img', 'aria-label': 'Heat map of the last two axes', width: 1, height: 1 } });
  private readonly controls = el('div', { class: 'heatmap-controls', testid: 'heatmap-controls' });
  private readonly heatMin = el('span', { class: 'num', testid: 'heatmap-min' });
  private readonly heatMax = el('span', { class: 'num', testid: 'heatmap-max' });
  private readonly heatStatus = el('p', { class: 'muted heatmap-status', testid: 'heatmap-status', attrs: { role: 'status' } });
  private readonly readout = el('p', { class: 'readout muted', testid: 'heatmap-readout' });
  /** Per leading axis: its controls, or the index it is fixed at (an axis of size 1). */
  private readonly leading: ({ range: HTMLInputElement; field: ValueControl } | { fixed: number })[] = [];
  private tensor: TensorSummary | null = null;
  private data: HeatmapData | null = null;
  private seq = 0;
  private theme: Theme;
  private readonly requestSoon = debounce(() => void this.requestHeatmap(), 80);

  constructor(
    private readonly client: HostClient,
    theme: Theme,
  ) {
    this.theme = theme;
    const bar = el('div', { class: 'colorbar' });
    bar.style.backgroundImage = cssGradient('viridis');
    replaceChildren(
      this.heatCard,
      el('figcaption', {}, el('h3', { text: 'Heat map' }), el('span', { class: 'muted', testid: 'heatmap-caption' })),
      this.controls,
      el('div', { class: 'heatmap-frame' }, this.heatCanvas),
      el('div', { class: 'colorbar-legend' }, this.heatMin, bar, this.heatMax, el('span', { class: 'muted legend-note', text: 'NaN magenta · +∞ white · −∞ black' })),
      this.readout,
      this.heatStatus,
    );
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, this.title, this.chips),
      el(
        'div',
        { class: 'detail-grid' },
        el('figure', { class: 'histogram', testid: 'histogram' }, el('figcaption', {}, el('h3', { text: 'Value histogram' }), el('span', { class: 'muted', testid: 'histogram-caption' })), this.histBox, this.histNote),
        this.heatCard,
      ),
    );
    this.heatCanvas.addEventListener('mousemove', (e) => this.showReadout(e));
  }

  show(t: TensorSummary | null): void {
    this.tensor = t;
    this.element.hidden = t === null;
    if (!t) return;
    this.title.textContent = t.key;
    replaceChildren(
      this.chips,
      el('span', { class: 'chip' }, el('span', { class: 'chip-label', text: 'dtype' }), t.dtype),
      el('span', { class: 'chip' }, el('span', { class: 'chip-label', text: 'shape' }), formatShape(t.shape)),
      el('span', { class: 'chip' }, el('span', { class: 'chip-label', text: 'elements' }), formatCount(t.shape.reduce((a, b) => a * b, 1))),
    );
    this.drawHistogram();
    this.buildLeadingControls(t);
    this.data = null;
    if (t.shape.length >= 2) {
      this.heatCard.hidden = false;
      void this.requestHeatmap();
    } else {
      this.heatCard.hidden = true;
    }
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.drawHistogram();
  }

  private drawHistogram(): void {
    const t = this.tensor;
    if (!t) return;
    const h = t.histogram;
    const caption = this.element.querySelector<HTMLElement>('[data-testid="histogram-caption"]');
    if (!h || h.counts.length === 0) {
      this.hist.destroy();
      this.histBox.hidden = true;
      this.histNote.textContent = 'No finite values to histogram.';
      if (caption) caption.textContent = '';
      return;
    }
    this.histBox.hidden = false;
    this.histNote.textContent = '';
    const n = h.counts.length;
    const width = (h.hi - h.lo) / n;
    if (caption) caption.textContent = `${n} bins over [${formatNumber(h.lo)}, ${formatNumber(h.hi)}]`;
    const labels = h.counts.map((_, i) => formatNumber(h.lo + (i + 0.5) * width, 3));
    const theme = this.theme;
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: { labels, datasets: [{ label: 'elements', data: h.counts, backgroundColor: theme.hard, borderColor: theme.hard, categoryPercentage: 1, barPercentage: 0.96 }] },
      options: {
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => {
                const i = items[0]?.dataIndex ?? 0;
                return `[${formatNumber(h.lo + i * width)}, ${formatNumber(h.lo + (i + 1) * width)})`;
              },
              label: (c) => `${formatCount(c.parsed.y ?? 0)} elements`,
            },
          },
        },
        scales: {
          x: { ...axisStyle(theme, 'value'), grid: { display: false }, ticks: { color: theme.muted, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { ...axisStyle(theme, 'count'), beginAtZero: true },
        },
      },
    };
    this.hist.render(config);
  }

  /**
   * One index control per leading axis that has a choice to make (axes of size 1 get none), starting on the
   * slice with the most signal that the worker picked (`initialLeading`).
   */
  private buildLeadingControls(t: TensorSummary): void {
    this.leading.length = 0;
    const lead = Math.max(0, t.shape.length - 2);
    const rows: HTMLElement[] = [];
    for (let a = 0; a < lead; a++) {
      const size = t.shape[a]!;
      const start = String(Math.min(size - 1, Math.max(0, t.initialLeading[a] ?? 0)));
      if (size <= 1) {
        this.leading.push({ fixed: 0 });
        continue;
      }
      const range = el('input', { class: 'range', testid: `heatmap-range-${a}`, attrs: { type: 'range', min: 0, max: size - 1, step: 1, value: start, 'aria-label': `Index along axis ${a}` } });
      const field = textField(start, { testid: `heatmap-index-${a}`, ariaLabel: `Index along axis ${a}`, class: 'narrow-field' });
      range.addEventListener('input', () => {
        field.value = range.value;
        field.classList.remove('is-invalid');
        this.requestSoon();
      });
      field.addEventListener('input', () => {
        const n = Number(field.value);
        const ok = field.value.trim() !== '' && Number.isInteger(n) && n >= 0 && n < size;
        field.classList.toggle('is-invalid', !ok);
        if (!ok) return;
        range.value = String(n);
        this.requestSoon();
      });
      this.leading.push({ range, field });
      rows.push(
        el('div', { class: 'field' }, el('span', { class: 'field-label', text: `axis ${a} (0–${size - 1})` }), el('span', { class: 'field-control' }, range, field)),
      );
    }
    replaceChildren(this.controls, ...rows);
    this.controls.hidden = rows.length === 0;
    const caption = this.element.querySelector<HTMLElement>('[data-testid="heatmap-caption"]');
    if (caption) caption.textContent = t.shape.length >= 2 ? `axes ${t.shape.length - 2} × ${t.shape.length - 1} (${t.shape.at(-2)} × ${t.shape.at(-1)})` : '';
  }

  private async requestHeatmap(): Promise<void> {
    const t = this.tensor;
    if (!t || t.shape.length < 2) return;
    const leading = this.leading.map((l) => ('fixed' in l ? l.fixed : Number(l.range.value) || 0));
    const seq = ++this.seq;
    this.heatStatus.textContent = 'Loading…';
    this.heatStatus.classList.remove('is-error');
    try {
      const d = await this.client.request('heatmap', { key: t.key, leading });
      if (seq !== this.seq) return;
      this.data = { ...d, values: asFloat32(d.values, d.width * d.height) };
      this.heatStatus.textContent = '';
      this.drawHeatmap();
    } catch (e) {
      if (seq !== this.seq) return;
      this.heatStatus.textContent = `Could not load the heat map: ${e instanceof Error ? e.message : String(e)}`;
      this.heatStatus.classList.add('is-error');
    }
  }

  private drawHeatmap(): void {
    const d = this.data;
    if (!d) return;
    const c = this.heatCanvas;
    c.width = d.width;
    c.height = d.height;
    fitPixelCanvas(c, d.width, d.height, 380);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(d.width, d.height);
    const span = d.max - d.min;
    const n = d.width * d.height;
    for (let i = 0; i < n; i++) {
      const v = d.values[i]!;
      const o = i * 4;
      let rgb: readonly number[];
      if (Number.isNaN(v)) rgb = NAN_RGB;
      else if (v === Infinity) rgb = POS_INF_RGB;
      else if (v === -Infinity) rgb = NEG_INF_RGB;
      else {
        const k = span > 0 ? Math.max(0, Math.min(255, Math.round(((v - d.min) / span) * 255))) * 3 : 128 * 3;
        rgb = [VIRIDIS[k]!, VIRIDIS[k + 1]!, VIRIDIS[k + 2]!];
      }
      img.data[o] = rgb[0]!;
      img.data[o + 1] = rgb[1]!;
      img.data[o + 2] = rgb[2]!;
      img.data[o + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
    this.heatMin.textContent = formatNumber(d.min);
    this.heatMax.textContent = formatNumber(d.max);
    setValue(this.heatMin, d.min);
    setValue(this.heatMax, d.max);
    this.heatCard.dataset.drawn = `${d.request.key}@${d.request.leading.join(',')}`;
  }

  private showReadout(e: MouseEvent): void {
    const d = this.data;
    if (!d) return;
    const rect = this.heatCanvas.getBoundingClientRect();
    const x = Math.floor(((e.clientX - rect.left) / rect.width) * d.width);
    const y = Math.floor(((e.clientY - rect.top) / rect.height) * d.height);
    if (x < 0 || y < 0 || x >= d.width || y >= d.height) return;
    const idx = [...d.request.leading, y, x].join(', ');
    const sub = this.tensor && (this.tensor.shape.at(-1)! > d.width || this.tensor.shape.at(-2)! > d.height) ? ' (subsampled view)' : '';
    this.readout.textContent = `[${idx}] = ${formatNumber(d.values[y * d.width + x]!, 6)}${sub}`;
  }
}
