/** The login / sign-up form. */
import { clearError, showError } from './alerts.js';
import { logIn, signUp } from './api.js';
import { byId } from './dom.js';
import { saveSession } from './session.js';

export interface AuthHooks {
  loggedIn(email: string): void;
}

function fields(): { form: HTMLFormElement; email: HTMLInputElement; password: HTMLInputElement; status: HTMLElement } {
  return {
    form: byId('auth-form', HTMLFormElement),
    email: byId('email', HTMLInputElement),
    password: byId('password', HTMLInputElement),
    status: byId('auth-status', HTMLElement),
  };
}

function setBusy(busy: boolean): void {
  const { form } = fields();
  for (const button of form.querySelectorAll('button')) button.disabled = busy;
  form.setAttribute('aria-busy', String(busy));
}

export function setupAuth(hooks: AuthHooks): void {
  const { form, email, password, status } = fields();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearError();
    status.textContent = '';
    setBusy(true);
    const address = email.value.trim();
    logIn(address, password.value)
      .then((token) => {
        saveSession({ token, email: address });
        password.value = '';
        hooks.loggedIn(address);
      })
      .catch((error: unknown) => {
        showError(error, 'Could not log in');
        password.focus();
      })
      .finally(() => setBusy(false));
  });

  byId('sign-up', HTMLButtonElement).addEventListener('click', () => {
    clearError();
    status.textContent = '';
    if (!form.reportValidity()) return;
    setBusy(true);
    signUp(email.value.trim(), password.value)
      .then((user) => {
        status.textContent = `Account created for ${user.email}. You can log in now.`;
      })
      .catch((error: unknown) => showError(error, 'Could not sign up'))
      .finally(() => setBusy(false));
  });
}

export function showAuthForm(message?: string): void {
  const { email, status } = fields();
  status.textContent = message ?? '';
  email.focus();
}
