/**
 * The browser app driven in Debian's Chromium, as a person would use it: every element is found
 * by its role and accessible name. The thumbnail worker runs as a real child process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { waitUntil } from '../../scripts/lib/wait';
import { createWebRouter, NOT_BUILT_MESSAGE, WEB_CSP } from '../../routes/web';
import { api, base64, createUser, harness, uniqueEmail, upload } from '../support';
import { actOn, downloaded, expectGone, expectVisible, files, item, pagePerTest, screenshot, selectionBar, THUMBNAIL_TIMEOUT_MS, UI_TIMEOUT_MS, waitForText } from './kit';

const TOKEN_KEY = 'filesManager.token';

/** A picture worth looking at in the screenshots: a sky gradient with a sun. */
async function makePhoto(width = 640, height = 400): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * 3;
      const sun = Math.hypot(x - width * 0.7, y - height * 0.35) < height * 0.13;
      const t = y / height;
      pixels[offset] = sun ? 255 : Math.round(60 + 180 * t);
      pixels[offset + 1] = sun ? 214 : Math.round(120 + 60 * t);
      pixels[offset + 2] = sun ? 90 : Math.round(220 - 90 * t);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function dialog(page: Page): Locator {
  return page.getByRole('dialog');
}

/** The width of the picture an <img> decoded; 0 until it has. */
async function naturalWidth(img: Locator): Promise<number> {
  // Serialized into the page: the cast only tells TypeScript, whose lib here has no DOM, what an <img> has.
  return img.evaluate((element) => {
    const picture = element as unknown as { complete: boolean; naturalWidth: number };
    return picture.complete ? picture.naturalWidth : 0;
  });
}

