/**
 * The one toolbar that acts on the selection, instead of a row of buttons on every item (twenty
 * files made over a hundred tab stops): download, rename, move, share, publish or unpublish, and
 * delete (to the trash). Rename and share take one item; the rest take them all, one request
 * each, and say which failed.
 */
import { clearError, describeError, showError, showStatus } from './alerts.js';
import { deleteFile, publicLink, setPublished, updateFile, type DetailedFile, type FileDoc } from './api.js';
import { downloadFile } from './content.js';
import { confirmAction, promptText } from './dialogs.js';
import { byId } from './dom.js';
import { openShareDialog } from './linksDialog.js';
import { itemsName } from './media.js';
import { openMoveDialog } from './move.js';
import { refreshUsage } from './usage.js';

export interface ActionHooks {
  /** The selected items, in the listing's order. */
  selected(): DetailedFile[];
  /** Lists the folder again after a change; with `focusIndex`, the focus goes to the item then at that place. */
  changed(focusIndex?: number): Promise<void>;
  /** Where `file` is in the listing: once it is gone, the focus goes to the item then in its place. */
  indexOf(file: DetailedFile): number;
  selectAll(on: boolean): void;
}

interface Bar {
  selectAll: HTMLInputElement;
  count: HTMLElement;
  actions: HTMLElement;
  download: HTMLButtonElement;
  rename: HTMLButtonElement;
  move: HTMLButtonElement;
  share: HTMLButtonElement;
  publish: HTMLButtonElement;
  unpublish: HTMLButtonElement;
  remove: HTMLButtonElement;
  linkBox: HTMLElement;
  link: HTMLInputElement;
  copyLink: HTMLButtonElement;
}

let bar: Bar | undefined;
let hooks: ActionHooks | undefined;

function elements(): Bar {
  bar ??= {
    selectAll: byId('select-all', HTMLInputElement),
    count: byId('selection-count', HTMLElement),
    actions: byId('selection-actions', HTMLElement),
    download: byId('selected-download', HTMLButtonElement),
    rename: byId('selected-rename', HTMLButtonElement),
    move: byId('selected-move', HTMLButtonElement),
    share: byId('selected-share', HTMLButtonElement),
    publish: byId('selected-publish', HTMLButtonElement),
    unpublish: byId('selected-unpublish', HTMLButtonElement),
    remove: byId('selected-delete', HTMLButtonElement),
    linkBox: byId('public-link-box', HTMLElement),
    link: byId('public-link', HTMLInputElement),
    copyLink: byId('copy-link', HTMLButtonElement),
  };
  return bar;
}

function listing(): ActionHooks {
  if (hooks === undefined) throw new Error('setupActions has not run');
  return hooks;
}

/** Runs a user action, reporting its failure in the alert instead of losing it. */
function act(action: () => Promise<void>): void {
  clearError();
  action().catch((error: unknown) => showError(error));
}

/** Runs `step` on each file in turn; a failure does not stop the others, and is told with the file's name. */
async function eachOf<T>(files: readonly DetailedFile[], step: (file: DetailedFile) => Promise<T>): Promise<{ done: T[]; failures: string[] }> {
  const done: T[] = [];
  const failures: string[] = [];
  for (const file of files) {
    try {
      done.push(await step(file));
    } catch (error) {
      failures.push(`${file.name}: ${describeError(error)}`);
    }
  }
  return { done, failures };
}

function failuresError(verb: string, failures: readonly string[]): Error {
  return new Error(`Could not ${verb} ${failures.join('; ')}`);
}

/** Redraws the toolbar for `selected`, `listed` items being shown. */
export function showSelection(selected: readonly DetailedFile[], listed: number): void {
  const parts = elements();
  const files = selected.filter((file) => file.type !== 'folder');
  const [only] = selected;
  const single = selected.length === 1 ? only : undefined;
  parts.selectAll.checked = listed > 0 && selected.length === listed;
  parts.selectAll.indeterminate = selected.length > 0 && selected.length < listed;
  parts.selectAll.disabled = listed === 0;
  parts.count.textContent = selected.length === 0 ? '' : `${selected.length} selected`;
  parts.actions.hidden = selected.length === 0;
  parts.download.hidden = files.length === 0;
  parts.rename.hidden = single === undefined;
  parts.share.hidden = single === undefined;
  parts.publish.hidden = !files.some((file) => !file.isPublic);
  parts.unpublish.hidden = !files.some((file) => file.isPublic);
  const published = single !== undefined && single.type !== 'folder' && single.isPublic ? single : undefined;
  parts.linkBox.hidden = published === undefined;
  if (published !== undefined) parts.link.value = publicLink(published.id);
}

async function download(files: readonly DetailedFile[]): Promise<void> {
  // One after the other: the browser's download manager takes them in turn.
  const { failures } = await eachOf(
    files.filter((file) => file.type !== 'folder'),
    (file) => downloadFile(file),
  );
  if (failures.length > 0) throw failuresError('download', failures);
}

