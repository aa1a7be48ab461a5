import { z } from 'zod';
import { FileChangesBody, ObjectIdText, ThumbnailSize, UploadJson, UploadMultipart, UploadQuery } from '../utils/files/input';
import { DetailedFileSchema, PublicFileSchema } from '../utils/files/present';
import { PublicUserSchema } from '../utils/users/accounts';
import { SignUpBody } from '../utils/users/input';

/**
 * The API as an OpenAPI 3.1 document, built from the same zod schemas the server validates
 * requests with (utils/*\/input.ts) and shapes responses by (present.ts, accounts.ts). Every
 * error answer lists its exact messages, so a client can switch on them and the test suite can
 * hold every response it receives to the document.
 */

type JsonSchema = Record<string, unknown>;
type Json = Record<string, unknown>;

function schema(zod: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  // Each schema is embedded in the document, whose own dialect OpenAPI 3.1 declares.
  const converted = z.toJSONSchema(zod, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

const jsonContent = (zod: z.ZodType, io: 'input' | 'output' = 'output'): Json => ({ 'application/json': { schema: schema(zod, io) } });

/** An error answer: `{"error": one of these}`; a RegExp stands for messages that name fields. */
function error(description: string, ...messages: (string | RegExp)[]): Json {
  const exact = messages.filter((message) => typeof message === 'string');
  const patterns = messages.filter((message) => message instanceof RegExp);
  const options: z.ZodType[] = [];
  if (exact.length > 0) options.push(z.enum(exact as [string, ...string[]]));
  for (const pattern of patterns) options.push(z.string().regex(pattern));
  const [first, ...others] = options;
  const message = others.length === 0 ? (first as z.ZodType) : z.union([first as z.ZodType, ...others]);
  return { description, content: jsonContent(z.strictObject({ error: message })) };
}

const UNAVAILABLE = { 503: error('The database, Redis or the bucket is unreachable', 'Service unavailable') };
const UNAUTHORIZED = { 401: error('No valid X-Token', 'Unauthorized') };
const NOT_FOUND = { 404: error('No such file of the caller', 'Not found') };
/** What the JSON body parser and Node answer before a handler runs. */
const BODY_ERRORS = {
  408: error('The body came slower than BODY_MIN_BYTES_PER_SECOND', 'Request timeout'),
  413: error('The body is over its limit', 'Payload too large'),
  415: error('A body charset or encoding the server cannot read', 'Unsupported media type'),
};
/** The framework's own answer to a request it cannot parse (a malformed escape in the path). */
const BAD_REQUEST = 'Bad request';
/** Static files keep validators, so a browser revalidates them cheaply. */
const REVALIDATED = { 304: { description: 'Not modified since the browser fetched it' } };
const UNPARSABLE = { 400: error('A path the server cannot parse', BAD_REQUEST) };
const TREE_BUSY = { 409: error("Another move or delete of the same user's folders held the lock for 20 s", 'Another change to these folders is in progress') };
const PARSE_ERRORS = [BAD_REQUEST, 'Invalid JSON'];

const FILE_ID = { name: 'id', in: 'path', required: true, schema: schema(ObjectIdText), description: 'A file id (24 hex digits); anything else is 404' };
const TOKEN = [{ token: [] }];
const fileResponse = (description: string): Json => ({ description, content: jsonContent(PublicFileSchema) });

const UPLOAD_ERRORS = [
  'Missing name',
  'Invalid name',
  'Missing type',
  'Missing data',
  'Invalid data',
  'Parent not found',
  'Parent is not a folder',
  'Invalid isPublic',
  'Invalid multipart body',
  'Only one file part allowed',
  'Upload aborted',
  ...PARSE_ERRORS,
];

function queryParameters(zod: z.ZodObject): Json[] {
  return Object.entries(zod.shape).map(([name, field]) => ({ name, in: 'query', required: false, schema: schema(field as z.ZodType, 'input') }));
}

const contentResponses: Json = {
  200: { description: 'The bytes, with ETag, Last-Modified, Accept-Ranges, Content-Disposition, nosniff and a sandbox CSP', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
  206: { description: 'One byte range', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
  304: { description: 'Not modified: If-None-Match or If-Modified-Since matched' },
  400: error('A size other than 500, 250 or 100, or a folder', 'Invalid size', "A folder doesn't have content", BAD_REQUEST),
  404: error('No such file, a private file of someone else, or bytes (a thumbnail) not made yet', 'Not found'),
  412: error('If-Match or If-Unmodified-Since failed', 'Precondition failed'),
  416: error('The range is outside the file', 'Range not satisfiable'),
  ...UNAVAILABLE,
};

const contentOperation = (method: 'get' | 'head'): Json => ({
  summary: method === 'get' ? 'The content of a file, or of its thumbnail' : 'The headers of the content, without it',
  description: 'No token needed for a public file. Conditional and range requests follow RFC 9110.',
  security: [{}, { token: [] }],
  parameters: [FILE_ID, { name: 'size', in: 'query', required: false, schema: schema(ThumbnailSize, 'input'), description: 'A thumbnail width' }],
  responses: contentResponses,
});

function buildDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Files Manager',
      version: '1.0.0',
      description: 'Sign up, log in with a token, upload files, images and folders, list them, share them, download them and their thumbnails.',
    },
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'X-Token', description: 'From GET /connect; valid for 24 hours' },
        basic: { type: 'http', scheme: 'basic', description: 'email:password, for GET /connect only' },
      },
      schemas: { File: schema(PublicFileSchema), DetailedFile: schema(DetailedFileSchema), User: schema(PublicUserSchema) },
      responses: {
        NotFound: error('No such route', 'Not found', BAD_REQUEST),
        // Not listed under each path: an operation the path lacks has nowhere to list it.
        MethodNotAllowed: {
          ...error('A path of this document asked with a method it does not have', 'Method not allowed'),
          headers: { Allow: { description: 'The methods the path has, sorted: its operations, with HEAD wherever GET is', schema: { type: 'string' } } },
        },
      },
    },
    paths: {
      '/status': {
        get: {
          summary: 'Whether Redis and the database (and with STORAGE=s3, the bucket) answer',
          responses: { 200: { description: 'Live state', content: jsonContent(z.strictObject({ redis: z.boolean(), db: z.boolean(), storage: z.boolean().optional() })) } },
        },
      },
      '/stats': {
        get: { summary: 'How many users and files there are', responses: { 200: { description: 'Counts', content: jsonContent(z.strictObject({ users: z.number().int(), files: z.number().int() })) }, ...UNAVAILABLE } },
      },
      '/users': {
        post: {
          summary: 'Sign up',
          requestBody: { required: true, content: jsonContent(SignUpBody, 'input') },
          responses: {
            201: { description: 'The account', content: jsonContent(PublicUserSchema) },
            400: error('In this order', 'Missing email', 'Missing password', 'Already exist', ...PARSE_ERRORS),
            ...BODY_ERRORS,
            429: error('Too many accounts from this address (SIGNUP_MAX_PER_ADDRESS); see Retry-After', 'Too many requests'),
            ...UNAVAILABLE,
          },
        },
      },
      '/users/me': { get: { summary: 'Who the token belongs to', security: TOKEN, responses: { 200: { description: 'The user', content: jsonContent(PublicUserSchema) }, ...UNAUTHORIZED, ...UNAVAILABLE } } },
      '/connect': {
        get: {
          summary: 'Log in with HTTP Basic credentials (email:password)',
          security: [{ basic: [] }],
          responses: {
            200: { description: 'A token for X-Token', content: jsonContent(z.strictObject({ token: z.string() })) },
            401: error('Missing, malformed or wrong credentials; WWW-Authenticate names the Basic scheme', 'Unauthorized'),
            429: error('Too many wrong passwords for this account from this address, or from this address; see Retry-After', 'Too many requests'),
            ...UNAVAILABLE,
          },
        },
      },
      '/disconnect': { get: { summary: 'Revoke the token', security: TOKEN, responses: { 204: { description: 'Revoked' }, ...UNAUTHORIZED, ...UNAVAILABLE } } },
      '/files': {
        post: {
          summary: 'Upload a file or an image, or make a folder',
          description:
            'Three forms: JSON with base64 data (the original contract); multipart/form-data with one file part; any other body as the raw bytes, with the metadata in the query string. Checks come in the order of the 400 messages.',
          security: TOKEN,
          parameters: queryParameters(UploadQuery).map((parameter) => ({ ...parameter, description: 'For a raw body' })),
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schema(UploadJson, 'input') },
              'multipart/form-data': { schema: schema(UploadMultipart, 'input') },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: { 201: fileResponse('The new file'), 400: error('In this order', ...UPLOAD_ERRORS), ...UNAUTHORIZED, ...BODY_ERRORS, ...UNAVAILABLE },
        },
        get: {
          summary: 'One page (20) of a folder’s children, by id',
          security: TOKEN,
          parameters: [
            { name: 'parentId', in: 'query', required: false, schema: { type: 'string' }, description: 'A folder id, or 0 for the root (the default); anything else lists nothing' },
            { name: 'page', in: 'query', required: false, schema: { type: 'string' }, description: 'From 0 (the default); anything that is not an integer ≥ 0 is page 0' },
          ],
          responses: { 200: { description: 'Up to 20 files', content: { 'application/json': { schema: { type: 'array', items: schema(PublicFileSchema) } } } }, ...UNAUTHORIZED, ...UNAVAILABLE },
        },
      },
      '/files/{id}': {
        get: {
          summary: 'One file of the caller’s',
          security: TOKEN,
          parameters: [FILE_ID, { name: 'fields', in: 'query', required: false, schema: { type: 'string', enum: ['all'] }, description: 'all: also size, sha256 and createdAt' }],
          responses: {
            200: { description: 'The file', content: { 'application/json': { schema: { oneOf: [schema(PublicFileSchema), schema(DetailedFileSchema)] } } } },
            ...UNPARSABLE,
            ...UNAUTHORIZED,
            ...NOT_FOUND,
            ...UNAVAILABLE,
          },
        },
        patch: {
          summary: 'Rename, move or (un)publish',
          security: TOKEN,
          parameters: [FILE_ID],
          requestBody: { required: false, content: jsonContent(FileChangesBody, 'input') },
          responses: {
            200: fileResponse('The file as changed'),
            400: error(
              'Unknown or mistyped fields, then the upload rules',
              /^(Unknown fields: .+?)?(; )?(Invalid fields: .+)?$/,
              'Expected a JSON object',
              'Missing name',
              'Invalid name',
              'Parent not found',
              'Parent is not a folder',
              'Cannot move a folder into itself',
              ...PARSE_ERRORS,
            ),
            ...UNAUTHORIZED,
            ...NOT_FOUND,
            ...TREE_BUSY,
            ...BODY_ERRORS,
            ...UNAVAILABLE,
          },
        },
        delete: {
          summary: 'Delete a file, or a folder with everything under it',
          security: TOKEN,
          parameters: [FILE_ID],
          responses: { 204: { description: 'Deleted' }, ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...TREE_BUSY, ...UNAVAILABLE },
        },
      },
      '/files/{id}/publish': { put: { summary: 'Make public', security: TOKEN, parameters: [FILE_ID], responses: { 200: fileResponse('The file'), ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...UNAVAILABLE } } },
      '/files/{id}/unpublish': { put: { summary: 'Make private', security: TOKEN, parameters: [FILE_ID], responses: { 200: fileResponse('The file'), ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...UNAVAILABLE } } },
      '/files/{id}/data': { get: contentOperation('get'), head: contentOperation('head') },
      '/': {
        get: {
          summary: 'The web app',
          responses: { 200: { description: 'Its page', content: { 'text/html': { schema: { type: 'string' } } } }, ...REVALIDATED, 503: error('web/ was not built', 'Web app not built: run npm run build:web') },
        },
      },
      '/assets/{file}': {
        get: {
          summary: 'The web app’s scripts and styles',
          parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The file', content: { '*/*': { schema: { type: 'string' } } } }, ...REVALIDATED, 404: { $ref: '#/components/responses/NotFound' } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/docs': { get: { summary: 'This document, readable', responses: { 200: { description: 'A viewer page', content: { 'text/html': { schema: { type: 'string' } } } } } } },
      '/docs/{asset}': {
        get: {
          summary: 'The viewer’s scripts and styles',
          parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The file', content: { '*/*': { schema: { type: 'string' } } } }, ...REVALIDATED, 404: { $ref: '#/components/responses/NotFound' } },
        },
      },
    },
  };
}

/**
 * Express answers OPTIONS on every path with the methods it allows; path parameters are
 * declared on the path, so that answer is described too.
 */
function withOptions(document: Json): Json {
  const paths = document.paths as Record<string, Json>;
  for (const [template, operations] of Object.entries(paths)) {
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    if (names.length > 0) operations.parameters = names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    operations.options = { summary: 'The methods this path allows, in Allow', responses: { 200: { description: 'Allow lists them' }, ...UNPARSABLE } };
  }
  return document;
}

let built: Json | undefined;

/** Built once: it depends on nothing but the schemas. */
export function openApiDocument(): Json {
  built ??= withOptions(buildDocument());
  return built;
}
