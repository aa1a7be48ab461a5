import type { z } from 'zod';
import { badRequest, MESSAGES } from './errors';

/**
 * Parses `value` with `schema`, or throws 400 with the message of the first problem. Schemas
 * list their fields in the order the contract checks them, and zod reports problems in that
 * order, so the first is the one the contract names.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw badRequest(result.error.issues[0]?.message ?? MESSAGES.badRequest);
}

/** A JSON body as a plain object; anything else (no body, an array, a string) reads as no fields. */
export function fieldsOf(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
