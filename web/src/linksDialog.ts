/**
 * The share dialog of a file or folder: its links (the URL to copy, expiry, downloads, whether a
 * password or uploads are set, Revoke) and a form that creates another one. The password typed
 * here goes to the API in the request body only; the page keeps nothing of it.
 */
import { createLink, listLinks, revokeLink, type FileDoc, type Link, type LinkOptions } from './api.js';
import { confirmAction, openDialog, type DialogParts } from './dialogs.js';
import { h } from './dom.js';
import { formatDate } from './media.js';

let dialogCount = 0;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The choices of the expiry list: a duration from now, never, or a date and time of one's own. */
const EXPIRY_CHOICES = [
  { value: 'never', label: 'Never' },
  { value: '1', label: 'In 1 day' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: 'date', label: 'On a date…' },
] as const;

interface Form {
  expiry: HTMLSelectElement;
  date: HTMLInputElement;
  dateRow: HTMLElement;
  password: HTMLInputElement;
  maxDownloads: HTMLInputElement;
  allowUpload?: HTMLInputElement;
}

function field(label: string, control: HTMLElement, id: string, hint?: string): HTMLElement {
  const hintId = hint === undefined ? undefined : `${id}-hint`;
  if (hintId !== undefined) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'form-row' }, [
    h('label', { class: 'label', text: label, attrs: { for: id } }),
    control,
    hint === undefined ? null : h('p', { class: 'hint muted', text: hint, attrs: { id: hintId } }),
  ]);
}

function buildForm(file: FileDoc, prefix: string): { form: Form; elements: HTMLElement } {
  const expiry = h('select', { class: 'field', attrs: { id: `${prefix}-expiry` } }, EXPIRY_CHOICES.map((choice) => h('option', { text: choice.label, attrs: { value: choice.value } })));
  const date = h('input', { class: 'field', attrs: { id: `${prefix}-date`, type: 'datetime-local' } });
  const dateRow = field('Ends on', date, `${prefix}-date`);
  dateRow.hidden = true;
  expiry.addEventListener('change', () => {
    dateRow.hidden = expiry.value !== 'date';
    if (!dateRow.hidden) date.focus();
  });
  const password = h('input', { class: 'field', attrs: { id: `${prefix}-password`, type: 'password', autocomplete: 'new-password', maxlength: 256 } });
  const maxDownloads = h('input', { class: 'field', attrs: { id: `${prefix}-max`, type: 'number', min: 1, step: 1, inputmode: 'numeric' } });
  const form: Form = { expiry, date, dateRow, password, maxDownloads };
  const rows: HTMLElement[] = [
    field('Expires', expiry, `${prefix}-expiry`),
    dateRow,
    field('Password (optional)', password, `${prefix}-password`, 'Visitors must type it before they see anything.'),
    field('Maximum downloads (optional)', maxDownloads, `${prefix}-max`, 'The link ends after this many complete downloads.'),
  ];
  if (file.type === 'folder') {
    const allowUpload = h('input', { attrs: { id: `${prefix}-upload`, type: 'checkbox', 'aria-describedby': `${prefix}-upload-hint` } });
    form.allowUpload = allowUpload;
    rows.push(
      h('div', { class: 'form-row check-row' }, [
        allowUpload,
        h('label', { text: 'Allow uploads', attrs: { for: `${prefix}-upload` } }),
        h('p', { class: 'hint muted', text: 'A drop folder: visitors can send files into this folder, and see nothing in it.', attrs: { id: `${prefix}-upload-hint` } }),
      ]),
    );
  }
  const elements = h('fieldset', { class: 'link-options' }, [h('legend', { text: 'New link' }), ...rows]);
  return { form, elements };
}

/** The options the form describes, or an error saying what to fix. */
function optionsOf(form: Form): LinkOptions {
  const options: LinkOptions = {};
  const choice = form.expiry.value;
  if (choice === 'date') {
    if (form.date.value === '') throw new Error('Choose the date and time the link ends, or “Never”.');
    // A datetime-local value is in the reader's time zone, as Date parses it.
    const ends = new Date(form.date.value);
    if (Number.isNaN(ends.getTime())) throw new Error('The end date is not a valid date and time.');
    if (ends.getTime() <= Date.now()) throw new Error('The end date must be in the future.');
    options.expiresAt = ends.toISOString();
  } else if (choice !== 'never') {
    options.expiresAt = new Date(Date.now() + Number(choice) * DAY_MS).toISOString();
  }
  if (form.password.value !== '') options.password = form.password.value;
  const max = form.maxDownloads.value.trim();
  if (max !== '' || form.maxDownloads.validity.badInput) {
    const count = Number(max);
    if (!Number.isSafeInteger(count) || count < 1) throw new Error('Maximum downloads must be a whole number, 1 or more.');
    options.maxDownloads = count;
  }
  if (form.allowUpload?.checked === true) options.allowUpload = true;
  return options;
}

function downloadsText(link: Link): string {
  return link.maxDownloads === null ? String(link.downloads) : `${link.downloads} of ${link.maxDownloads}`;
}

