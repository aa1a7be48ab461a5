/**
 * Shared links in the browser: the owner's share dialog in the app, and the page a visitor with
 * no account gets at /s/<token> (web/share.html), each in a browser context of its own, so the
 * visitor has nothing of the owner's: no token, no storage, no cookie. Elements are found by
 * role and accessible name, as in app.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startWorkerProcess, type AppProcess } from '../../scripts/lib/processes';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/lib/chromium';
import { waitUntil } from '../../scripts/lib/wait';
import { WEB_CSP } from '../../routes/web';
import { api, base64, createUser, harness, makeImage, upload, type LinkBody, type PublicFileBody, type TestUser } from '../support';
import { actOn, downloaded, expectGone, expectVisible, files, item, logIn, screenshot, THUMBNAIL_TIMEOUT_MS, UI_TIMEOUT_MS, waitForText, watchForProblems } from './kit';


function heading(page: Page, name: string): Locator {
  return page.getByRole('heading', { name, exact: true, level: 1 });
}


function shareDialog(page: Page, name: string): Locator {
  return page.getByRole('dialog', { name: `Share ${name}`, exact: true });
}

/** Opens the share dialog of `name` in the listing shown. */
async function openShare(page: Page, name: string): Promise<Locator> {
  await actOn(page, name, 'Share');
  const dialog = shareDialog(page, name);
  await expectVisible(dialog);
  await expectGone(dialog.getByText('Loading links…'));
  return dialog;
}

/** The fact `term` (Expires, Downloads, Password, Drop folder) of a link in the dialog. */
function fact(link: Locator, term: string): Locator {
  return link.locator('dl div').filter({ has: link.page().locator('dt', { hasText: term }) }).locator('dd');
}

async function listLinks(user: TestUser, fileId: string): Promise<LinkBody[]> {
  const response = await api('GET', `/files/${fileId}/links`, { token: user.token });
  expect(response.status).to.equal(200);
  return response.body as LinkBody[];
}

async function createLinkByApi(user: TestUser, fileId: string, options: Record<string, unknown> = {}): Promise<LinkBody> {
  const response = await api('POST', `/files/${fileId}/links`, { token: user.token, json: options });
  expect(response.status, response.text).to.equal(201);
  return response.body as LinkBody;
}

function tokenOf(url: string): string {
  const match = /\/s\/([\w-]{32})$/.exec(new URL(url).pathname);
  if (match?.[1] === undefined) throw new Error(`${url} is no link's URL`);
  return match[1];
}

