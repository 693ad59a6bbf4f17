/**
 * The banner at the top of a comparison opened by *Inspect with these settings…* on a loss call: which
 * call, and every argument of it that the numbers do not include, with the reason — "not applied: weight
 * (`class_weights`, not a literal)". Not dismissible: it stays while it is true (an option the user sets
 * in the view answers its note, see the host's `caveatsAfterEdit`).
 */
import type { InspectCaveats, InspectNote } from '../../src/protocol/messages';
import { el, replaceChildren } from '../common/dom';

/** Whether the numbers shown are what the inspected call computes in training. */
export function isWhatTrainingSees(inspect: InspectCaveats | undefined): boolean {
  return !inspect || (inspect.notApplied.length === 0 && inspect.invalid.length === 0);
}

export function noteText(kind: 'not applied' | 'invalid', n: InspectNote): string {
  return `${kind}: ${n.param} (\`${n.text}\`, ${n.reason})`;
}

export class InspectBanner {
  readonly element = el('div', { class: 'inspect-banner-slot', testid: 'inspect-banner-slot' });

  render(inspect: InspectCaveats | undefined): void {
    if (!inspect) {
      replaceChildren(this.element);
      return;
    }
    const notes = [...inspect.invalid.map((n) => ({ kind: 'invalid' as const, n })), ...inspect.notApplied.map((n) => ({ kind: 'not applied' as const, n }))];
    const ok = notes.length === 0;
    replaceChildren(
      this.element,
      el(
        'div',
        { class: `notice ${ok ? 'notice-info' : 'notice-warning'} inspect-banner`, testid: 'inspect-banner', attrs: { role: 'status', 'data-level': ok ? 'info' : 'warning' } },
        el(
          'div',
          { class: 'notice-body' },
          el('span', {
            class: 'notice-text',
            testid: 'inspect-source',
            text: ok
              ? `Options of the loss call at ${inspect.label}: every argument applied.`
              : `Options of the loss call at ${inspect.label}. The numbers below are for the options shown, not what training sees:`,
          }),
          ok ? null : el('ul', { testid: 'inspect-notes' }, ...notes.map(({ kind, n }) => el('li', { testid: 'inspect-note', text: noteText(kind, n), attrs: { 'data-kind': kind, 'data-param': n.param } }))),
        ),
      ),
    );
  }
}
