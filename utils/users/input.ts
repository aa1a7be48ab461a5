import { z } from 'zod';
import { MESSAGES } from '../errors';
import { fieldsOf, validate } from '../validate';
import type { SignUp } from './accounts';

/** An empty string counts as missing, as the original service had it. */
export const SignUpBody = z.object({
  email: z.string({ error: MESSAGES.missingEmail }).min(1, { error: MESSAGES.missingEmail }),
  password: z.string({ error: MESSAGES.missingPassword }).min(1, { error: MESSAGES.missingPassword }),
});

export function parseSignUp(body: unknown): SignUp {
  return validate(SignUpBody, fieldsOf(body));
}