describe('shared links in the browser', function () {
  this.timeout(240_000);
  let worker: AppProcess | undefined;
  let browser: Browser | undefined;
  let owner: BrowserContext;
  let visitor: BrowserContext;
  let ownerPage: Page;
  let visitorPage: Page;
  /** Every URL the visitor's page asked for, in order. */
  let visited: string[];
  let problems: string[];

  const watch = (page: Page, who: string): void => watchForProblems(page, problems, who);

  before(async function () {
    worker = await startWorkerProcess({ env: harness().env });
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
  });

  after(async function () {
    await browser?.close();
    await worker?.kill();
  });

  beforeEach(async function () {
    if (browser === undefined) throw new Error('no browser');
    problems = [];
    visited = [];
    owner = await browser.newContext({ baseURL: harness().baseUrl, viewport: { width: 1280, height: 860 } });
    await owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: harness().baseUrl });
    // The visitor: another context, so nothing of the owner's session is shared.
    visitor = await browser.newContext({ baseURL: harness().baseUrl, viewport: { width: 1100, height: 800 }, acceptDownloads: true });
    ownerPage = await owner.newPage();
    visitorPage = await visitor.newPage();
    watch(ownerPage, 'owner');
    watch(visitorPage, 'visitor');
    visitorPage.on('request', (request) => visited.push(request.url()));
  });

  afterEach(async function () {
    await owner.close();
    await visitor.close();
    expect(problems, 'script errors or CSP violations in the pages').to.deep.equal([]);
  });

  it('shares a file with a password: the visitor types it, downloads the file, and the password is kept nowhere but an HttpOnly cookie', async function () {
    const user = await createUser();
    const content = randomBytes(40 * 1024);
    const file = await upload(user.token, { name: 'secret.bin', type: 'file', data: base64(content) });
    const password = `pw-${randomBytes(6).toString('hex')}`;

    // The owner creates a link with a password and a limit of 5 downloads, and copies it.
    await logIn(ownerPage, user);
    let dialog = await openShare(ownerPage, 'secret.bin');
    await waitForText(dialog, 'No links yet');
    // A file has no drop folder option.
    expect(await dialog.getByLabel('Allow uploads').count()).to.equal(0);
    await dialog.getByLabel('Password (optional)').fill(password);
    await dialog.getByLabel('Maximum downloads (optional)').fill('5');
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    const link = dialog.getByRole('listitem', { name: 'Link 1', exact: true });
    await expectVisible(link);
    const urlField = link.getByRole('textbox', { name: 'Link URL', exact: true });
    const url = await urlField.inputValue();
    expect(await urlField.getAttribute('readonly')).to.not.equal(null);
    expect(url).to.match(new RegExp(`^${harness().baseUrl}/s/[\\w-]{32}$`));
    expect(url).to.not.include(password);
    expect(await fact(link, 'Password').textContent()).to.equal('Yes');
    expect(await fact(link, 'Downloads').textContent()).to.equal('0 of 5');
    expect(await fact(link, 'Expires').textContent()).to.equal('Never');
    // The password field is emptied once the link exists.
    expect(await dialog.getByLabel('Password (optional)').inputValue()).to.equal('');
    await link.getByRole('button', { name: 'Copy', exact: true }).click();
    await waitForText(dialog.getByRole('status'), 'Link 1 copied');
    expect(await ownerPage.evaluate<string>('navigator.clipboard.readText()')).to.equal(url);
    expect((await listLinks(user, file.id)).map((listed) => listed.url)).to.deep.equal([url]);
    await screenshot(ownerPage, '10-share-dialog');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expectGone(dialog);

    // The visitor, with no session, opens the URL: the password form.
    const token = tokenOf(url);
    await visitorPage.goto(url);
    await expectVisible(heading(visitorPage, 'This link is protected'));
    await screenshot(visitorPage, '11-link-password');
    await visitorPage.getByLabel('Password', { exact: true }).fill(`${password}-wrong`);
    await visitorPage.getByRole('button', { name: 'Open', exact: true }).click();
    await waitForText(visitorPage.getByRole('alert'), 'Password required');
    expect(await visitorPage.getByRole('alert').textContent()).to.include('not right');
    await expectVisible(heading(visitorPage, 'This link is protected'));

    // The right one: the file, with its size and a download link.
    await visitorPage.getByLabel('Password', { exact: true }).fill(password);
    await visitorPage.getByRole('button', { name: 'Open', exact: true }).click();
    await expectVisible(heading(visitorPage, 'secret.bin'));
    expect(await visitorPage.getByRole('alert').isHidden()).to.equal(true);
    await waitForText(visitorPage.locator('main'), '40.0 KiB');
    expect(await visitorPage.title()).to.equal('secret.bin · Files Manager');
    await screenshot(visitorPage, '12-link-file');
    const downloadLink = visitorPage.getByRole('link', { name: 'Download', exact: true });
    expect(await downloadLink.getAttribute('href')).to.equal(`/s/${token}/files/${file.id}/data`);
    const saved = await downloaded(visitorPage, () => downloadLink.click());
    expect(saved.download.suggestedFilename()).to.equal('secret.bin');
    expect(saved.bytes.equals(content)).to.equal(true);

    // The password went into no URL, no storage; the proof of it is an HttpOnly cookie of this link's path.
    expect(visited.length).to.be.greaterThan(0);
    for (const requested of [...visited, visitorPage.url(), saved.download.url()]) expect(requested).to.not.include(password);
    const stored = await visitorPage.evaluate<string>('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])');
    expect(stored).to.not.include(password);
    expect(stored).to.not.include(token);
    expect(await visitorPage.evaluate<string>('document.cookie')).to.equal('');
    const cookies = await visitor.cookies();
    expect(cookies.map((cookie) => cookie.name)).to.deep.equal(['fm_link']);
    const [cookie] = cookies;
    expect(cookie).to.include({ httpOnly: true, path: `/s/${token}`, sameSite: 'Strict' });
    expect(cookie?.value).to.not.include(password);
    expect(cookie?.expires ?? 0).to.be.within(Date.now() / 1000 + 3500, Date.now() / 1000 + 3700);

    // A reload within the hour needs no password again.
    await visitorPage.reload();
    await expectVisible(heading(visitorPage, 'secret.bin'));

    // The owner sees the download counted.
    dialog = await openShare(ownerPage, 'secret.bin');
    await waitForText(fact(dialog.getByRole('listitem', { name: 'Link 1', exact: true }), 'Downloads'), '1 of 5');
    expect((await listLinks(user, file.id))[0]?.downloads).to.equal(1);
  });

  it('lets a visitor browse a shared folder: sub-folders in the URL’s hash, Back, thumbnails, downloads and More', async function () {
    const user = await createUser();
    const trip = await upload(user.token, { name: 'Trip', type: 'folder' });
    const day = await upload(user.token, { name: 'Day 1', type: 'folder', parentId: trip.id });
    const many = await upload(user.token, { name: 'Many', type: 'folder', parentId: trip.id });
    const photo = await makeImage(400, 300);
    const image = await upload(user.token, { name: 'photo.png', type: 'image', data: base64(photo), parentId: trip.id });
    const notes = Buffer.from('Arrived at noon.\n');
    await upload(user.token, { name: 'notes.txt', type: 'file', data: base64(notes), parentId: day.id });
    const others: PublicFileBody[] = [];
    for (let index = 1; index <= 21; index += 1) {
      others.push(await upload(user.token, { name: `file-${String(index).padStart(2, '0')}.txt`, type: 'file', data: base64(`file ${index}`), parentId: many.id }));
    }
    // Somewhere the link does not reach.
    const outside = await upload(user.token, { name: 'Private', type: 'folder' });
    const link = await createLinkByApi(user, trip.id);
    // The listing shows a thumbnail that exists; the worker makes it soon after the upload.
    await waitUntil('the thumbnail', async () => (await api('HEAD', `/files/${image.id}/data?size=250`, { token: user.token })).status === 200, THUMBNAIL_TIMEOUT_MS);

    await visitorPage.goto(link.url);
    await expectVisible(heading(visitorPage, 'Trip'));
    for (const name of ['Day 1', 'Many', 'photo.png']) await expectVisible(item(visitorPage, name));
    const thumbnail = item(visitorPage, 'photo.png').getByRole('img', { name: 'Thumbnail of photo.png', exact: true });
    await expectVisible(thumbnail);
    expect(await thumbnail.getAttribute('src')).to.equal(`/s/${tokenOf(link.url)}/files/${image.id}/data?size=250`);
    await screenshot(visitorPage, '13-link-folder');

    // Into a sub-folder: its id in the hash, breadcrumbs back to the linked folder.
    await item(visitorPage, 'Day 1').getByRole('link', { name: 'Day 1', exact: true }).click();
    await expectVisible(heading(visitorPage, 'Day 1'));
    expect(new URL(visitorPage.url()).hash).to.equal(`#${day.id}`);
    const crumbs = visitorPage.getByRole('navigation', { name: 'Breadcrumbs' });
    await expectVisible(crumbs.getByRole('link', { name: 'Trip', exact: true }));
    const saved = await downloaded(visitorPage, () => item(visitorPage, 'notes.txt').getByRole('link', { name: 'Download', exact: true }).click());
    expect(saved.download.suggestedFilename()).to.equal('notes.txt');
    expect(saved.bytes.equals(notes)).to.equal(true);

    // Back returns to the linked folder, Forward to the sub-folder, and a reload stays there.
    await visitorPage.goBack();
    await expectVisible(heading(visitorPage, 'Trip'));
    await expectVisible(item(visitorPage, 'photo.png'));
    expect(new URL(visitorPage.url()).hash).to.equal('');
    await visitorPage.goForward();
    await expectVisible(heading(visitorPage, 'Day 1'));
    await visitorPage.reload();
    await expectVisible(heading(visitorPage, 'Day 1'));
    await expectVisible(item(visitorPage, 'notes.txt'));
    await crumbs.getByRole('link', { name: 'Trip', exact: true }).click();
    await expectVisible(heading(visitorPage, 'Trip'));

    // 21 files: a page of 20, then "More" brings the last one.
    await item(visitorPage, 'Many').getByRole('link', { name: 'Many', exact: true }).click();
    await expectVisible(heading(visitorPage, 'Many'));
    await expectVisible(item(visitorPage, 'file-20.txt'));
    expect(await files(visitorPage).getByRole('listitem').count()).to.equal(20);
    await visitorPage.getByRole('button', { name: 'More', exact: true }).click();
    await expectVisible(item(visitorPage, 'file-21.txt'));
    expect(await files(visitorPage).getByRole('listitem').count()).to.equal(others.length);
    expect(await visitorPage.getByRole('button', { name: 'More', exact: true }).isHidden()).to.equal(true);

    // A folder outside the link, typed into the hash: said, and back to the linked folder.
    await visitorPage.goto(`${link.url}#${outside.id}`);
    await waitForText(visitorPage.getByRole('alert'), 'not part of this link');
    await expectVisible(heading(visitorPage, 'Trip'));
    expect(await visitorPage.getByText('Private', { exact: true }).count()).to.equal(0);
  });

  it('takes files into a drop folder created in the share dialog, and shows the visitor nothing of the folder', async function () {
    const user = await createUser();
    const inbox = await upload(user.token, { name: 'Inbox', type: 'folder' });
    await upload(user.token, { name: 'already-there.txt', type: 'file', data: base64('private'), parentId: inbox.id });

    await logIn(ownerPage, user);
    const dialog = await openShare(ownerPage, 'Inbox');
    await dialog.getByLabel('Allow uploads').check();
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    const link = dialog.getByRole('listitem', { name: 'Link 1', exact: true });
    await expectVisible(link);
    expect(await fact(link, 'Drop folder').textContent()).to.equal('Yes');
    expect(await fact(link, 'Password').textContent()).to.equal('No');
    const url = await link.getByRole('textbox', { name: 'Link URL', exact: true }).inputValue();

    await visitorPage.goto(url);
    await expectVisible(heading(visitorPage, 'Send files to Inbox'));
    expect(await visitorPage.getByText('already-there.txt').count()).to.equal(0);
    expect(await files(visitorPage).count()).to.equal(0);
    const report = randomBytes(64 * 1024);
    const chooser = visitorPage.waitForEvent('filechooser');
    await visitorPage.getByRole('button', { name: 'Choose files', exact: true }).click();
    await (
      await chooser
    ).setFiles([
      { name: 'report.bin', mimeType: 'application/octet-stream', buffer: report },
      { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') },
    ]);
    const sent = visitorPage.getByRole('list', { name: 'Sent files', exact: true });
    await waitUntil('both files sent', async () => (await sent.getByText('Sent', { exact: true }).count()) === 2, UI_TIMEOUT_MS);
    const bar = sent.getByRole('progressbar', { name: 'Upload of report.bin', exact: true });
    expect(await bar.getAttribute('value')).to.equal(await bar.getAttribute('max'));
    await screenshot(visitorPage, '14-link-drop-folder');
    // The link's token is not kept for resuming: it is as secret as a password.
    const stored = await visitorPage.evaluate<string>('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])');
    expect(stored).to.not.include(tokenOf(url));

    // The owner finds them in the folder, private, with the bytes sent.
    const listed = await api('GET', `/files?parentId=${inbox.id}`, { token: user.token });
    const children = listed.body as PublicFileBody[];
    expect(children.map((child) => child.name).sort()).to.deep.equal(['already-there.txt', 'note.txt', 'report.bin']);
    const received = children.find((child) => child.name === 'report.bin');
    expect(received?.isPublic).to.equal(false);
    const data = await api('GET', `/files/${received?.id ?? 'none'}/data`, { token: user.token });
    expect(data.status).to.equal(200);
    expect(data.bytes.equals(report)).to.equal(true);
    // And in the app, where the listing shows it.
    await ownerPage.keyboard.press('Escape');
    await expectGone(dialog);
    await item(ownerPage, 'Inbox').getByRole('button', { name: 'Inbox', exact: true }).click();
    await expectVisible(item(ownerPage, 'report.bin'));
  });

  it('ends a link revoked in the share dialog: the visitor’s reload says so', async function () {
    const user = await createUser();
    const file = await upload(user.token, { name: 'draft.txt', type: 'file', data: base64('first draft') });

    await logIn(ownerPage, user);
    const dialog = await openShare(ownerPage, 'draft.txt');
    // Expiry in a week, from the list.
    await dialog.getByLabel('Expires').selectOption({ label: 'In 7 days' });
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    const link = dialog.getByRole('listitem', { name: 'Link 1', exact: true });
    await expectVisible(link);
    expect(await fact(link, 'Expires').textContent()).to.not.equal('Never');
    const [created] = await listLinks(user, file.id);
    const expires = Date.parse(created?.expiresAt ?? '');
    expect(expires).to.be.within(Date.now() + 6.9 * 86_400_000, Date.now() + 7.1 * 86_400_000);
    const url = await link.getByRole('textbox', { name: 'Link URL', exact: true }).inputValue();

    await visitorPage.goto(url);
    await expectVisible(heading(visitorPage, 'draft.txt'));
    await expectVisible(visitorPage.getByRole('link', { name: 'Download', exact: true }));

    await link.getByRole('button', { name: 'Revoke', exact: true }).click();
    const confirm = ownerPage.getByRole('dialog', { name: 'Revoke this link?', exact: true });
    await expectVisible(confirm);
    await confirm.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expectGone(confirm);
    await expectGone(link);
    await waitForText(dialog.getByRole('status'), 'Link revoked');
    await waitForText(dialog, 'No links yet');
    expect(await listLinks(user, file.id)).to.deep.equal([]);

    await visitorPage.reload();
    await expectVisible(heading(visitorPage, 'This link does not exist or has ended'));
    await screenshot(visitorPage, '15-link-ended');
  });

  it('shows the dialog’s and the API’s errors in the share dialog', async function () {
    const user = await createUser();
    await upload(user.token, { name: 'doc.txt', type: 'file', data: base64('text') });
    await logIn(ownerPage, user);
    const dialog = await openShare(ownerPage, 'doc.txt');
    await dialog.getByLabel('Maximum downloads (optional)').fill('0');
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    await waitForText(dialog.getByRole('alert'), 'Maximum downloads must be a whole number');
    await dialog.getByLabel('Maximum downloads (optional)').fill('');
    // An error of the API (replayed: the form sends no expiry the API would refuse) is shown as it says.
    await ownerPage.route(/\/files\/[0-9a-f]{24}\/links$/, (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: 'Invalid fields: expiresAt' }) })
        : route.fallback(),
    );
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    await waitForText(dialog.getByRole('alert'), 'Invalid fields: expiresAt');
    await dialog.getByLabel('Expires').selectOption({ label: 'On a date…' });
    await dialog.getByRole('button', { name: 'Create link', exact: true }).click();
    await waitForText(dialog.getByRole('alert'), 'Choose the date and time');
  });

  it('previews a linked image from its thumbnail, which spends none of the link’s downloads', async function () {
    const user = await createUser();
    const photo = await makeImage(800, 600);
    const image = await upload(user.token, { name: 'view.png', type: 'image', data: base64(photo) });
    const link = await createLinkByApi(user, image.id, { maxDownloads: 1 });
    await waitUntil('the thumbnail', async () => (await api('HEAD', `/files/${image.id}/data?size=500`, { token: user.token })).status === 200, THUMBNAIL_TIMEOUT_MS);

    await visitorPage.goto(link.url);
    await expectVisible(heading(visitorPage, 'view.png'));
    const preview = visitorPage.getByRole('img', { name: 'view.png', exact: true });
    await expectVisible(preview);
    expect(await preview.getAttribute('src')).to.equal(`/s/${tokenOf(link.url)}/files/${image.id}/data?size=500`);
    await waitUntil(
      'the preview to decode',
      async () => (await preview.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth)) === 500,
      UI_TIMEOUT_MS,
    );
    expect((await listLinks(user, image.id))[0]?.downloads).to.equal(0);

    // The one download the link allows, then it has ended.
    const saved = await downloaded(visitorPage, () => visitorPage.getByRole('link', { name: 'Download', exact: true }).click());
    expect(saved.bytes.equals(photo)).to.equal(true);
    await visitorPage.reload();
    await expectVisible(heading(visitorPage, 'This link does not exist or has ended'));
  });

  it('serves the link page for browsers under the app’s CSP, and the API to everyone else', async function () {
    const user = await createUser();
    const file = await upload(user.token, { name: 'plain.txt', type: 'file', data: base64('plain content') });
    const link = await createLinkByApi(user, file.id);

    const page = await fetch(link.url, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.headers.get('content-security-policy')).to.equal(WEB_CSP);
    const html = await page.text();
    expect(html).to.include('<script type="module" src="/assets/share.js"></script>');
    expect(html).to.include('<script defer src="/assets/tus.min.js"></script>');
    expect(html).to.include('<meta name="referrer" content="no-referrer">');
    expect(html).to.not.match(/\sstyle=|<script>|\son[a-z]+=/i);

    const script = await fetch(`${harness().baseUrl}/assets/share.js`);
    expect(script.status).to.equal(200);
    expect(script.headers.get('content-type')).to.match(/javascript/);

    // Not a browser: the content itself, which a page view does not count as a download.
    const content = await fetch(link.url);
    expect(await content.text()).to.equal('plain content');
    expect((await listLinks(user, file.id))[0]?.downloads).to.equal(1);

    // A path that is no link's: the page says the link has ended.
    await visitorPage.goto('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await expectVisible(heading(visitorPage, 'This link does not exist or has ended'));
  });
});
