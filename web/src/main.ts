/** Start-up: picks the login form or the file browser, and switches between them. */
import { clearError, showError } from './alerts.js';
import { ApiError, currentUser, forgetSignedUrls, logOut, onUnauthorized } from './api.js';
import { setupAuth, showAuthForm } from './auth.js';
import { byId } from './dom.js';
import { currentFolder, reload, resetListing, setupListing, showFolder } from './listing.js';
import { currentRoute, navigate, onRouteChange, replaceRoute, type Route } from './router.js';
import { clearSession, currentSession } from './session.js';
import { forgetThumbnails } from './thumbnails.js';
import { closeTrash, openTrash, setupTrash } from './trash.js';
import { resetUploads, setupUploads } from './upload.js';
import { refreshUsage, resetUsage } from './usage.js';

function closeDialogs(): void {
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
}

type View = Route['view'];

/** The route's view, My files or the trash, with the tab of the one shown marked as current. */
function showRoute(route: Route): void {
  const shown = route.view;
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
  if (route.view === 'trash') {
    // The folder's thumbnails stop polling; the trash is read afresh each time it is shown.
    resetListing();
    void openTrash();
    return;
  }
  closeTrash();
  void showFolder(route.folderId);
}

/** Shows the URL's route, unless the login form is shown: it waits for the login. */
function followRoute(): void {
  if (byId('app-view', HTMLElement).hidden) return;
  showRoute(currentRoute());
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
  showRoute(currentRoute());
  refreshUsage();
}

async function logOutNow(): Promise<void> {
  const session = currentSession();
  // Forget the token first: whatever the server answers, this tab must not keep using it.
  clearSession();
  // The next one to log in starts at the root; an ended session (below) keeps its place instead.
  replaceRoute({ view: 'files', folderId: 0 });
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
  onRouteChange(() => {
    clearError();
    followRoute();
  });
  // My files is the root: a restore may have changed any folder, and the tab is named after it.
  byId('show-files', HTMLButtonElement).addEventListener('click', () => navigate({ view: 'files', folderId: 0 }));
  byId('show-trash', HTMLButtonElement).addEventListener('click', () => navigate({ view: 'trash' }));
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