function facts(link: Link, file: FileDoc): HTMLElement {
  const pairs: [string, string][] = [
    ['Expires', link.expiresAt === null ? 'Never' : (formatDate(link.expiresAt) ?? link.expiresAt)],
    ['Downloads', downloadsText(link)],
    ['Password', link.hasPassword ? 'Yes' : 'No'],
  ];
  if (file.type === 'folder') pairs.push(['Drop folder', link.allowUpload ? 'Yes' : 'No']);
  return h(
    'dl',
    { class: 'link-facts' },
    pairs.map(([term, value]) => h('div', {}, [h('dt', { text: term }), h('dd', { text: value })])),
  );
}

async function copyText(input: HTMLInputElement): Promise<void> {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    // Without clipboard permission the selected text is still one Ctrl+C away.
    throw new Error('Copying was not allowed by the browser: the link is selected, press Ctrl+C to copy it.');
  }
}

export function openShareDialog(file: FileDoc): void {
  dialogCount += 1;
  const prefix = `share-${dialogCount}`;
  const headingId = `${prefix}-links`;
  const list = h('ul', { class: 'link-list', attrs: { role: 'list', 'aria-labelledby': headingId } });
  const heading = h('h3', { class: 'links-title', text: 'Links', attrs: { id: headingId, tabindex: -1 } });
  const note = h('p', { class: 'muted', text: 'Loading links…' });
  // Confirmations inside the dialog: the page's own status region is inert behind it.
  const status = h('p', { class: 'dialog-status', attrs: { role: 'status' } });
  const { form, elements } = buildForm(file, prefix);
  let links: Link[] = [];
  let loading = new AbortController();

  const say = (message: string): void => {
    status.textContent = message;
  };

  const render = (focusId?: string): void => {
    note.textContent = links.length === 0 ? `No links yet. Anyone with a link you create can open ${file.name} without an account.` : '';
    note.hidden = links.length > 0;
    list.replaceChildren(...links.map((link, index) => renderLink(link, index)));
    if (focusId !== undefined) list.querySelector<HTMLButtonElement>(`li[data-id="${CSS.escape(focusId)}"] button.copy`)?.focus();
  };

  const renderLink = (link: Link, index: number): HTMLLIElement => {
    const inputId = `${prefix}-url-${link.id}`;
    const input = h('input', { class: 'field link-field', attrs: { id: inputId, type: 'text', readonly: true, value: link.url, spellcheck: 'false' } });
    input.addEventListener('focus', () => input.select());
    // Enter in a field submits its form: here that would create another link.
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') event.preventDefault();
    });
    const copy = h('button', { class: 'button small copy', text: 'Copy', attrs: { type: 'button' } });
    copy.addEventListener('click', () => {
      copyText(input).then(
        () => say(`Link ${index + 1} copied`),
        (error: unknown) => parts.fail(error),
      );
    });
    const revoke = h('button', { class: 'button small danger-text', text: 'Revoke', attrs: { type: 'button' } });
    revoke.addEventListener('click', () => askRevoke(link));
    return h('li', { class: 'share-link', attrs: { 'aria-label': `Link ${index + 1}`, 'data-id': link.id } }, [
      h('label', { class: 'label small', text: 'Link URL', attrs: { for: inputId } }),
      h('div', { class: 'link-row' }, [input, copy]),
      facts(link, file),
      h('div', { class: 'link-actions' }, [revoke]),
    ]);
  };

  const load = async (): Promise<void> => {
    loading.abort();
    const controller = new AbortController();
    loading = controller;
    list.setAttribute('aria-busy', 'true');
    try {
      links = await listLinks(file.id, controller.signal);
      if (!controller.signal.aborted) render();
    } finally {
      if (loading === controller) list.removeAttribute('aria-busy');
    }
  };

  const askRevoke = (link: Link): void => {
    confirmAction({
      title: 'Revoke this link?',
      message: `Anyone who opens it will be told it has ended, and uploads through it stop. This cannot be undone: ${link.url}`,
      confirmLabel: 'Revoke',
      onConfirm: async () => {
        await revokeLink(link.id);
        links = links.filter((other) => other.id !== link.id);
        render();
        say('Link revoked');
        heading.focus();
        // The counts of the others may have moved meanwhile.
        load().catch((error: unknown) => parts.fail(error));
      },
    });
  };

  const parts: DialogParts = openDialog(
    {
      title: `Share ${file.name}`,
      submitLabel: 'Create link',
      cancelLabel: 'Close',
      wide: true,
      keepOpen: true,
      onSubmit: async () => {
        say('');
        const created = await createLink(file.id, optionsOf(form));
        links = [...links.filter((link) => link.id !== created.id), created];
        form.password.value = '';
        render(created.id);
        say('Link created: copy it and send it to whoever should have it.');
      },
      onClose: () => loading.abort(),
    },
    [
      h('section', { class: 'links-section', attrs: { 'aria-labelledby': headingId } }, [heading, note, list]),
      elements,
      status,
    ],
  );
  load().catch((error: unknown) => {
    if (loading.signal.aborted) return;
    note.textContent = '';
    parts.fail(error);
  });
}
