/** The busy indicator in a view's header: a progress ring and a short text, shown while work is pending. */
import { el } from './dom';
import { progressRing } from '../toolkit';

export class BusyIndicator {
  readonly element = el('div', { class: 'busy', testid: 'busy', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly text = el('span', { class: 'busy-text' });
  private hostBusy = false;
  private hostMessage = '';
  private local = 0;

  constructor() {
    this.element.append(progressRing({ class: 'busy-ring', attrs: { 'aria-hidden': 'true' } }), this.text);
    this.refresh();
  }

  /** The host's `busy` message. */
  setHost(busy: boolean, message?: string): void {
    this.hostBusy = busy;
    this.hostMessage = message ?? '';
    this.refresh();
  }

  /** Runs `work` with the indicator on. */
  async track<T>(work: Promise<T>, label: string): Promise<T> {
    this.local++;
    this.refresh(label);
    try {
      return await work;
    } finally {
      this.local--;
      this.refresh();
    }
  }

  get busy(): boolean {
    return this.hostBusy || this.local > 0;
  }

  private refresh(label?: string): void {
    const on = this.busy;
    this.element.hidden = !on;
    this.element.dataset.busy = String(on);
    document.body.classList.toggle('is-busy', on);
    if (on) this.text.textContent = this.hostMessage || label || this.text.textContent || 'Working…';
  }
}
