/**
 * The login token lives in sessionStorage: it goes away with the tab, is never shared with other
 * tabs or written to disk the way localStorage is, and is never put in a URL.
 */

const TOKEN_KEY = 'filesManager.token';
const EMAIL_KEY = 'filesManager.email';

export interface Session {
  token: string;
  email: string;
}

export function currentSession(): Session | undefined {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const email = sessionStorage.getItem(EMAIL_KEY);
  if (token === null || token === '') return undefined;
  return { token, email: email ?? '' };
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(TOKEN_KEY, session.token);
  sessionStorage.setItem(EMAIL_KEY, session.email);
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EMAIL_KEY);
}
