/**
 * The multi-label note: shown when the report says the target's channels overlap (`report.multiLabel`). It says in
 * words what the configured loss computes on such a target (the engine's notes) and puts the per-channel
 * alternative, `F.binary_cross_entropy_with_logits`, beside the CE term MONAI/torch compute, hard and smoothed.
 * Every number carries its full-precision value in `data-value`.
 */
import type { Report } from '../../src/engine/types';
import { el, replaceChildren, setValue } from '../common/dom';
import { formatCount, formatNumber } from '../common/format';

function num(value: number | null, testid: string): HTMLElement {
  const s = el('span', { class: 'num' + (value === null ? ' is-null' : ''), testid, text: formatNumber(value), title: value === null ? 'not applicable' : String(value) });
  setValue(s, value);
  return s;
}

export class MultiLabelNote {
  readonly element = el('section', { class: 'card multi-label', testid: 'multi-label-note', attrs: { 'aria-labelledby': 'multi-label-title' } });

  render(r: Report): void {
    const m = r.multiLabel;
    this.element.hidden = m === null;
    if (!m) {
      replaceChildren(this.element);
      return;
    }
    const eps = r.config.labelSmoothing;
    const hasCe = r.config.loss === 'ce' || r.config.loss === 'dicece';
    const pct = (100 * m.overlapping) / m.elements;
    const row = (label: string, hint: string, hard: number | null, smoothed: number | null, testid: string) =>
      el(
        'tr',
        { testid },
        el('th', { attrs: { scope: 'row' } }, el('span', { text: label }), el('span', { class: 'row-hint muted', text: hint })),
        el('td', {}, num(hard, `${testid}-hard`)),
        el('td', {}, num(smoothed, `${testid}-smoothed`)),
      );
    const table = el(
      'table',
      { class: 'compare-table', testid: 'multi-label-table' },
      el('caption', { class: 'visually-hidden', text: 'The CE term as computed versus BCE-with-logits per channel' }),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { attrs: { scope: 'col' } }),
          el('th', { attrs: { scope: 'col' }, text: 'Hard (ε = 0)' }),
          el('th', { attrs: { scope: 'col' }, text: `Smoothed (ε = ${eps})` }),
        ),
      ),
      el(
        'tbody',
        {},
        hasCe ? row('CE term, as computed', 'softmax CE, target read as probabilities', r.hard.ce, r.smoothed?.ce ?? null, 'multi-label-ce') : null,
        row('BCE-with-logits', `sigmoid per channel, ${m.bce.reduction}${hasCe ? '' : ' (for reference)'}`, m.bce.hard, m.bce.smoothed, 'multi-label-bce'),
      ),
    );
    replaceChildren(
      this.element,
      el('div', { class: 'card-head' }, el('h2', { text: 'Multi-label target', attrs: { id: 'multi-label-title' } })),
      el('p', {
        testid: 'multi-label-overlap',
        text:
          `The target’s channels overlap: they sum above 1 on ${formatCount(m.overlapping)} of ${formatCount(m.elements)} voxels ` +
          `(${pct < 0.1 ? pct.toPrecision(2) : pct.toFixed(1)}%, up to ${m.maxChannelSum} regions on one voxel). Each region is its own yes/no, not one class of C.`,
      }),
      ...m.notes.map((n) => el('p', { class: 'multi-label-text', testid: 'multi-label-explain', text: n })),
      el('div', { class: 'compare-wrap' }, table),
    );
  }
}
