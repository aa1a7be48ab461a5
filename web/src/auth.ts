/** The login / sign-up form. Signing up logs the new account in at once. */
import { clearError, describeError, showError } from './alerts.js';
import { ApiError, logIn, signUp } from './api.js';
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

/** The API's answers that do not say what to do: 401 at login, and "Already exist" at sign-up (a 400). */
function explain(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'the email or password is not right. Check both and try again.';
  if (error instanceof ApiError && error.status === 400 && error.message === 'Already exist') {
    return 'an account with this email already exists. Log in instead, or sign up with another email.';
  }
  return describeError(error);
}

async function enter(address: string, secret: string, hooks: AuthHooks): Promise<void> {
  const token = await logIn(address, secret);
  saveSession({ token, email: address });
  fields().password.value = '';
  hooks.loggedIn(address);
}

export function setupAuth(hooks: AuthHooks): void {
  const { form, email, password, status } = fields();

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearError();
    status.textContent = '';
    setBusy(true);
    enter(email.value.trim(), password.value, hooks)
      .catch((error: unknown) => {
        showError(`Could not log in: ${explain(error)}`);
        password.focus();
      })
      .finally(() => setBusy(false));
  });

  byId('sign-up', HTMLButtonElement).addEventListener('click', () => {
    clearError();
    status.textContent = '';
    if (!form.reportValidity()) return;
    setBusy(true);
    const address = email.value.trim();
    const secret = password.value;
    signUp(address, secret)
      .then(
        // The same credentials, at once: nobody signs up to be asked for them again.
        () =>
          enter(address, secret, hooks).catch((error: unknown) => {
            status.textContent = `Account created for ${address}.`;
            showError(`Your account was created, but logging in failed: ${describeError(error)} Log in to continue.`);
          }),
        (error: unknown) => showError(`Could not sign up: ${explain(error)}`),
      )
      .finally(() => setBusy(false));
  });
}

export function showAuthForm(message?: string): void {
  const { email, status } = fields();
  status.textContent = message ?? '';
  email.focus();
}
