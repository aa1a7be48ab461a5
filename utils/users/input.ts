import { z } from 'zod';
import { fieldsOf, validate } from '../validate';
import type { SignUp } from './accounts';

/** An empty string counts as missing, as the original service had it. */
export const SignUpBody = z.object({
  email: z.string({ error: 'Missing email' }).min(1, { error: 'Missing email' }),
  password: z.string({ error: 'Missing password' }).min(1, { error: 'Missing password' }),
});

export function parseSignUp(body: unknown): SignUp {
  return validate(SignUpBody, fieldsOf(body));
}
