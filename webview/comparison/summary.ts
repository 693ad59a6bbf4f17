/**
 * The summary: what training sees (total, Dice term, CE term at the configured ε), hard vs smoothed side
 * by side with deltas, the label-smoothing floor, and the engine's warnings. Every number carries its
 * full-precision value in `data-value`.
 */
import { lossLabel } from '../../src/engine/optionSchema';
import { lossTerms, type LossTerm } from '../../src/engine/familyRules';
import type { ComparisonState } from '../../src/protocol/messages';
import type { LossTriple, Report } from '../../src/engine/types';
import { el, replaceChildren, setValue } from '../common/dom';
import { isWhatTrainingSees } from './inspectBanner';
import { difference, formatCount, formatDelta, formatNumber, formatShape } from '../common/format';


function num(value: number | null, testid: string, cls = 'num', delta = false): HTMLElement {
  const s = el('span', {
    class: cls + (value === null ? ' is-null' : '') + (delta && value !== null && value !== 0 ? (value > 0 ? ' is-up' : ' is-down') : ''),
    testid,
    text: delta ? formatDelta(value) : formatNumber(value),
    title: value === null ? 'not applicable' : String(value),
  });
  setValue(s, value);
  return s;
}

/** The CE term's name: MONAI's DiceCELoss uses BCE when C == 1. */
function ceName(r: Report): string {
  return r.numClasses === 1 && r.config.loss === 'dicece' ? 'BCE' : 'CE';
}

function describeConfig(r: Report): string {
  const c = r.config;
  const parts = [lossLabel(c.loss), `ε = ${c.labelSmoothing}`, `reduction ${c.reduction}`];
  if (c.loss === 'dicece') parts.push(`λ dice ${c.lambdaDice}, λ ce ${c.lambdaCe}`);
  if (c.loss === 'dicefocal' || c.loss === 'gdicefocal') parts.push(`λ ${c.loss === 'dicefocal' ? 'dice' : 'gdl'} ${c.lambdaDice}, λ focal ${c.lambdaFocal}`);
  if (c.loss === 'focal' || c.loss === 'dicefocal' || c.loss === 'gdicefocal') parts.push(`γ ${c.gamma}${c.alpha !== null && c.loss !== 'gdicefocal' ? `, α ${c.alpha}` : ''}`);
  if (c.loss === 'focal' && c.useSoftmax) parts.push('softmax focal');
  if (c.loss === 'tversky') parts.push(`α ${c.tverskyAlpha}, β ${c.tverskyBeta}`);
  if (c.loss === 'gdice' || c.loss === 'gdicefocal') parts.push(`w_type ${c.wType}`);
  if (c.weight) parts.push('class weights');
  return parts.join(' · ');
}

/**
 * The terms the summary shows: every term of the family (lossTerms), named after it; the original losses keep their
 * Dice and CE rows even where a term is not part of the loss (shown as such).
 */
function shownTerms(r: Report): LossTerm[] {
  const loss = r.config.loss;
  if (loss === 'ce' || loss === 'dice' || loss === 'dicece') return [{ key: 'dice', label: 'Dice' }, { key: 'ce', label: ceName(r) }];
  return lossTerms(loss, r.numClasses);
}

/** What the total is made of, for the Total's hint. */
function totalHint(r: Report): string {
  const c = r.config;
  if (c.loss === 'dicece') return `λ·Dice + λ·${ceName(r)}`;
  if (c.loss === 'dicefocal') return 'λ·Dice + λ·Focal';
  if (c.loss === 'gdicefocal') return 'λ·GeneralizedDice + λ·Focal';
  return 'what backward() sees';
}

/** The hint under a term's number. */
function termHint(r: Report, t: LossTerm): string {
  const c = r.config;
  if (r.loss[t.key] === null) return 'not part of this loss';
  if (t.key === 'ce') return t.label === 'BCE' ? 'ε is not used' : `at ε = ${c.labelSmoothing}`;
  if (t.key === 'focal') {
    const sigmoid = c.loss !== 'focal' || !c.useSoftmax;
    return `${sigmoid ? 'sigmoid' : 'softmax'} focal, γ = ${c.gamma}${c.loss !== 'focal' && c.softmax ? ' (softmax reaches the Dice term only)' : ''}`;
  }
  return c.loss === 'dice' || c.loss === 'dicece' || c.loss === 'dicefocal' ? 'DiceLoss' : lossLabel(c.loss === 'gdicefocal' ? 'gdice' : c.loss);
}

export class SummaryView {
  readonly element = el('section', { class: 'card summary', testid: 'summary', attrs: { 'aria-labelledby': 'summary-title' } });

