/**
 * The trash view and the usage bar in Debian's Chromium, found by role and accessible name as in
 * app.test.ts: a deleted folder in the trash with its days left, restored with its file; "Delete
 * forever" and "Empty trash"; the bar following uploads and deletes; and an upload over the
 * quota (set for that user through utils/users/quota.ts, as the server runs in this process)
 * refused with the quota message, in the app and on a drop folder's page.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import type { Locator, Page } from 'playwright-core';
import { waitUntil } from '../../scripts/lib/wait';
import { setUserQuota } from '../../utils/users/quota';
import { api, base64, createUser, upload, type LinkBody, type PublicFileBody, type TestUser } from '../support';
import { actOn, expectGone, expectVisible, item, logIn, pagePerTest, screenshot, trash, trashItem, UI_TIMEOUT_MS, usageText, views, waitForText } from './kit';

const KIB = 1024;
/** What a refused upload says with 10 KiB of a 100 KiB quota taken: what is free, and how to make room. */
const QUOTA_MESSAGE = 'Not enough space: only 90.0 KiB of your 100.0 KiB quota is free. Delete files, then empty the trash, to make room.';
const QUOTA_MESSAGE_WITH_TRASH =
  'Not enough space: only 90.0 KiB of your 100.0 KiB quota is free. Empty the trash (it holds 10.0 KiB), or delete files and then empty the trash, to make room.';

interface TrashedBody {
  id: string;
  name: string;
  parentId: 0 | string;
  trashedAt: string;
  purgeAt: string;
}


async function pickFiles(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await (await chooser).setFiles(files);
}

async function listTrash(user: TestUser): Promise<TrashedBody[]> {
  const response = await api('GET', '/trash', { token: user.token });
  expect(response.status).to.equal(200);
  return response.body as TrashedBody[];
}

async function usageOf(user: TestUser): Promise<{ used: number; quota: number | null; trash: number; files: number }> {
  const response = await api('GET', '/users/me/usage', { token: user.token });
  expect(response.status).to.equal(200);
  return response.body as { used: number; quota: number | null; trash: number; files: number };
}

function dialogNamed(page: Page, name: string): Locator {
  return page.getByRole('dialog', { name, exact: true });
}

function status(page: Page, text: string): Locator {
  return page.getByRole('status').filter({ hasText: text });
}

/** Waits for the usage bar to say exactly `text` (a shorter sentence is part of a longer one). */
async function expectUsage(page: Page, text: string): Promise<void> {
  let seen: string | null = null;
  await waitUntil(`the usage bar to say "${text}"`, async () => (seen = await usageText(page).textContent()) === text, UI_TIMEOUT_MS).catch((error: Error) => {
    throw new Error(`${error.message}; it said "${seen ?? ''}"`);
  });
}

/** The id of the element that has the focus, or its text when it has none. */
async function focused(page: Page): Promise<string> {
  return page.evaluate<string>("document.activeElement?.id || document.activeElement?.textContent || ''");
}

