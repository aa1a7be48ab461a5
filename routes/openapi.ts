import { z } from 'zod';
import {
  FileChangesBody,
  ListFilesQuery,
  ObjectIdText,
  ShowFileQuery,
  SignedQuery,
  SignedUrlBody,
  ThumbnailSize,
  UploadJson,
  UploadMultipart,
  UploadQuery,
} from '../utils/files/input';
import { DetailedFileSchema, PublicFileSchema, TrashedFileSchema } from '../utils/files/present';
import { LinkOptionsBody, LinkSessionBody } from '../utils/links/input';
import { LinkInfoSchema, PublicLinkSchema } from '../utils/links/present';
import { PublicUserSchema } from '../utils/users/accounts';
import { SignUpBody } from '../utils/users/input';
import { UsageSchema } from '../utils/users/quota';
import { MESSAGES } from '../utils/errors';

/**
 * The API as an OpenAPI 3.1 document, built from the same zod schemas the server validates
 * requests with (utils/*\/input.ts) and shapes responses by (present.ts, accounts.ts). Every
 * error answer lists its exact messages, taken from the catalogue the server throws them from
 * (MESSAGES in utils/errors.ts), so a client can switch on them and the test suite can hold every
 * response it receives to the document. `npm run lint` lints it (redocly), and `npm run types`
 * turns it into the types the web app and the test kit use.
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

const M = MESSAGES;

/** A shared schema or response, so generated clients name it once. */
const ref = (kind: 'schemas' | 'responses', name: string): Json => ({ $ref: `#/components/${kind}/${name}` });
const jsonRef = (name: string): Json => ({ 'application/json': { schema: ref('schemas', name) } });

const UNAVAILABLE = { 503: error('The database, Redis or the bucket is unreachable', M.serviceUnavailable) };
const UNAUTHORIZED = { 401: error('No valid X-Token', M.unauthorized) };
const NOT_FOUND = { 404: error('No such file of the caller', M.notFound) };
/** Node answers it before any route runs, so it can meet every operation. */
const HEADERS_TOO_LARGE = { 431: ref('responses', 'HeadersTooLarge') };
/** What the JSON body parser and Node answer before a handler runs. */
const BODY_ERRORS = {
  408: error('The body came slower than BODY_MIN_BYTES_PER_SECOND', M.requestTimeout),
  413: error('The body is over its limit', M.payloadTooLarge),
  415: error('A body charset or encoding the server cannot read', M.unsupportedMediaType),
};
/** The owner's quota (theirs, or QUOTA_BYTES) would be passed: nothing is stored. */
const QUOTA = { 507: error('The upload would take the owner past their quota; nothing is stored', M.quotaExceeded) };
const UNPARSABLE = { 400: error('A path the server cannot parse', M.badRequest) };
const TREE_BUSY = { 409: error("Another move or delete of the same user's folders held the lock for 20 s", M.treeBusy) };
const PARSE_ERRORS = [M.badRequest, M.invalidJson];
/** parseOptionalFields' answer: the unknown fields, then the mistyped ones. */
const NAMED_FIELDS = /^(Unknown fields: .+?)?(; )?(Invalid fields: .+)?$/;

const FILE_ID = { name: 'id', in: 'path', required: true, schema: schema(ObjectIdText), description: 'A file id (24 hex digits); anything else is 404' };
const PUBLIC: Json[] = [];
const TOKEN = [{ token: [] }];
const fileResponse = (description: string): Json => ({ description, content: jsonRef('File') });

const UPLOAD_ERRORS = [
  M.missingName,
  M.invalidName,
  M.missingType,
  M.missingData,
  M.invalidData,
  M.parentNotFound,
  M.parentNotFolder,
  M.invalidIsPublic,
  M.invalidMultipart,
  M.oneFilePart,
  M.uploadAborted,
  ...PARSE_ERRORS,
];