export function renameItem(file: DetailedFile): void {
  clearError();
  promptText({
    title: `Rename ${file.name}`,
    label: 'New name',
    value: file.name,
    submitLabel: 'Rename',
    onSubmit: async (name) => {
      const renamed = await updateFile(file.id, { name });
      showStatus(`Renamed to ${renamed.name}`);
      // Not awaited: the dialog closes first, giving the focus back to the item before it is redrawn.
      void listing().changed();
    },
  });
}

function move(files: readonly DetailedFile[]): void {
  const [first] = files;
  if (first === undefined) return;
  clearError();
  const at = listing().indexOf(first);
  openMoveDialog(files, (moved: FileDoc[]) => {
    showStatus(`${itemsName(moved)} moved`);
    void listing().changed(at);
  });
}

/** Delete moves items to the trash, from where they can be restored until they are purged. */
export function deleteItems(files: readonly DetailedFile[]): void {
  const [first] = files;
  if (first === undefined) return;
  clearError();
  const name = itemsName(files);
  const at = listing().indexOf(first);
  let failures: string[] = [];
  let done = false;
  confirmAction({
    title: `Delete ${name}?`,
    message:
      files.length > 1
        ? `${name} will be moved to the trash${files.some((file) => file.type === 'folder') ? ', the folders with everything in them' : ''}. You can restore them from there until they are deleted for good.`
        : first.type === 'folder'
          ? `The folder ${name} and everything in it will be moved to the trash. You can restore it from there until it is deleted for good.`
          : `${name} will be moved to the trash. You can restore it from there until it is deleted for good.`,
    confirmLabel: 'Delete',
    onConfirm: async () => {
      const result = await eachOf(files, (file) => deleteFile(file.id).then(() => file));
      failures = result.failures;
      done = true;
      if (result.done.length > 0) showStatus(`${itemsName(result.done)} moved to the trash`);
      // The bytes still count (the trash's share of them changed): the bar says so.
      refreshUsage();
    },
    // Once the dialog is gone, so the focus can move into the page and the alert is the page's.
    onClose: () => {
      if (!done) return;
      void listing().changed(at);
      if (failures.length > 0) showError(failuresError('delete', failures));
    },
  });
}

async function publish(files: readonly DetailedFile[], published: boolean): Promise<void> {
  const changing = files.filter((file) => file.type !== 'folder' && file.isPublic !== published);
  const { done, failures } = await eachOf(changing, (file) => setPublished(file.id, published));
  if (done.length > 0) {
    const [only] = done;
    if (done.length === 1 && only !== undefined) {
      showStatus(published ? `${only.name} is public: anyone with the link can download it` : `${only.name} is private again`);
    } else {
      showStatus(published ? `${done.length} files are public: anyone with their links can download them` : `${done.length} files are private again`);
    }
  }
  const { publish: publishButton, unpublish } = elements();
  const hadFocus = document.activeElement === (published ? publishButton : unpublish);
  await listing().changed();
  // The button pressed may have gone with what it did: the focus goes to its opposite.
  if (hadFocus && document.activeElement === document.body) (published ? unpublish : publishButton).focus();
  if (failures.length > 0) throw failuresError(published ? 'publish' : 'unpublish', failures);
}

async function copyLink(): Promise<void> {
  const { link } = elements();
  link.select();
  try {
    await navigator.clipboard.writeText(link.value);
  } catch {
    // Without clipboard permission the selected text is still one Ctrl+C away.
    throw new Error('Copying was not allowed by the browser: the link is selected, press Ctrl+C to copy it.');
  }
  const [file] = listing().selected();
  showStatus(file === undefined ? 'Public link copied' : `Public link of ${file.name} copied`);
}

export function setupActions(listingHooks: ActionHooks): void {
  hooks = listingHooks;
  const parts = elements();
  const selected = (): DetailedFile[] => listing().selected();
  parts.selectAll.addEventListener('change', () => listing().selectAll(parts.selectAll.checked));
  parts.download.addEventListener('click', () => act(() => download(selected())));
  parts.rename.addEventListener('click', () => {
    const [file] = selected();
    if (file !== undefined) renameItem(file);
  });
  parts.move.addEventListener('click', () => move(selected()));
  parts.share.addEventListener('click', () => {
    const [file] = selected();
    clearError();
    if (file !== undefined) openShareDialog(file);
  });
  parts.publish.addEventListener('click', () => act(() => publish(selected(), true)));
  parts.unpublish.addEventListener('click', () => act(() => publish(selected(), false)));
  parts.remove.addEventListener('click', () => deleteItems(selected()));
  parts.link.addEventListener('focus', () => parts.link.select());
  parts.copyLink.addEventListener('click', () => act(copyLink));
}
