/**
 * Accessibility, in Debian's Chromium against the real server (no mocked answers): every control
 * has an accessible name, from a label rather than a placeholder, as Chromium's own accessibility
 * tree computes it; errors land in a live role="alert" that is not inert; the focus moves into
 * each dialog and back to what opened it; login, sign-up, a new folder and an upload need
 * nothing but the keyboard; and at 375 px (a phone) nothing is wider than the screen and every
 * control is a 40 px target.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { api, base64, createUser, uniqueEmail, upload } from '../support';
import { actOn, expectGone, expectVisible, item, logIn, pagePerTest, screenshot, selectionBar, UI_TIMEOUT_MS, views, waitForText } from './kit';

/** The roles of what a person operates or reads a value from: each needs a name. */
const CONTROL_ROLES = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'switch', 'spinbutton', 'slider', 'meter', 'progressbar', 'tab', 'menuitem']);

const PHONE = { width: 375, height: 740 };

/** Controls of the page (or of the open dialog) that no label, aria-label or aria-labelledby names: a placeholder or title is no label. */
const UNLABELLED = `(() => {
  const dialogs = document.querySelectorAll('dialog[open]');
  const scope = dialogs.length > 0 ? dialogs[dialogs.length - 1] : document.body;
  return [...scope.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((field) => field.checkVisibility())
    .filter((field) => field.labels.length === 0 && !field.hasAttribute('aria-label') && !field.hasAttribute('aria-labelledby'))
    .map((field) => field.outerHTML.slice(0, 120));
})()`;

/**
 * What a finger has to hit, in the page or the open dialog, that is less than 40 px either way.
 * A checkbox counts with its label, or with the row of the listing it selects (a tap on the row
 * selects it too).
 */
const SMALL_TARGETS = `(() => {
  const dialogs = document.querySelectorAll('dialog[open]');
  const scope = dialogs.length > 0 ? dialogs[dialogs.length - 1] : document.body;
  const big = (element) => {
    const box = element.getBoundingClientRect();
    return box.width >= 40 && box.height >= 40;
  };
  return [...scope.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea')]
    .filter((control) => control.checkVisibility())
    .filter((control) => {
      const targets = control.type === 'checkbox' || control.type === 'radio' ? [control, ...control.labels, control.closest('[data-id]')] : [control];
      return !targets.some((target) => target !== null && big(target));
    })
    .map((control) => {
      const box = control.getBoundingClientRect();
      const name = control.getAttribute('aria-label') || control.textContent.trim() || control.id || control.className;
      return name + ' (' + Math.round(box.width) + 'x' + Math.round(box.height) + ')';
    });
})()`;

async function hasFocus(locator: Locator): Promise<boolean> {
  // Serialized into the page: the cast only tells TypeScript, whose lib here has no DOM, what an element has.
  return locator.evaluate((element) => element === (element as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement);
}

/** The focus is on an element inside `locator`'s. */
async function holdsFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const node = element as unknown as { contains(other: unknown): boolean; ownerDocument: { activeElement: unknown } };
    return node.contains(node.ownerDocument.activeElement);
  });
}

async function expectFocus(locator: Locator, what: string): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT_MS;
  while (!(await hasFocus(locator))) {
    if (Date.now() > deadline) {
      const focused = await locator.page().evaluate<string>("document.activeElement?.outerHTML.slice(0, 120) ?? 'nothing'");
      throw new Error(`the focus is not on ${what} but on ${focused}`);
    }
    await locator.page().waitForTimeout(50);
  }
}

