/**
 * Errors go to a role="alert" element so screen readers announce them: the one inside the open
 * dialog when there is one (the page behind a modal dialog is inert), else the page's own.
 * Used by the app and the shared-link page alike: it needs no session.
 */
import { byId } from './dom.js';
import { ApiError } from './http.js';
import { INVALID_NAME, NAME_RULE } from './names.js';

export function describeError(error: unknown): string {
  if (typeof error === 'string') return error;
  // The API's "Invalid name" does not say which rule the name broke, nor what to do.
  if (error instanceof ApiError && error.status === 400 && error.message === INVALID_NAME) return NAME_RULE;
  // ApiError (http.ts) included: its message is the API's own.
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

function alertElement(): HTMLElement {
  const dialogs = document.querySelectorAll<HTMLDialogElement>('dialog[open]');
  const top = dialogs[dialogs.length - 1];
  const inDialog = top?.querySelector<HTMLElement>('[role="alert"]');
  return inDialog ?? byId('alert', HTMLElement);
}

export function showError(error: unknown, context?: string): void {
  const message = describeError(error);
  const target = alertElement();
  target.textContent = context === undefined ? message : `${context}: ${message}`;
  target.hidden = false;
}

export function clearError(): void {
  for (const element of document.querySelectorAll<HTMLElement>('[role="alert"]')) {
    element.textContent = '';
    element.hidden = true;
  }
}

let statusTimer: number | undefined;

/** Short confirmations ("Link copied") in a polite live region that clears itself. */
export function showStatus(message: string): void {
  const status = byId('status', HTMLElement);
  status.textContent = message;
  status.hidden = false;
  window.clearTimeout(statusTimer);
  statusTimer = window.setTimeout(() => {
    status.textContent = '';
    status.hidden = true;
  }, 4000);
}
