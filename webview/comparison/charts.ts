/**
 * The comparison's charts: per-class grouped bars (CE, the overlap term named after the family, focal; hard vs
 * smoothed), the ε sweep (CE and the overlap term against ε with the hard values and the label-smoothing floor), the
 * γ sweep of the focal families, the confusion matrix as a heat map
 * (chartjs-chart-matrix) and a reliability diagram with ECE. Colours come from the theme; `render` is
 * called again on new data and on a theme switch.
 */
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';
import type { ChartConfiguration, ChartType, Plugin } from 'chart.js';
import type { ComparisonState } from '../../src/protocol/messages';
import type { Calibration, ConfusionMatrix, EpsSweep, GammaSweep } from '../../src/engine/types';
import type { Confusion } from '../../src/engine/vocabulary';
import type { ClassNames } from '../../src/protocol/classPage';
import { lossTerms } from '../../src/engine/familyRules';
import { axisStyle, Chart, ChartView } from '../common/charts';
import { el, fitPixelCanvas, replaceChildren, setValue } from '../common/dom';
import { className, formatCount, formatNumber, formatPercent } from '../common/format';
import { toRgba, withAlpha, type Theme } from '../common/theme';

Chart.register(MatrixController, MatrixElement);

/** Options of the matrix cell-label plugin, under `options.plugins.matrixLabels`. */
interface MatrixLabelOptions {
  text?: (i: number) => string;
  color?: (i: number) => string;
}
declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- an augmentation must repeat chart.js's type parameter
  interface PluginOptionsByType<TType extends ChartType> {
    matrixLabels?: MatrixLabelOptions;
  }
}

/** Writes each matrix cell's label (row share) inside the cell when there is room. */
const matrixLabels: Plugin = {
  id: 'matrixLabels',
  afterDatasetsDraw(chart, _args, opts: MatrixLabelOptions) {
    if (!opts?.text) return;
    const meta = chart.getDatasetMeta(0);
    const ctx = chart.ctx;
    ctx.save();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `${Chart.defaults.font.size ?? 12}px ${Chart.defaults.font.family ?? 'sans-serif'}`;
    meta.data.forEach((element, i) => {
      const { x, y, width, height } = element.getProps(['x', 'y', 'width', 'height'], true) as { x: number; y: number; width: number; height: number };
      const text = opts.text!(i);
      if (!text || width < ctx.measureText(text).width + 4 || height < 14) return;
      ctx.fillStyle = opts.color?.(i) ?? '#000';
      ctx.fillText(text, x + width / 2, y + height / 2);
    });
    ctx.restore();
  },
};
Chart.register(matrixLabels);

/** Above this many classes the confusion matrix is drawn as an image (one pixel per cell), not as a chart. */
export const MATRIX_CHART_MAX = 40;

export interface Card {
  element: HTMLElement;
  body: HTMLElement;
  view: ChartView;
  canvas: HTMLCanvasElement;
  note: HTMLElement;
}

export function card(testid: string, title: string, description: string, wide = false): Card {
  const canvas = el('canvas', { testid: `${testid}-canvas`, attrs: { role: 'img', 'aria-label': title } });
  const body = el('div', { class: 'chart-box' }, canvas);
  const note = el('p', { class: 'chart-note muted', testid: `${testid}-note` });
  const element = el(
    'figure',
    { class: `card chart-card${wide ? ' wide' : ''}`, testid },
    el('figcaption', {}, el('h3', { text: title }), el('span', { class: 'muted', text: description })),
    body,
    note,
  );
  return { element, body, view: new ChartView(canvas), canvas, note };
}

/** Shows a chart, or a sentence saying why there is none. */
export function show(c: Card, config: ChartConfiguration | string): void {
  if (typeof config === 'string') {
    c.view.destroy();
    c.body.hidden = true;
    c.note.textContent = config;
    c.element.classList.add('is-empty');
    return;
  }
  c.body.hidden = false;
  c.element.classList.remove('is-empty');
  c.note.textContent = '';
  c.canvas.style.removeProperty('width');
  c.canvas.style.removeProperty('height');
  c.canvas.style.removeProperty('aspect-ratio');
  c.view.render(config);
}

