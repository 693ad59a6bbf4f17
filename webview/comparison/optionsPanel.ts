/**
 * Live options: every LossOptions key is editable (ε as a slider and a number field, the loss and the
 * reduction as dropdowns, the Dice switches as checkboxes, numbers as text fields, the class weights as
 * a comma list). A valid change is reported once, 250 ms after the last edit, so dragging the ε slider
 * or typing `0.15` asks the host for one recompute, not one per keystroke.
 */
import type { LossKind, LossOptions, Reduction } from '../../src/engine/types';
import { debounce } from '../common/debounce';
import { parseNumber, parseWeight } from './optionValues';
import { el, replaceChildren } from '../common/dom';
import { button, checkbox, dropdown, setDropdownValue, textField, type CheckControl, type ValueControl } from '../toolkit';

export const RECOMPUTE_DEBOUNCE_MS = 250;

type BoolKey = 'includeBackground' | 'toOnehotY' | 'sigmoid' | 'softmax' | 'squaredPred' | 'jaccard' | 'batch';
type NumKey = 'ignoreIndex' | 'smoothNr' | 'smoothDr' | 'lambdaDice' | 'lambdaCe';

const BOOLS: readonly { key: BoolKey; label: string; hint: string }[] = [
  { key: 'includeBackground', label: 'include_background', hint: 'Keep channel 0 in the Dice term' },
  { key: 'toOnehotY', label: 'to_onehot_y', hint: 'One-hot the (B, 1, …) index target for Dice' },
  { key: 'softmax', label: 'softmax', hint: 'Softmax the logits before Dice' },
  { key: 'sigmoid', label: 'sigmoid', hint: 'Sigmoid the logits before Dice' },
  { key: 'squaredPred', label: 'squared_pred', hint: 'Square the prediction and target in the denominator' },
  { key: 'jaccard', label: 'jaccard', hint: 'Jaccard (IoU) instead of Dice' },
  { key: 'batch', label: 'batch', hint: 'Sum over the batch before the Dice ratio' },
];

const NUMS: readonly { key: NumKey; label: string; integer?: boolean; hint: string }[] = [
  { key: 'ignoreIndex', label: 'ignore_index', integer: true, hint: 'Target value CE skips (plain CE only)' },
  { key: 'smoothNr', label: 'smooth_nr', hint: 'Added to the Dice numerator' },
  { key: 'smoothDr', label: 'smooth_dr', hint: 'Added to the Dice denominator' },
  { key: 'lambdaDice', label: 'lambda_dice', hint: 'Weight of the Dice term (DiceCE)' },
  { key: 'lambdaCe', label: 'lambda_ce', hint: 'Weight of the CE term (DiceCE)' },
];

export class OptionsPanel {
  readonly element = el('form', { class: 'options', testid: 'options-panel', attrs: { 'aria-label': 'Loss options', novalidate: true } });
  private readonly loss = dropdown(
    [
      { value: 'dicece', label: 'DiceCELoss' },
      { value: 'dice', label: 'DiceLoss' },
      { value: 'ce', label: 'F.cross_entropy' },
    ],
    'dicece',
    { testid: 'opt-loss', attrs: { 'aria-label': 'Loss' } },
  );
  private readonly epsRange = el('input', {
    class: 'range',
    testid: 'opt-labelSmoothing-range',
    attrs: { type: 'range', min: 0, max: 0.5, step: 0.005, value: 0, 'aria-label': 'Label smoothing ε (slider)' },
  });
  private readonly epsField = textField('0', { testid: 'opt-labelSmoothing', ariaLabel: 'Label smoothing ε', class: 'narrow-field' });
  private readonly weight = textField('', { testid: 'opt-weight', placeholder: 'none, e.g. 0.5, 1, 1, 2', ariaLabel: 'Class weights' });
  private readonly reduction = dropdown(
    [
      { value: 'mean', label: 'mean' },
      { value: 'sum', label: 'sum' },
    ],
    'mean',
    { testid: 'opt-reduction', attrs: { 'aria-label': 'Reduction' } },
  );
  private readonly bools = new Map<BoolKey, CheckControl>();
  private readonly nums = new Map<NumKey, ValueControl>();
  private readonly error = el('p', { class: 'options-error', testid: 'options-error', attrs: { role: 'alert' } });
  private readonly changed = debounce((o: LossOptions) => this.onChange(o), RECOMPUTE_DEBOUNCE_MS);
  /** Set while controls are updated from code: their change events are not the user's. */
  private quiet = false;
  private initial: LossOptions | null = null;
  /** The pair's layout options (class axis, shift): no control here; kept as the pair was opened. */
  private layout: Pick<LossOptions, 'classAxis' | 'shiftLabels'> = { classAxis: 1, shiftLabels: false };

