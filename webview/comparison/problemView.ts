/**
 * Why the comparison shows no (current) numbers, in place: the problem in the user's words (Python parameter
 * names), the buttons that fix it in this panel (`Set ignore_index = 255`, `Set to_onehot_y = True`), *Open as
 * Text* for a file that is not a tensor file, and *Show details*: the chain of causes in words. Hidden while the
 * numbers are current; the next result clears it.
 */
import type { ComparisonProblem, ProblemFix } from '../../src/protocol/messages';
import { el, replaceChildren } from '../common/dom';
import { button } from '../toolkit';

export interface ProblemActions {
  fix(fix: ProblemFix): void;
  openAsText(uri: string): void;
}

export class ProblemView {
  readonly element = el('section', { class: 'card problem', testid: 'problem', attrs: { role: 'alert', 'aria-live': 'assertive' } });

  constructor(private readonly actions: ProblemActions) {
    this.element.hidden = true;
  }

  get shown(): boolean {
    return !this.element.hidden;
  }

  /** Shows `problem`; `stale` says numbers below belong to earlier options (the user is mid-edit). */
  render(problem: ComparisonProblem, stale: boolean): void {
    const fixes = problem.fixes.map((f, i) =>
      el(
        'div',
        { class: 'problem-fix' },
        button(f.label, { testid: `problem-fix-${i}`, appearance: i === 0 ? 'primary' : 'secondary', title: f.detail, onClick: () => this.actions.fix(f) }),
        el('span', { class: 'problem-fix-detail', testid: `problem-fix-detail-${i}`, text: f.detail }),
      ),
    );
    const asText = problem.notATensorFile;
    const causes = problem.causes.length
      ? el(
          'details',
          { class: 'problem-details', testid: 'problem-details' },
          el('summary', { text: 'Show details' }),
          el('ol', { class: 'problem-causes' }, ...problem.causes.map((c) => el('li', { text: c, testid: 'problem-cause' }))),
        )
      : null;
    replaceChildren(
      this.element,
      el('h2', { text: stale ? 'These options cannot be computed' : 'This comparison cannot be computed yet' }),
      el('p', { class: 'problem-message', testid: 'problem-message', text: problem.message }),
      problem.option ? el('p', { class: 'muted', testid: 'problem-option', text: `Option: ${problem.option}` }) : null,
      fixes.length ? el('div', { class: 'problem-fixes', testid: 'problem-fixes' }, ...fixes) : null,
      asText ? el('div', { class: 'problem-fixes' }, button('Open as Text', { testid: 'open-as-text', onClick: () => this.actions.openAsText(asText) })) : null,
      el('p', {
        class: 'muted',
        text: stale
          ? 'The numbers below are for the previous options. Change the options, or use a button above; the next result replaces this note.'
          : 'The options are editable: change them, or use a button above, and the comparison is computed again.',
      }),
      causes,
    );
    this.element.hidden = false;
  }

  clear(): void {
    this.element.hidden = true;
    replaceChildren(this.element);
  }
}
