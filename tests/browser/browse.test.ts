/**
 * Browsing in Debian's Chromium, as in the file managers people already use: the folder in the
 * URL (Back, Forward, a reload, a URL sent to someone), a list view sorted from its headers and
 * remembered, sorting, filtering and searching through the API's parameters, Load more from the
 * `Link` header, a selection made with clicks, Shift, Ctrl and Select all that the one toolbar
 * acts on, the keyboard, and the preview's arrows. Elements are found by role and accessible
 * name, as in app.test.ts; every item is made through the API of the server under test.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Download, Locator, Page } from 'playwright-core';
import { waitUntil } from '../../scripts/lib/wait';
import { api, base64, createUser, makeImage, upload, type PublicFileBody, type TestUser } from '../support';
import { expectGone, expectVisible, files, item, logIn, pagePerTest, screenshot, select, selectionBar, THUMBNAIL_TIMEOUT_MS, UI_TIMEOUT_MS, views, waitForText } from './kit';

interface ListedBody extends PublicFileBody {
  size: number | null;
  createdAt: string | null;
}

function heading(page: Page, name: string): Locator {
  return page.getByRole('heading', { name, exact: true, level: 1 });
}

function breadcrumbs(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Breadcrumbs', exact: true });
}

function button(page: Page, name: string): Locator {
  return page.getByRole('button', { name, exact: true });
}

/** The names of the items shown, in order (a table's header row has no name). */
async function names(page: Page): Promise<string[]> {
  const labels = await files(page)
    .getByRole('row')
    .evaluateAll((rows) => rows.map((row) => (row as unknown as { getAttribute(name: string): string | null }).getAttribute('aria-label')));
  return labels.filter((label): label is string => label !== null);
}

async function expectNames(page: Page, expected: string[]): Promise<void> {
  let seen: string[] = [];
  await waitUntil(`the items ${expected.join(', ')}`, async () => JSON.stringify((seen = await names(page))) === JSON.stringify(expected), UI_TIMEOUT_MS).catch(
    (error: Error) => {
      throw new Error(`${error.message}; shown: ${seen.join(', ')}`);
    },
  );
}

async function selectedNames(page: Page): Promise<string[]> {
  return files(page)
    .getByRole('row', { selected: true })
    .evaluateAll((rows) => rows.map((row) => (row as unknown as { getAttribute(name: string): string | null }).getAttribute('aria-label') ?? ''));
}

async function expectSelected(page: Page, expected: string[]): Promise<void> {
  let seen: string[] = [];
  await waitUntil(`${expected.join(', ')} selected`, async () => JSON.stringify((seen = await selectedNames(page))) === JSON.stringify(expected), UI_TIMEOUT_MS).catch(
    (error: Error) => {
      throw new Error(`${error.message}; selected: ${seen.join(', ')}`);
    },
  );
}

/** The accessible name of the element with the focus: an item's is its file's name. */
async function focusedName(page: Page): Promise<string | null> {
  return page.evaluate<string | null>("document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? null");
}

async function expectFocusOn(page: Page, name: string): Promise<void> {
  let seen: string | null = null;
  await waitUntil(`the focus on ${name}`, async () => (seen = await focusedName(page)) === name, UI_TIMEOUT_MS).catch((error: Error) => {
    throw new Error(`${error.message}; it is on ${seen ?? 'nothing'}`);
  });
}

/** Opens an item by its name, a button in its row. */
async function open(page: Page, name: string): Promise<void> {
  await item(page, name).getByRole('button', { name, exact: true }).click();
}

async function crumbs(page: Page): Promise<string[]> {
  return breadcrumbs(page).getByRole('listitem').allTextContents();
}

function hash(page: Page): string {
  return new URL(page.url()).hash;
}

async function listChildren(user: TestUser, parentId: string | 0): Promise<ListedBody[]> {
  const response = await api('GET', `/files?parentId=${parentId}&fields=all&limit=1000`, { token: user.token });
  expect(response.status).to.equal(200);
  return response.body as ListedBody[];
}

