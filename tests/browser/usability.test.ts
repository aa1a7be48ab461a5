/**
 * What the app does so that nobody has to guess, in Debian's Chromium against the real server:
 * signing up logs in; errors say what to do (a wrong password, an email already used, a name
 * too long, a full quota); the upload panel closes by itself once all went well and stays for a
 * failure; the move dialog says where the items are and refuses a move that changes nothing;
 * the trash and the usage bar sit in the same layout as the files.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import type { Locator, Page } from 'playwright-core';
import { waitUntil } from '../../scripts/lib/wait';
import { setUserQuota } from '../../utils/users/quota';
import { api, base64, createUser, uniqueEmail, upload, type TestUser } from '../support';
import { actOn, expectGone, expectVisible, item, logIn, pagePerTest, select, selectionBar, UI_TIMEOUT_MS, views, waitForText } from './kit';

const KIB = 1024;
const NAME_RULE = 'Names can be at most 255 bytes (UTF-8) and cannot hold control characters.';

function dialogNamed(page: Page, name: string): Locator {
  return page.getByRole('dialog', { name, exact: true });
}

function uploadsPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Uploads', exact: true });
}

async function pickFiles(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await (await chooser).setFiles(files);
}

/** Files dropped on the page as the browser delivers them, made in the page: no name is too long for a File there. */
async function dropFiles(page: Page, files: { name: string; text: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    for (const { name, text } of ${JSON.stringify(files)}) transfer.items.add(new File([text], name, { type: 'text/plain' }));
    return transfer;
  })()`);
  const region = page.getByRole('region', { name: 'My files', exact: true });
  await region.dispatchEvent('dragenter', { dataTransfer });
  await region.dispatchEvent('drop', { dataTransfer });
}

async function fillCredentials(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
}

/** The requests the page sends with `method` to a path starting with `prefix`, counted from now. */
function countRequests(page: Page, method: string, prefix: string): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (request.method() === method && new URL(request.url()).pathname.startsWith(prefix)) count += 1;
  });
  return () => count;
}

async function hasFocus(locator: Locator): Promise<boolean> {
  // Serialized into the page: the cast only tells TypeScript, whose lib here has no DOM, what an element has.
  return locator.evaluate((element) => element === (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement);
}

function moveHere(dialog: Locator): Locator {
  return dialog.getByRole('button', { name: 'Move here', exact: true });
}

/** Waits for the dialog's "Move here" to be on: it is off while the folders load. */
async function expectMoveAllowed(dialog: Locator): Promise<void> {
  await waitUntil('Move here to be on', async () => !(await moveHere(dialog).isDisabled()), UI_TIMEOUT_MS);
}

async function top(locator: Locator): Promise<number> {
  const box = await locator.boundingBox();
  if (box === null) throw new Error(`${locator.toString()} is not shown`);
  return Math.round(box.y);
}

describe('guidance in the browser app', function () {
  this.timeout(240_000);
  const tab = pagePerTest();
  let page: Page;

  beforeEach(function () {
    page = tab.page;
  });

  it('logs a new account in at once, straight into its files, and says when the email is taken', async function () {
    const email = uniqueEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    await fillCredentials(page, email, password);
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await expectVisible(page.getByRole('button', { name: 'Log out', exact: true }));
    await expectVisible(page.getByRole('heading', { name: 'My files', exact: true, level: 1 }));
    await expectVisible(page.getByRole('banner').getByText(email));
    const token = await page.evaluate<string | null>("sessionStorage.getItem('filesManager.token')");
    expect((await api('GET', '/users/me', { token: token ?? '' })).body).to.include({ email });
    expect(await page.getByLabel('Password').isVisible()).to.equal(false);

    // The same email again: the API's 400 "Already exist", said as what to do.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await fillCredentials(page, email, 'another password');
    await page.getByRole('button', { name: 'Sign up', exact: true }).click();
    await waitForText(page.getByRole('alert'), 'Could not sign up: an account with this email already exists. Log in instead, or sign up with another email.');
    expect(await page.getByRole('button', { name: 'Log out', exact: true }).isVisible()).to.equal(false);
  });

  it('says the email or password is not right at a failed login', async function () {
    const user = await createUser();
    await fillCredentials(page, user.email, `${user.password}-wrong`);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await waitForText(page.getByRole('alert'), 'Could not log in: the email or password is not right. Check both and try again.');
    // The focus is back in the field to fix.
    expect(await hasFocus(page.getByLabel('Password'))).to.equal(true);
  });

  it('explains the name rule before sending a name too long, wherever a name is typed, and when the API refuses one', async function () {
    const user = await createUser();
    await upload(user.token, { name: 'notes.txt', type: 'file', data: base64('notes') });
    await logIn(page, user);
    await expectVisible(item(page, 'notes.txt'));
    const creates = countRequests(page, 'POST', '/files');
    const renames = countRequests(page, 'PATCH', '/files/');

    // 256 bytes in 128 characters: the limit counts UTF-8 bytes, as the server does.
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    const create = page.getByRole('dialog');
    const field = create.getByLabel('Folder name');
    await field.fill('é'.repeat(128));
    await create.getByRole('button', { name: 'Create', exact: true }).click();
    await waitForText(create.getByRole('alert'), `This name is 256 bytes long. ${NAME_RULE}`);
    expect(await field.getAttribute('aria-invalid')).to.equal('true');
    expect(creates(), 'nothing sent').to.equal(0);
    // 255 bytes is allowed.
    const longest = `${'é'.repeat(127)}x`;
    await field.fill(longest);
    await create.getByRole('button', { name: 'Create', exact: true }).click();
    await expectGone(create);
    await expectVisible(item(page, longest));
    expect(creates()).to.equal(1);

    // A rename, too, and a control character.
    await actOn(page, 'notes.txt', 'Rename');
    const rename = dialogNamed(page, 'Rename notes.txt');
    await rename.getByLabel('New name').fill('x'.repeat(300));
    await rename.getByRole('button', { name: 'Rename', exact: true }).click();
    await waitForText(rename.getByRole('alert'), `This name is 300 bytes long. ${NAME_RULE}`);
    await rename.getByLabel('New name').fill('tab\there');
    await rename.getByRole('button', { name: 'Rename', exact: true }).click();
    await waitForText(rename.getByRole('alert'), `This name holds a control character (such as a tab). ${NAME_RULE}`);
    expect(renames(), 'nothing sent').to.equal(0);
    await rename.getByRole('button', { name: 'Cancel', exact: true }).click();

    // A name nobody typed, a dropped file's: the API's 400 "Invalid name" gets the same explanation.
    const tooLong = `${'a'.repeat(300)}.txt`;
    await dropFiles(page, [{ name: tooLong, text: 'long' }]);
    await waitForText(page.getByRole('alert'), `Could not upload ${tooLong}: ${NAME_RULE}`);
  });

  it('says how much of the quota is free when an upload does not fit, and how to make room', async function () {
    const user = await createUser();
    await setUserQuota(new ObjectId(user.id), 4 * KIB);
    await upload(user.token, { name: 'kept.txt', type: 'file', data: base64('x'.repeat(KIB)) });
    await logIn(page, user);
    await pickFiles(page, [{ name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(8 * KIB) }]);
    await waitForText(
      page.getByRole('alert'),
      'Could not upload big.bin (8.0 KiB). Not enough space: only 3.0 KiB of your 4.0 KiB quota is free. Delete files, then empty the trash, to make room.',
    );
  });

  it('closes the upload panel by itself once every upload went well, and keeps it open on a failure', async function () {
    const user = await createUser();
    await logIn(page, user);
    const panel = uploadsPanel(page);
    const rows = page.getByRole('list', { name: 'Uploads', exact: true }).getByRole('listitem');

    await pickFiles(page, [
      { name: 'one.txt', mimeType: 'text/plain', buffer: Buffer.from('one') },
      { name: 'two.txt', mimeType: 'text/plain', buffer: Buffer.from('two') },
    ]);
    await expectVisible(panel);
    await waitForText(page.getByRole('status'), '2 uploads finished');
    await panel.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    expect(await rows.count(), 'the finished rows went with it').to.equal(0);
    await expectVisible(item(page, 'two.txt'));

    // A failure (no room left) stays, for as long as it takes to read it.
    await setUserQuota(new ObjectId(user.id), 8);
    await pickFiles(page, [{ name: 'three.txt', mimeType: 'text/plain', buffer: Buffer.from('three, too big') }]);
    const failed = rows.filter({ hasText: 'three.txt' });
    await waitForText(failed, 'Not enough space');
    await page.waitForTimeout(6000);
    expect(await panel.isVisible(), 'still open after a failure').to.equal(true);

    // Room made, Retry sends it again, and the panel closes once it went well.
    await setUserQuota(new ObjectId(user.id), null);
    await failed.getByRole('button', { name: 'Retry upload of three.txt', exact: true }).click();
    await expectVisible(item(page, 'three.txt'));
    await panel.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });

    // A failure dismissed with "Clear finished" closes it too, and the focus goes back to Upload.
    await setUserQuota(new ObjectId(user.id), 8);
    await pickFiles(page, [{ name: 'four.txt', mimeType: 'text/plain', buffer: Buffer.from('four, too big') }]);
    await waitForText(rows, 'Not enough space');
    await page.getByRole('button', { name: 'Clear finished', exact: true }).click();
    await panel.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    expect(await hasFocus(page.getByRole('button', { name: 'Upload', exact: true }))).to.equal(true);
  });

  it('shows where the items to move are, refuses a move into the same folder, and never offers a folder inside itself', async function () {
    const user = await createUser();
    const holidays = await upload(user.token, { name: 'Holidays', type: 'folder' });
    const trips = await upload(user.token, { name: 'Trips', type: 'folder' });
    await upload(user.token, { name: '2024', type: 'folder', parentId: trips.id });
    for (const name of ['a.txt', 'b.txt']) await upload(user.token, { name, type: 'file', data: base64(name), parentId: holidays.id });
    await logIn(page, user);

    // A file in Holidays: its place is said, the root is a move, Holidays is not.
    await item(page, 'Holidays').getByRole('button', { name: 'Holidays', exact: true }).click();
    await expectVisible(item(page, 'a.txt'));
    await actOn(page, 'a.txt', 'Move');
    let move = dialogNamed(page, 'Move a.txt');
    await waitForText(move, 'Now in My files / Holidays');
    await expectMoveAllowed(move);
    await move.getByRole('list', { name: 'Folders' }).getByRole('button', { name: 'Holidays', exact: true }).click();
    await waitForText(move, 'a.txt is already in Holidays. Open the folder to move it to.');
    expect(await moveHere(move).isDisabled()).to.equal(true);
    await move.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expectGone(move);

    // Two at once, with the same checks, then moved to the root.
    await select(page, 'a.txt');
    await select(page, 'b.txt', ['ControlOrMeta']);
    await selectionBar(page).getByRole('button', { name: 'Move', exact: true }).click();
    move = dialogNamed(page, 'Move 2 items');
    await waitForText(move, 'Now in My files / Holidays');
    await move.getByRole('list', { name: 'Folders' }).getByRole('button', { name: 'Holidays', exact: true }).click();
    await waitForText(move, 'These items are already in Holidays. Open the folder to move them to.');
    expect(await moveHere(move).isDisabled()).to.equal(true);
    await move.getByRole('navigation', { name: 'Destination folder' }).getByRole('button', { name: 'My files', exact: true }).click();
    await expectMoveAllowed(move);
    await moveHere(move).click();
    await expectGone(move);
    const root = await api('GET', '/files?parentId=0', { token: user.token });
    expect((root.body as { name: string }[]).map((file) => file.name).sort()).to.deep.equal(['Holidays', 'Trips', 'a.txt', 'b.txt']);

    // A folder is not offered as a place for itself (nor so its sub-folders), and the root, where it is, is refused.
    await views(page).getByRole('button', { name: 'My files', exact: true }).click();
    await expectVisible(item(page, 'Trips'));
    await actOn(page, 'Trips', 'Move');
    move = dialogNamed(page, 'Move Trips');
    await waitForText(move, 'Now in My files');
    await waitForText(move, 'Trips is already in My files. Open the folder to move it to.');
    const folders = move.getByRole('list', { name: 'Folders' });
    await expectVisible(folders.getByRole('button', { name: 'Holidays', exact: true }));
    expect(await folders.getByRole('button', { name: 'Trips', exact: true }).count()).to.equal(0);
    expect(await moveHere(move).isDisabled()).to.equal(true);
    await folders.getByRole('button', { name: 'Holidays', exact: true }).click();
    await expectMoveAllowed(move);
    await moveHere(move).click();
    await expectGone(move);
    const inHolidays = await api('GET', `/files?parentId=${holidays.id}`, { token: user.token });
    expect((inHolidays.body as { name: string }[]).map((file) => file.name)).to.deep.equal(['Trips']);
  });

  for (const width of [1280, 375]) {
    it(`lays the trash and the usage bar out as the files are, ${width} px wide`, async function () {
      const user: TestUser = await createUser();
      await setUserQuota(new ObjectId(user.id), 100 * KIB);
      const gone = await upload(user.token, { name: 'gone.txt', type: 'file', data: base64('gone') });
      expect((await api('DELETE', `/files/${gone.id}`, { token: user.token })).status).to.equal(204);
      await page.setViewportSize({ width, height: 800 });
      await logIn(page, user);
      const usage = page.getByRole('meter');
      await expectVisible(usage);
      const filesHeading = page.getByRole('heading', { name: 'My files', exact: true, level: 1 });
      const uploadButton = page.getByRole('button', { name: 'Upload', exact: true });
      await expectVisible(filesHeading);
      const filesLayout = { heading: await top(filesHeading), toolbar: await top(uploadButton), usage: await top(usage) };
      const filesButtonHeight = (await uploadButton.boundingBox())?.height;

      await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
      const trashHeading = page.getByRole('heading', { name: 'Trash', exact: true, level: 1 });
      const emptyButton = page.getByRole('button', { name: 'Empty trash', exact: true });
      await expectVisible(page.getByRole('list', { name: 'Trash', exact: true }).getByRole('listitem', { name: 'gone.txt', exact: true }));
      // The heading, the toolbar and the usage bar stay where they were: only what is below them changes.
      expect({ heading: await top(trashHeading), toolbar: await top(emptyButton), usage: await top(usage) }).to.deep.equal(filesLayout);
      expect((await emptyButton.boundingBox())?.height).to.equal(filesButtonHeight);
      // The trash's rows are in the same frame as the files: within the page's width, nothing sticking out.
      const list = await page.getByRole('list', { name: 'Trash', exact: true }).boundingBox();
      expect(list?.x ?? -1).to.be.at.least(0);
      expect((list?.x ?? 0) + (list?.width ?? Infinity)).to.be.at.most(width);
      expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).to.equal(true);
    });
  }
});