export class ChartsView {
  readonly element = el('section', { class: 'charts', testid: 'charts', attrs: { 'aria-label': 'Charts' } });
  private readonly ceBars = card('chart-ce-bars', 'Cross-entropy per class', 'Mean CE of each class’s elements');
  private readonly diceBars = card('chart-dice-bars', 'Dice loss per class', 'Per-class Dice loss (batch-averaged)');
  private readonly sweepCe = card('chart-sweep-ce', 'CE as ε grows', 'Smoothed CE, hard CE and the floor');
  private readonly sweepDice = card('chart-sweep-dice', 'Dice loss as ε grows', 'Against the smoothed target');
  private readonly focalBars = card('chart-focal-bars', 'Focal loss per class', 'Mean focal loss of each class’s channel (unweighted)');
  private readonly sweepGamma = card('chart-sweep-gamma', 'Loss as γ grows', 'Focal term and total against the focal exponent γ, hard and smoothed');
  private readonly confusion = card('chart-confusion', 'Confusion matrix', 'Rows: target class · columns: argmax prediction');
  private readonly reliability = card('chart-reliability', 'Reliability', 'Accuracy vs confidence of the argmax');
  private readonly ece = el('span', { class: 'ece', testid: 'ece' });
  /** A vocabulary's most frequent confusions, in the confusion card instead of the matrix. */
  private readonly confusionList = el('ol', { class: 'confusion-list', testid: 'top-confusions', attrs: { 'aria-label': 'Most frequent confusions' } });

  constructor() {
    this.reliability.element.querySelector('figcaption')?.append(this.ece);
    this.confusion.note.after(this.confusionList);
    replaceChildren(
      this.element,
      this.ceBars.element,
      this.diceBars.element,
      this.focalBars.element,
      this.sweepCe.element,
      this.sweepDice.element,
      this.sweepGamma.element,
      this.confusion.element,
      this.reliability.element,
    );
  }

  render(state: ComparisonState, theme: Theme): void {
    const r = state.report;
    const eps = r.config.labelSmoothing;
    // With a vocabulary the state holds the table's selection of classes (classTable): the bars show those.
    const per = r.perClass;
    const names = (per ?? []).map((c) => className(c.class, state.classNames));
    const matrixNames = () => Array.from({ length: r.numClasses }, (_, c) => className(c, state.classNames));

    // The terms of the loss: CE charts for the losses with CE (and Dice, as before); the family's overlap term under
    // its own name; focal bars and the γ sweep for the focal families.
    const loss = r.config.loss;
    const original = loss === 'ce' || loss === 'dice' || loss === 'dicece';
    const terms = lossTerms(loss, r.numClasses);
    const overlap = terms.find((t) => t.key === 'dice');
    const focal = terms.some((t) => t.key === 'focal');
    const overlapName = overlap ? overlap.label : 'Dice';
    this.ceBars.element.hidden = !original;
    this.sweepCe.element.hidden = !original;
    this.diceBars.element.hidden = !original && !overlap;
    this.sweepDice.element.hidden = !original && !overlap;
    this.focalBars.element.hidden = !focal;
    this.sweepGamma.element.hidden = !focal;
    setTitle(this.diceBars, `${overlapName} loss per class`);
    setTitle(this.sweepDice, `${overlapName} loss as ε grows`);

    show(
      this.ceBars,
      per && per.some((c) => c.ceHard !== null)
        ? barConfig(theme, names, per.map((c) => c.ceHard), per.map((c) => c.ceSmoothed), eps, 'CE')
        : 'No per-class CE: the target holds soft probabilities or a single channel.',
    );
    show(
      this.diceBars,
      per && per.some((c) => c.diceHard !== null)
        ? barConfig(theme, names, per.map((c) => c.diceHard), per.map((c) => c.diceSmoothed), eps, `${overlapName} loss`)
        : r.config.loss === 'ce'
          ? 'No Dice numbers: the loss is plain cross-entropy.'
          : loss === 'gdice' || loss === 'gdicefocal'
            ? 'No per-class numbers: the generalized Dice weighs the classes inside one ratio per item.'
            : `No per-class ${overlapName} numbers for a single channel.`,
    );
    if (focal) {
      show(
        this.focalBars,
        per && per.some((c) => c.focalHard !== null)
          ? barConfig(theme, names, per.map((c) => c.focalHard), per.map((c) => c.focalSmoothed), eps, 'Focal loss')
          : 'No per-class focal numbers for a single channel.',
      );
    }
    const sweep = state.sweep;
    show(this.sweepCe, sweep && sweep.ceHard !== null ? sweepConfig(theme, sweep, eps, 'ce') : sweep ? 'No CE in this loss.' : 'No ε sweep for this pair (single channel).');
    show(this.sweepDice, sweep && sweep.diceHard !== null ? sweepConfig(theme, sweep, eps, 'dice', `${overlapName} loss`) : sweep ? `No ${overlapName} term in this loss.` : 'No ε sweep for this pair (single channel).');
    if (focal) {
      show(this.sweepGamma, sweep?.gamma ? gammaSweepConfig(theme, sweep.gamma, r.config.gamma, loss !== 'focal') : 'No γ sweep for this pair.');
      this.sweepGamma.note.textContent = sweep?.gamma
        ? `The ε sweep has no focal term: the smoothed target sits inside the focal factor, so it is not computed per ε; this chart gives it against γ at ε = ${eps}.`
        : this.sweepGamma.note.textContent;
    }
    const vocabulary = r.confusion === null && (r.topConfusions?.length ?? 0) > 0;
    setTitle(this.confusion, vocabulary ? 'Most frequent confusions' : 'Confusion matrix');
    setDescription(this.confusion, vocabulary ? 'Target → argmax prediction, by count (no C×C matrix at this many classes)' : 'Rows: target class · columns: argmax prediction');
    this.confusionList.hidden = !vocabulary;
    if (vocabulary) {
      show(this.confusion, `${r.numClasses} classes: no ${r.numClasses}×${r.numClasses} matrix; the ${r.topConfusions!.length} most frequent (target → predicted) pairs off the diagonal instead.`);
      this.confusion.element.classList.remove('is-empty');
      renderConfusionList(this.confusionList, r.topConfusions!, state.classNames);
    } else if (r.confusion && r.confusion.total > 0 && r.numClasses > MATRIX_CHART_MAX) {
      drawConfusionImage(this.confusion, r.confusion, theme);
    } else {
      this.confusion.canvas.classList.remove('pixel-matrix');
      show(this.confusion, r.confusion && r.confusion.total > 0 ? confusionConfig(theme, matrixNames(), r.confusion) : 'No confusion matrix: the target has no hard classes.');
    }
    if (state.classTable && per) {
      const note = `The ${per.length} classes of the table (top by count and by contribution of ${state.classTable.total}).`;
      for (const c of [this.ceBars, this.diceBars, this.focalBars]) if (!c.body.hidden) c.note.textContent = note;
    }
    if (r.calibration && r.calibration.bins.some((b) => b.count > 0)) {
      show(this.reliability, reliabilityConfig(theme, r.calibration));
      this.ece.textContent = `ECE ${formatNumber(r.calibration.ece)} · accuracy ${formatPercent(r.calibration.accuracy)} · mean confidence ${formatPercent(r.calibration.confidence)}`;
      setValue(this.ece, r.calibration.ece);
    } else {
      show(this.reliability, 'No calibration: the target has no hard classes.');
      this.ece.textContent = '';
      setValue(this.ece, null);
    }
  }
}