  constructor(private readonly onChange: (options: LossOptions) => void) {
    for (const b of BOOLS) this.bools.set(b.key, checkbox(b.label, false, { testid: `opt-${b.key}`, title: b.hint }));
    for (const n of NUMS) this.nums.set(n.key, textField('', { testid: `opt-${n.key}`, ariaLabel: n.label, title: n.hint, class: 'narrow-field' }));

    const field = (label: string, hint: string, ...controls: HTMLElement[]) =>
      el('div', { class: 'field' }, el('span', { class: 'field-label', text: label, title: hint }), el('span', { class: 'field-control' }, ...controls));

    replaceChildren(
      this.element,
      el(
        'fieldset',
        {},
        el('legend', { text: 'Loss' }),
        field('loss', 'Which loss training uses', this.loss),
        el(
          'div',
          { class: 'field eps-field' },
          el('span', { class: 'field-label', text: 'label_smoothing ε', title: 'torch label_smoothing, 0 … 1' }),
          el('span', { class: 'field-control' }, this.epsRange, this.epsField),
        ),
        field('weight', 'Class weights (CE weight, Dice weight, BCE pos_weight when C = 1)', this.weight),
        field('reduction', 'mean or sum', this.reduction),
        field('ignore_index', 'Target value CE skips (plain CE only)', this.nums.get('ignoreIndex')!),
      ),
      el(
        'fieldset',
        {},
        el('legend', { text: 'Dice term' }),
        el('div', { class: 'checks' }, ...BOOLS.map((b) => this.bools.get(b.key)!)),
        field('smooth_nr', 'Added to the numerator', this.nums.get('smoothNr')!),
        field('smooth_dr', 'Added to the denominator', this.nums.get('smoothDr')!),
      ),
      el(
        'fieldset',
        {},
        el('legend', { text: 'DiceCE weights' }),
        field('lambda_dice', 'Weight of the Dice term', this.nums.get('lambdaDice')!),
        field('lambda_ce', 'Weight of the CE term', this.nums.get('lambdaCe')!),
      ),
      this.error,
      el(
        'div',
        { class: 'options-foot' },
        button('Reset', { testid: 'options-reset', title: 'Back to the options the panel opened with', onClick: () => this.reset() }),
        el('span', { class: 'muted', text: 'Changes recompute in the extension.' }),
      ),
    );

    this.element.addEventListener('submit', (e) => e.preventDefault());
    this.epsRange.addEventListener('input', () => {
      this.epsField.value = this.epsRange.value;
      this.edited();
    });
    this.epsField.addEventListener('input', () => {
      const n = parseNumber(this.epsField.value);
      if (n !== null && n >= 0 && n <= 1) this.epsRange.value = String(n);
      this.edited();
    });
    this.weight.addEventListener('input', () => this.edited());
    for (const c of [this.loss, this.reduction]) c.addEventListener('change', () => this.edited());
    for (const c of this.bools.values()) c.addEventListener('change', () => this.edited());
    for (const c of this.nums.values()) c.addEventListener('input', () => this.edited());
  }

