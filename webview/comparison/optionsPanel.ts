/**
 * Live options, one control per entry of the option schema (src/engine/optionSchema.ts): ε as a slider and a
 * number field, choices as dropdowns, switches as checkboxes, numbers as text fields, the class weights as a
 * comma list, an optional number (focal α) as a text field where empty means none. The schema's group puts
 * each control in its fieldset; the controls the chosen loss does not use are dimmed. A valid change is
 * reported once: typed text 250 ms after the last keystroke (typing `0.15` asks for one recompute, not one per
 * key), a slider, checkbox or dropdown 40 ms after the last change (a drag pausing on a value recomputes at once;
 * the host cancels a recompute a newer one supersedes).
 */
import { OPTION_SCHEMA, optionApplies, type AnyOptionSpec, type OptionGroup } from '../../src/engine/optionSchema';
import type { LossKind, LossOptions } from '../../src/engine/types';
import { debounce } from '../common/debounce';
import { parseNumber, parseWeight } from './optionValues';
import { el, replaceChildren } from '../common/dom';
import { button, checkbox, dropdown, setDropdownValue, textField, type CheckControl, type ValueControl } from '../toolkit';

export const RECOMPUTE_DEBOUNCE_MS = 250;
/** The wait after a slider, checkbox or dropdown change (each is a whole value, not a keystroke). */
export const PICK_DEBOUNCE_MS = 40;

const SPECS = OPTION_SCHEMA as readonly AnyOptionSpec[];

const GROUPS: readonly { group: OptionGroup; legend: string }[] = [
  { group: 'loss', legend: 'Loss' },
  { group: 'overlap', legend: 'Overlap term (Dice, generalized Dice, Tversky)' },
  { group: 'focal', legend: 'Focal term' },
  { group: 'lambdas', legend: 'Weights of the terms' },
  { group: 'layout', legend: 'Layout (language models)' },
];

type Control =
  | { kind: 'check'; spec: AnyOptionSpec; c: CheckControl }
  | { kind: 'value'; spec: AnyOptionSpec; c: ValueControl }
  | { kind: 'slider'; spec: AnyOptionSpec; c: ValueControl; range: HTMLInputElement };

/** A number option with a few allowed values (the class axis) as dropdown entries. */
function allowedChoices(spec: AnyOptionSpec): { value: string; label: string }[] {
  const allowed = spec.type === 'number' || spec.type === 'integer' ? (spec.allowed ?? [spec.default]) : [];
  return allowed.map((v) => ({ value: String(v), label: String(v) }));
}

export class OptionsPanel {
  readonly element = el('form', { class: 'options', testid: 'options-panel', attrs: { 'aria-label': 'Loss options', novalidate: true } });
  private readonly controls = new Map<string, Control>();
  private readonly error = el('p', { class: 'options-error', testid: 'options-error', attrs: { role: 'alert' } });
  private readonly typedChange = debounce((o: LossOptions) => this.onChange(o), RECOMPUTE_DEBOUNCE_MS);
  private readonly pickedChange = debounce((o: LossOptions) => this.onChange(o), PICK_DEBOUNCE_MS);
  /** Either kind of change, pending or cancelled together (the later edit's options win). */
  private readonly changed = {
    pending: (): boolean => this.typedChange.pending || this.pickedChange.pending,
    cancel: (): void => {
      this.typedChange.cancel();
      this.pickedChange.cancel();
    },
  };
  /** Set while controls are updated from code: their change events are not the user's. */
  private quiet = false;
  private initial: LossOptions | null = null;

  constructor(private readonly onChange: (options: LossOptions) => void) {
    const field = (label: string, hint: string, ...controls: HTMLElement[]) =>
      el('div', { class: 'field' }, el('span', { class: 'field-label', text: label, title: hint }), el('span', { class: 'field-control' }, ...controls));

    const sets: HTMLElement[] = [];
    for (const g of GROUPS) {
      const checks: HTMLElement[] = [];
      const fields: HTMLElement[] = [];
      for (const spec of SPECS.filter((s) => s.group === g.group)) {
        const testid = `opt-${spec.key}`;
        if (spec.type === 'boolean') {
          const c = checkbox(spec.label, spec.default, { testid, title: spec.help });
          c.addEventListener('change', () => this.edited('picked'));
          this.controls.set(spec.key, { kind: 'check', spec, c });
          checks.push(c);
        } else if (spec.type === 'choice' || spec.control === 'dropdown') {
          const choices = spec.type === 'choice' ? spec.choices.map((x) => ({ value: x.value, label: x.label })) : allowedChoices(spec);
          const c = dropdown(
            choices,
            String(spec.default),
            { testid, attrs: { 'aria-label': spec.label } },
          );
          c.addEventListener('change', () => this.edited('picked'));
          this.controls.set(spec.key, { kind: 'value', spec, c });
          fields.push(field(spec.label, spec.help, c));
        } else if (spec.control === 'slider') {
          const range = el('input', {
            class: 'range',
            testid: `${testid}-range`,
            attrs: { type: 'range', min: 0, max: 0.5, step: 0.005, value: 0, 'aria-label': `${spec.label} (slider)` },
          }) as HTMLInputElement;
          const c = textField(String(spec.default), { testid, ariaLabel: spec.label, class: 'narrow-field' });
          range.addEventListener('input', () => {
            c.value = range.value;
            this.edited('picked');
          });
          c.addEventListener('input', () => {
            const n = parseNumber(c.value);
            if (n !== null && n >= 0 && n <= 1) range.value = String(n);
            this.edited('typed');
          });
          this.controls.set(spec.key, { kind: 'slider', spec, c, range });
          fields.push(el('div', { class: 'field eps-field' }, el('span', { class: 'field-label', text: spec.label, title: spec.help }), el('span', { class: 'field-control' }, range, c)));
        } else {
          const list = spec.type === 'weights';
          const c = textField('', {
            testid,
            ariaLabel: spec.label,
            title: spec.help,
            ...(list ? { placeholder: 'none, e.g. 0.5, 1, 1, 2' } : spec.type === 'optionalNumber' ? { placeholder: 'none', class: 'narrow-field' } : { class: 'narrow-field' }),
          });
          c.addEventListener('input', () => this.edited('typed'));
          this.controls.set(spec.key, { kind: 'value', spec, c });
          fields.push(field(spec.label, spec.help, c));
        }
      }
      const body = checks.length ? [el('div', { class: 'checks' }, ...checks), ...fields] : fields;
      sets.push(el('fieldset', { testid: `options-${g.group}` }, el('legend', { text: g.legend }), ...body));
    }

    replaceChildren(
      this.element,
      ...sets,
      this.error,
      el(
        'div',
        { class: 'options-foot' },
        button('Reset', { testid: 'options-reset', title: 'Back to the options the panel opened with', onClick: () => this.reset() }),
        el('span', { class: 'muted', text: 'Changes recompute in the extension.' }),
      ),
    );
    this.element.addEventListener('submit', (e) => e.preventDefault());
  }

