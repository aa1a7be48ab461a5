/**
 * The page of a shared link, /s/<token> (web/share.html): what the link names, for a visitor
 * without an account. It asks GET /s/<token>/info, then shows a password form (401), that the
 * link has ended (404), or the file, the folder to browse, or the drop zone of a drop folder.
 * It shares no code with the app that needs a login: there is no token here at all.
 */
import { clearError, showError } from './alerts.js';
import { byId, h } from './dom.js';
import { ApiError } from './http.js';
import { LinkClient, tokenFromPath, type LinkInfo } from './shareClient.js';
import { renderDrop } from './shareDrop.js';
import { renderFile } from './shareFile.js';
import { renderFolder } from './shareFolder.js';

const main = byId('main', HTMLElement);
/** Aborted whenever the page shows something else, so the old view's requests and listeners stop. */
let view = new AbortController();

function replaceView(...content: HTMLElement[]): AbortSignal {
  view.abort();
  view = new AbortController();
  main.removeAttribute('aria-busy');
  main.replaceChildren(...content);
  return view.signal;
}

function showLoading(): void {
  view.abort();
  main.setAttribute('aria-busy', 'true');
  main.replaceChildren(h('p', { class: 'loading muted', text: 'Loading…' }));
}

function showEnded(): void {
  clearError();
  document.title = 'Link ended · Files Manager';
  replaceView(
    h('section', { class: 'card notice', attrs: { 'aria-labelledby': 'shared-title' } }, [
      h('h1', { text: 'This link does not exist or has ended', attrs: { id: 'shared-title', tabindex: -1 } }),
      h('p', {
        class: 'muted',
        text: 'It may have expired, been revoked by its owner or used up its downloads, or the file may have been deleted. Ask whoever sent it for a new one.',
      }),
    ]),
  );
}

/** A failure the page cannot get past by itself (no answer, 429, 5xx): said, with a way to try again. */
function showFailure(client: LinkClient, error: unknown): void {
  document.title = 'Shared link · Files Manager';
  const retry = h('button', { class: 'button primary', text: 'Try again', attrs: { type: 'button' } });
  retry.addEventListener('click', () => void start(client));
  replaceView(
    h('section', { class: 'card notice', attrs: { 'aria-labelledby': 'shared-title' } }, [
      h('h1', { text: 'This link cannot be opened right now', attrs: { id: 'shared-title' } }),
      h('div', { class: 'notice-actions' }, [retry]),
    ]),
  );
  showError(error);
}

function passwordMessage(error: unknown): unknown {
  // The API's answer to a wrong password is its 401 "Password required": said, and explained.
  if (error instanceof ApiError && error.status === 401) return `${error.message}: that password is not right. Check it and try again.`;
  return error;
}

function showPasswordForm(client: LinkClient, expired: boolean): void {
  document.title = 'Password required · Files Manager';
  const input = h('input', {
    class: 'field',
    attrs: { id: 'link-password', name: 'password', type: 'password', autocomplete: 'off', required: true, maxlength: 256, spellcheck: 'false' },
  });
  const submit = h('button', { class: 'button primary', text: 'Open', attrs: { type: 'submit' } });
  const form = h('form', { class: 'card auth-card', attrs: { 'aria-labelledby': 'shared-title', novalidate: true } }, [
    h('h1', { text: 'This link is protected', attrs: { id: 'shared-title' } }),
    h('p', {
      class: 'muted',
      text: expired ? 'Your access to this link has expired: type its password again.' : 'Type the password you were given with the link to open it.',
    }),
    h('label', { class: 'label', text: 'Password', attrs: { for: 'link-password' } }),
    input,
    h('div', { class: 'auth-actions' }, [submit]),
  ]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    clearError();
    if (input.value === '') {
      showError('Type the password first.');
      input.focus();
      return;
    }
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    // The password goes in this request's body only; the server answers with an HttpOnly cookie.
    client.openSession(input.value).then(
      () => {
        input.value = '';
        void start(client);
      },
      (error: unknown) => {
        submit.disabled = false;
        form.removeAttribute('aria-busy');
        showError(passwordMessage(error));
        input.select();
        input.focus();
      },
    );
  });
  replaceView(h('section', { class: 'auth' }, [form]));
  input.focus();
}

/**
 * What share.ts does with a failure of the link while a view is shown: its end, or a session
 * that expired (the cookie lasts an hour), replaces the view; anything else is only said.
 */
function linkFailure(client: LinkClient): (error: unknown) => void {
  return (error) => {
    if (error instanceof ApiError && error.status === 404) showEnded();
    else if (error instanceof ApiError && error.status === 401) showPasswordForm(client, true);
    else showError(error);
  };
}

function show(client: LinkClient, info: LinkInfo): void {
  const { file } = info;
  document.title = `${file.name} · Files Manager`;
  const fail = linkFailure(client);
  // Each view is built for the signal of its own lifetime, so it is made after the old one ends.
  view.abort();
  view = new AbortController();
  const lifetime = view.signal;
  let content: HTMLElement;
  if (file.type !== 'folder') content = renderFile(client, info, lifetime);
  else if (info.allowUpload) content = renderDrop(client, info, lifetime, { fail });
  else content = renderFolder(client, info, lifetime, { fail });
  main.removeAttribute('aria-busy');
  main.replaceChildren(content);
}

async function start(client: LinkClient): Promise<void> {
  clearError();
  showLoading();
  try {
    show(client, await client.info());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) showPasswordForm(client, false);
    else if (error instanceof ApiError && error.status === 404) showEnded();
    else showFailure(client, error);
  }
}

const token = tokenFromPath(location.pathname);
if (token === undefined) showEnded();
else void start(new LinkClient(token));
