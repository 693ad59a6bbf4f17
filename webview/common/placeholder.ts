/**
 * What a view shows before its first state: the host's notices above a waiting line ("Reading the
 * file…"). When the host reports an error instead of a state (a file that cannot be read, a refused
 * pickle), the waiting line is replaced by that error, so the view does not wait forever. The host
 * re-sends such an error when the view says `ready`, so showing it again replaces the previous one
 * rather than adding a second copy.
 */
import type { EngineWarning } from '../../src/engine/types';
import { el, replaceChildren } from './dom';
import type { Notices } from './notices';
import { button } from '../toolkit';

/** A button under an error (e.g. *Open as Text* for a file that is not a tensor file). */
export interface NoticeAction {
  label: string;
  testid: string;
  run(): void;
}

export class Placeholder {
  private readonly line: HTMLElement;

  /** Fills `root` with the notices element and the waiting line `waitingText`. */
  constructor(
    root: HTMLElement,
    waitingText: string,
    private readonly notices: Notices,
  ) {
    this.line = el('div', { class: 'placeholder' }, el('p', { class: 'waiting muted', testid: 'waiting', text: waitingText }));
    // The notices' live region is in the page before any notice arrives, so screen readers announce them.
    replaceChildren(root, notices.element, this.line);
  }

  /**
   * A host notice before the first state: an error takes the waiting line's place (one line, as the host
   * words it: file name and problem); info and warnings go to the banners above the waiting line.
   */
  notice(level: 'info' | 'warning' | 'error', message: string, warnings?: EngineWarning[], action?: NoticeAction): void {
    if (level !== 'error') {
      this.notices.show(level, message, warnings);
      return;
    }
    replaceChildren(
      this.line,
      el(
        'div',
        { class: 'load-error', testid: 'load-error', attrs: { role: 'alert' } },
        el('p', { class: 'load-error-text', testid: 'load-error-text', text: message }),
        warnings && warnings.length ? el('ul', {}, ...warnings.map((w) => el('li', { text: w.message, attrs: { 'data-code': w.code } }))) : null,
        action ? el('div', { class: 'load-error-actions' }, button(action.label, { testid: action.testid, appearance: 'primary', onClick: action.run })) : null,
      ),
    );
  }
}
