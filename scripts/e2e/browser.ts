/**
 * Debian's Chromium, headless, driven by playwright-core (which downloads no browser). A fresh profile folder
 * per launch, with Chromium's own XDG folders inside it, and every background service that could reach the
 * network switched off.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.LOSS_INSPECTOR_CHROMIUM || '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  profileDir: string;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profileDir = mkdtempSync(join(tmpdir(), 'loss-inspector-chromium-'));
  for (const d of ['config', 'cache']) mkdirSync(join(profileDir, d));
  const context = await chromium.launchPersistentContext(join(profileDir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: join(profileDir, 'config'),
      XDG_CACHE_HOME: join(profileDir, 'cache'),
    },
  });
  let closed = false;
  return {
    context,
    profileDir,
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