/**
 * Many classes: the matrix as an image, one pixel per (target, prediction) cell, shaded by the cell's share
 * of its row (square root, as in the chart), so the diagonal and the systematic confusions still show.
 */
function drawConfusionImage(c: Card, m: ConfusionMatrix, t: Theme): void {
  c.view.destroy();
  c.body.hidden = false;
  c.element.classList.remove('is-empty');
  const C = m.matrix.length;
  const canvas = c.canvas;
  canvas.classList.add('pixel-matrix');
  canvas.width = C;
  canvas.height = C;
  fitPixelCanvas(canvas, C, C, 290);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(C, C);
  const [br, bg, bb] = t.backgroundRgb;
  const [hr, hg, hb] = toRgba(t.hard);
  for (let ti = 0; ti < C; ti++) {
    const row = m.matrix[ti] ?? [];
    const sum = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < C; p++) {
      const a = sum > 0 ? 0.06 + 0.94 * Math.sqrt((row[p] ?? 0) / sum) : 0;
      const o = (ti * C + p) * 4;
      img.data[o] = hr * a + br * (1 - a);
      img.data[o + 1] = hg * a + bg * (1 - a);
      img.data[o + 2] = hb * a + bb * (1 - a);
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  c.note.textContent = `${C} classes: one pixel per cell (row = target, column = prediction, shade = share of the row).`;
}

function barConfig(t: Theme, names: string[], hard: (number | null)[], smoothed: (number | null)[], eps: number, what: string): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: names,
      datasets: [
        { label: `${what} hard (ε = 0)`, data: hard, backgroundColor: t.hard, borderColor: t.hard, borderRadius: 2, categoryPercentage: 0.7, barPercentage: 0.9 },
        { label: `${what} smoothed (ε = ${eps})`, data: smoothed, backgroundColor: t.smoothed, borderColor: t.smoothed, borderRadius: 2, categoryPercentage: 0.7, barPercentage: 0.9 },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}` } },
      },
      scales: { x: { ...axisStyle(t), grid: { display: false } }, y: { ...axisStyle(t), beginAtZero: true } },
    },
  };
}

/** A card's title (the overlap term is named after the family). */
function setTitle(c: Card, title: string): void {
  const h = c.element.querySelector('h3');
  if (h) h.textContent = title;
  c.canvas.setAttribute('aria-label', title);
}

/**
 * The loss against γ (from the same pass as the report): the focal term, hard and smoothed, and for the compound
 * losses the total (the overlap term does not depend on γ); the configured γ is marked.
 */
function gammaSweepConfig(t: Theme, g: GammaSweep, gamma: number, compound: boolean): ChartConfiguration<'line'> {
  const line = (label: string, ys: (number | null)[], color: string, dash?: number[]) => ({
    label,
    data: g.gamma.map((x, i) => ({ x, y: ys[i] ?? null })) as { x: number; y: number }[],
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    ...(dash ? { borderDash: dash } : {}),
    pointRadius: 0,
    pointHoverRadius: 4,
    pointStyle: 'line' as const,
  });
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
    line('Focal hard', g.focalHard, t.hard),
    line('Focal smoothed', g.focalSmoothed, t.smoothed),
  ];
  if (compound) datasets.push(line('Total hard', g.totalHard, t.hard, [6, 4]), line('Total smoothed', g.totalSmoothed, t.smoothed, [6, 4]));
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true, pointStyleWidth: 22 } },
        marker: { value: gamma, color: t.muted, label: `γ = ${gamma}` },
        tooltip: {
          callbacks: {
            title: (items) => `γ = ${formatNumber(items[0]?.parsed.x ?? 0, 3)}`,
            label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}`,
          },
        },
      },
      scales: {
        x: { ...axisStyle(t, 'focal exponent γ'), type: 'linear', min: g.gamma[0] ?? 0, max: g.gamma[g.gamma.length - 1] ?? 5 },
        y: { ...axisStyle(t, 'loss'), beginAtZero: true },
      },
    },
  };
}