  /** Shows `o` in the controls without reporting a change. The first call is what Reset returns to. */
  setOptions(o: LossOptions, isInitial = false): void {
    if (isInitial || !this.initial) this.initial = { ...o, weight: o.weight ? [...o.weight] : null };
    if (this.changed.pending()) return; // the user is mid-edit: their values win
    this.quiet = true;
    try {
      const values = o as unknown as Record<string, unknown>;
      for (const [key, ctl] of this.controls) {
        const v = values[key];
        if (ctl.kind === 'check') ctl.c.checked = v === true;
        else if (ctl.spec.type === 'choice' || ctl.spec.control === 'dropdown') setDropdownValue(ctl.c, String(v));
        else if (ctl.spec.type === 'weights') ctl.c.value = Array.isArray(v) ? v.join(', ') : '';
        else ctl.c.value = v === null || v === undefined ? '' : String(v);
        if (ctl.kind === 'slider') ctl.range.value = String(v);
      }
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
    const out: Record<string, unknown> = {};
    for (const [key, ctl] of this.controls) {
      const spec = ctl.spec;
      if (ctl.kind === 'check') {
        out[key] = ctl.c.checked;
        continue;
      }
      const text = ctl.c.value;
      if (spec.type === 'choice') out[key] = text;
      else if (spec.control === 'dropdown') out[key] = Number(text);
      else if (spec.type === 'weights') {
        const w = parseWeight(text);
        mark(ctl.c, typeof w === 'string', typeof w === 'string' ? w : '');
        out[key] = w;
      } else if (spec.type === 'optionalNumber') {
        const empty = text.trim() === '' || /^(none|null)$/i.test(text.trim());
        const n = empty ? null : parseNumber(text);
        mark(ctl.c, !empty && n === null, `${spec.label}: a number, or empty for none`);
        out[key] = n;
      } else {
        const integer = spec.type === 'integer';
        const n = parseNumber(text, integer);
        const min = spec.type === 'number' ? spec.minimum : undefined;
        const max = spec.type === 'number' ? spec.maximum : undefined;
        const bad = n === null || (min !== undefined && n < min) || (max !== undefined && n > max);
        const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` ≥ ${min}` : '';
        mark(ctl.c, bad, `${spec.label}: ${integer ? 'an integer' : 'a number'}${range}`);
        out[key] = n ?? 0;
      }
    }
    if (errors.length) return { errors };
    return { options: out as unknown as LossOptions };
  }

  private edited(how: 'typed' | 'picked'): void {
    if (this.quiet) return;
    const r = this.read();
    if ('errors' in r) {
      this.changed.cancel();
      this.showError(r.errors.join('; '));
      return;
    }
    this.showError(null);
    this.updateRelevance(r.options.loss);
    // one pending change at a time, with the latest options, at the pace of the latest edit
    (how === 'typed' ? this.pickedChange : this.typedChange).cancel();
    (how === 'typed' ? this.typedChange : this.pickedChange)(r.options);
  }

  private reset(): void {
    if (!this.initial) return;
    this.changed.cancel();
    this.setOptions(this.initial);
    this.onChange({ ...this.initial });
  }

  /** Dims the controls the chosen loss does not use (they stay editable), and the groups it has no term for. */
  private updateRelevance(loss: LossKind): void {
    const fieldOf = (c: HTMLElement) => (c.closest('.field') as HTMLElement | null) ?? c;
    for (const ctl of this.controls.values()) {
      const target = ctl.kind === 'check' ? ctl.c : fieldOf(ctl.c);
      target.classList.toggle('is-irrelevant', !optionApplies(ctl.spec, loss));
    }
  }
}
