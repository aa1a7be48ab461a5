/**
 * The move dialog: browse folders from the root and move one item, or several (a selection),
 * into the folder shown. It says where the items are now and refuses a move into the folder they
 * are already in. A folder being moved is never listed, so neither it nor anything under it can
 * be chosen: the server would refuse that too ("Cannot move a folder into itself").
 */
import { describeError } from './alerts.js';
import { isRootId, listFolders, sameFolder, updateFile, type FileDoc } from './api.js';
import { pathTo, ROOT_CRUMB, renderCrumbs, type Crumb } from './breadcrumbs.js';
import { openDialog, type DialogParts } from './dialogs.js';
import { h, icon } from './dom.js';

/**
 * One item and what to do once it moved, or several (a selection) and what to do with those that
 * moved: when only some could, that is called with them, the dialog stays open on the others and
 * says why, and a second try calls it again with what moves then.
 */
export type MoveRequest = [file: FileDoc, onMoved: (moved: FileDoc) => void] | [files: readonly FileDoc[], onMoved: (moved: FileDoc[]) => void];

function isForSeveral(request: MoveRequest): request is [readonly FileDoc[], (moved: FileDoc[]) => void] {
  return Array.isArray(request[0]);
}

export function openMoveDialog(...request: MoveRequest): void {
  if (isForSeveral(request)) {
    const [files, onMoved] = request;
    showMoveDialog(files, onMoved);
    return;
  }
  const [file, onMoved] = request;
  showMoveDialog([file], ([moved]) => {
    if (moved !== undefined) onMoved(moved);
  });
}

const pathText = (path: readonly Crumb[]): string => path.map((crumb) => crumb.name).join(' / ');

/** "Now in My files / Holidays", once the walk up has answered; several places are not listed. */
function showPlace(items: readonly FileDoc[], place: HTMLElement, dialog: HTMLDialogElement): void {
  const [first] = items;
  if (first === undefined) return;
  if (!items.every((item) => sameFolder(item.parentId, first.parentId))) {
    place.textContent = 'several folders';
    return;
  }
  if (isRootId(first.parentId)) {
    place.textContent = ROOT_CRUMB.name;
    return;
  }
  place.textContent = '…';
  pathTo(first.parentId).then(
    (path) => {
      if (dialog.open) place.textContent = pathText(path);
    },
    () => {
      if (dialog.open) place.textContent = 'a folder that could not be read';
    },
  );
}

const itemsName = (items: readonly FileDoc[]): string => (items.length === 1 && items[0] !== undefined ? items[0].name : `${items.length} items`);

function showMoveDialog(files: readonly FileDoc[], onMoved: (moved: FileDoc[]) => void): void {
  /** What is still to move: all of it, until a try moved only some. */
  let pending = [...files];
  let path: Crumb[] = [ROOT_CRUMB];
  let loading: AbortController | undefined;
  const moving = new Set(files.map((file) => file.id));
  const place = h('strong', { class: 'move-path' });
  const crumbs = h('ol', { class: 'crumbs' });
  const folders = h('ul', { class: 'folder-picker', attrs: { role: 'list', 'aria-label': 'Folders' } });
  const note = h('p', { class: 'muted', attrs: { 'aria-live': 'polite' } });
  const refusal = h('p', { class: 'move-refusal', attrs: { 'aria-live': 'polite' } });

  const current = (): Crumb => path[path.length - 1] ?? ROOT_CRUMB;

  /** The button moves only what is not in the folder shown; with nothing left to move, it is off and says why. */
  const judge = (parts: DialogParts, loaded: boolean): void => {
    const here = current();
    const staying = pending.filter((file) => sameFolder(file.parentId, here.id));
    const name = itemsName(pending);
    const one = pending.length === 1;
    if (staying.length === pending.length) {
      refusal.textContent = `${one ? `${name} is` : 'These items are'} already in ${here.name}. Open the folder to move ${one ? 'it' : 'them'} to.`;
    } else if (staying.length > 0) {
      refusal.textContent = `${itemsName(staying)} ${staying.length === 1 ? 'is' : 'are'} already in ${here.name} and will stay; the others will move.`;
    } else refusal.textContent = '';
    parts.submit.disabled = !loaded || staying.length === pending.length;
    parts.submit.setAttribute('aria-description', `Move ${name} to ${here.name}`);
  };

  const show = (nextPath: Crumb[], parts: DialogParts): void => {
    path = nextPath;
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    renderCrumbs(crumbs, path, (depth) => show(path.slice(0, depth + 1), parts));
    const here = current();
    judge(parts, false);
    note.textContent = 'Loading folders…';
    folders.replaceChildren();
    listFolders(here.id, controller.signal).then(
      (found) => {
        if (controller.signal.aborted) return;
        const choices = found.filter((folder) => !moving.has(folder.id));
        folders.replaceChildren(
          ...choices.map((folder) =>
            h('li', {}, [
              h(
                'button',
                {
                  class: 'folder-choice',
                  attrs: { type: 'button' },
                  on: { click: () => show([...path, { id: folder.id, name: folder.name }], parts) },
                },
                [icon('folder'), h('span', { text: folder.name })],
              ),
            ]),
          ),
        );
        note.textContent = choices.length === 0 ? `No folders in ${here.name}.` : '';
        judge(parts, true);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        note.textContent = '';
        parts.fail(error);
      },
    );
  };

  /** One at a time: each move takes the tree's lock on the server, and a failure must not stop the rest. */
  const moveAll = async (parts: DialogParts): Promise<void> => {
    const here = current();
    const moved: FileDoc[] = [];
    const failures: { file: FileDoc; error: unknown }[] = [];
    for (const file of pending) {
      if (sameFolder(file.parentId, here.id)) continue;
      try {
        moved.push(await updateFile(file.id, { parentId: here.id }));
      } catch (error) {
        failures.push({ file, error });
      }
    }
    if (moved.length > 0) onMoved(moved);
    const [only] = failures;
    if (only === undefined) return;
    if (files.length === 1) throw only.error;
    // What moved has moved: the dialog stays on the rest, to try again or choose another folder.
    pending = failures.map((failure) => failure.file);
    judge(parts, true);
    const reasons = failures.map((failure) => `${failure.file.name}: ${describeError(failure.error)}`).join('; ');
    throw new Error(`${moved.length} of ${moved.length + failures.length} moved. Could not move ${reasons}`);
  };

  const parts = openDialog(
    {
      title: `Move ${itemsName(files)}`,
      submitLabel: 'Move here',
      wide: true,
      onSubmit: moveAll,
      onClose: () => loading?.abort(),
    },
    [
      h('p', { class: 'move-place' }, ['Now in ', place]),
      h('p', { class: 'muted', text: 'Open the folder to move to, then choose “Move here”.' }),
      h('nav', { class: 'breadcrumbs', attrs: { 'aria-label': 'Destination folder' } }, [crumbs]),
      folders,
      note,
      refusal,
    ],
  );
  showPlace(files, place, parts.dialog);
  show(path, parts);
}