function sweepConfig(t: Theme, s: EpsSweep, eps: number, term: 'ce' | 'dice', label?: string): ChartConfiguration<'line'> {
  const lo = s.eps[0] ?? 0;
  const hi = s.eps[s.eps.length - 1] ?? 1;
  const values = term === 'ce' ? s.ce : s.dice;
  const hard = term === 'ce' ? s.ceHard : s.diceHard;
  const name = label ?? (term === 'ce' ? 'CE' : 'Dice loss');
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [
    {
      label: `${name} smoothed`,
      data: s.eps.map((x, i) => ({ x, y: values[i] ?? null })) as { x: number; y: number }[],
      pointStyle: 'line',
      borderColor: t.smoothed,
      backgroundColor: t.smoothed,
      borderWidth: 2,
      pointRadius: 0,
      pointHoverRadius: 4,
      spanGaps: false,
    },
    {
      label: `${name} hard`,
      data: [{ x: lo, y: hard as number }, { x: hi, y: hard as number }],
      borderColor: t.hard,
      backgroundColor: t.hard,
      borderWidth: 2,
      borderDash: [6, 4],
      pointRadius: 0,
      pointStyle: 'line',
    },
  ];
  if (term === 'ce') {
    datasets.push({
      label: 'Floor (perfect model)',
      data: s.eps.map((x, i) => ({ x, y: s.floor[i] ?? 0 })),
      borderColor: t.reference,
      backgroundColor: t.reference,
      borderWidth: 1.5,
      borderDash: [2, 3],
      pointRadius: 0,
      pointStyle: 'line',
    });
  }
  return {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true, pointStyleWidth: 22 } },
        marker: { value: eps, color: t.muted, label: `ε = ${eps}` },
        tooltip: {
          callbacks: {
            title: (items) => `ε = ${formatNumber(items[0]?.parsed.x ?? 0, 3)}`,
            label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}`,
          },
        },
      },
      scales: {
        x: { ...axisStyle(t, 'label smoothing ε'), type: 'linear', min: lo, max: hi },
        y: { ...axisStyle(t, name), beginAtZero: term === 'ce' },
      },
    },
  };
}

function confusionConfig(t: Theme, names: string[], m: ConfusionMatrix): ChartConfiguration<'matrix'> {
  const C = names.length;
  const cells: { x: string; y: string; v: number; share: number }[] = [];
  for (let ti = 0; ti < C; ti++) {
    const row = m.matrix[ti] ?? [];
    const rowSum = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < C; p++) {
      const v = row[p] ?? 0;
      cells.push({ x: names[p]!, y: names[ti]!, v, share: rowSum > 0 ? v / rowSum : 0 });
    }
  }
  const light = t.kind.includes('light');
  return {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: 'Confusion',
          data: cells,
          backgroundColor: (ctx) => {
            const cell = cells[ctx.dataIndex];
            return withAlpha(t.hard, cell ? 0.06 + 0.94 * Math.sqrt(cell.share) : 0);
          },
          borderColor: t.grid,
          borderWidth: 1,
          width: ({ chart }) => (chart.chartArea ? chart.chartArea.width / C - 1 : 0),
          height: ({ chart }) => (chart.chartArea ? chart.chartArea.height / C - 1 : 0),
        },
      ],
    },
    options: {
      plugins: {
        legend: { display: false },
        matrixLabels: {
          text: (i) => (cells[i] ? formatPercent(cells[i]!.share, cells[i]!.share >= 0.995 || cells[i]!.share === 0 ? 0 : 1) : ''),
          color: (i) => ((cells[i]?.share ?? 0) > 0.45 ? (light ? '#ffffff' : '#ffffff') : t.foreground),
        },
        tooltip: {
          callbacks: {
            title: () => '',
            label: (c) => {
              const cell = cells[c.dataIndex];
              return cell ? `target ${cell.y} → predicted ${cell.x}: ${cell.v} (${formatPercent(cell.share)} of the row)` : '';
            },
          },
        },
      },
      scales: {
        x: { ...axisStyle(t, 'predicted (argmax)'), type: 'category', labels: names, offset: true, grid: { display: false } },
        // Class 0 on top, as confusion matrices are usually read (the matrix plugin's default reverses y).
        y: { ...axisStyle(t, 'target'), type: 'category', labels: names, offset: true, reverse: false, grid: { display: false } },
      },
    },
  };
}

function reliabilityConfig(t: Theme, cal: Calibration): ChartConfiguration<'bar' | 'line'> {
  const labels = cal.bins.map((b) => ((b.lo + b.hi) / 2).toFixed(2));
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          type: 'bar',
          label: 'Accuracy',
          data: cal.bins.map((b) => b.accuracy),
          backgroundColor: withAlpha(t.accent, 0.75),
          borderColor: t.accent,
          borderWidth: 1,
          categoryPercentage: 1,
          barPercentage: 0.92,
          pointStyle: 'rect',
          order: 2,
        },
        {
          type: 'line',
          label: 'Mean confidence',
          data: cal.bins.map((b) => b.confidence),
          borderColor: t.foreground,
          backgroundColor: t.foreground,
          pointRadius: 3,
          pointStyle: 'circle',
          showLine: false,
          order: 1,
        },
        {
          type: 'line',
          label: 'Perfect calibration',
          data: cal.bins.map((b) => (b.lo + b.hi) / 2),
          borderColor: t.reference,
          borderDash: [4, 3],
          borderWidth: 1.5,
          pointRadius: 0,
          pointStyle: 'line',
          order: 0,
        },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: (items) => {
              const b = cal.bins[items[0]?.dataIndex ?? 0];
              return b ? `confidence ${b.lo.toFixed(2)}–${b.hi.toFixed(2)} · ${b.count} elements` : '';
            },
            label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y, 3)}`,
          },
        },
      },
      scales: {
        x: { ...axisStyle(t, 'confidence (max softmax)'), grid: { display: false }, ticks: { color: t.muted, maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
        y: { ...axisStyle(t, 'accuracy'), min: 0, max: 1 },
      },
    },
  };
}

/** One line per (target → predicted) pair, most frequent first, with its count in `data-value`. */
function renderConfusionList(list: HTMLElement, top: readonly Confusion[], classNames: ClassNames | null): void {
  const most = Math.max(1, ...top.map((c) => c.count));
  replaceChildren(
    list,
    ...top.map((c, i) => {
      const count = el('span', { class: 'num confusion-count', testid: `confusion-count-${i}`, text: `×${formatCount(c.count)}` });
      setValue(count, c.count);
      const bar = el('span', { class: 'confusion-bar', attrs: { 'aria-hidden': 'true' } });
      bar.style.width = `${((c.count / most) * 100).toFixed(1)}%`;
      return el(
        'li',
        { class: 'confusion-item', testid: `confusion-${i}`, attrs: { 'data-target': c.target, 'data-predicted': c.predicted } },
        el('span', { class: 'confusion-pair', text: `${className(c.target, classNames)} → ${className(c.predicted, classNames)}` }),
        el('span', { class: 'confusion-track' }, bar),
        count,
      );
    }),
  );
}

/** A card's description line. */
function setDescription(c: Card, text: string): void {
  const d = c.element.querySelector('figcaption > .muted');
  if (d) d.textContent = text;
}