/** Resumable uploads (tus 1.0): headers carry everything, both ways. */
const header = (description: string, type: 'string' | 'integer' = 'string', required = false): Json => ({ description, required, schema: { type } });
const TUS_RESUMABLE = { 'Tus-Resumable': header('1.0.0, on every answer', 'string', true) };
const UPLOAD_STATUS = {
  ...TUS_RESUMABLE,
  'Upload-Offset': header('How many bytes are stored', 'integer', true),
  'Upload-Expires': header('While unfinished: when it expires (an HTTP date), UPLOAD_EXPIRY_SECONDS after its last request'),
  'File-Id': header("Once finished: the new file's id"),
  'Cache-Control': header('no-store'),
};
const tusError = (description: string, ...messages: string[]): Json => ({ ...error(description, ...messages), headers: TUS_RESUMABLE });
/** HEAD answers have no body: only the status says what went wrong. */
const tusHeadError = (description: string): Json => ({ description, headers: TUS_RESUMABLE });
const TUS_REQUEST_HEADERS: Json[] = [
  { name: 'Tus-Resumable', in: 'header', required: true, schema: { type: 'string', const: '1.0.0' }, description: 'The protocol version; anything else is 412' },
];
const UPLOAD_ID = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' }, description: "An upload's id; anything else is 404" };
const TUS_ERRORS = {
  401: tusError('No valid X-Token', M.unauthorized),
  412: { ...tusError('Tus-Resumable is not 1.0.0', M.unsupportedTusVersion), headers: { ...TUS_RESUMABLE, 'Tus-Version': header('1.0.0', 'string', true) } },
  ...HEADERS_TOO_LARGE,
  503: tusError('The database, Redis or the bucket is unreachable', M.serviceUnavailable),
};
const UPLOAD_BYTES_HEADERS: Json[] = [
  {
    name: 'Upload-Checksum',
    in: 'header',
    required: false,
    schema: { type: 'string' },
    description: 'The algorithm (sha1, sha256 or md5) and the base64 digest of this body; a mismatch stores none of it (460)',
  },
];
const UPLOAD_BYTES_ERRORS = {
  408: tusError('The body came slower than BODY_MIN_BYTES_PER_SECOND', M.requestTimeout),
  413: tusError('More bytes than Upload-Length leaves', M.payloadTooLarge),
  415: tusError('A body that is not application/offset+octet-stream', M.unsupportedMediaType),
  423: tusError('Another request on this upload held it for 2 s, or asked this one to stop (what arrived is kept); see Retry-After', M.uploadBusy),
  460: tusError('The body does not match Upload-Checksum: none of it was stored', M.checksumMismatch),
};
const offsetStream = { 'application/offset+octet-stream': { schema: { type: 'string', format: 'binary' } } };

/** POST /uploads's 400 messages, in the order it checks. */
const RESUMABLE_CREATION_ERRORS = [
  M.missingUploadLength,
  M.invalidUploadLength,
  M.invalidUploadMetadata,
  M.missingName,
  M.invalidName,
  M.missingType,
  M.parentNotFound,
  M.parentNotFolder,
  M.invalidIsPublic,
  M.invalidUploadChecksum,
  M.unsupportedChecksum,
  M.uploadAborted,
];

function resumablePaths(): Json {
  return {
    '/uploads': {
      options: {
        tags: ['resumable'],
        operationId: 'discoverResumableUploads',
        summary: 'What this tus server supports',
        security: PUBLIC,
        responses: {
          204: {
            description: 'The protocol: its version, extensions, largest upload and checksum algorithms',
            headers: {
              ...TUS_RESUMABLE,
              'Tus-Version': header('1.0.0', 'string', true),
              'Tus-Extension': header('creation,creation-with-upload,termination,expiration,checksum', 'string', true),
              'Tus-Max-Size': header('UPLOAD_MAX_BYTES', 'integer', true),
              'Tus-Checksum-Algorithm': header('sha1,sha256,md5', 'string', true),
            },
          },
          ...HEADERS_TOO_LARGE,
        },
      },
      post: {
        tags: ['resumable'],
        operationId: 'createResumableUpload',
        summary: 'Start a resumable upload (tus creation, creation-with-upload)',
        description:
          "Upload-Metadata carries the file's fields as `key base64value` pairs: name (or filename), type (file, image, or a MIME type: image/* is an image), parentId, isPublic. They are checked as POST /files checks its own, before any byte. A body of application/offset+octet-stream is the first bytes.",
        security: TOKEN,
        parameters: [
          ...TUS_REQUEST_HEADERS,
          { name: 'Upload-Length', in: 'header', required: true, schema: { type: 'integer', minimum: 0 }, description: 'The whole size, at most Tus-Max-Size' },
          { name: 'Upload-Metadata', in: 'header', required: false, schema: { type: 'string' }, description: 'name, type, parentId, isPublic' },
          ...UPLOAD_BYTES_HEADERS,
        ],
        requestBody: { required: false, content: offsetStream },
        responses: {
          201: { description: 'Created: Location is its URL', headers: { ...UPLOAD_STATUS, Location: header('The upload’s URL', 'string', true) } },
          400: tusError('In this order', ...RESUMABLE_CREATION_ERRORS),
          ...UPLOAD_BYTES_ERRORS,
          413: tusError('Upload-Length over Tus-Max-Size, or more bytes than it', M.payloadTooLarge),
          ...TUS_ERRORS,
          507: tusError('Upload-Length would take the owner past their quota (it counts from creation until the upload ends)', M.quotaExceeded),
        },
      },
    },
    '/uploads/{id}': {
      head: {
        tags: ['resumable'],
        operationId: 'getResumableUpload',
        summary: 'Where an upload is: its offset, its length, and its file once finished',
        security: TOKEN,
        parameters: [UPLOAD_ID, ...TUS_REQUEST_HEADERS],
        responses: {
          200: { description: 'Its state', headers: { ...UPLOAD_STATUS, 'Upload-Length': header('The whole size', 'integer', true), 'Upload-Metadata': header('As sent') } },
          401: tusHeadError('No valid X-Token'),
          404: tusHeadError('No such upload of the caller, or it expired'),
          412: tusHeadError('Tus-Resumable is not 1.0.0'),
          423: tusHeadError('Another request on this upload held it for 2 s'),
          ...HEADERS_TOO_LARGE,
          503: tusHeadError('The database, Redis or the bucket is unreachable'),
        },
      },
      patch: {
        tags: ['resumable'],
        operationId: 'appendToResumableUpload',
        summary: 'Send bytes from Upload-Offset; the request with the last byte makes the file',
        security: TOKEN,
        parameters: [
          UPLOAD_ID,
          ...TUS_REQUEST_HEADERS,
          { name: 'Upload-Offset', in: 'header', required: true, schema: { type: 'integer', minimum: 0 }, description: 'Where the upload is (HEAD tells)' },
          ...UPLOAD_BYTES_HEADERS,
        ],
        requestBody: { required: true, content: offsetStream },
        responses: {
          204: { description: 'Stored; with File-Id when this was the last byte', headers: UPLOAD_STATUS },
          400: tusError('Bad headers, or the parent folder went away before the upload finished', M.invalidUploadOffset, M.invalidUploadChecksum, M.unsupportedChecksum, M.parentNotFound, M.uploadAborted),
          404: tusError('No such upload of the caller, or it expired', M.notFound),
          409: tusError('Upload-Offset is not where the upload is', M.offsetMismatch),
          ...UPLOAD_BYTES_ERRORS,
          ...TUS_ERRORS,
        },
      },
      delete: {
        tags: ['resumable'],
        operationId: 'terminateResumableUpload',
        summary: 'Stop an upload and remove its bytes (tus termination); a file it made stays',
        security: TOKEN,
        parameters: [UPLOAD_ID, ...TUS_REQUEST_HEADERS],
        responses: {
          204: { description: 'Gone', headers: TUS_RESUMABLE },
          404: tusError('No such upload of the caller, or it expired', M.notFound),
          423: tusError('Another request on this upload held it for 2 s; see Retry-After', M.uploadBusy),
          ...TUS_ERRORS,
        },
      },
    },
  };
}