describe('trash and usage in the browser', function () {
  this.timeout(240_000);
  const tab = pagePerTest();
  let page: Page;

  beforeEach(function () {
    page = tab.page;
  });

  it('moves a deleted folder to the trash with its file, shows its days left, and restores it where it was', async function () {
    const user = await createUser();
    const trip = await upload(user.token, { name: 'Trip', type: 'folder' });
    await upload(user.token, { name: 'notes.txt', type: 'file', data: base64('Day 1: arrived.'), parentId: trip.id });
    await logIn(page, user);
    await expectUsage(page, '15 B used');
    expect(await page.getByRole('meter').count(), 'no meter without a quota').to.equal(0);
    const filesTab = views(page).getByRole('button', { name: 'My files', exact: true });
    const trashTab = views(page).getByRole('button', { name: 'Trash', exact: true });
    expect(await filesTab.getAttribute('aria-current')).to.equal('page');

    // Delete says where the folder goes.
    await actOn(page, 'Trip', 'Delete');
    const confirm = dialogNamed(page, 'Delete Trip?');
    await waitForText(confirm, 'will be moved to the trash');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectGone(item(page, 'Trip'));
    await expectVisible(status(page, 'Trip moved to the trash'));
    await expectUsage(page, '15 B used, 15 B of it in the trash');

    // In the trash: the folder alone (its file went with it), with 30 days left (the default retention).
    await trashTab.click();
    expect(await trashTab.getAttribute('aria-current')).to.equal('page');
    expect(await filesTab.getAttribute('aria-current')).to.equal(null);
    await expectVisible(page.getByRole('heading', { name: 'Trash', exact: true, level: 1 }));
    const trashed = trashItem(page, 'Trip');
    await expectVisible(trashed);
    expect(await trash(page).getByRole('listitem').count()).to.equal(1);
    await waitForText(trashed, 'Folder');
    await waitForText(trashed, '30 days left');
    expect(await page.getByRole('region', { name: 'My files' }).count(), 'the files view is hidden').to.equal(0);
    await screenshot(page, '16-trash');

    // Restore: it says where the folder went, and the trash is empty.
    await trashed.getByRole('button', { name: 'Restore', exact: true }).click();
    await expectVisible(status(page, 'Trip restored to My files'));
    await expectGone(trashed);
    await expectVisible(page.getByText('The trash is empty.', { exact: true }));
    expect(await page.getByRole('button', { name: 'Empty trash', exact: true }).isDisabled()).to.equal(true);
    await waitUntil('the focus on the heading, nothing being left', async () => (await focused(page)) === 'trash-title', UI_TIMEOUT_MS);
    expect(await listTrash(user)).to.deep.equal([]);
    await expectUsage(page, '15 B used');

    // Back in My files, with its file.
    await filesTab.click();
    await expectVisible(item(page, 'Trip'));
    await item(page, 'Trip').getByRole('button', { name: 'Trip', exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: 'Trip', exact: true }));
    await expectVisible(item(page, 'notes.txt'));

    // A file deleted inside a folder goes back into that folder, which the confirmation names.
    await actOn(page, 'notes.txt', 'Delete');
    await dialogNamed(page, 'Delete notes.txt?').getByRole('button', { name: 'Delete', exact: true }).click();
    await expectGone(item(page, 'notes.txt'));
    await trashTab.click();
    await trashItem(page, 'notes.txt').getByRole('button', { name: 'Restore', exact: true }).click();
    await expectVisible(status(page, 'notes.txt restored to Trip'));
    const listed = await api('GET', `/files?parentId=${trip.id}`, { token: user.token });
    expect((listed.body as PublicFileBody[]).map((file) => file.name)).to.deep.equal(['notes.txt']);
  });

  it('deletes an item forever after a confirmation, and empties the trash', async function () {
    const user = await createUser();
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      const file = await upload(user.token, { name, type: 'file', data: base64(`${name} `.repeat(100)) });
      expect((await api('DELETE', `/files/${file.id}`, { token: user.token })).status).to.equal(204);
    }
    const before = await listTrash(user);
    // Newest first.
    expect(before.map((entry) => entry.name)).to.deep.equal(['c.txt', 'b.txt', 'a.txt']);
    await logIn(page, user);
    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    await expectVisible(trashItem(page, 'a.txt'));
    expect(await trash(page).getByRole('listitem').count()).to.equal(3);

    // Cancel keeps it; the confirmation starts on Cancel.
    await trashItem(page, 'b.txt').getByRole('button', { name: 'Delete forever', exact: true }).click();
    let confirm = dialogNamed(page, 'Delete b.txt forever?');
    await waitForText(confirm, 'cannot be undone');
    expect(await focused(page)).to.equal('Cancel');
    await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expectGone(confirm);
    expect(await trash(page).getByRole('listitem').count()).to.equal(3);

    // Delete forever: gone from the trash and from the server, the focus on the item now in its place.
    await trashItem(page, 'b.txt').getByRole('button', { name: 'Delete forever', exact: true }).click();
    confirm = dialogNamed(page, 'Delete b.txt forever?');
    await confirm.getByRole('button', { name: 'Delete forever', exact: true }).click();
    await expectGone(trashItem(page, 'b.txt'));
    await expectVisible(status(page, 'b.txt deleted for good'));
    await waitUntil('the focus on the next item', async () => (await focused(page)) === 'Restore', UI_TIMEOUT_MS);
    expect(await page.evaluate<string | null>("document.activeElement?.closest('li')?.getAttribute('aria-label') ?? null")).to.equal('a.txt');
    expect((await listTrash(user)).map((entry) => entry.name)).to.deep.equal(['c.txt', 'a.txt']);
    const gone = before.find((entry) => entry.name === 'b.txt')?.id ?? 'none';
    expect((await api('POST', `/trash/${gone}/restore`, { token: user.token })).status).to.equal(404);
    await expectUsage(page, '1.2 KiB used, 1.2 KiB of it in the trash');

    // Empty trash.
    await page.getByRole('button', { name: 'Empty trash', exact: true }).click();
    confirm = dialogNamed(page, 'Empty the trash?');
    await waitForText(confirm, 'Everything in the trash will be deleted for good');
    await screenshot(page, '17-empty-trash');
    await confirm.getByRole('button', { name: 'Empty trash', exact: true }).click();
    await expectGone(confirm);
    await expectVisible(page.getByText('The trash is empty.', { exact: true }));
    expect(await trash(page).isVisible()).to.equal(false);
    expect(await listTrash(user)).to.deep.equal([]);
    expect(await usageOf(user)).to.include({ used: 0, trash: 0, files: 0 });
    await expectUsage(page, '0 B used');
  });

  it('shows the usage against the quota, follows uploads and deletes, and refuses an upload over the quota with a clear message', async function () {
    const user = await createUser();
    await setUserQuota(new ObjectId(user.id), 100 * KIB);
    const uploadRequests: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/uploads')) uploadRequests.push(request.method());
    });
    await logIn(page, user);
    const meter = page.getByRole('meter');
    await expectVisible(page.getByRole('meter', { name: '0 B of 100.0 KiB used', exact: true }));
    expect(await meter.getAttribute('max')).to.equal(String(100 * KIB));

    // An upload that fits: the bar follows.
    const uploads = page.getByRole('list', { name: 'Uploads', exact: true });
    await pickFiles(page, [{ name: 'small.bin', mimeType: 'application/octet-stream', buffer: randomBytes(10 * KIB) }]);
    await expectVisible(item(page, 'small.bin'));
    await expectVisible(page.getByRole('meter', { name: '10.0 KiB of 100.0 KiB used', exact: true }));
    expect(await meter.evaluate((element) => (element as unknown as { value: number }).value)).to.equal(10 * KIB);

    // One that does not: refused at once, never retried, with the quota message in its row and in the alert.
    await page.getByRole('region', { name: 'Uploads', exact: true }).waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    const before = uploadRequests.length;
    await pickFiles(page, [{ name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(200 * KIB) }]);
    const alert = page.getByRole('alert');
    await waitForText(alert, QUOTA_MESSAGE);
    expect(await alert.textContent()).to.include('big.bin');
    await waitForText(uploads.getByRole('listitem'), QUOTA_MESSAGE);
    await screenshot(page, '18-quota-exceeded');
    // Give a retry the time to show itself: the first of the library's delays is 0, the next a second.
    await page.waitForTimeout(1500);
    expect(uploadRequests.slice(before)).to.deep.equal(['POST']);
    expect(await uploads.getByText('Retrying…').count()).to.equal(0);
    expect(await item(page, 'big.bin').count()).to.equal(0);
    expect(await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))')).to.not.include('/uploads/');

    // The trash counts against the quota: a file that fits only once the trash is emptied.
    await actOn(page, 'small.bin', 'Delete');
    await dialogNamed(page, 'Delete small.bin?').getByRole('button', { name: 'Delete', exact: true }).click();
    await expectGone(item(page, 'small.bin'));
    await expectVisible(page.getByRole('meter', { name: '10.0 KiB of 100.0 KiB used, 10.0 KiB of it in the trash', exact: true }));
    await page.getByRole('button', { name: 'Clear finished', exact: true }).click();
    await pickFiles(page, [{ name: 'fits-later.bin', mimeType: 'application/octet-stream', buffer: randomBytes(95 * KIB) }]);
    await waitForText(uploads.getByRole('listitem'), QUOTA_MESSAGE_WITH_TRASH);
    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    await page.getByRole('button', { name: 'Empty trash', exact: true }).click();
    await dialogNamed(page, 'Empty the trash?').getByRole('button', { name: 'Empty trash', exact: true }).click();
    await expectVisible(page.getByRole('meter', { name: '0 B of 100.0 KiB used', exact: true }));
    await views(page).getByRole('button', { name: 'My files', exact: true }).click();
    await page.getByRole('button', { name: 'Clear finished', exact: true }).click();
    await pickFiles(page, [{ name: 'fits-later.bin', mimeType: 'application/octet-stream', buffer: randomBytes(95 * KIB) }]);
    await expectVisible(item(page, 'fits-later.bin'));
    await expectVisible(page.getByRole('meter', { name: '95.0 KiB of 100.0 KiB used', exact: true }));
    expect(await usageOf(user)).to.deep.equal({ used: 95 * KIB, quota: 100 * KIB, trash: 0, files: 1 });
  });

  it('tells a drop folder’s visitor when the owner has no room left, without retrying', async function () {
    const user = await createUser();
    await setUserQuota(new ObjectId(user.id), 4 * KIB);
    const inbox = await upload(user.token, { name: 'Inbox', type: 'folder' });
    const created = await api('POST', `/files/${inbox.id}/links`, { token: user.token, json: { allowUpload: true } });
    expect(created.status, created.text).to.equal(201);
    const link = created.body as LinkBody;
    const uploadPosts: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === new URL(link.url).pathname) uploadPosts.push(request.url());
    });

    await page.goto(link.url);
    await expectVisible(page.getByRole('heading', { name: 'Send files to Inbox', exact: true }));
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files', exact: true }).click();
    await (await chooser).setFiles([{ name: 'too-big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(8 * KIB) }]);
    const sent = page.getByRole('list', { name: 'Sent files', exact: true });
    await waitForText(sent, 'Not sent: not enough space left in this folder');
    await waitForText(page.getByRole('alert'), 'too-big.bin');
    await page.waitForTimeout(1500);
    expect(uploadPosts).to.have.length(1);
    const listed = await api('GET', `/files?parentId=${inbox.id}`, { token: user.token });
    expect(listed.body).to.deep.equal([]);
  });
});
