/** The move dialog: browse folders from the root and move the item into the one shown. */
import { listFolders, updateFile, type FileDoc } from './api.js';
import { ROOT_CRUMB, renderCrumbs, type Crumb } from './breadcrumbs.js';
import { openDialog, type DialogParts } from './dialogs.js';
import { h, icon } from './dom.js';

export function openMoveDialog(file: FileDoc, onMoved: (moved: FileDoc) => void): void {
  let path: Crumb[] = [ROOT_CRUMB];
  let loading: AbortController | undefined;
  const crumbs = h('ol', { class: 'crumbs' });
  const folders = h('ul', { class: 'folder-picker', attrs: { role: 'list', 'aria-label': 'Folders' } });
  const note = h('p', { class: 'muted', attrs: { 'aria-live': 'polite' } });

  const current = (): Crumb => path[path.length - 1] ?? ROOT_CRUMB;

  const show = (nextPath: Crumb[], parts: DialogParts): void => {
    path = nextPath;
    loading?.abort();
    const controller = new AbortController();
    loading = controller;
    renderCrumbs(crumbs, path, (depth) => show(path.slice(0, depth + 1), parts));
    const here = current();
    parts.submit.disabled = true;
    parts.submit.textContent = 'Move here';
    parts.submit.setAttribute('aria-description', `Move ${file.name} to ${here.name}`);
    note.textContent = 'Loading folders…';
    folders.replaceChildren();
    listFolders(here.id, controller.signal).then(
      (found) => {
        if (controller.signal.aborted) return;
        // A folder cannot go inside itself; the server says so too, but better not to offer it.
        const choices = found.filter((folder) => folder.id !== file.id);
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
        parts.submit.disabled = false;
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        note.textContent = '';
        parts.fail(error);
      },
    );
  };

  const parts = openDialog(
    {
      title: `Move ${file.name}`,
      submitLabel: 'Move here',
      wide: true,
      onSubmit: async () => {
        onMoved(await updateFile(file.id, { parentId: current().id }));
      },
      onClose: () => loading?.abort(),
    },
    [
      h('p', { class: 'muted', text: 'Open the folder to move it to, then choose “Move here”.' }),
      h('nav', { class: 'breadcrumbs', attrs: { 'aria-label': 'Destination folder' } }, [crumbs]),
      folders,
      note,
    ],
  );
  show(path, parts);
}
