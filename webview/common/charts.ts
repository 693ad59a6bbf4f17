/**
 * Chart.js set-up shared by both webviews: only the controllers, elements, scales and plugins we use are
 * registered (it keeps the bundle small; Chart.js styles through `element.style`, which the CSP allows),
 * animations are off (updates are instant and screenshots deterministic), and the defaults follow the
 * VS Code theme. {@link ChartView} owns one canvas and re-renders in place on new data or a new theme.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
  type Plugin,
} from 'chart.js';
import type { Theme } from './theme';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

/** Options of the {@link verticalMarker} plugin, under `options.plugins.marker`. */
export interface MarkerOptions {
  /** x value (on a linear x scale) where the line is drawn; nothing when absent. */
  value?: number;
  color?: string;
  label?: string;
}

declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- an augmentation must repeat chart.js's type parameter
  interface PluginOptionsByType<TType extends ChartType> {
    marker?: MarkerOptions;
  }
}

/** Draws a dashed vertical line with a label (the current ε on the sweep chart). */
const verticalMarker: Plugin = {
  id: 'marker',
  afterDatasetsDraw(chart, _args, opts: MarkerOptions) {
    if (opts?.value === undefined || !Number.isFinite(opts.value)) return;
    const x = chart.scales.x;
    if (!x) return;
    const px = x.getPixelForValue(opts.value);
    const { top, bottom, left, right } = chart.chartArea;
    if (px < left - 0.5 || px > right + 0.5) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = opts.color ?? '#888';
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(px, top);
    ctx.lineTo(px, bottom);
    ctx.stroke();
    if (opts.label) {
      ctx.setLineDash([]);
      ctx.fillStyle = opts.color ?? '#888';
      ctx.font = `${Chart.defaults.font.size ?? 12}px ${Chart.defaults.font.family ?? 'sans-serif'}`;
      ctx.textAlign = px > (left + right) / 2 ? 'right' : 'left';
      ctx.textBaseline = 'top';
      ctx.fillText(opts.label, px + (ctx.textAlign === 'right' ? -4 : 4), top + 2);
    }
    ctx.restore();
  },
};
Chart.register(verticalMarker);

Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.responsive = true;

/** Points Chart.js' global defaults at the theme (text colour, font, lines). */
export function applyChartTheme(t: Theme): void {
  Chart.defaults.color = t.muted;
  Chart.defaults.borderColor = t.grid;
  Chart.defaults.font.family = t.fontFamily;
  Chart.defaults.font.size = Math.max(11, t.fontSize - 1);
  Chart.defaults.plugins.legend.labels.color = t.foreground;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;
  Chart.defaults.plugins.tooltip.backgroundColor = t.kind.includes('light') ? 'rgba(255,255,255,0.96)' : 'rgba(30,30,30,0.96)';
  Chart.defaults.plugins.tooltip.titleColor = t.foreground;
  Chart.defaults.plugins.tooltip.bodyColor = t.foreground;
  Chart.defaults.plugins.tooltip.borderColor = t.border;
  Chart.defaults.plugins.tooltip.borderWidth = 1;
}

/** Grid and tick colours of one axis. */
export function axisStyle(t: Theme, title?: string) {
  return {
    grid: { color: t.grid },
    border: { color: t.border },
    ticks: { color: t.muted },
    title: title ? { display: true, text: title, color: t.muted } : { display: false },
  };
}

/** One chart on one canvas; `render` creates it or updates it in place. */
export class ChartView<T extends ChartType = ChartType> {
  private chart: Chart<T> | null = null;

  constructor(readonly canvas: HTMLCanvasElement) {}

  render(config: ChartConfiguration<T>): void {
    this.recordSeriesColors(config);
    const type = (config as { type: ChartType }).type;
    if (this.chart && (this.chart.config as { type: ChartType }).type === type) {
      this.chart.data = config.data;
      this.chart.options = (config.options ?? {}) as never;
      this.chart.update();
      return;
    }
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, config);
  }

  /**
   * The series' colours as plain strings on the canvas (`data-series-colors`), so that what a chart paints can
   * be checked against the page's real background (the contrast test reads it; the pixels alone mix with
   * anti-aliasing and grid lines).
   */
  private recordSeriesColors(config: ChartConfiguration<T>): void {
    const colors = new Set<string>();
    for (const d of config.data.datasets as { borderColor?: unknown; backgroundColor?: unknown; type?: string }[]) {
      for (const c of [d.borderColor, d.backgroundColor]) if (typeof c === 'string' && !c.startsWith('rgba')) colors.add(c);
    }
    this.canvas.dataset.seriesColors = JSON.stringify([...colors]);
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = null;
  }

  get instance(): Chart<T> | null {
    return this.chart;
  }
}

export { Chart };