/** Presses Tab until `target` has the focus, as a keyboard user would; fails if it never comes. */
async function tabTo(page: Page, target: Locator, what: string, presses = 40): Promise<void> {
  for (let count = 0; count < presses; count += 1) {
    if ((await target.count()) === 1 && (await hasFocus(target))) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${presses} presses of Tab never reached ${what}`);
}

/** Controls in Chromium's accessibility tree that have no name, described by their element. */
async function unnamedControls(cdp: CDPSession): Promise<string[]> {
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const unnamed = nodes.filter((node) => !node.ignored && CONTROL_ROLES.has(String(node.role?.value)) && String(node.name?.value ?? '').trim() === '');
  const described: string[] = [];
  for (const node of unnamed) {
    const element = node.backendDOMNodeId === undefined ? undefined : (await cdp.send('DOM.describeNode', { backendNodeId: node.backendDOMNodeId })).node;
    described.push(`${String(node.role?.value)}: <${element?.localName ?? '?'} ${(element?.attributes ?? []).join(' ')}>`);
  }
  return described;
}

/** Every control named, and every field labelled: in the page as it is now, or its open dialog. */
async function expectNamed(page: Page, cdp: CDPSession, where: string): Promise<void> {
  expect(await unnamedControls(cdp), `controls without an accessible name (${where})`).to.deep.equal([]);
  expect(await page.evaluate<string[]>(UNLABELLED), `fields without a label (${where})`).to.deep.equal([]);
}

/**
 * `text` is in a role="alert" that a screen reader announces: shown, in the accessibility tree
 * (not inert behind a modal dialog), an assertive live region.
 */
async function expectAnnounced(page: Page, cdp: CDPSession, text: string): Promise<void> {
  await waitForText(page.getByRole('alert'), text);
  const found = await cdp.send('Runtime.evaluate', {
    expression: `[...document.querySelectorAll('[role="alert"]')].find((alert) => alert.checkVisibility() && alert.textContent.includes(${JSON.stringify(text)}))`,
  });
  const objectId = found.result.objectId;
  if (objectId === undefined) throw new Error(`no shown role="alert" holds "${text}"`);
  const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { objectId, fetchRelatives: false });
  const [node] = nodes;
  expect(node?.ignored, `the alert is hidden from assistive technology: ${JSON.stringify(node?.ignoredReasons)}`).to.equal(false);
  expect(node?.role?.value).to.equal('alert');
  const live = node?.properties?.find((property) => property.name === 'live');
  expect(live?.value.value, 'an assertive live region').to.equal('assertive');
}

async function expectFits(page: Page, where: string): Promise<void> {
  const widths = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
  expect(widths.scroll, `the page scrolls sideways (${where})`).to.be.at.most(widths.client);
  expect(await page.evaluate<string[]>(SMALL_TARGETS), `targets under 40 px (${where})`).to.deep.equal([]);
}

/** Shown, and wholly within the screen's width. */
async function expectOnScreen(locator: Locator, what: string): Promise<void> {
  await expectVisible(locator);
  const box = await locator.boundingBox();
  expect(box, what).to.not.equal(null);
  expect(box?.x ?? -1, what).to.be.at.least(0);
  expect((box?.x ?? 0) + (box?.width ?? Infinity), what).to.be.at.most(PHONE.width);
}

async function pickFiles(page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await (await chooser).setFiles(files);
}

/** A dropped file whose name is too long for the server: an upload that fails at once, for a failed row. */
async function dropTooLong(page: Page): Promise<string> {
  const name = `${'n'.repeat(300)}.txt`;
  const dataTransfer = await page.evaluateHandle(`(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File(['x'], ${JSON.stringify(name)}, { type: 'text/plain' }));
    return transfer;
  })()`);
  const region = page.getByRole('region', { name: 'My files', exact: true });
  await region.dispatchEvent('dragenter', { dataTransfer });
  await region.dispatchEvent('drop', { dataTransfer });
  return name;
}

function uploadsPanel(page: Page): Locator {
  return page.getByRole('region', { name: 'Uploads', exact: true });
}

function dialog(page: Page): Locator {
  return page.getByRole('dialog');
}

describe('accessibility of the browser app', function () {
  this.timeout(240_000);
  const tab = pagePerTest();
  let page: Page;
  let cdp: CDPSession;

  beforeEach(async function () {
    page = tab.page;
    // Closing the page ends the session with it.
    cdp = await tab.context.newCDPSession(page);
    await cdp.send('Accessibility.enable');
  });

  it('names every control and labels every field, in each view and dialog', async function () {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'Projects', type: 'folder' });
    await upload(user.token, { name: 'report.txt', type: 'file', data: base64('report'), isPublic: true });
    await upload(user.token, { name: 'plan.txt', type: 'file', data: base64('plan'), parentId: folder.id });
    const gone = await upload(user.token, { name: 'old.txt', type: 'file', data: base64('old') });
    expect((await api('DELETE', `/files/${gone.id}`, { token: user.token })).status).to.equal(204);

    await page.goto('/');
    await expectVisible(page.getByLabel('Email'));
    await expectNamed(page, cdp, 'login');

    await logIn(page, user);
    await expectVisible(item(page, 'report.txt'));
    const failed = await dropTooLong(page);
    await expectVisible(page.getByRole('button', { name: `Retry upload of ${failed}`, exact: true }));
    await actOn(page, 'report.txt', 'Share');
    await expectVisible(dialog(page));
    await expectNamed(page, cdp, 'share dialog of a file');
    await page.keyboard.press('Escape');
    await expectGone(dialog(page));
    await expectVisible(page.getByRole('textbox', { name: 'Public link', exact: true }));
    await expectNamed(page, cdp, 'files, a public file selected, a failed upload');

    await page.getByRole('button', { name: 'List', exact: true }).click();
    await expectVisible(item(page, 'Projects'));
    await expectNamed(page, cdp, 'list view');

    await actOn(page, 'Projects', 'Share');
    await expectVisible(dialog(page).getByLabel('Allow uploads'));
    await expectNamed(page, cdp, 'share dialog of a folder');
    await page.keyboard.press('Escape');
    await actOn(page, 'report.txt', 'Move');
    await expectVisible(dialog(page).getByRole('list', { name: 'Folders' }).getByRole('button', { name: 'Projects', exact: true }));
    await expectNamed(page, cdp, 'move dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await expectNamed(page, cdp, 'new folder dialog');
    await page.keyboard.press('Escape');

    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    await expectVisible(page.getByRole('list', { name: 'Trash', exact: true }).getByRole('listitem', { name: 'old.txt', exact: true }));
    await expectNamed(page, cdp, 'trash');
  });

  it('puts errors in an announced role="alert": the page’s, or the open dialog’s', async function () {
    const user = await createUser();
    await page.goto('/');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expectAnnounced(page, cdp, 'the email or password is not right');

    await logIn(page, user);
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await dialog(page).getByLabel('Folder name').fill('x'.repeat(256));
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    // The dialog's own alert: the page's is inert behind the modal dialog.
    await expectAnnounced(page, cdp, 'Names can be at most 255 bytes');
    expect(await page.locator('#alert').isVisible()).to.equal(false);
    // The field says it is the one to fix, and the message describes it.
    const field = dialog(page).getByLabel('Folder name');
    expect(await field.getAttribute('aria-invalid')).to.equal('true');
    const described = await cdp.send('Runtime.evaluate', { expression: "document.querySelector('dialog[open] input').getAttribute('aria-describedby')" });
    expect(await page.locator(`#${String(described.result.value)}`).textContent()).to.include('Names can be at most 255 bytes');
    await page.keyboard.press('Escape');

    const failed = await dropTooLong(page);
    await expectAnnounced(page, cdp, `Could not upload ${failed}`);
  });

  it('moves the focus into each dialog and back to what opened it', async function () {
    const user = await createUser();
    await upload(user.token, { name: 'Archive', type: 'folder' });
    await upload(user.token, { name: 'report.txt', type: 'file', data: base64('report') });
    await logIn(page, user);
    await expectVisible(item(page, 'report.txt'));

    // New folder: the field has the focus; Escape, then a folder created, both bring it back to the button.
    const newFolder = page.getByRole('button', { name: 'New folder', exact: true });
    await newFolder.click();
    await expectFocus(dialog(page).getByLabel('Folder name'), 'the Folder name field');
    await page.keyboard.press('Escape');
    await expectGone(dialog(page));
    await expectFocus(newFolder, 'New folder, after Escape');
    await newFolder.click();
    await page.keyboard.type('Drafts');
    await page.keyboard.press('Enter');
    await expectVisible(item(page, 'Drafts'));
    await expectFocus(newFolder, 'New folder, after creating one');

    // The selection's Move, Delete and Share.
    for (const [action, closer] of [
      ['Move', 'Cancel'],
      ['Delete', 'Cancel'],
      ['Share', 'Close'],
    ] as const) {
      await actOn(page, 'report.txt', action);
      await expectVisible(dialog(page));
      expect(await holdsFocus(dialog(page)), `the focus in the ${action} dialog`).to.equal(true);
      if (action === 'Delete') await expectFocus(dialog(page).getByRole('button', { name: 'Cancel', exact: true }), 'Cancel, the safe choice');
      await dialog(page).getByRole('button', { name: closer, exact: true }).click();
      await expectGone(dialog(page));
      await expectFocus(selectionBar(page).getByRole('button', { name: action, exact: true }), `${action} in the selection's toolbar`);
    }

    // The trash's Empty trash.
    expect((await api('DELETE', `/files/${await item(page, 'Archive').getAttribute('data-id') ?? ''}`, { token: user.token })).status).to.equal(204);
    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    const emptyTrash = page.getByRole('button', { name: 'Empty trash', exact: true });
    await expectVisible(page.getByRole('list', { name: 'Trash', exact: true }));
    await emptyTrash.click();
    await expectFocus(dialog(page).getByRole('button', { name: 'Cancel', exact: true }), 'Cancel in the Empty trash dialog');
    await page.keyboard.press('Escape');
    await expectFocus(emptyTrash, 'Empty trash');
  });

  it('signs up, logs out and in, makes a folder and uploads with the keyboard alone', async function () {
    const email = uniqueEmail();
    const password = `pw-${randomBytes(6).toString('hex')}`;
    // Listened for from the start: Playwright turns on catching the chooser asynchronously, and a
    // key press, unlike a click, may come before it is on.
    const chooser = page.waitForEvent('filechooser', { timeout: 120_000 });
    chooser.catch(() => undefined);
    await page.goto('/');
    await expectVisible(page.getByLabel('Email'));

    // Sign up: Tab to each field, type, Tab to Sign up, Enter.
    await tabTo(page, page.getByLabel('Email'), 'the Email field');
    await page.keyboard.type(email);
    await tabTo(page, page.getByLabel('Password'), 'the Password field');
    await page.keyboard.type(password);
    await tabTo(page, page.getByRole('button', { name: 'Sign up', exact: true }), 'Sign up');
    await page.keyboard.press('Enter');
    const logOut = page.getByRole('button', { name: 'Log out', exact: true });
    await expectVisible(logOut);

    // Log out, then in again: the email is still there, and Enter in the password field submits the form.
    await tabTo(page, logOut, 'Log out');
    await page.keyboard.press('Enter');
    await expectFocus(page.getByLabel('Email'), 'the Email field, the form back');
    expect(await page.getByLabel('Email').inputValue()).to.equal(email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await expectVisible(logOut);

    // A new folder: Enter on the button, type, Enter.
    await tabTo(page, page.getByRole('button', { name: 'New folder', exact: true }), 'New folder');
    await page.keyboard.press('Enter');
    await expectFocus(dialog(page).getByLabel('Folder name'), 'the Folder name field');
    await page.keyboard.type('Typed');
    await page.keyboard.press('Enter');
    await expectVisible(item(page, 'Typed'));

    // An upload: Enter on Upload opens the file chooser.
    await tabTo(page, page.getByRole('button', { name: 'Upload', exact: true }), 'Upload');
    await page.keyboard.press('Enter');
    await (await chooser).setFiles([{ name: 'typed.txt', mimeType: 'text/plain', buffer: Buffer.from('typed') }]);
    await expectVisible(item(page, 'typed.txt'));
  });

  it('fits a 375 px screen: no sideways scrolling, wrapped toolbars, dialogs within it, 40 px targets', async function () {
    const user = await createUser();
    const folder = await upload(user.token, { name: 'Holidays in the mountains, 2024', type: 'folder' });
    await upload(user.token, { name: 'a-report-with-a-name-far-too-long-for-a-phone.txt', type: 'file', data: base64('report'), isPublic: true });
    await upload(user.token, { name: 'plan.txt', type: 'file', data: base64('plan'), parentId: folder.id });
    const gone = await upload(user.token, { name: 'old.txt', type: 'file', data: base64('old') });
    expect((await api('DELETE', `/files/${gone.id}`, { token: user.token })).status).to.equal(204);
    await page.setViewportSize(PHONE);

    await page.goto('/');
    await expectVisible(page.getByLabel('Email'));
    await expectFits(page, 'login');
    await logIn(page, user);
    // Cards first, whatever view this browser remembers from another test.
    await page.getByRole('button', { name: 'Grid', exact: true }).click();
    await expectVisible(item(page, 'a-report-with-a-name-far-too-long-for-a-phone.txt'));
    await expectFits(page, 'files');
    for (const [control, what] of [
      [page.getByRole('button', { name: 'Log out', exact: true }), 'Log out'],
      [views(page).getByRole('button', { name: 'Trash', exact: true }), 'the Trash tab'],
      [page.getByRole('button', { name: 'New folder', exact: true }), 'New folder'],
      [page.getByRole('button', { name: 'Upload', exact: true }), 'Upload'],
    ] as const) {
      await expectOnScreen(control, what);
    }

    // Usable, not only visible: a folder made and a file uploaded at this size.
    await page.getByRole('button', { name: 'New folder', exact: true }).click();
    await expectFits(page, 'new folder dialog');
    await expectOnScreen(dialog(page), 'the new folder dialog');
    await dialog(page).getByLabel('Folder name').fill('Phone');
    await dialog(page).getByRole('button', { name: 'Create', exact: true }).click();
    await expectVisible(item(page, 'Phone'));
    await pickFiles(page, [{ name: 'from-the-phone.txt', mimeType: 'text/plain', buffer: Buffer.from('sent from a phone') }]);
    await expectVisible(item(page, 'from-the-phone.txt'));
    await page.getByRole('button', { name: 'List', exact: true }).click();
    await expectVisible(item(page, 'Phone'));
    await expectFits(page, 'list view');
    // For the picture: the upload panel and its toast gone by themselves.
    await uploadsPanel(page).waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await page.locator('#status').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await page.mouse.move(0, 0);
    await screenshot(page, '22-narrow');
    await page.getByRole('button', { name: 'Grid', exact: true }).click();
    const failed = await dropTooLong(page);
    await expectVisible(page.getByRole('button', { name: `Retry upload of ${failed}`, exact: true }));
    await expectFits(page, 'a failed upload');

    // The selection's toolbar wraps, the public link's field included.
    await actOn(page, 'a-report-with-a-name-far-too-long-for-a-phone.txt', 'Move');
    await expectVisible(dialog(page).getByRole('list', { name: 'Folders' }).getByRole('button', { name: 'Phone', exact: true }));
    await expectFits(page, 'move dialog');
    await expectOnScreen(dialog(page), 'the move dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Clear finished', exact: true }).click();
    await expectVisible(page.getByRole('textbox', { name: 'Public link', exact: true }));
    await expectFits(page, 'a public file selected');
    await selectionBar(page).getByRole('button', { name: 'Share', exact: true }).click();
    await expectVisible(dialog(page).getByLabel('Expires'));
    await expectFits(page, 'share dialog');
    await expectOnScreen(dialog(page), 'the share dialog');
    await page.keyboard.press('Escape');

    await views(page).getByRole('button', { name: 'Trash', exact: true }).click();
    await expectVisible(page.getByRole('list', { name: 'Trash', exact: true }).getByRole('listitem', { name: 'old.txt', exact: true }));
    await expectFits(page, 'trash');
  });
});