  render(state: ComparisonState): void {
    const r = state.report;

    const stat = (label: string, value: number | null, testid: string, hint: string, primary = false) =>
      el(
        'div',
        { class: `stat${primary ? ' stat-primary' : ''}` },
        el('div', { class: 'stat-label', text: label }),
        num(value, testid, 'stat-value num'),
        el('div', { class: 'stat-hint', text: hint }),
      );

    const training = el(
      'div',
      { class: 'stats' },
      stat('Total', r.loss.total, 'summary-total', totalHint(r), true),
      ...shownTerms(r).map((t) => stat(`${t.label} term`, r.loss[t.key], `summary-${t.key}`, termHint(r, t))),
    );

    replaceChildren(
      this.element,
      el(
        'div',
        { class: 'card-head' },
        el('h2', {
          testid: 'summary-title',
          text: isWhatTrainingSees(state.inspect) ? 'What training sees' : 'For the options shown — not what training sees',
          attrs: { id: 'summary-title' },
        }),
        el('span', { class: 'muted', testid: 'summary-config', text: describeConfig(r) }),
      ),
      training,
      this.comparisonTable(r),
      this.floorLine(r),
      this.metaLine(state),
      this.warnings(r),
    );
  }

  private comparisonTable(r: Report): HTMLElement {
    const eps = r.config.labelSmoothing;
    const smoothed: LossTriple = r.smoothed ?? { total: null, dice: null, ce: null, focal: null };
    const row = (label: string, key: keyof LossTriple) => {
      const h = r.hard[key];
      const s = smoothed[key];
      const d = difference(s, h);
      return el(
        'tr',
        {},
        el('th', { attrs: { scope: 'row' }, text: label }),
        el('td', {}, num(h, `hard-${key}`)),
        el('td', {}, num(s, `smoothed-${key}`)),
        el('td', {}, num(d, `delta-${key}`, 'num delta', true)),
      );
    };
    const table = el(
      'table',
      { class: 'compare-table', testid: 'hard-vs-smoothed' },
      el('caption', { class: 'visually-hidden', text: 'Hard versus label-smoothed losses' }),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { attrs: { scope: 'col' } }),
          el('th', { attrs: { scope: 'col' } }, el('span', { class: 'swatch swatch-hard' }), 'Hard (ε = 0)'),
          el('th', { attrs: { scope: 'col' } }, el('span', { class: 'swatch swatch-smoothed' }), `Smoothed (ε = ${eps})`),
          el('th', { attrs: { scope: 'col' }, text: 'Δ' }),
        ),
      ),
      el('tbody', {}, row('Total', 'total'), ...shownTerms(r).map((t) => row(t.label, t.key))),
    );
    return el('div', { class: 'compare-wrap' }, table);
  }

  private floorLine(r: Report): HTMLElement | null {
    // the floor is the least value of a CE term: nothing to show for a loss without one
    if (r.config.loss !== 'ce' && r.config.loss !== 'dice' && r.config.loss !== 'dicece') return null;
    if (r.floor === null) {
      return el('p', { class: 'floor muted', testid: 'summary-floor-line', text: 'No label-smoothing floor: one channel (binary), where MONAI ignores ε.' });
    }
    const above = r.loss.ce === null ? null : r.loss.ce - r.floor;
    return el(
      'p',
      { class: 'floor', testid: 'summary-floor-line' },
      el('span', { class: 'swatch swatch-floor' }),
      'Label-smoothing floor ',
      num(r.floor, 'summary-floor', 'num strong'),
      el('span', { class: 'muted', text: ` — the least this CE term reaches for this target, whatever the prediction, at ε = ${r.config.labelSmoothing}.` }),
      above === null ? null : el('span', { class: 'muted', text: ' CE above the floor:' }),
      above === null ? null : num(above, 'summary-above-floor'),
      r.floorCase ? el('span', { class: 'muted', testid: 'summary-floor-case', text: ` Case: ${r.floorCase.text}.` }) : null,
    );
  }

  private metaLine(state: ComparisonState): HTMLElement {
    const r = state.report;
    const chip = (label: string, value: string, testid?: string) =>
      el('span', { class: 'chip', testid }, el('span', { class: 'chip-label', text: label }), value);
    return el(
      'div',
      { class: 'chips', testid: 'summary-meta' },
      chip('classes', String(r.numClasses), 'meta-classes'),
      chip('logits', formatShape(r.logitsShape)),
      chip('target', `${formatShape(r.targetShape)} ${r.targetKind}`),
      chip('elements', r.kept === r.elements ? formatCount(r.elements) : `${formatCount(r.kept)} of ${formatCount(r.elements)} kept`),
    );
  }

  private warnings(r: Report): HTMLElement {
    if (r.warnings.length === 0) {
      return el('p', { class: 'ok-line', testid: 'warnings-none', text: 'No warnings: finite inputs, every class present.' });
    }
    return el(
      'ul',
      { class: 'warnings', testid: 'warnings', attrs: { 'aria-label': 'Warnings' } },
      ...r.warnings.map((w) =>
        el('li', { class: 'warning', testid: 'warning', attrs: { 'data-code': w.code } }, el('span', { class: 'warning-icon', text: '⚠', attrs: { 'aria-hidden': 'true' } }), w.message),
      ),
    );
  }
}