const StatusSchema = z.strictObject({ redis: z.boolean(), db: z.boolean() });
const SignedUrlSchema = z.strictObject({
  url: z.string().meta({ description: 'GET /files/{id}/data with expires, the options and signature in its query' }),
  expiresAt: z.string().meta({ format: 'date-time' }),
});
const HealthSchema = z.strictObject({ db: z.boolean(), redis: z.boolean(), storage: z.boolean() });

/** One optional query parameter per field, its description lifted from the field's schema. */
function queryParameters(zod: z.ZodObject): Json[] {
  return Object.entries(zod.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = schema(field as z.ZodType, 'input');
    return { name, in: 'query', required: false, schema: fieldSchema, ...(description === undefined ? {} : { description }) };
  });
}

const contentResponses: Json = {
  200: { description: 'The bytes, with ETag, Last-Modified, Accept-Ranges, Content-Disposition, nosniff and a sandbox CSP', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
  206: { description: 'One byte range', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
  304: { description: 'Not modified: If-None-Match or If-Modified-Since matched' },
  400: error('A size other than 500, 250 or 100, or a folder', M.invalidSize, M.folderHasNoContent, M.badRequest),
  404: error('No such file, a private file of someone else, or bytes (a thumbnail) not made yet', M.notFound),
  412: error('If-Match or If-Unmodified-Since failed', M.preconditionFailed),
  416: error('The range is outside the file', M.rangeNotSatisfiable),
  ...HEADERS_TOO_LARGE,
  ...UNAVAILABLE,
};

const contentOperation = (method: 'get' | 'head'): Json => ({
  tags: ['content'],
  operationId: method === 'get' ? 'downloadFile' : 'headFileData',
  summary: method === 'get' ? 'The content of a file, or of its thumbnail' : 'The headers of the content, without it',
  description:
    'No token needed for a public file, nor with the query of a signed URL (POST /files/{id}/url), which reads any file as its owner would until it expires. ' +
    'Conditional and range requests follow RFC 9110.',
  security: [{}, { token: [] }],
  parameters: [
    FILE_ID,
    { name: 'size', in: 'query', required: false, schema: schema(ThumbnailSize, 'input'), description: 'A thumbnail width' },
    ...queryParameters(SignedQuery.omit({ size: true }).partial()),
  ],
  responses: {
    ...contentResponses,
    403: error('A signed URL that was changed in any way or signed with another key, or one past its expiry', M.invalidSignature, M.expired),
  },
});

const LINK_TOKEN = { name: 'token', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{32}$' }, description: "The secret part of a link's URL" };
const LINK_PASSWORD = { name: 'X-Link-Password', in: 'header', required: false, schema: { type: 'string' }, description: "The link's password, when it has one" };
const LINK_ERRORS = {
  401: error("The link has a password, and this is not it (or there is none)", M.passwordRequired),
  404: error('No such link, or one that ended: expired, revoked, out of downloads, or its file gone; it never says which', M.notFound),
  429: error("Too many wrong passwords for this link from this address, or from this address; see Retry-After", M.tooManyRequests),
};
const linkResponse = (description: string): Json => ({ description, content: jsonRef('Link') });

/** Content through a link: what GET /files/{id}/data answers, and the link's own errors. */
const sharedContentOperation = (operationId: string, summary: string, parameters: Json[]): Json => ({
  tags: ['links'],
  operationId,
  summary,
  description: 'With every download guarantee of GET /files/{id}/data. A complete download (no Range, or one from byte 0) of the original counts against maxDownloads; HEAD, 304 and thumbnails do not.',
  security: PUBLIC,
  parameters: [...parameters, LINK_PASSWORD, { name: 'size', in: 'query', required: false, schema: schema(ThumbnailSize, 'input'), description: 'A thumbnail width' }],
  responses: { ...contentResponses, ...LINK_ERRORS },
});

function linkPaths(): Json {
  return {
    '/files/{id}/links': {
      post: {
        tags: ['links'],
        operationId: 'createLink',
        summary: 'Share a file or folder through a link, with an optional expiry, password and download limit',
        security: TOKEN,
        parameters: [FILE_ID],
        requestBody: { required: false, content: jsonContent(LinkOptionsBody, 'input') },
        responses: {
          201: linkResponse('The link; absent options are null or false'),
          400: error('Unknown or mistyped fields (an expiry in the past, allowUpload on a file)', NAMED_FIELDS, M.expectedObject, ...PARSE_ERRORS),
          ...UNAUTHORIZED,
          ...NOT_FOUND,
          ...BODY_ERRORS,
          ...HEADERS_TOO_LARGE,
          ...UNAVAILABLE,
        },
      },
      get: {
        tags: ['links'],
        operationId: 'listLinks',
        summary: "A file's links, oldest first",
        security: TOKEN,
        parameters: [FILE_ID],
        responses: {
          200: { description: 'The links', content: { 'application/json': { schema: { type: 'array', items: ref('schemas', 'Link') } } } },
          ...UNPARSABLE,
          ...UNAUTHORIZED,
          ...NOT_FOUND,
          ...HEADERS_TOO_LARGE,
          ...UNAVAILABLE,
        },
      },
    },
    '/links/{id}': {
      delete: {
        tags: ['links'],
        operationId: 'revokeLink',
        summary: 'End a link at once',
        security: TOKEN,
        parameters: [{ name: 'id', in: 'path', required: true, schema: schema(ObjectIdText), description: "A link's id; anything else is 404" }],
        responses: {
          204: { description: 'Revoked: its URL answers 404 from now on' },
          ...UNPARSABLE,
          ...UNAUTHORIZED,
          404: error('No such link of the caller', M.notFound),
          ...HEADERS_TOO_LARGE,
          ...UNAVAILABLE,
        },
      },
    },
    '/s/{token}': {
      get: {
        tags: ['links'],
        operationId: 'openLink',
        summary: "A linked file's content, or a linked folder's children",
        description:
          "No account needed. A file: its content, with every download guarantee of GET /files/{id}/data; a complete download (no Range, or one from byte 0) of the original counts against maxDownloads, while HEAD, 304 and thumbnails do not. " +
          'A folder: its direct children, 20 per page as GET /files has them, or those of a folder under it (parentId); a drop folder lists nothing. ' +
          "A browser (an Accept that prefers text/html) gets the web app's page for the link instead, which uses /s/{token}/info and /s/{token}/session.",
        security: PUBLIC,
        parameters: [
          LINK_TOKEN,
          LINK_PASSWORD,
          { name: 'size', in: 'query', required: false, schema: schema(ThumbnailSize, 'input'), description: "A linked file's thumbnail width" },
          { name: 'parentId', in: 'query', required: false, schema: schema(ObjectIdText), description: 'A folder under the linked folder, to list instead of it' },
          { name: 'page', in: 'query', required: false, schema: { type: 'string' }, description: 'From 0, as GET /files has it' },
        ],
        responses: {
          ...contentResponses,
          200: {
            description: "The file's bytes, or the folder's children",
            content: {
              '*/*': { schema: { type: 'string', format: 'binary' } },
              'application/json': { schema: { type: 'array', items: ref('schemas', 'File') } },
              'text/html': { schema: { type: 'string' } },
            },
          },
          ...LINK_ERRORS,
        },
      },
      head: sharedContentOperation('headLink', "The headers of a linked file's content (or folder's listing), without it", [LINK_TOKEN]),
    },
    '/s/{token}/info': {
      get: {
        tags: ['links'],
        operationId: 'describeLink',
        summary: 'What a link names (the file or folder, with its size and date), whether it takes uploads, and until when',
        security: PUBLIC,
        parameters: [LINK_TOKEN, LINK_PASSWORD],
        responses: { 200: { description: 'The link, as a visitor sees it', content: jsonContent(LinkInfoSchema) }, ...LINK_ERRORS, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
      },
    },
    '/s/{token}/session': {
      post: {
        tags: ['links'],
        operationId: 'openLinkSession',
        summary: 'For browsers: trade the password for an HttpOnly cookie scoped to the link, valid for an hour',
        description: 'Set-Cookie: fm_link=…; Path=/s/{token}; HttpOnly; SameSite=Strict; Max-Age=3600. Every request under the link then needs no X-Link-Password. A link without a password sets nothing.',
        security: PUBLIC,
        parameters: [LINK_TOKEN],
        requestBody: { required: true, content: jsonContent(LinkSessionBody, 'input') },
        responses: {
          204: { description: 'The password is right', headers: { 'Set-Cookie': header('The session cookie') } },
          400: error('No password, or not a string of 1 to 256 characters', NAMED_FIELDS, M.expectedObject, ...PARSE_ERRORS),
          ...LINK_ERRORS,
          ...BODY_ERRORS,
          ...HEADERS_TOO_LARGE,
          ...UNAVAILABLE,
        },
      },
    },
    '/s/{token}/files/{id}': {
      get: {
        tags: ['links'],
        operationId: 'showLinkedFile',
        summary: 'A file or folder under a linked folder',
        security: PUBLIC,
        parameters: [LINK_TOKEN, FILE_ID, LINK_PASSWORD],
        responses: { 200: fileResponse('The file'), ...UNPARSABLE, ...LINK_ERRORS, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
      },
    },
    '/s/{token}/files/{id}/data': {
      get: sharedContentOperation('downloadLinkedFile', 'The content of a file under a linked folder', [LINK_TOKEN, FILE_ID]),
      head: sharedContentOperation('headLinkedFile', 'The headers of that content, without it', [LINK_TOKEN, FILE_ID]),
    },
  };
}

const TRASH_ID = { ...FILE_ID, description: 'The id of an item deleted directly (as GET /trash lists it); anything else is 404' };
const TRASH_NOT_FOUND = { 404: error('No such item in the caller’s trash', M.notFound) };

function trashPaths(): Json {
  return {
    '/trash': {
      get: {
        tags: ['trash'],
        operationId: 'listTrash',
        summary: 'One page (20) of the items deleted directly, newest first',
        description: 'Not what was under a deleted folder: that comes back with it.',
        security: TOKEN,
        parameters: [{ name: 'page', in: 'query', required: false, schema: { type: 'string' }, description: 'From 0 (the default), as GET /files has it' }],
        responses: {
          200: { description: 'Up to 20 items, each with where it was (parentId)', content: { 'application/json': { schema: { type: 'array', items: ref('schemas', 'TrashedFile') } } } },
          ...UNAUTHORIZED,
          ...HEADERS_TOO_LARGE,
          ...UNAVAILABLE,
        },
      },
      delete: {
        tags: ['trash'],
        operationId: 'emptyTrash',
        summary: 'Remove everything in the trash for good',
        security: TOKEN,
        responses: { 204: { description: 'Emptied' }, ...UNAUTHORIZED, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
      },
    },
    '/trash/{id}': {
      delete: {
        tags: ['trash'],
        operationId: 'deleteFromTrash',
        summary: 'Remove an item, and everything that went with it, for good',
        security: TOKEN,
        parameters: [TRASH_ID],
        responses: { 204: { description: 'Removed' }, ...UNPARSABLE, ...UNAUTHORIZED, ...TRASH_NOT_FOUND, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
      },
    },
    '/trash/{id}/restore': {
      post: {
        tags: ['trash'],
        operationId: 'restoreFromTrash',
        summary: 'Put an item back where it was, with everything that went with it',
        description: 'Into its old folder, or to the root (parentId 0) when that folder is gone or in the trash.',
        security: TOKEN,
        parameters: [TRASH_ID],
        responses: { 200: fileResponse('The item, where it is now'), ...UNPARSABLE, ...UNAUTHORIZED, ...TRASH_NOT_FOUND, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
      },
    },
  };
}

const DESCRIPTION = `Sign up, log in with a token, upload files, images and folders, list them, share them, download them and their thumbnails.

Every error is \`{"error": message}\`, with the messages each operation lists. Any path also answers \`OPTIONS\` with the methods it has in \`Allow\`, and a method it does not have with 405 \`{"error": "Method not allowed"}\` and the same \`Allow\`. A path not listed here is 404 \`{"error": "Not found"}\`.`;

function buildDocument(): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'Files Manager', version: '1.0.0', description: DESCRIPTION },
    servers: [{ url: '/', description: 'This service' }],
    tags: [
      { name: 'service', description: 'Whether the service and what it depends on are up' },
      { name: 'users', description: 'Accounts' },
      { name: 'tokens', description: 'Logging in and out: a token for X-Token' },
      { name: 'uploads', description: 'New files, images and folders' },
      { name: 'files', description: "The caller's files and folders: list, show, rename, move, publish, delete" },
      { name: 'content', description: 'The bytes of a file and its thumbnails' },
      { name: 'trash', description: 'What DELETE /files/{id} took: restore it, or remove it for good; purged after TRASH_RETENTION_DAYS' },
      { name: 'links', description: 'Sharing without an account: links with an expiry, a password and a download limit' },
      { name: 'resumable', description: 'Uploads that survive a dropped connection: the tus 1.0 protocol (https://tus.io/protocols/resumable-upload)' },
    ],
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'X-Token', description: 'From GET /connect; valid for 24 hours' },
        basic: { type: 'http', scheme: 'basic', description: 'email:password, for GET /connect only' },
      },
      schemas: {
        File: schema(PublicFileSchema),
        DetailedFile: schema(DetailedFileSchema),
        User: schema(PublicUserSchema),
        Status: schema(StatusSchema),
        Health: schema(HealthSchema),
        Link: schema(PublicLinkSchema),
        TrashedFile: schema(TrashedFileSchema),
        Usage: schema(UsageSchema),
      },
      responses: {
        HeadersTooLarge: error('The request line and headers are over Node’s limit; the connection closes', M.headersTooLarge),
      },
    },
    // OpenAPI has no place for the answer to a request no operation matches; the test kit holds
    // those answers to this too.
    'x-unmatched': {
      404: error('No such path', M.notFound, M.badRequest),
      405: {
        ...error('A path of this document asked with a method it does not have', M.methodNotAllowed),
        headers: { Allow: { description: 'The methods the path has, sorted: its operations, with HEAD wherever GET is, and OPTIONS', schema: { type: 'string' } } },
      },
    },
    paths: {
      '/status': {
        get: {
          tags: ['service'],
          operationId: 'getStatus',
          summary: 'Whether Redis and the database answer',
          description: 'Always these two fields, whatever the storage; GET /health also reports the bucket.',
          security: PUBLIC,
          responses: { 200: { description: 'Live state', content: jsonRef('Status') }, ...HEADERS_TOO_LARGE },
        },
      },
      '/health': {
        get: {
          tags: ['service'],
          operationId: 'getHealth',
          summary: 'Whether every dependency answers: the database, Redis and the byte storage',
          description: 'For load balancers and monitors: the status code alone says whether the service can serve. `storage` is every store files are read from (the local disk, the bucket, or both while a migration is under way).',
          security: PUBLIC,
          responses: {
            200: { description: 'All up', content: jsonRef('Health') },
            ...HEADERS_TOO_LARGE,
            503: { description: 'At least one down: the same fields say which', content: jsonRef('Health') },
          },
        },
      },
      '/stats': {
        get: {
          tags: ['service'],
          operationId: 'getStats',
          summary: 'How many users and files there are',
          security: PUBLIC,
          responses: { 200: { description: 'Counts', content: jsonContent(z.strictObject({ users: z.number().int(), files: z.number().int() })) }, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/users': {
        post: {
          tags: ['users'],
          operationId: 'createUser',
          summary: 'Sign up',
          security: PUBLIC,
          requestBody: { required: true, content: jsonContent(SignUpBody, 'input') },
          responses: {
            201: { description: 'The account', content: jsonRef('User') },
            400: error('In this order', M.missingEmail, M.missingPassword, M.alreadyExist, ...PARSE_ERRORS),
            ...BODY_ERRORS,
            429: error('Too many accounts from this address (SIGNUP_MAX_PER_ADDRESS); see Retry-After', M.tooManyRequests),
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
      },
      '/users/me': {
        get: {
          tags: ['users'],
          operationId: 'getMe',
          summary: 'Who the token belongs to',
          security: TOKEN,
          responses: { 200: { description: 'The user', content: jsonRef('User') }, ...UNAUTHORIZED, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/users/me/usage': {
        get: {
          tags: ['users'],
          operationId: 'getUsage',
          summary: 'What the caller’s files take, and their quota',
          description: 'Kept as it changes, never summed per request. An upload that would take `used` past `quota` is 507.',
          security: TOKEN,
          responses: { 200: { description: 'Bytes and files', content: jsonRef('Usage') }, ...UNAUTHORIZED, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/connect': {
        get: {
          tags: ['tokens'],
          operationId: 'logIn',
          summary: 'Log in with HTTP Basic credentials (email:password)',
          security: [{ basic: [] }],
          responses: {
            200: { description: 'A token for X-Token', content: jsonContent(z.strictObject({ token: z.string() })) },
            401: error('Missing, malformed or wrong credentials; WWW-Authenticate names the Basic scheme', M.unauthorized),
            429: error('Too many wrong passwords for this account from this address, or from this address; see Retry-After', M.tooManyRequests),
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
      },
      '/disconnect': {
        get: {
          tags: ['tokens'],
          operationId: 'logOut',
          summary: 'Revoke the token',
          security: TOKEN,
          responses: { 204: { description: 'Revoked' }, ...UNAUTHORIZED, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/files': {
        post: {
          tags: ['uploads'],
          operationId: 'uploadFile',
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
          responses: {
            201: fileResponse('The new file'),
            400: error('In this order', ...UPLOAD_ERRORS),
            ...UNAUTHORIZED,
            ...BODY_ERRORS,
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
            ...QUOTA,
          },
        },
        get: {
          tags: ['files'],
          operationId: 'listFiles',
          summary: 'One page of a folder’s children (or of everything under it), sorted, filtered, searched',
          description:
            'With parentId and page alone, the contract’s listing: 20 children a page, by id. Every other parameter is checked, and ' +
            'a bad one is named in the 400. While more items remain, the Link header names the next page (rel="next"), with an opaque ' +
            '`cursor`: following cursors gives every item that stays in the listing exactly once, whatever is added, renamed or ' +
            'deleted meanwhile. A listing by name goes by the names as they were when its first page was read; its cursors work for 24 hours.',
          security: TOKEN,
          parameters: queryParameters(ListFilesQuery),
          responses: {
            200: {
              description: 'Up to `limit` files (20 by default)',
              headers: { Link: header('`<…/files?…&cursor=…>; rel="next"` while more remain') },
              content: { 'application/json': { schema: { type: 'array', items: { oneOf: [ref('schemas', 'File'), ref('schemas', 'DetailedFile')] } } } },
            },
            400: error('A newer parameter’s bad value, each named (an expired cursor says so)', /^Invalid parameters: .+$/),
            ...UNAUTHORIZED,
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
      },
      '/files/{id}': {
        get: {
          tags: ['files'],
          operationId: 'getFile',
          summary: 'One file of the caller’s',
          security: TOKEN,
          parameters: [FILE_ID, ...queryParameters(ShowFileQuery)],
          responses: {
            200: { description: 'The file', content: { 'application/json': { schema: { oneOf: [ref('schemas', 'File'), ref('schemas', 'DetailedFile')] } } } },
            ...UNPARSABLE,
            ...UNAUTHORIZED,
            ...NOT_FOUND,
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
        patch: {
          tags: ['files'],
          operationId: 'updateFile',
          summary: 'Rename, move or (un)publish',
          security: TOKEN,
          parameters: [FILE_ID],
          requestBody: { required: false, content: jsonContent(FileChangesBody, 'input') },
          responses: {
            200: fileResponse('The file as changed'),
            400: error(
              'Unknown or mistyped fields, then the upload rules',
              NAMED_FIELDS,
              M.expectedObject,
              M.missingName,
              M.invalidName,
              M.parentNotFound,
              M.parentNotFolder,
              M.folderIntoItself,
              ...PARSE_ERRORS,
            ),
            ...UNAUTHORIZED,
            ...NOT_FOUND,
            ...TREE_BUSY,
            ...BODY_ERRORS,
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
        delete: {
          tags: ['files'],
          operationId: 'deleteFile',
          summary: 'Delete a file, or a folder with everything under it: to the trash',
          description: 'From then on it, and everything under it, is 404 everywhere (listings, downloads, links, signed URLs) until restored from GET /trash. With TRASH_RETENTION_DAYS=0 the delete is for good.',
          security: TOKEN,
          parameters: [FILE_ID],
          responses: { 204: { description: 'Deleted' }, ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/files/{id}/publish': {
        put: {
          tags: ['files'],
          operationId: 'publishFile',
          summary: 'Make public',
          security: TOKEN,
          parameters: [FILE_ID],
          responses: { 200: fileResponse('The file'), ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/files/{id}/unpublish': {
        put: {
          tags: ['files'],
          operationId: 'unpublishFile',
          summary: 'Make private',
          security: TOKEN,
          parameters: [FILE_ID],
          responses: { 200: fileResponse('The file'), ...UNPARSABLE, ...UNAUTHORIZED, ...NOT_FOUND, ...TREE_BUSY, ...HEADERS_TOO_LARGE, ...UNAVAILABLE },
        },
      },
      '/files/{id}/data': { get: contentOperation('get'), head: contentOperation('head') },
      '/files/{id}/url': {
        post: {
          tags: ['content'],
          operationId: 'signDownloadUrl',
          summary: 'A URL of the content that needs no token until it expires',
          description: 'For an <img src>, a browser’s own download manager or someone else’s script. Any change to the URL voids it; every server of the deployment accepts it.',
          security: TOKEN,
          parameters: [FILE_ID],
          requestBody: { required: false, content: jsonContent(SignedUrlBody, 'input') },
          responses: {
            200: { description: 'The URL and when it expires', content: jsonContent(SignedUrlSchema) },
            400: error('Unknown or mistyped fields, or a folder', NAMED_FIELDS, M.expectedObject, M.folderHasNoContent, ...PARSE_ERRORS),
            ...UNAUTHORIZED,
            ...NOT_FOUND,
            ...BODY_ERRORS,
            ...HEADERS_TOO_LARGE,
            ...UNAVAILABLE,
          },
        },
      },
      ...trashPaths(),
      ...linkPaths(),
      ...resumablePaths(),
    },
  };
}

type Operation = Json & { parameters?: Json[]; responses: Record<string, Json> };

/**
 * A user's upload operation as a drop folder's visitor calls it: the link's token and password
 * instead of X-Token, into the linked folder whatever parentId says, files only.
 */
function asDropOperation(operation: Operation, operationId: string, summary: string): Operation {
  // Its 401 is about X-Token, which a visitor has none of; LINK_ERRORS has the link's own.
  const responses = Object.fromEntries(Object.entries(operation.responses).filter(([status]) => status !== '401'));
  return {
    ...operation,
    tags: ['links'],
    operationId,
    summary,
    security: PUBLIC,
    parameters: [LINK_TOKEN, LINK_PASSWORD, ...(operation.parameters ?? [])],
    responses: { ...responses, ...LINK_ERRORS },
  };
}

/** A drop folder's uploads: POST /files's three forms, and tus (a request with Tus-Resumable) at the link's own URL. */
function dropPaths(paths: Record<string, Record<string, Operation>>): Record<string, Record<string, Operation>> {
  const direct = paths['/files']?.post;
  const resumable = paths['/uploads']?.post;
  const upload = paths['/uploads/{id}'];
  if (direct === undefined || resumable === undefined || upload?.head === undefined || upload.patch === undefined || upload.delete === undefined) {
    throw new Error('the drop folder operations are built from POST /files, POST /uploads and /uploads/{id}');
  }
  const directContent = (direct.requestBody as { content: Json }).content;
  const post = asDropOperation(direct, 'uploadToDropFolder', 'Upload a file into a drop folder, in any form of POST /files, or start a resumable one');
  post.description =
    'Without Tus-Resumable: the three forms of POST /files (answered 201 with the file). With Tus-Resumable: tus creation as POST /uploads has it (201 with Location, under /s/{token}/uploads/). ' +
    'Either way the file goes into the linked folder, private, as its owner’s; a folder cannot be made (Missing type).';
  post.requestBody = { required: false, content: { ...directContent, ...offsetStream } };
  post.parameters = [...(post.parameters ?? []), ...(resumable.parameters ?? []).map((parameter) => ({ ...parameter, required: false }))];
  post.responses = {
    ...resumable.responses,
    ...post.responses,
    201: { description: 'The new file (JSON), or the resumable upload (Location)', content: jsonRef('File'), headers: { Location: header('With Tus-Resumable: the upload’s URL') } },
    400: error('In the order of POST /files, or of POST /uploads', ...new Set([...UPLOAD_ERRORS, ...RESUMABLE_CREATION_ERRORS])),
  };
  return {
    '/s/{token}': { post },
    '/s/{token}/uploads/{id}': {
      head: asDropOperation(upload.head, 'getDropFolderUpload', 'Where a resumable upload into a drop folder is'),
      patch: asDropOperation(upload.patch, 'appendToDropFolderUpload', 'Send bytes of a resumable upload into a drop folder'),
      delete: asDropOperation(upload.delete, 'terminateDropFolderUpload', 'Stop a resumable upload into a drop folder'),
    },
  };
}

let built: Json | undefined;

/**
 * The API's operations only: the web app's own routes (its page, assets, this document and its
 * viewer) are no part of what a client calls, and Express's OPTIONS answers are said once in
 * the description rather than as a twin of every path. Built once: it depends on nothing but
 * the schemas.
 */
export function openApiDocument(): Json {
  if (built === undefined) {
    const document = buildDocument() as Json & { paths: Record<string, Record<string, Operation>> };
    const paths = { ...document.paths };
    for (const [path, operations] of Object.entries(dropPaths(document.paths))) paths[path] = { ...paths[path], ...operations };
    built = { ...document, paths };
  }
  return built;
}
