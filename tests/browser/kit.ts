import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Download, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/lib/chromium';
import { waitUntil } from '../../scripts/lib/wait';
import { harness, type TestUser } from '../support';

/** What the browser tests share: waiting for the page, finding things by role, downloads, screenshots. */

export const UI_TIMEOUT_MS = 15_000;
/** The worker makes thumbnails some time after an upload, longer on a loaded machine. */
export const THUMBNAIL_TIMEOUT_MS = 90_000;

export async function expectVisible(locator: Locator, timeout = UI_TIMEOUT_MS): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout });
}

export async function expectGone(locator: Locator): Promise<void> {
  await locator.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
}

/** Waits for `text` in the locator's elements; the error says what was there instead. */
export async function waitForText(locator: Locator, text: string): Promise<void> {
  let seen = '';
  try {
    await waitUntil(
      `"${text}" to show`,
      async () => {
        seen = (await locator.allTextContents()).join(' | ');
        return seen.includes(text);
      },
      UI_TIMEOUT_MS,
      100,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the text was "${seen}"`);
  }
}

/** The download `click` starts, and its bytes. */
export async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
  const pending = page.waitForEvent('download', { timeout: UI_TIMEOUT_MS });
  await click();
  const download = await pending;
  return { download, bytes: readFileSync(await download.path()) };
}

/** With SCREENSHOTS_DIR set (npm run screenshots), a picture of the page for the docs. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SCREENSHOTS_DIR;
  if (dir === undefined || dir === '') return;
  mkdirSync(path.resolve(dir), { recursive: true });
  await page.screenshot({ path: path.resolve(dir, `${name}.png`), animations: 'disabled' });
}

export function files(page: Page): Locator {
  return page.getByRole('list', { name: 'Files', exact: true });
}

export function item(page: Page, name: string): Locator {
  return files(page).getByRole('listitem', { name, exact: true });
}

/** The list of the trash view, named `Trash`. */
export function trash(page: Page): Locator {
  return page.getByRole('list', { name: 'Trash', exact: true });
}

export function trashItem(page: Page, name: string): Locator {
  return trash(page).getByRole('listitem', { name, exact: true });
}

/** The tabs above the views: `My files` and `Trash`. */
export function views(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Views', exact: true });
}

/** The sentence of the usage bar ("1.0 KiB of 10.0 KiB used"), which also names its meter. */
export function usageText(page: Page): Locator {
  return page.locator('#usage-text');
}

/** Opens the app and logs `user` in. */
export async function logIn(page: Page, user: Pick<TestUser, 'email' | 'password'>): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expectVisible(page.getByRole('button', { name: 'Log out', exact: true }));
}

/** Adds the page's script errors and Content Security Policy violations to `problems`, named by `who`. */
export function watchForProblems(page: Page, problems: string[], who = 'page'): void {
  page.on('pageerror', (error) => problems.push(`${who}: page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) problems.push(`${who}: CSP: ${message.text()}`);
  });
}

/** Debian's Chromium with a profile of its own, on the harness's server; `close` also removes the profile. */
export async function openBrowser(options: { acceptDownloads?: boolean } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'files-manager-chromium-'));
  const removeProfile = (): void => rmSync(userDataDir, { recursive: true, force: true });
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      baseURL: harness().baseUrl,
      viewport: { width: 1280, height: 860 },
      ...options,
    });
    return {
      context,
      close: async () => {
        await context.close();
        removeProfile();
      },
    };
  } catch (error) {
    removeProfile();
    throw error;
  }
}