async function storedToken(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`);
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expectVisible(page.getByRole('button', { name: 'Log out', exact: true }));
}

/**
 * A signed URL of file `id`'s content on the app's own origin, with `query` among its parameters
 * (null: absent), and no token anywhere in it.
 */
function expectSignedUrl(url: string | null, id: string, token: string, query: Record<string, string | null> = {}): void {
  expect(url, 'a URL').to.be.a('string');
  const parsed = new URL(url ?? '');
  expect(parsed.origin).to.equal(new URL(harness().baseUrl).origin);
  expect(parsed.pathname).to.equal(`/files/${id}/data`);
  expect(parsed.searchParams.get('expires')).to.match(/^\d+$/);
  expect(parsed.searchParams.get('signature')).to.match(/^[\w-]+$/);
  for (const [name, value] of Object.entries(query)) expect(parsed.searchParams.get(name), name).to.equal(value);
  expect(url).to.not.include(token);
}

async function idOf(page: Page, name: string): Promise<string> {
  const id = await item(page, name).getAttribute('data-id');
  if (id === null) throw new Error(`${name} has no data-id`);
  return id;
}

/** What the page asked of /uploads and what it was told, each in order. */
interface TusTraffic {
  requests: { method: string; url: string; offset?: string }[];
  responses: { method: string; url: string; status: number; offset?: string; location?: string }[];
}

function watchUploads(page: Page): TusTraffic {
  const traffic: TusTraffic = { requests: [], responses: [] };
  const isUpload = (url: string): boolean => new URL(url).pathname.startsWith('/uploads');
  page.on('request', (request) => {
    if (isUpload(request.url())) traffic.requests.push({ method: request.method(), url: request.url(), offset: request.headers()['upload-offset'] });
  });
  page.on('response', (response) => {
    const request = response.request();
    if (!isUpload(request.url())) return;
    const headers = response.headers();
    traffic.responses.push({ method: request.method(), url: request.url(), status: response.status(), offset: headers['upload-offset'], location: headers.location });
  });
  return traffic;
}

async function pickFiles(page: Page, files: string[] | { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await (await chooser).setFiles(files);
}

describe('browser app', function () {
  this.timeout(240_000);
  const tab = pagePerTest({ worker: true, acceptDownloads: true });
  let page: Page;

  before(async function () {
    await tab.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: harness().baseUrl });
  });

  beforeEach(function () {
    page = tab.page;
  });

  it('takes a user from sign-up to logout: folders, uploads, thumbnails, previews, downloads, sharing, rename, move, delete', async function () {
    const email = uniqueEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const text = Buffer.from('Day 1: arrived.\nDay 2: <b>beach</b> & sun.\n');
    const photo = await makePhoto();
    const binary = randomBytes(48 * 1024);

    await page.goto('/');
    await expectVisible(page.getByLabel('Email'));
    await screenshot(page, '01-login');

    // Sign up, which logs in at once.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await expectVisible(page.getByRole('button', { name: 'Log out', exact: true }));
    await expectVisible(page.getByRole('banner').getByText(email));
    const token = await storedToken(page);
    expect(token).to.be.a('string').and.not.equal('');
    expect(await page.evaluate<number>('localStorage.length')).to.equal(0);
    expect(page.url()).to.not.include(token);

    // A folder, opened.
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await dialog(page).getByLabel('Folder name').fill('Holidays');
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    await expectVisible(item(page, 'Holidays'));
    await item(page, 'Holidays').getByRole('button', { name: 'Holidays', exact: true }).click();
    const breadcrumbs = page.getByRole('navigation', { name: 'Breadcrumbs' });
    await expectVisible(breadcrumbs.getByRole('button', { name: 'My files', exact: true }));
    await expectVisible(page.getByRole('heading', { name: 'Holidays', exact: true }));

    // Three files at once through the file picker, each with its progress bar.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'notes.txt', mimeType: 'text/plain', buffer: text },
      { name: 'photo.png', mimeType: 'image/png', buffer: photo },
      { name: 'data.bin', mimeType: 'application/octet-stream', buffer: binary },
    ]);
    const uploads = page.getByRole('list', { name: 'Uploads', exact: true });
    for (const name of ['notes.txt', 'photo.png', 'data.bin']) {
      const bar = uploads.getByRole('progressbar', { name: `Upload of ${name}`, exact: true });
      await expectVisible(bar);
      await waitUntil(`the upload of ${name} to finish`, async () => (await bar.getAttribute('value')) === (await bar.getAttribute('max')), UI_TIMEOUT_MS);
    }
    await waitUntil('three finished uploads', async () => (await uploads.getByText('Uploaded', { exact: true }).count()) === 3, UI_TIMEOUT_MS);
    for (const name of ['notes.txt', 'photo.png', 'data.bin']) await expectVisible(item(page, name));
    await screenshot(page, '02-uploads-done');

    // The worker's thumbnail replaces the placeholder.
    const thumbnail = item(page, 'photo.png').getByRole('img', { name: 'Thumbnail of photo.png', exact: true });
    await expectVisible(thumbnail, THUMBNAIL_TIMEOUT_MS);
    const photoId = await idOf(page, 'photo.png');
    expectSignedUrl(await thumbnail.getAttribute('src'), photoId, token as string, { size: '250', disposition: null });
    await waitUntil('the thumbnail to decode', async () => (await naturalWidth(thumbnail)) === 250, UI_TIMEOUT_MS);
    // Every upload done, the panel has closed by itself.
    await page.getByRole('region', { name: 'Uploads', exact: true }).waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await screenshot(page, '03-folder-with-thumbnail');

    // Image preview in the page.
    await item(page, 'photo.png').getByRole('button', { name: 'photo.png', exact: true }).click();
    const preview = page.getByRole('dialog', { name: 'photo.png' });
    const big = preview.getByRole('img', { name: 'photo.png', exact: true });
    await expectVisible(big);
    expectSignedUrl(await big.getAttribute('src'), photoId, token as string, { size: null, disposition: null });
    await waitUntil('the preview to decode', async () => (await naturalWidth(big)) === 640, UI_TIMEOUT_MS);
    await screenshot(page, '04-image-preview');
    await preview.getByRole('button', { name: 'Close', exact: true }).click();
    await expectGone(preview);

    // Text preview: shown as text, the markup in it stays text.
    await item(page, 'notes.txt').getByRole('button', { name: 'notes.txt', exact: true }).click();
    const textPreview = page.getByRole('dialog', { name: 'notes.txt' });
    const contents = textPreview.getByLabel('Contents of notes.txt');
    await waitForText(contents, 'Day 2');
    expect(await contents.textContent()).to.equal(text.toString());
    await screenshot(page, '05-text-preview');
    await textPreview.getByRole('button', { name: 'Close', exact: true }).click();
    await expectGone(textPreview);

    // Download: the very bytes that were uploaded.
    const image = await downloaded(page, () => actOn(page, 'photo.png', 'Download'));
    expect(image.download.suggestedFilename()).to.equal('photo.png');
    expectSignedUrl(image.download.url(), photoId, token as string, { size: null, disposition: 'attachment' });
    expect(image.bytes.equals(photo)).to.equal(true);
    const other = await downloaded(page, () => actOn(page, 'data.bin', 'Download'));
    expect(other.bytes.equals(binary)).to.equal(true);

    // Publish: the link works for anyone, without a token.
    await actOn(page, 'photo.png', 'Publish');
    await expectVisible(selectionBar(page).getByRole('button', { name: 'Unpublish', exact: true }));
    const linkField = selectionBar(page).getByRole('textbox', { name: 'Public link', exact: true });
    const link = await linkField.inputValue();
    expect(await linkField.getAttribute('readonly')).to.not.equal(null);
    expect(link.startsWith(`${harness().baseUrl}/files/`)).to.equal(true);
    const anonymous = await fetch(link);
    expect(anonymous.status).to.equal(200);
    expect(Buffer.from(await anonymous.arrayBuffer()).equals(photo)).to.equal(true);
    await selectionBar(page).getByRole('button', { name: 'Copy link', exact: true }).click();
    await waitForText(page.getByRole('status').filter({ hasText: 'copied' }), 'copied');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).to.equal(link);
    await screenshot(page, '06-public-link');

    // Rename.
    await actOn(page, 'notes.txt', 'Rename');
    await dialog(page).getByLabel('New name').fill('journal.txt');
    await dialog(page).getByRole('button', { name: 'Rename', exact: true }).click();
    await expectVisible(item(page, 'journal.txt'));
    await expectGone(item(page, 'notes.txt'));

    // Move to the root through the move dialog, browsing into a folder and back on the way.
    await actOn(page, 'data.bin', 'Move');
    const move = page.getByRole('dialog', { name: 'Move data.bin' });
    await move.getByRole('listitem').getByRole('button', { name: 'Holidays', exact: true }).click();
    await expectVisible(move.getByRole('navigation', { name: 'Destination folder' }).getByRole('button', { name: 'My files', exact: true }));
    await move.getByRole('navigation', { name: 'Destination folder' }).getByRole('button', { name: 'My files', exact: true }).click();
    await expectVisible(move.getByRole('listitem').getByRole('button', { name: 'Holidays', exact: true }));
    await screenshot(page, '07-move-dialog');
    await move.getByRole('button', { name: 'Move here', exact: true }).click();
    await expectGone(move);
    await expectGone(item(page, 'data.bin'));
    await breadcrumbs.getByRole('button', { name: 'My files', exact: true }).click();
    await expectVisible(item(page, 'data.bin'));
    await expectVisible(item(page, 'Holidays'));

    // Delete, after confirming.
    await item(page, 'Holidays').getByRole('button', { name: 'Holidays', exact: true }).click();
    await expectVisible(item(page, 'journal.txt'));
    await actOn(page, 'journal.txt', 'Delete');
    const confirm = page.getByRole('dialog', { name: 'Delete journal.txt?' });
    await expectVisible(confirm);
    await screenshot(page, '08-delete-confirmation');
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await expectGone(item(page, 'journal.txt'));
    await expectVisible(item(page, 'photo.png'));

    // Log out: the form is back, the token gone from the tab and from the server.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expectVisible(page.getByLabel('Email'));
    await expectVisible(page.getByLabel('Password'));
    expect(await storedToken(page)).to.equal(null);
    expect(await page.evaluate<number>('sessionStorage.length')).to.equal(0);
    await waitUntil('the token to be revoked', async () => (await api('GET', '/users/me', { token: token as string })).status === 401, UI_TIMEOUT_MS);
  });

  it('loads thumbnails and downloads from signed URLs that need no token, reusing a thumbnail’s URL', async function () {
    const user = await createUser();
    const photo = await makePhoto(320, 200);
    const image = await upload(user.token, { name: 'sunset.png', type: 'image', data: base64(photo) });
    await upload(user.token, { name: 'Album', type: 'folder' });
    // Every request the page makes for file content, and every signed URL it asks for.
    const reads: { url: string; token: string | undefined }[] = [];
    let signings = 0;
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname === `/files/${image.id}/data`) reads.push({ url: request.url(), token: request.headers()['x-token'] });
      if (pathname === `/files/${image.id}/url` && request.method() === 'POST') signings += 1;
    });
    await page.goto('/');
    await logIn(page, user.email, user.password);

    const thumbnail = item(page, 'sunset.png').getByRole('img', { name: 'Thumbnail of sunset.png', exact: true });
    await expectVisible(thumbnail, THUMBNAIL_TIMEOUT_MS);
    await waitUntil('the thumbnail to decode', async () => (await naturalWidth(thumbnail)) === 250, UI_TIMEOUT_MS);
    const src = await thumbnail.getAttribute('src');
    expectSignedUrl(src, image.id, user.token, { size: '250', disposition: null });
    // The URL alone is enough, and the page sent no token with it either.
    const anonymous = await fetch(src ?? '');
    expect(anonymous.status).to.equal(200);
    expect(anonymous.headers.get('cache-control')).to.match(/^private, max-age=\d+$/);
    expect((await sharp(Buffer.from(await anonymous.arrayBuffer())).metadata()).width).to.equal(250);
    expect(reads).to.not.be.empty;
    expect(reads.filter((read) => read.token !== undefined)).to.deep.equal([]);

    // Listing the folder again shows the very same URL, which the browser's cache answers: no new signature.
    const signedBefore = signings;
    await item(page, 'Album').getByRole('button', { name: 'Album', exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: 'Album', exact: true }));
    await breadcrumbs(page).getByRole('button', { name: 'My files', exact: true }).click();
    await expectVisible(thumbnail);
    expect(await thumbnail.getAttribute('src')).to.equal(src);
    expect(signings).to.equal(signedBefore);

    // The download goes through the browser's download manager, from an attachment URL.
    const saved = await downloaded(page, () => actOn(page, 'sunset.png', 'Download'));
    expectSignedUrl(saved.download.url(), image.id, user.token, { size: null, disposition: 'attachment' });
    expect(saved.download.suggestedFilename()).to.equal('sunset.png');
    expect(saved.bytes.equals(photo)).to.equal(true);
    expect(reads.filter((read) => read.token !== undefined)).to.deep.equal([]);
  });

  it('never runs an uploaded HTML page: opening or downloading it only downloads', async function () {
    const { context } = tab;
    const user = await createUser();
    const html = Buffer.from(
      "<!doctype html><title>pwned</title><script>parent.postMessage('pwned','*');document.title='pwned';window.top.__pwned=1</script>",
    );
    // Watch from the start of the page for anything the file could do, and for any blob: made (none should be: downloads are signed URLs).
    await page.addInitScript(`
      window.__messages = [];
      window.__blobTypes = [];
      window.addEventListener('message', (event) => window.__messages.push(event.data));
      const create = URL.createObjectURL.bind(URL);
      URL.createObjectURL = (object) => {
        window.__blobTypes.push(object instanceof Blob ? object.type : 'other');
        return create(object);
      };
    `);
    const pagesBefore = context.pages().length;
    await page.goto('/');
    await logIn(page, user.email, user.password);

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await (await chooser).setFiles([{ name: 'evil.html', mimeType: 'text/html', buffer: html }]);
    await expectVisible(item(page, 'evil.html'));

    const id = await idOf(page, 'evil.html');
    const opened = await downloaded(page, () => item(page, 'evil.html').getByRole('button', { name: 'evil.html', exact: true }).click());
    expect(opened.bytes.equals(html)).to.equal(true);
    expectSignedUrl(opened.download.url(), id, user.token, { disposition: 'attachment' });
    const saved = await downloaded(page, () => actOn(page, 'evil.html', 'Download'));
    expect(saved.bytes.equals(html)).to.equal(true);
    expectSignedUrl(saved.download.url(), id, user.token, { disposition: 'attachment' });
    // Even opened in a tab, the URL only ever downloads.
    const head = await fetch(saved.download.url(), { method: 'HEAD' });
    expect(head.headers.get('content-disposition')).to.match(/^attachment/);
    // Give a script that did get loaded somewhere the time to run.
    await page.waitForTimeout(1000);

    expect(await page.evaluate<unknown>('window.__pwned')).to.equal(undefined);
    expect(await page.evaluate<unknown[]>('window.__messages')).to.deep.equal([]);
    expect(await page.evaluate<string[]>('window.__blobTypes')).to.deep.equal([]);
    expect(await page.title()).to.not.equal('pwned');
    expect(context.pages().length).to.equal(pagesBefore);
    for (const open of context.pages()) expect(await open.title()).to.not.equal('pwned');
    expect(page.frames()).to.have.length(1);
  });

  it('shows the API’s error messages in the alert', async function () {
    const user = await createUser();
    await page.goto('/');
    await logIn(page, user.email, user.password);
    const alert = page.getByRole('alert');

    // Renaming to an empty name: the API's 400 "Missing name", shown in the dialog's alert.
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await dialog(page).getByLabel('Folder name').fill('Temporary');
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    await expectVisible(item(page, 'Temporary'));
    await actOn(page, 'Temporary', 'Rename');
    await dialog(page).getByLabel('New name').fill('');
    await dialog(page).getByRole('button', { name: 'Rename', exact: true }).click();
    await waitForText(dialog(page).getByRole('alert'), 'Missing name');
    await dialog(page).getByRole('button', { name: 'Cancel', exact: true }).click();
    await expectVisible(item(page, 'Temporary'));

    // A folder deleted behind the app's back: creating inside it gives "Parent not found".
    await item(page, 'Temporary').getByRole('button', { name: 'Temporary', exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: 'Temporary', exact: true }));
    const listed = await api('GET', '/files?parentId=0', { token: user.token });
    const folder = (listed.body as { id: string; name: string }[]).find((file) => file.name === 'Temporary');
    expect((await api('DELETE', `/files/${folder?.id ?? 'none'}`, { token: user.token })).status).to.equal(204);
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await dialog(page).getByLabel('Folder name').fill('Inside');
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    await waitForText(dialog(page).getByRole('alert'), 'Parent not found');
    await dialog(page).getByRole('button', { name: 'Cancel', exact: true }).click();

    // The same upload into it: the page's own alert names the file and the API's message.
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await (await chooser).setFiles([{ name: 'late.txt', mimeType: 'text/plain', buffer: Buffer.from('too late') }]);
    await waitForText(alert, 'Parent not found');
    expect(await alert.textContent()).to.include('late.txt');

    // A 413 cannot be provoked in-process (the limit is 100 MiB); its answer is replayed instead.
    await page.route(/\/uploads$/, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 413, contentType: 'application/json', body: JSON.stringify({ error: 'Payload too large' }) })
        : route.fallback(),
    );
    await breadcrumbs(page).getByRole('button', { name: 'My files', exact: true }).click();
    const tooBig = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await (await tooBig).setFiles([{ name: 'huge.iso', mimeType: 'application/octet-stream', buffer: randomBytes(1024) }]);
    await waitForText(alert, 'Payload too large');
    expect(await alert.textContent()).to.include('huge.iso');
    expect(await alert.textContent()).to.include('larger than the server accepts');
    await screenshot(page, '09-error-alert');

    // A token the server no longer knows sends the user back to the login form.
    await api('GET', '/disconnect', { token: (await storedToken(page)) ?? '' });
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await dialog(page).getByLabel('Folder name').fill('After logout');
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    await expectVisible(page.getByLabel('Email'));
    await waitForText(page.locator('#auth-status'), 'session has ended');
    expect(await storedToken(page)).to.equal(null);
  });

  it('lists a folder 20 items at a time, Load more bringing the next ones, and uploads what is dropped on it', async function () {
    const user = await createUser();
    for (let index = 1; index <= 21; index += 1) {
      const created = await api('POST', '/files', { token: user.token, json: { name: `folder-${String(index).padStart(2, '0')}`, type: 'folder' } });
      expect(created.status).to.equal(201);
    }
    await page.goto('/');
    await logIn(page, user.email, user.password);
    const more = page.getByRole('button', { name: 'Load more', exact: true });
    await expectVisible(item(page, 'folder-20'));
    expect(await files(page).getByRole('row').count()).to.equal(20);
    expect(await item(page, 'folder-21').count()).to.equal(0);

    await more.click();
    await expectVisible(item(page, 'folder-21'));
    expect(await files(page).getByRole('row').count()).to.equal(21);
    await more.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });

    // A file dropped from the desktop, as the browser delivers it: a drop event carrying a DataTransfer.
    const dataTransfer = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped on the page'], 'dropped.txt', { type: 'text/plain' }));
      return transfer;
    })()`);
    const region = page.getByRole('region', { name: 'My files' });
    await region.dispatchEvent('dragenter', { dataTransfer });
    await region.dispatchEvent('drop', { dataTransfer });
    await expectVisible(page.getByRole('list', { name: 'Uploads' }).getByText('Uploaded', { exact: true }));
    await expectVisible(item(page, 'dropped.txt'));
    const listed = await api('GET', '/files?parentId=0&page=1', { token: user.token });
    expect((listed.body as { name: string }[]).map((file) => file.name)).to.deep.equal(['folder-21', 'dropped.txt']);
    // Listed again in place: all of it still shown, the new file among it.
    expect(await files(page).getByRole('row').count()).to.equal(22);
    await expectVisible(item(page, 'folder-21'));
    expect(await more.isVisible()).to.equal(false);
  });
  it('resumes an upload after a reload when the same file is picked again, and deletes a cancelled one on the server', async function () {
    const { context } = tab;
    const user = await createUser();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'files-manager-resume-'));
    // Slow enough to reload mid-upload, fast enough to keep the test to a few seconds.
    const uploadRate = 512 * 1024;
    try {
      // Files on disk, not buffers: a second pick must have the same lastModified, part of the resume key.
      const big = randomBytes(2 * 1024 * 1024);
      const bigPath = path.join(dir, 'big.bin');
      writeFileSync(bigPath, big);
      const otherPath = path.join(dir, 'other.bin');
      writeFileSync(otherPath, randomBytes(2 * 1024 * 1024));
      const traffic = watchUploads(page);
      const uploads = page.getByRole('list', { name: 'Uploads', exact: true });
      await page.goto('/');
      await logIn(page, user.email, user.password);
      const cdp = await context.newCDPSession(page);
      const throttle = async (bytesPerSecond: number): Promise<void> => {
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
      };
      await cdp.send('Network.enable');
      await throttle(uploadRate);

      await pickFiles(page, [bigPath]);
      const bar = uploads.getByRole('progressbar', { name: 'Upload of big.bin', exact: true });
      await waitUntil('a quarter of big.bin sent', async () => Number(await bar.getAttribute('value')) >= big.length / 4, UI_TIMEOUT_MS, 50);
      const uploadUrl = traffic.responses.find((response) => response.method === 'POST' && response.status === 201)?.location ?? '';
      expect(uploadUrl).to.match(/\/uploads\/[0-9a-f]{32}$/);

      // The reload cuts the PATCH off. The tab keeps its session; localStorage keeps the upload's URL, never the token.
      const requestsBefore = traffic.requests.length;
      const responsesBefore = traffic.responses.length;
      await page.reload();
      await expectVisible(page.getByRole('button', { name: 'Log out', exact: true }));
      const stored = await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))');
      expect(stored).to.include(uploadUrl);
      expect(stored).to.not.include(user.token);
      // The server keeps what arrived before the cut; once it has recorded it, the page may ask.
      const serverOffset = async (): Promise<number> =>
        Number((await api('HEAD', new URL(uploadUrl).pathname, { token: user.token, headers: { 'Tus-Resumable': '1.0.0' } })).headers.get('upload-offset'));
      await waitUntil('the server to hold part of big.bin', async () => (await serverOffset()) > 0, UI_TIMEOUT_MS);
      await throttle(uploadRate);

      await pickFiles(page, [bigPath]);
      await waitForText(uploads, 'Resuming');
      await throttle(-1);
      await waitForText(uploads, 'Uploaded');
      const requestsAfter = traffic.requests.slice(requestsBefore);
      const head = traffic.responses.slice(responsesBefore).find((response) => response.method === 'HEAD');
      expect(requestsAfter.map((request) => request.method)).to.not.include('POST');
      expect(requestsAfter[0]).to.include({ method: 'HEAD', url: uploadUrl });
      expect(head).to.include({ url: uploadUrl, status: 200 });
      const resumedAt = Number(head?.offset);
      expect(resumedAt).to.be.greaterThan(0).and.lessThan(big.length);
      expect(requestsAfter[1]).to.include({ method: 'PATCH', url: uploadUrl, offset: String(resumedAt) });

      await expectVisible(item(page, 'big.bin'));
      const saved = await downloaded(page, () => actOn(page, 'big.bin', 'Download'));
      expect(saved.bytes.equals(big)).to.equal(true);
      // A finished upload is forgotten: the same file picked again would be a new copy.
      expect(await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))')).to.not.include(uploadUrl);

      // Cancel deletes the upload on the server, and forgets it here.
      await throttle(uploadRate);
      const responsesBeforeCancel = traffic.responses.length;
      await pickFiles(page, [otherPath]);
      const otherBar = uploads.getByRole('progressbar', { name: 'Upload of other.bin', exact: true });
      await waitUntil('some of other.bin sent', async () => Number(await otherBar.getAttribute('value')) > 0, UI_TIMEOUT_MS, 50);
      const otherUrl = traffic.responses.slice(responsesBeforeCancel).find((response) => response.method === 'POST' && response.status === 201)?.location ?? '';
      expect(otherUrl).to.match(/\/uploads\/[0-9a-f]{32}$/);
      await uploads.getByRole('button', { name: 'Cancel upload of other.bin', exact: true }).click();
      await waitForText(uploads, 'Cancelled');
      await throttle(-1);
      await waitUntil('the DELETE', () => traffic.responses.some((response) => response.method === 'DELETE' && response.url === otherUrl && response.status === 204), UI_TIMEOUT_MS);
      const gone = await api('HEAD', new URL(otherUrl).pathname, { token: user.token, headers: { 'Tus-Resumable': '1.0.0' } });
      expect(gone.status).to.equal(404);
      expect(await page.evaluate<string>('JSON.stringify(Object.entries(localStorage))')).to.not.include(otherUrl);

      // An empty file has nothing to PATCH: the POST alone finishes it.
      await pickFiles(page, [{ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) }]);
      await expectVisible(item(page, 'empty.txt'));
      const listed = await api('GET', '/files?parentId=0', { token: user.token });
      expect((listed.body as { name: string }[]).map((file) => file.name).sort()).to.deep.equal(['big.bin', 'empty.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function breadcrumbs(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Breadcrumbs' });
}

