/**
 * A language model's report (`report.sequence`: class axis last, maybe the causal shift): top-1 / top-5 token
 * accuracy, the mean CE by sequence position (hard and smoothed — the line to read where a model fails), the mean
 * CE by sequence, and what Hugging Face's `LabelSmoother` gives for the same tokens. Hidden for other reports.
 */
import type { ChartConfiguration } from 'chart.js';
import type { TokenLoss } from '../../src/engine/sequenceReport';
import type { ComparisonState } from '../../src/protocol/messages';
import { axisStyle } from '../common/charts';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatNumber, formatPercent } from '../common/format';
import type { Theme } from '../common/theme';
import { card, show } from './charts';
import { labelSmootherNote } from './labelSmoother';

/** Sequences listed with their numbers under the chart (more are only drawn). */
export const SEQUENCE_TABLE_MAX = 32;

export class SequenceView {
  readonly element = el('section', { class: 'card sequence', testid: 'sequence', attrs: { 'aria-labelledby': 'sequence-title' } });
  private readonly positions = card('chart-positions', 'CE by position', 'Mean CE of the kept tokens at each position, hard and smoothed');
  private readonly sequences = card('chart-sequences', 'CE by sequence', 'Mean CE of each sequence’s kept tokens');
  private readonly head = el('div', {});
  private readonly table = el('div', { class: 'table-scroll' });
  private readonly note = el('p', { class: 'hf-note muted', testid: 'hf-note' });

  constructor() {
    this.sequences.note.after(this.table);
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, el('h2', { text: 'By position and by sequence', attrs: { id: 'sequence-title' } })),
      this.head,
      el('div', { class: 'sequence-grid' }, this.positions.element, this.sequences.element),
      this.note,
    );
  }

  render(state: ComparisonState, theme: Theme): void {
    const r = state.report;
    const s = r.sequence;
    this.element.hidden = s === null;
    if (!s) {
      this.positions.view.destroy();
      this.sequences.view.destroy();
      return;
    }
    const stat = (label: string, value: number | null, testid: string, text: string) => {
      const v = el('span', { class: 'num strong', testid, text, title: value === null ? 'not applicable' : String(value) });
      setValue(v, value);
      return el('span', { class: 'stat-inline' }, `${label} `, v);
    };
    const kept = s.perPosition?.filter((p) => p.count > 0) ?? [];
    const worst = kept.reduce<TokenLoss | null>((w, p) => (w === null || (p.hard ?? -Infinity) > (w.hard ?? -Infinity) ? p : w), null);
    const worstEl = worst ? stat(`highest mean CE at position ${worst.index}:`, worst.hard, 'seq-worst-position', formatNumber(worst.hard)) : null;
    worstEl?.querySelector('[data-testid="seq-worst-position"]')?.setAttribute('data-position', String(worst!.index));
    replaceChildren(
      this.head,
      el('p', {
        class: 'muted',
        testid: 'seq-layout',
        text:
          `${formatCount(s.B)} sequence${s.B === 1 ? '' : 's'} × ${formatCount(s.T)} scored positions` +
          (s.shifted ? ' (causal shift: position t is scored against label t + 1)' : '') +
          `, vocabulary ${formatCount(r.numClasses)}, ${formatCount(r.kept)} kept tokens.`,
      }),
      el(
        'p',
        { class: 'sequence-stats' },
        stat('top-1 accuracy', s.top1, 'seq-top1', s.top1 === null ? '—' : formatPercent(s.top1, 2)),
        stat('top-5 accuracy', s.top5, 'seq-top5', s.top5 === null ? '—' : formatPercent(s.top5, 2)),
        worstEl,
      ),
    );
    const unavailable = 'No per-token values: they are kept for plain cross-entropy with class-index labels.';
    show(this.positions, s.perPosition ? positionConfig(theme, s.perPosition, r.config.labelSmoothing) : unavailable);
    if (s.perPosition) this.positions.note.textContent = `${kept.length} of ${s.perPosition.length} positions have kept tokens; positions without any are gaps.`;
    show(this.sequences, s.perSequence ? sequenceConfig(theme, s.perSequence, r.config.labelSmoothing) : unavailable);
    replaceChildren(this.table, s.perSequence && s.perSequence.length <= SEQUENCE_TABLE_MAX ? sequenceTable(s.perSequence) : null);
    if (s.perSequence && s.perSequence.length > SEQUENCE_TABLE_MAX) this.sequences.note.textContent = `${formatCount(s.perSequence.length)} sequences (loss-inspect report --json lists each).`;
    this.note.textContent = labelSmootherNote(r);
  }
}