  /** Shows `o` in the controls without reporting a change. The first call is what Reset returns to. */
  setOptions(o: LossOptions, isInitial = false): void {
    if (isInitial || !this.initial) this.initial = { ...o, weight: o.weight ? [...o.weight] : null };
    if (this.changed.pending) return; // the user is mid-edit: their values win
    this.layout = { classAxis: o.classAxis, shiftLabels: o.shiftLabels };
    this.quiet = true;
    try {
      setDropdownValue(this.loss, o.loss);
      setDropdownValue(this.reduction, o.reduction);
      this.epsField.value = String(o.labelSmoothing);
      this.epsRange.value = String(o.labelSmoothing);
      this.weight.value = o.weight ? o.weight.join(', ') : '';
      for (const [k, c] of this.bools) c.checked = o[k];
      for (const [k, c] of this.nums) c.value = String(o[k]);
      for (const c of this.element.querySelectorAll('.is-invalid')) c.classList.remove('is-invalid');
      this.showError(null);
      this.updateRelevance(o.loss);
    } finally {
      this.quiet = false;
    }
  }

  /** The host rejected a recompute: say why beside the controls. */
  showError(message: string | null): void {
    this.error.textContent = message ?? '';
    this.error.hidden = !message;
  }

  /** The options the controls describe, or the problems that keep them from being valid. */
  read(): { options: LossOptions } | { errors: string[] } {
    const errors: string[] = [];
    const mark = (c: HTMLElement, bad: boolean, msg: string) => {
      c.classList.toggle('is-invalid', bad);
      if (bad) errors.push(msg);
    };
    const eps = parseNumber(this.epsField.value);
    mark(this.epsField, eps === null || eps < 0 || eps > 1, 'label_smoothing: a number from 0 to 1');
    const weight = parseWeight(this.weight.value);
    mark(this.weight, typeof weight === 'string', typeof weight === 'string' ? weight : '');
    const nums = {} as Record<NumKey, number>;
    for (const n of NUMS) {
      const c = this.nums.get(n.key)!;
      const v = parseNumber(c.value, n.integer);
      mark(c, v === null, `${n.label}: ${n.integer ? 'an integer' : 'a number'}`);
      nums[n.key] = v ?? 0;
    }
    if (errors.length) return { errors };
    const bools = {} as Record<BoolKey, boolean>;
    for (const [k, c] of this.bools) bools[k] = c.checked;
    return {
      options: {
        loss: this.loss.value as LossKind,
        labelSmoothing: eps!,
        weight: weight as number[] | null,
        reduction: this.reduction.value as Reduction,
        ...bools,
        ...nums,
        ...this.layout,
      },
    };
  }

  private edited(): void {
    if (this.quiet) return;
    const r = this.read();
    if ('errors' in r) {
      this.changed.cancel();
      this.showError(r.errors.join('; '));
      return;
    }
    this.showError(null);
    this.updateRelevance(r.options.loss);
    this.changed(r.options);
  }

  private reset(): void {
    if (!this.initial) return;
    this.changed.cancel();
    this.setOptions(this.initial);
    this.onChange({ ...this.initial });
  }

  /** Dims the controls the chosen loss does not use (they stay editable). */
  private updateRelevance(loss: LossKind): void {
    const fieldOf = (c: HTMLElement) => c.closest('.field') ?? c;
    fieldOf(this.nums.get('ignoreIndex')!).classList.toggle('is-irrelevant', loss !== 'ce');
    for (const k of ['lambdaDice', 'lambdaCe'] as const) fieldOf(this.nums.get(k)!).classList.toggle('is-irrelevant', loss !== 'dicece');
    const diceUnused = loss === 'ce';
    for (const c of this.bools.values()) c.classList.toggle('is-irrelevant', diceUnused);
    for (const k of ['smoothNr', 'smoothDr'] as const) fieldOf(this.nums.get(k)!).classList.toggle('is-irrelevant', diceUnused);
  }
}
