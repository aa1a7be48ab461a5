/** Start-up: picks the login form or the file browser, and switches between them. */
import { clearError, showError } from './alerts.js';
import { ApiError, currentUser, forgetSignedUrls, logOut, onUnauthorized } from './api.js';
import { setupAuth, showAuthForm } from './auth.js';
import { ROOT_CRUMB } from './breadcrumbs.js';
import { byId } from './dom.js';
import { currentFolder, goTo, reload, resetListing, setupListing } from './listing.js';
import { clearSession, currentSession } from './session.js';
import { forgetThumbnails } from './thumbnails.js';
import { closeTrash, openTrash, setupTrash } from './trash.js';
import { resetUploads, setupUploads } from './upload.js';
import { refreshUsage, resetUsage } from './usage.js';

function closeDialogs(): void {
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
}

type View = 'files' | 'trash';

/** My files or the trash, with the tab of the one shown marked as current. */
function showView(shown: View): void {
  clearError();
  byId('files-view', HTMLElement).hidden = shown !== 'files';
  byId('trash-view', HTMLElement).hidden = shown !== 'trash';
  const tabs: [string, View][] = [
    ['show-files', 'files'],
    ['show-trash', 'trash'],
  ];
  for (const [id, view] of tabs) {
    const tab = byId(id, HTMLButtonElement);
    if (view === shown) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
  if (shown === 'trash') {
    // The folder's thumbnails stop polling; coming back starts from the root anyway.
    resetListing();
    void openTrash();
    return;
  }
  closeTrash();
  // From the root: a restore may have changed any folder, and the tab is named after it.
  void goTo([ROOT_CRUMB], 0);
}

function showAuth(message?: string): void {
  closeDialogs();
  resetListing();
  closeTrash();
  resetUploads();
  resetUsage();
  forgetThumbnails();
  forgetSignedUrls();
  byId('account', HTMLElement).hidden = true;
  byId('app-view', HTMLElement).hidden = true;
  byId('auth-view', HTMLElement).hidden = false;
  document.title = 'Log in · Files Manager';
  showAuthForm(message);
}

function showFiles(email: string): void {
  clearError();
  byId('user-email', HTMLElement).textContent = email;
  byId('account', HTMLElement).hidden = false;
  byId('auth-view', HTMLElement).hidden = true;
  byId('app-view', HTMLElement).hidden = false;
  document.title = 'Files Manager';
  showView('files');
  refreshUsage();
}

async function logOutNow(): Promise<void> {
  const session = currentSession();
  // Forget the token first: whatever the server answers, this tab must not keep using it.
  clearSession();
  showAuth('You are logged out.');
  if (session !== undefined) await logOut(session.token);
}

let reloadTimer: number | undefined;

/** Several uploads finishing together cause one listing request, not one each. */
function reloadSoon(): void {
  window.clearTimeout(reloadTimer);
  reloadTimer = window.setTimeout(() => void reload(), 250);
}

function start(): void {
  onUnauthorized(() => {
    if (byId('auth-view', HTMLElement).hidden === false) return;
    clearSession();
    showAuth('Your session has ended. Please log in again.');
  });
  setupAuth({ loggedIn: showFiles });
  setupListing();
  setupTrash();
  byId('show-files', HTMLButtonElement).addEventListener('click', () => showView('files'));
  byId('show-trash', HTMLButtonElement).addEventListener('click', () => showView('trash'));
  setupUploads({
    target: currentFolder,
    uploaded: (_file, folder) => {
      if (currentFolder().id === folder.id) reloadSoon();
    },
  });
  byId('log-out', HTMLButtonElement).addEventListener('click', () => {
    logOutNow().catch((error: unknown) => showError(error, 'The server could not end the session'));
  });

  const session = currentSession();
  if (session === undefined) {
    showAuth();
    return;
  }
  currentUser().then(
    (user) => showFiles(user.email),
    (error: unknown) => {
      // A rejected token has already brought the login form back through onUnauthorized.
      if (error instanceof ApiError && error.status === 401) return;
      showAuth();
      showError(error, 'Could not restore your session');
    },
  );
}

start();
