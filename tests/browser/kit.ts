import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Download, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/lib/chromium';
import { startWorkerProcess, type AppProcess } from '../../scripts/lib/processes';
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

/** The listing named `Files`: the app's grid (in either view), or the list of a shared folder's page. */
export function files(page: Page): Locator {
  return page.getByRole('grid', { name: 'Files', exact: true }).or(page.getByRole('list', { name: 'Files', exact: true }));
}

/** The item `name` of the listing: a row of the app's grid, an item of a shared folder's list. */
export function item(page: Page, name: string): Locator {
  const listing = files(page);
  return listing.getByRole('row', { name, exact: true }).or(listing.getByRole('listitem', { name, exact: true }));
}

/** The app's toolbar that acts on the selected items. */
export function selectionBar(page: Page): Locator {
  return page.getByRole('group', { name: 'Selection', exact: true });
}

/**
 * Clicks the item `name` where a click selects it (with `modifiers`, adds to or extends the
 * selection): on its right edge, beside the name, which opens it.
 */
export async function select(page: Page, name: string, modifiers: ('Shift' | 'ControlOrMeta')[] = []): Promise<void> {
  const row = item(page, name);
  const box = await row.boundingBox();
  if (box === null) throw new Error(`${name} is not shown`);
  await row.click({ position: { x: box.width - 6, y: box.height / 2 }, modifiers });
}

/** Selects `name` alone and clicks `action` (Download, Rename, Move, Share, Publish, Unpublish, Delete) in the toolbar. */
export async function actOn(page: Page, name: string, action: string): Promise<void> {
  await select(page, name);
  await selectionBar(page).getByRole('button', { name: action, exact: true }).click();
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

export interface BrowserTab {
  /** This test's page. */
  readonly page: Page;
  readonly context: BrowserContext;
  /** Counts another page's script errors and CSP violations with this test's. */
  watch(page: Page, who: string): void;
}

/**
 * Chromium for the enclosing `describe` (and the worker, when thumbnails matter), a new page for
 * each test, and after each test a check that its pages logged no script error or CSP violation.
 */
export function pagePerTest(options: { acceptDownloads?: boolean; worker?: boolean } = {}): BrowserTab {
  let browser: Awaited<ReturnType<typeof openBrowser>> | undefined;
  let worker: AppProcess | undefined;
  let page: Page | undefined;
  let problems: string[] = [];
  before(async function () {
    if (options.worker === true) worker = await startWorkerProcess({ env: harness().env });
    browser = await openBrowser(options.acceptDownloads === true ? { acceptDownloads: true } : {});
  });
  after(async function () {
    await browser?.close();
    await worker?.kill();
  });
  beforeEach(async function () {
    if (browser === undefined) throw new Error('no browser');
    page = await browser.context.newPage();
    problems = [];
    watchForProblems(page, problems);
  });
  afterEach(async function () {
    await page?.close();
    expect(problems, 'script errors or CSP violations in the page').to.deep.equal([]);
  });
  return {
    get page(): Page {
      if (page === undefined) throw new Error('no page outside a test');
      return page;
    },
    get context(): BrowserContext {
      if (browser === undefined) throw new Error('no browser');
      return browser.context;
    },
    watch: (other, who) => watchForProblems(other, problems, who),
  };
}
