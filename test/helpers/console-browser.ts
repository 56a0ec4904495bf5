import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); `CHROMIUM_PATH` names another. Playwright's own download is not used. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Where the browser tests save screenshots: `STREAMFORGE_SCREENSHOTS_DIR` when set (`docs/screenshots`
 * to renew the README's), else `test-results/console/` (git-ignored).
 */
export const SCREENSHOT_DIR = process.env.STREAMFORGE_SCREENSHOTS_DIR
  ? pathToFileURL(`${resolve(process.env.STREAMFORGE_SCREENSHOTS_DIR)}/`)
  : new URL('../../test-results/console/', import.meta.url);

/** The console's screenshot size: a laptop's 1280×800. */
export const SCREENSHOT_VIEWPORT = { width: 1280, height: 800 } as const;

/** Saves what the page shows in its viewport (1280×800 unless a phone's) as `<name>.png` in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: fileURLToPath(new URL(`${name}.png`, SCREENSHOT_DIR)), animations: 'disabled', caret: 'hide' });
}

/** Launches the system Chromium headless, or fails saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the web console tests drive a real browser. ` +
        'Install it with `apt-get install -y chromium` (Debian; .ci/run does this when it is missing), or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/** What went wrong in a page: console errors (CSP violations included), uncaught errors, failed requests. */
export interface PageProblems {
  readonly problems: string[];
}

/**
 * Watches a page for console errors, uncaught exceptions and failed requests. Event streams the
 * page aborts itself (leaving a view, closing) are not failures.
 */
export function watchProblems(page: Page): PageProblems {
  const problems: string[] = [];
  page.on('console', (m) => {
    // The browser logs each 401 as an error; asking for the token is the page's own flow.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req: Request) => {
    const aborted = req.failure()?.errorText === 'net::ERR_ABORTED' && new URL(req.url()).pathname === '/events';
    if (!aborted) problems.push(`request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? ''}`);
  });
  page.on('response', (res) => {
    // 401s ask for the token: the page's own flow, not a failure.
    if (res.status() >= 400 && res.status() !== 401) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  return { problems };
}

/** A fresh context (its own sessionStorage) at 1280×800 or a phone's width. */
export function newContext(browser: Browser, phone = false): Promise<BrowserContext> {
  return browser.newContext(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : { viewport: SCREENSHOT_VIEWPORT });
}
