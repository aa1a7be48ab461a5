/**
 * What a file or folder name may be: the server's rule (utils/files/input.ts, MAX_NAME_BYTES),
 * checked before a typed name is sent, so the form can say what to change instead of the API's
 * bare "Invalid name".
 */

/** Counted in UTF-8 bytes, as the server counts them: "é" is two, an emoji four. */
export const MAX_NAME_BYTES = 255;

export const NAME_RULE = `Names can be at most ${MAX_NAME_BYTES} bytes (UTF-8) and cannot hold control characters.`;

/** The API's message for a name it refuses, which NAME_RULE explains. */
export const INVALID_NAME = 'Invalid name';

/**
 * Why `name` would be refused, or undefined. An empty name is left to the API, whose "Missing
 * name" already says what is wrong.
 */
export function nameProblem(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES) return `This name is ${bytes} bytes long. ${NAME_RULE}`;
  if (/\p{Cc}/u.test(name)) return `This name holds a control character (such as a tab). ${NAME_RULE}`;
  return undefined;
}
