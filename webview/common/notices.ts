/** The banner list for the host's `notice` messages (info, warning, error), each dismissible. */
import type { EngineWarning } from '../../src/engine/types';
import { el } from './dom';

export class Notices {
  readonly element = el('div', { class: 'notices', testid: 'notices', attrs: { 'aria-live': 'polite' } });

  show(level: 'info' | 'warning' | 'error', message: string, warnings?: EngineWarning[]): void {
    const dismiss = el('button', { class: 'notice-dismiss', testid: 'notice-dismiss', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss' } });
    const item = el(
      'div',
      { class: `notice notice-${level}`, testid: 'notice', attrs: { role: level === 'error' ? 'alert' : 'status', 'data-level': level } },
      el('div', { class: 'notice-body' }, el('span', { class: 'notice-text', text: message }), warnings && warnings.length ? el('ul', {}, ...warnings.map((w) => el('li', { text: w.message, attrs: { 'data-code': w.code } }))) : null),
      dismiss,
    );
    dismiss.addEventListener('click', () => item.remove());
    this.element.append(item);
    // Keep the newest few: a long session should not pile banners over the view.
    while (this.element.childElementCount > 4) this.element.firstElementChild?.remove();
  }
}
