/**
 * Driving VS Code's workbench (code-server in headless Chromium) the way a user does: the command palette,
 * quick picks, notifications, editors, CodeLens, and webviews (which live in nested iframes:
 * `iframe.webview` → `iframe#active-frame`). Selectors are VS Code's own DOM classes of Code 1.139.
 */
import type { Frame, Locator, Page } from 'playwright-core';

export const WORKBENCH_TIMEOUT = 60_000;

/** Opens `folder` (absolute path on the server) and waits until the explorer shows its first row. */
export async function openWorkbench(page: Page, serverUrl: string, folder: string, extraQuery = ''): Promise<void> {
  await page.goto(`${serverUrl}/?folder=${encodeURIComponent(folder)}${extraQuery}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT });
  await page
    .locator('.explorer-folders-view .monaco-list-row')
    .first()
    .waitFor({ timeout: WORKBENCH_TIMEOUT });
}

/** The quick input widget (command palette, quick picks, input boxes). */
export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

async function quickInputVisible(page: Page): Promise<boolean> {
  return quickInput(page).isVisible();
}

/**
 * Runs a command by its palette title, as a user would (F1, type, Enter). The palette can open before the
 * remote extension host registered the extension's commands: if the entry is missing, close and retry.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    if (await quickInputVisible(page)) await page.keyboard.press('Escape');
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 400 }, trial: true }).catch(() => {});
    await page.keyboard.press('F1');
    const box = quickInput(page).locator('input');
    await box.waitFor({ timeout: 10_000 });
    await box.fill(`>${title}`);
    const row = quickInput(page)
      .locator('.monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: title }) })
      .first();
    try {
      await row.waitFor({ timeout: 3_000 });
      // The list filters fuzzily: accept only an entry whose label is exactly the title.
      const labels = await quickInput(page).locator('.monaco-list-row .label-name').allTextContents();
      const idx = labels.findIndex((l) => l.trim() === title);
      if (idx < 0) throw new Error(`no exact entry among ${JSON.stringify(labels)}`);
      await quickInput(page).locator('.monaco-list-row').nth(idx).click();
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`command '${title}' not in the command palette after ${attempt} attempts: ${(e as Error).message}`);
      }
      await page.keyboard.press('Escape');
      await page.waitForTimeout(2_000);
    }
  }
}

/** Labels of the rows currently listed by the open quick pick. */
export async function quickPickLabels(page: Page): Promise<string[]> {
  const rows = quickInput(page).locator('.monaco-list-row');
  return (await rows.allTextContents()).map((t) => t.trim());
}

/** Waits for the quick pick to list a row containing `text` and picks it (by clicking it). */
export async function pickQuickItem(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<string> {
  const row = quickInput(page).locator('.monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ timeout: timeoutMs });
  const label = (await row.textContent())?.trim() ?? '';
  await row.click();
  return label;
}

/** Text of every notification toast currently shown. */
export async function notificationTexts(page: Page): Promise<string[]> {
  const items = page.locator('.notifications-toasts .notification-list-item');
  return (await items.allTextContents()).map((t) => t.trim());
}

/** Waits for a notification toast whose text matches and returns its full text. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 30_000): Promise<string> {
  const item = page.locator('.notifications-toasts .notification-list-item').filter({ hasText: text }).first();
  await item.waitFor({ timeout: timeoutMs });
  return ((await item.getAttribute('aria-label')) ?? (await item.textContent()) ?? '').trim();
}

/** Opens a workspace file through Quick Open (Ctrl+P), as a user would. */
export async function quickOpen(page: Page, relativePath: string): Promise<void> {
  if (await quickInputVisible(page)) await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const box = quickInput(page).locator('input');
  await box.waitFor({ timeout: 10_000 });
  await box.fill(relativePath);
  const base = relativePath.split('/').pop() ?? relativePath;
  const row = quickInput(page)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: base }) })
    .first();
  await row.waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** Titles of the open editor tabs. */
export async function editorTabs(page: Page): Promise<string[]> {
  return (await page.locator('.tabs-container .tab .label-name').allTextContents()).map((t) => t.trim());
}

/**
 * The frame of the webview whose document holds `selector` (optionally with text matching `hasText`).
 * Webviews sit in `iframe.webview` → `iframe#active-frame`; several may exist, hidden ones included. Polls.
 */
export async function webviewFrame(page: Page, selector: string, timeoutMs = 30_000, hasText?: string | RegExp): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try {
        const loc = hasText === undefined ? f.locator(selector) : f.locator(selector, { hasText });
        if ((await loc.count()) > 0) return f;
      } catch {
        /* frame navigated or detached meanwhile */
      }
    }
    if (Date.now() > deadline) {
      const what = hasText === undefined ? `'${selector}'` : `'${selector}' with text ${String(hasText)}`;
      throw new Error(`no webview frame contains ${what} after ${timeoutMs} ms`);
    }
    await page.waitForTimeout(250);
  }
}

/** Every visible CodeLens text in the active editor, top to bottom. */
export async function codeLensTexts(page: Page): Promise<string[]> {
  return (await page.locator('.monaco-editor .codelens-decoration').allTextContents()).map((t) => t.trim());
}