/** A picture worth a look in the screenshots: hills under an evening sky. */
async function makeLandscape(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="300">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3f6fd8"/><stop offset="1" stop-color="#f6b26b"/></linearGradient></defs>
    <rect width="480" height="300" fill="url(#sky)"/>
    <circle cx="340" cy="150" r="38" fill="#ffe08a"/>
    <path d="M0 230 Q120 160 240 220 T480 200 V300 H0z" fill="#2f7d4f"/>
    <path d="M0 265 Q160 215 300 262 T480 250 V300 H0z" fill="#1f5e3a"/>
  </svg>`;
  const { default: sharp } = await import('sharp');
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function textFile(user: TestUser, name: string, content: string | Buffer, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'file', data: base64(content), ...(parentId === undefined ? {} : { parentId }) });
}

describe('browsing in the browser', function () {
  this.timeout(240_000);
  // Thumbnails in the screenshots: the worker makes them.
  const tab = pagePerTest({ worker: true, acceptDownloads: true });
  let page: Page;

  beforeEach(async function () {
    page = tab.page;
    // Display preferences are the browser's: each test starts from the defaults.
    await page.goto('/');
    await page.evaluate('localStorage.clear()');
  });

  it('keeps the folder in the URL: Back, Forward, a reload and a URL sent to someone land in it, breadcrumbs and all', async function () {
    const user = await createUser();
    const trips = await upload(user.token, { name: 'Trips', type: 'folder' });
    const year = await upload(user.token, { name: '2024', type: 'folder', parentId: trips.id });
    await textFile(user, 'beach.txt', 'sand', year.id);
    await logIn(page, user);

    // The root: its heading says "My files", and no lone breadcrumb says it again.
    await expectVisible(heading(page, 'My files'));
    await expectVisible(item(page, 'Trips'));
    expect(await breadcrumbs(page).count()).to.equal(0);

    await open(page, 'Trips');
    await expectVisible(heading(page, 'Trips'));
    expect(hash(page)).to.equal(`#/f/${trips.id}`);
    await open(page, '2024');
    await expectVisible(item(page, 'beach.txt'));
    expect(hash(page)).to.equal(`#/f/${year.id}`);
    expect(await crumbs(page)).to.deep.equal(['My files', 'Trips', '2024']);

    await page.goBack();
    await expectVisible(heading(page, 'Trips'));
    await expectVisible(item(page, '2024'));
    await page.goBack();
    await expectVisible(heading(page, 'My files'));
    await expectVisible(item(page, 'Trips'));
    expect(await breadcrumbs(page).count()).to.equal(0);
    await page.goForward();
    await expectVisible(heading(page, 'Trips'));
    await page.goForward();
    await expectVisible(heading(page, '2024'));
    await expectVisible(item(page, 'beach.txt'));

    // A reload: the breadcrumbs are found again by walking up from the folder.
    await page.reload();
    await expectVisible(item(page, 'beach.txt'));
    expect(await crumbs(page)).to.deep.equal(['My files', 'Trips', '2024']);
    await breadcrumbs(page).getByRole('button', { name: 'Trips', exact: true }).click();
    await expectVisible(heading(page, 'Trips'));
    expect(hash(page)).to.equal(`#/f/${trips.id}`);

    // The URL in another tab, which has no session: the login, then the folder.
    const other = await tab.context.newPage();
    tab.watch(other, 'second tab');
    try {
      await other.goto(`/#/f/${year.id}`);
      await other.getByLabel('Email').fill(user.email);
      await other.getByLabel('Password').fill(user.password);
      await button(other, 'Log in').click();
      await expectVisible(item(other, 'beach.txt'));
      expect(await crumbs(other)).to.deep.equal(['My files', 'Trips', '2024']);
    } finally {
      await other.close();
    }

    // The trash has a URL of its own, and Back leaves it.
    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    await expectVisible(heading(page, 'Trash'));
    expect(hash(page)).to.equal('#/trash');
    await page.reload();
    await expectVisible(heading(page, 'Trash'));
    await page.goBack();
    await expectVisible(heading(page, 'Trips'));
    await expectVisible(item(page, '2024'));

    // An id that is no folder of this user's: said, and the root shown instead.
    await page.goto(`/#/f/${'0'.repeat(24)}`);
    await waitForText(page.getByRole('alert'), 'This folder could not be opened');
    await expectVisible(heading(page, 'My files'));
    await expectVisible(item(page, 'Trips'));
    expect(['', '#/']).to.include(hash(page));
  });

  it('shows a list view with size, date and visibility columns, sorts it from the headers, and remembers it', async function () {
    const user = await createUser();
    await textFile(user, 'b.txt', 'b'.repeat(300));
    const a = await textFile(user, 'a.txt', 'a'.repeat(10));
    await textFile(user, 'c.txt', 'c'.repeat(2048));
    await upload(user.token, { name: 'Docs', type: 'folder' });
    expect((await api('PUT', `/files/${a.id}/publish`, { token: user.token })).status).to.equal(200);
    await logIn(page, user);
    await expectNames(page, ['a.txt', 'b.txt', 'c.txt', 'Docs']);
    expect(await files(page).getByRole('columnheader').count(), 'the grid of cards has no headers').to.equal(0);

    const viewSwitch = page.getByRole('group', { name: 'View', exact: true });
    await viewSwitch.getByRole('button', { name: 'List', exact: true }).click();
    expect(await viewSwitch.getByRole('button', { name: 'List', exact: true }).getAttribute('aria-pressed')).to.equal('true');
    const headers = files(page).getByRole('columnheader');
    await expectVisible(headers.first());
    expect(await headers.allTextContents()).to.deep.equal(['Selected', 'Name↑', 'Size', 'Added', 'Visibility']);
    const header = (name: string): Locator => files(page).getByRole('columnheader', { name, exact: false });
    expect(await header('Name').getAttribute('aria-sort')).to.equal('ascending');
    await expectNames(page, ['a.txt', 'b.txt', 'c.txt', 'Docs']);
    const cells = await item(page, 'a.txt').getByRole('gridcell').allTextContents();
    expect(cells[1]).to.equal('a.txt');
    expect(cells[2]).to.equal('10 B');
    expect(cells[3]).to.match(/\d{4}/);
    expect(cells[4]).to.equal('Public');
    expect(await item(page, 'c.txt').getByRole('gridcell').nth(2).textContent()).to.equal('2.0 KiB');
    expect(await item(page, 'b.txt').getByRole('gridcell').nth(4).textContent()).to.equal('Private');

    // A header sorts by its column through the API (folders, without a size, first); again, the other way.
    await header('Size').getByRole('button').click();
    await expectNames(page, ['Docs', 'a.txt', 'b.txt', 'c.txt']);
    expect(await header('Size').getAttribute('aria-sort')).to.equal('ascending');
    expect(await header('Name').getAttribute('aria-sort')).to.equal(null);
    await expectFocusOn(page, 'Size↑');
    await header('Size').getByRole('button').click();
    await expectNames(page, ['c.txt', 'b.txt', 'a.txt', 'Docs']);
    expect(await header('Size').getAttribute('aria-sort')).to.equal('descending');
    expect(await page.getByLabel('Sort by', { exact: true }).inputValue()).to.equal('-size');
    await select(page, 'b.txt');
    await screenshot(page, '19-list-view');

    // Remembered: a reload shows the list in the same order. The token is still not in localStorage.
    await page.reload();
    await expectVisible(headers.first());
    await expectNames(page, ['c.txt', 'b.txt', 'a.txt', 'Docs']);
    const stored = await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))');
    expect(stored).to.include('list');
    expect(stored).to.not.include(user.token);

    await viewSwitch.getByRole('button', { name: 'Grid', exact: true }).click();
    await expectGone(headers.first());
    await expectNames(page, ['c.txt', 'b.txt', 'a.txt', 'Docs']);
  });

  it('sorts by name, size and date and filters by type through the API, and searches the folder or everywhere', async function () {
    const user = await createUser();
    const photo = await makeImage(48, 32);
    await textFile(user, 'Zeta.txt', 'z'.repeat(5));
    await textFile(user, 'alpha.txt', 'a'.repeat(photo.length + 100));
    await upload(user.token, { name: 'photo.png', type: 'image', data: base64(photo) });
    const projects = await upload(user.token, { name: 'Projects', type: 'folder' });
    await textFile(user, 'alpha-notes.txt', 'notes', projects.id);
    const old = await upload(user.token, { name: 'Old', type: 'folder', parentId: projects.id });
    await textFile(user, 'alpha-old.txt', 'old', old.id);
    const listings: URLSearchParams[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/files' && request.method() === 'GET') listings.push(url.searchParams);
    });
    await logIn(page, user);
    await expectNames(page, ['alpha.txt', 'photo.png', 'Projects', 'Zeta.txt']);
    expect(listings.at(-1)?.get('sort')).to.equal('name');
    expect(listings.at(-1)?.get('fields')).to.equal('all');

    const sortBy = page.getByLabel('Sort by', { exact: true });
    await sortBy.selectOption({ label: 'Name, Z to A' });
    await expectNames(page, ['Zeta.txt', 'Projects', 'photo.png', 'alpha.txt']);
    expect(listings.at(-1)?.get('sort')).to.equal('-name');
    await sortBy.selectOption({ label: 'Newest first' });
    await expectNames(page, ['Projects', 'photo.png', 'alpha.txt', 'Zeta.txt']);
    expect(listings.at(-1)?.get('sort')).to.equal('-createdAt');
    await sortBy.selectOption({ label: 'Oldest first' });
    await expectNames(page, ['Zeta.txt', 'alpha.txt', 'photo.png', 'Projects']);
    await sortBy.selectOption({ label: 'Largest first' });
    await expectNames(page, ['alpha.txt', 'photo.png', 'Zeta.txt', 'Projects']);
    await sortBy.selectOption({ label: 'Smallest first' });
    await expectNames(page, ['Projects', 'Zeta.txt', 'photo.png', 'alpha.txt']);
    await sortBy.selectOption({ label: 'Name, A to Z' });
    await expectNames(page, ['alpha.txt', 'photo.png', 'Projects', 'Zeta.txt']);

    // The type filter, said above the items.
    const type = page.getByLabel('Type', { exact: true });
    await type.selectOption({ label: 'Images' });
    await expectNames(page, ['photo.png']);
    expect(listings.at(-1)?.get('type')).to.equal('image');
    await expectVisible(page.getByText('Showing images only', { exact: true }));
    await type.selectOption({ label: 'Folders' });
    await expectNames(page, ['Projects']);
    await type.selectOption({ label: 'Files' });
    await expectNames(page, ['alpha.txt', 'Zeta.txt']);
    await type.selectOption({ label: 'All' });
    await expectNames(page, ['alpha.txt', 'photo.png', 'Projects', 'Zeta.txt']);

    // A search in the folder: its own items only.
    const search = page.getByRole('searchbox', { name: 'Search', exact: true });
    await search.fill('ALPHA');
    await expectNames(page, ['alpha.txt']);
    expect(listings.at(-1)?.get('q')).to.equal('ALPHA');
    expect(listings.at(-1)?.get('recursive')).to.equal(null);
    await expectVisible(page.getByText('Search results for “ALPHA” in My files', { exact: true }));

    // Everywhere: every folder's, each saying where it is.
    await page.getByLabel('Search in', { exact: true }).selectOption({ label: 'Everywhere' });
    await expectNames(page, ['alpha-notes.txt', 'alpha-old.txt', 'alpha.txt']);
    expect(listings.at(-1)?.get('recursive')).to.equal('true');
    expect(listings.at(-1)?.get('parentId')).to.equal('0');
    await waitForText(item(page, 'alpha-old.txt'), 'My files › Projects › Old');
    await waitForText(item(page, 'alpha-notes.txt'), 'My files › Projects');
    await waitForText(item(page, 'alpha.txt'), 'My files');
    await page.getByRole('group', { name: 'View', exact: true }).getByRole('button', { name: 'List', exact: true }).click();
    await expectVisible(files(page).getByRole('columnheader', { name: 'Location', exact: true }));
    await waitForText(item(page, 'alpha-old.txt').getByRole('gridcell').nth(2), 'My files › Projects › Old');
    await screenshot(page, '20-search');

    // A folder found elsewhere opens with its breadcrumbs, and the search ends.
    await search.fill('old');
    await expectNames(page, ['alpha-old.txt', 'Old']);
    await open(page, 'Old');
    await expectVisible(heading(page, 'Old'));
    expect(await crumbs(page)).to.deep.equal(['My files', 'Projects', 'Old']);
    await expectNames(page, ['alpha-old.txt']);
    expect(await search.inputValue()).to.equal('');
  });

  it('loads more items, 20 at a time, from the cursor of the Link header', async function () {
    const user = await createUser();
    const all: string[] = [];
    for (let index = 1; index <= 45; index += 1) {
      const name = `item-${String(index).padStart(2, '0')}.txt`;
      all.push(name);
      await textFile(user, name, name);
    }
    const listings: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/files' && request.method() === 'GET') listings.push(url);
    });
    await logIn(page, user);
    const more = button(page, 'Load more');
    await expectNames(page, all.slice(0, 20));
    await more.click();
    await expectNames(page, all.slice(0, 40));
    // The next page is the one the server named: its cursor, with the same order and fields.
    const second = listings.at(-1);
    expect(second?.searchParams.get('cursor')).to.be.a('string').and.not.equal('');
    expect(second?.searchParams.get('sort')).to.equal('name');
    expect(second?.searchParams.get('fields')).to.equal('all');
    expect(second?.searchParams.get('page')).to.equal(null);
    await more.click();
    await expectNames(page, all);
    await more.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    // The button went with the last page: the focus went on to the first item it brought.
    await expectFocusOn(page, 'item-41.txt');
  });

  it('selects with a click, Shift and Ctrl and Select all, and downloads, publishes, moves and deletes the selection from one toolbar', async function () {
    const user = await createUser();
    const archive = await upload(user.token, { name: 'Archive', type: 'folder' });
    const contents = new Map<string, Buffer>();
    for (const index of [1, 2, 3, 4, 5]) {
      const name = `f${index}.txt`;
      const content = Buffer.concat([Buffer.from(`${name}\n`), randomBytes(64)]);
      contents.set(name, content);
      await textFile(user, name, content);
    }
    await upload(user.token, { name: 'picture.png', type: 'image', data: base64(await makeLandscape()) });
    await logIn(page, user);
    await expectNames(page, ['Archive', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt', 'picture.png']);
    const bar = selectionBar(page);
    const count = bar.getByText(/selected$/);

    await select(page, 'f1.txt');
    await expectSelected(page, ['f1.txt']);
    await waitForText(count, '1 selected');
    await select(page, 'f3.txt', ['Shift']);
    await expectSelected(page, ['f1.txt', 'f2.txt', 'f3.txt']);
    await select(page, 'f5.txt', ['ControlOrMeta']);
    await expectSelected(page, ['f1.txt', 'f2.txt', 'f3.txt', 'f5.txt']);
    await select(page, 'f2.txt', ['ControlOrMeta']);
    await expectSelected(page, ['f1.txt', 'f3.txt', 'f5.txt']);
    await waitForText(count, '3 selected');
    // A checkbox adds or removes its item as Ctrl does, for a touch screen.
    await item(page, 'picture.png').getByRole('checkbox', { name: 'Select picture.png', exact: true }).check();
    await expectSelected(page, ['f1.txt', 'f3.txt', 'f5.txt', 'picture.png']);
    await item(page, 'picture.png').getByRole('checkbox', { name: 'Select picture.png', exact: true }).uncheck();
    await expectSelected(page, ['f1.txt', 'f3.txt', 'f5.txt']);
    // Rename and Share take one item; the items have no buttons of their own.
    expect(await bar.getByRole('button', { name: 'Rename', exact: true }).count()).to.equal(0);
    expect(await bar.getByRole('button', { name: 'Share', exact: true }).count()).to.equal(0);
    expect(await item(page, 'f1.txt').getByRole('button').count()).to.equal(1);
    await page.mouse.move(0, 0);
    await expectVisible(item(page, 'picture.png').getByRole('img', { name: 'Thumbnail of picture.png', exact: true }), THUMBNAIL_TIMEOUT_MS);
    await screenshot(page, '21-multi-select');

    // Download: one download each.
    const downloads: Download[] = [];
    page.on('download', (download) => downloads.push(download));
    await bar.getByRole('button', { name: 'Download', exact: true }).click();
    await waitUntil('three downloads', () => downloads.length === 3, UI_TIMEOUT_MS);
    for (const download of downloads) {
      const name = download.suggestedFilename();
      expect(readFileSync(await download.path()).equals(contents.get(name) ?? Buffer.alloc(0)), name).to.equal(true);
    }
    expect(downloads.map((download) => download.suggestedFilename())).to.deep.equal(['f1.txt', 'f3.txt', 'f5.txt']);

    // Publish, then unpublish, all three.
    await bar.getByRole('button', { name: 'Publish', exact: true }).click();
    await expectVisible(page.getByRole('status').filter({ hasText: '3 files are public' }));
    const isPublic = async (): Promise<string[]> => (await listChildren(user, 0)).filter((file) => file.isPublic).map((file) => file.name);
    expect(await isPublic()).to.deep.equal(['f1.txt', 'f3.txt', 'f5.txt']);
    await expectVisible(bar.getByRole('button', { name: 'Unpublish', exact: true }));
    expect(await bar.getByRole('button', { name: 'Publish', exact: true }).count()).to.equal(0);
    await expectSelected(page, ['f1.txt', 'f3.txt', 'f5.txt']);
    await bar.getByRole('button', { name: 'Unpublish', exact: true }).click();
    await expectVisible(page.getByRole('status').filter({ hasText: '3 files are private again' }));
    expect(await isPublic()).to.deep.equal([]);

    // Select all, and none.
    const selectAll = bar.getByRole('checkbox', { name: 'Select all', exact: true });
    await selectAll.check();
    await expectSelected(page, ['Archive', 'f1.txt', 'f2.txt', 'f3.txt', 'f4.txt', 'f5.txt', 'picture.png']);
    await waitForText(count, '7 selected');
    await selectAll.uncheck();
    await expectSelected(page, []);

    // Move two into a folder.
    await select(page, 'f1.txt');
    await select(page, 'f2.txt', ['ControlOrMeta']);
    await bar.getByRole('button', { name: 'Move', exact: true }).click();
    const move = page.getByRole('dialog', { name: 'Move 2 items', exact: true });
    await move.getByRole('listitem').getByRole('button', { name: 'Archive', exact: true }).click();
    await expectVisible(move.getByRole('navigation', { name: 'Destination folder' }).getByRole('button', { name: 'My files', exact: true }));
    await move.getByRole('button', { name: 'Move here', exact: true }).click();
    await expectGone(move);
    await expectNames(page, ['Archive', 'f3.txt', 'f4.txt', 'f5.txt', 'picture.png']);
    expect((await listChildren(user, archive.id)).map((file) => file.name)).to.deep.equal(['f1.txt', 'f2.txt']);
    await expectSelected(page, []);

    // Delete three, to the trash, after one confirmation.
    await select(page, 'f3.txt');
    await select(page, 'f5.txt', ['Shift']);
    await bar.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete 3 items?', exact: true });
    await waitForText(confirm, 'will be moved to the trash');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectNames(page, ['Archive', 'picture.png']);
    await expectVisible(page.getByRole('status').filter({ hasText: '3 items moved to the trash' }));
    const trashed = await api('GET', '/trash', { token: user.token });
    expect((trashed.body as { name: string }[]).map((entry) => entry.name).sort()).to.deep.equal(['f3.txt', 'f4.txt', 'f5.txt']);
    // The focus is on the item now in their place.
    await expectFocusOn(page, 'picture.png');
  });

  it('moves through the items with the keyboard: one tab stop, arrows, Shift, Space, Ctrl+A, Escape, F2, Delete and Enter', async function () {
    const user = await createUser();
    const inside = await upload(user.token, { name: 'Inside', type: 'folder' });
    await textFile(user, 'deep.txt', 'deep', inside.id);
    for (const name of ['k1.txt', 'k2.txt', 'k3.txt', 'k4.txt']) await textFile(user, name, name);
    await logIn(page, user);
    await expectNames(page, ['Inside', 'k1.txt', 'k2.txt', 'k3.txt', 'k4.txt']);

    // The listing is one tab stop: in on its first item, out at the next Tab.
    await selectionBar(page).getByRole('checkbox', { name: 'Select all', exact: true }).focus();
    await page.keyboard.press('Tab');
    await expectFocusOn(page, 'Inside');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<boolean>("document.activeElement?.closest('[role=grid]') === null")).to.equal(true);
    await page.keyboard.press('Shift+Tab');
    await expectFocusOn(page, 'Inside');
    await expectSelected(page, []);

    // Cards: left and right by one, up and down by a line of four (1280 px wide).
    await page.keyboard.press('ArrowRight');
    await expectFocusOn(page, 'k1.txt');
    await expectSelected(page, ['k1.txt']);
    await page.keyboard.press('ArrowRight');
    await expectFocusOn(page, 'k2.txt');
    await page.keyboard.press('ArrowLeft');
    await expectFocusOn(page, 'k1.txt');
    await page.keyboard.press('ArrowDown');
    await expectFocusOn(page, 'k4.txt');
    await page.keyboard.press('ArrowUp');
    await expectFocusOn(page, 'Inside');
    await page.keyboard.press('End');
    await expectFocusOn(page, 'k4.txt');
    await page.keyboard.press('Home');
    await expectFocusOn(page, 'Inside');

    // Shift extends the selection; Ctrl moves the focus alone; Space adds or removes.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await expectSelected(page, ['k1.txt', 'k2.txt', 'k3.txt']);
    await expectFocusOn(page, 'k3.txt');
    await page.keyboard.press('ControlOrMeta+ArrowLeft');
    await expectFocusOn(page, 'k2.txt');
    await page.keyboard.press('Space');
    await expectSelected(page, ['k1.txt', 'k3.txt']);
    await page.keyboard.press('Escape');
    await expectSelected(page, []);
    await page.keyboard.press('ControlOrMeta+a');
    await expectSelected(page, ['Inside', 'k1.txt', 'k2.txt', 'k3.txt', 'k4.txt']);
    await page.keyboard.press('Escape');
    await expectSelected(page, []);

    // F2 renames the item with the focus.
    await page.keyboard.press('F2');
    const rename = page.getByRole('dialog', { name: 'Rename k2.txt', exact: true });
    await rename.getByLabel('New name').fill('k2-renamed.txt');
    await page.keyboard.press('Enter');
    await expectGone(rename);
    await expectNames(page, ['Inside', 'k1.txt', 'k2-renamed.txt', 'k3.txt', 'k4.txt']);

    // Delete, after the confirmation (which starts on Cancel); the focus goes to the item in its place.
    await item(page, 'k3.txt').focus();
    await page.keyboard.press('Delete');
    const confirm = page.getByRole('dialog', { name: 'Delete k3.txt?', exact: true });
    await waitForText(confirm, 'moved to the trash');
    expect(await focusedName(page)).to.equal('Cancel');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectNames(page, ['Inside', 'k1.txt', 'k2-renamed.txt', 'k4.txt']);
    await expectFocusOn(page, 'k4.txt');

    // Enter opens a folder, and the focus goes to its first item.
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await expectVisible(heading(page, 'Inside'));
    await expectFocusOn(page, 'deep.txt');

    // The table: up and down by one row; left and right move nothing.
    await page.goBack();
    await expectNames(page, ['Inside', 'k1.txt', 'k2-renamed.txt', 'k4.txt']);
    await page.getByRole('group', { name: 'View', exact: true }).getByRole('button', { name: 'List', exact: true }).click();
    await expectVisible(files(page).getByRole('columnheader').first());
    await item(page, 'k1.txt').focus();
    await page.keyboard.press('ArrowDown');
    await expectFocusOn(page, 'k2-renamed.txt');
    await page.keyboard.press('ArrowRight');
    await expectFocusOn(page, 'k2-renamed.txt');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expectFocusOn(page, 'Inside');
    await expectSelected(page, ['Inside']);
  });

  it('steps through the previews with the left and right arrows, past what cannot be previewed', async function () {
    const user = await createUser();
    const photo = await makeImage(120, 80);
    await upload(user.token, { name: 'a-photo.png', type: 'image', data: base64(photo) });
    await textFile(user, 'b-data.bin', randomBytes(256));
    await textFile(user, 'c-notes.txt', 'Notes of c.');
    await upload(user.token, { name: 'd-folder', type: 'folder' });
    await textFile(user, 'e-more.txt', 'More of e.');
    const downloads: string[] = [];
    page.on('download', (download) => downloads.push(download.suggestedFilename()));
    await logIn(page, user);

    await open(page, 'a-photo.png');
    let preview = page.getByRole('dialog', { name: 'a-photo.png', exact: true });
    await expectVisible(preview.getByRole('img', { name: 'a-photo.png', exact: true }));
    const previous = (): Locator => page.getByRole('dialog').getByRole('button', { name: 'Previous', exact: true });
    const next = (): Locator => page.getByRole('dialog').getByRole('button', { name: 'Next', exact: true });
    expect(await previous().isDisabled()).to.equal(true);

    // Right: past the binary file, which only downloads, to the text.
    await page.keyboard.press('ArrowRight');
    preview = page.getByRole('dialog', { name: 'c-notes.txt', exact: true });
    await waitForText(preview.getByLabel('Contents of c-notes.txt'), 'Notes of c.');
    // Past the folder, to the last file.
    await page.keyboard.press('ArrowRight');
    preview = page.getByRole('dialog', { name: 'e-more.txt', exact: true });
    await waitForText(preview.getByLabel('Contents of e-more.txt'), 'More of e.');
    expect(await next().isDisabled()).to.equal(true);
    await page.keyboard.press('ArrowLeft');
    await expectVisible(page.getByRole('dialog', { name: 'c-notes.txt', exact: true }));
    await previous().click();
    await expectVisible(page.getByRole('dialog', { name: 'a-photo.png', exact: true }).getByRole('img', { name: 'a-photo.png', exact: true }));
    // Previous went off under the focus, which stayed in the dialog: the arrows still work.
    expect(await previous().isDisabled()).to.equal(true);
    await page.keyboard.press('ArrowRight');
    await expectVisible(page.getByRole('dialog', { name: 'c-notes.txt', exact: true }));
    await page.keyboard.press('ArrowLeft');
    await expectVisible(page.getByRole('dialog', { name: 'a-photo.png', exact: true }).getByRole('img', { name: 'a-photo.png', exact: true }));
    expect(downloads, 'nothing downloaded on the way').to.deep.equal([]);

    // Closed, the focus is on the item shown last.
    await page.keyboard.press('Escape');
    await expectGone(page.getByRole('dialog'));
    await expectFocusOn(page, 'a-photo.png');
  });
});
