import { z } from 'zod';
import { parseOptionalFields } from '../files/input';

/** `POST /files/:id/links`: every field optional. */
export const LinkOptionsBody = z.strictObject({
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((text) => Date.parse(text) > Date.now())
    .optional()
    .meta({ description: 'ISO 8601, in the future: the link ends then' }),
  password: z.string().min(1).max(256).optional().meta({ description: '1 to 256 characters, sent by visitors as X-Link-Password' }),
  maxDownloads: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().meta({ description: 'Complete downloads allowed; then the link ends' }),
  allowUpload: z.boolean().optional().meta({ description: 'Folders only: a drop folder, which takes uploads and lists nothing' }),
});

export interface LinkOptions {
  expiresAt: Date | null;
  password: string | null;
  maxDownloads: number | null;
  allowUpload: boolean;
}

export function parseLinkOptions(body: unknown): LinkOptions {
  const { expiresAt, password, maxDownloads, allowUpload } = parseOptionalFields(LinkOptionsBody, body);
  return {
    expiresAt: expiresAt === undefined ? null : new Date(expiresAt),
    password: password ?? null,
    maxDownloads: maxDownloads ?? null,
    allowUpload: allowUpload ?? false,
  };
}

/** `POST /s/:token/session`: a browser trades the password for a cookie. */
export const LinkSessionBody = z.strictObject({ password: z.string().min(1).max(256) });

export function parseLinkPassword(body: unknown): string {
  return parseOptionalFields(LinkSessionBody, body).password;
}

/** A link's token as createLink makes it; anything else names no link. */
export function isLinkToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{32}$/.test(value);
}