describe('web routes', function () {
  it('serves the page and its assets under the app’s CSP, and leaves other paths to the API', async function () {
    const { baseUrl } = harness();
    const index = await fetch(`${baseUrl}/`);
    expect(index.status).to.equal(200);
    expect(index.headers.get('content-type')).to.match(/^text\/html/);
    expect(index.headers.get('content-security-policy')).to.equal(WEB_CSP);
    const html = await index.text();
    expect(html).to.include('<script type="module" src="/assets/main.js"></script>');
    expect(html).to.include('<script defer src="/assets/tus.min.js"></script>');
    expect(html).to.not.match(/\sstyle=|<script>|\son[a-z]+=/i);

    const head = await fetch(`${baseUrl}/`, { method: 'HEAD' });
    expect(head.status).to.equal(200);

    for (const [asset, type] of [
      ['/assets/main.js', /javascript/],
      ['/assets/tus.min.js', /javascript/],
      ['/assets/app.css', /^text\/css/],
    ] as const) {
      const response = await fetch(baseUrl + asset);
      expect(response.status, asset).to.equal(200);
      expect(response.headers.get('content-type'), asset).to.match(type);
      expect(response.headers.get('content-security-policy'), asset).to.equal(WEB_CSP);
    }

    // The library as installed, not a copy that could drift from package.json.
    const bundle = await fetch(`${baseUrl}/assets/tus.min.js`);
    expect(await bundle.text()).to.equal(readFileSync(require.resolve('tus-js-client/dist/tus.min.js'), 'utf8'));

    for (const hidden of ['/assets/tsconfig.json', '/assets/src/main.ts', '/assets/index.html', '/assets/../package.json', '/nowhere']) {
      const response = await fetch(baseUrl + hidden);
      expect(response.status, hidden).to.equal(404);
      expect(await response.json(), hidden).to.deep.equal({ error: 'Not found' });
      expect(response.headers.get('content-security-policy'), hidden).to.not.equal(WEB_CSP);
    }
  });

  it('answers 503 with a JSON error when the app was not built', async function () {
    const webRoot = mkdtempSync(path.join(os.tmpdir(), 'files-manager-web-'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html>');
    const app = express().use(createWebRouter(webRoot));
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).to.equal(503);
      expect(await response.json()).to.deep.equal({ error: NOT_BUILT_MESSAGE });
    } finally {
      server.close();
      rmSync(webRoot, { recursive: true, force: true });
    }
  });
});