function series(label: string, color: string, data: { x: number; y: number | null }[], dash?: number[]) {
  return { label, data: data as { x: number; y: number }[], borderColor: color, backgroundColor: color, borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 3, pointStyle: 'line' as const, spanGaps: false, ...(dash ? { borderDash: dash } : {}) };
}

function positionConfig(t: Theme, rows: readonly TokenLoss[], eps: number): ChartConfiguration<'line'> {
  return {
    type: 'line',
    data: {
      datasets: [
        series('CE hard (ε = 0)', t.hard, rows.map((p) => ({ x: p.index, y: p.hard }))),
        series(`CE smoothed (ε = ${eps})`, t.smoothed, rows.map((p) => ({ x: p.index, y: p.smoothed }))),
      ],
    },
    options: {
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true, pointStyleWidth: 22 } },
        tooltip: {
          callbacks: {
            title: (items) => `position ${items[0]?.parsed.x ?? ''} · ${rows[items[0]?.dataIndex ?? 0]?.count ?? 0} tokens`,
            label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}`,
          },
        },
      },
      scales: {
        x: { ...axisStyle(t, 'position'), type: 'linear', min: 0, max: Math.max(1, rows.length - 1) },
        y: { ...axisStyle(t, 'mean CE'), beginAtZero: true },
      },
    },
  };
}

function sequenceConfig(t: Theme, rows: readonly TokenLoss[], eps: number): ChartConfiguration<'bar'> {
  return {
    type: 'bar',
    data: {
      labels: rows.map((p) => String(p.index)),
      datasets: [
        { label: 'CE hard (ε = 0)', data: rows.map((p) => p.hard), backgroundColor: t.hard, borderColor: t.hard, categoryPercentage: 0.8, barPercentage: 0.9 },
        { label: `CE smoothed (ε = ${eps})`, data: rows.map((p) => p.smoothed), backgroundColor: t.smoothed, borderColor: t.smoothed, categoryPercentage: 0.8, barPercentage: 0.9 },
      ],
    },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { title: (items) => `sequence ${items[0]?.label ?? ''}`, label: (c) => `${c.dataset.label}: ${formatNumber(c.parsed.y)}` } },
      },
      scales: { x: { ...axisStyle(t, 'sequence'), grid: { display: false } }, y: { ...axisStyle(t, 'mean CE'), beginAtZero: true } },
    },
  };
}

/** Each sequence's kept tokens and mean CE, hard and smoothed (values in `data-value`). */
function sequenceTable(rows: readonly TokenLoss[]): HTMLElement {
  const num = (v: number | null, testid: string) => {
    const c = el('td', { class: 'num', testid, text: formatNumber(v), title: v === null ? 'no kept tokens' : String(v) });
    setValue(c, v);
    return c;
  };
  return el(
    'table',
    { class: 'compare-table', testid: 'seq-table' },
    el('thead', {}, el('tr', {}, ...['sequence', 'kept tokens', 'CE hard', 'CE smoothed'].map((h) => el('th', { attrs: { scope: 'col' }, text: h })))),
    el(
      'tbody',
      {},
      ...rows.map((p) =>
        el('tr', { testid: `seq-row-${p.index}` }, el('th', { attrs: { scope: 'row' }, text: String(p.index) }), num(p.count, `seq-count-${p.index}`), num(p.hard, `seq-hard-${p.index}`), num(p.smoothed, `seq-smoothed-${p.index}`)),
      ),
    ),
  );
}
