import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { openApiDocument } from '../../routes/openapi';
import { NOT_BUILT_MESSAGE } from '../../routes/web';

/**
 * Holds every response the in-process server sends to the OpenAPI document: its status must be
 * documented for its operation (or, for a path the document does not have, be the documented
 * 404; for a method a documented path does not have, the documented 405 with an Allow that
 * names the path's operations, or 404; for OPTIONS, 200 with the same Allow), and a JSON body
 * must match the documented schema, extra fields and unlisted error messages included.
 * Findings are collected and fail the test that caused them.
 */

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation | undefined>;
}

/** JSON bodies larger than this are not kept for checking: no API answer is that large. */
const MAX_BODY = 1024 * 1024;

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('binary', true);
ajv.addFormat('date-time', true);
const validators = new Map<object, ValidateFunction>();
const violations: string[] = [];
/** What each test caused, reported together at the end: a failing hook would stop the run. */
const byTest: string[] = [];

function validatorFor(schema: object): ValidateFunction {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

/** The document with every `$ref` replaced by what it points to, so each schema compiles on its own. */
function dereferenced(value: unknown, root: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => dereferenced(item, root));
  if (typeof value !== 'object' || value === null) return value;
  const { $ref } = value as { $ref?: unknown };
  if (typeof $ref === 'string' && $ref.startsWith('#/')) {
    const target = $ref.slice(2).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
    return dereferenced(target, root);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, dereferenced(item, root)]));
}

const DOCUMENT = dereferenced(openApiDocument(), openApiDocument()) as {
  paths: Record<string, Record<string, Operation>>;
  'x-unmatched': Record<'404' | '405', Operation['responses'][string]>;
};

const html = { content: { 'text/html': {} } };
/** Static files keep validators, so a browser revalidates them cheaply. */
const revalidated = { 304: {} };
const asset = { get: { responses: { 200: {}, ...revalidated, 404: DOCUMENT['x-unmatched']['404'] } } };

/**
 * The web app's own routes, which the API's document leaves out: its page and assets, and the
 * document and its viewer. Held to this so they keep answering as they did.
 */
const WEB_APP_PATHS: Record<string, Record<string, Operation>> = {
  '/': {
    get: {
      responses: {
        200: html,
        ...revalidated,
        503: { content: { 'application/json': { schema: { type: 'object', properties: { error: { const: NOT_BUILT_MESSAGE } }, required: ['error'], additionalProperties: false } } } },
      },
    },
  },
  '/assets/{file}': asset,
  '/openapi.json': { get: { responses: { 200: { content: { 'application/json': { schema: { type: 'object' } } } } } } },
  '/docs': { get: { responses: { 200: html } } },
  '/docs/{asset}': asset,
};

function routes(): Route[] {
  return Object.entries({ ...DOCUMENT.paths, ...WEB_APP_PATHS }).map(([template, operations]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    operations,
  }));
}

const ROUTES = routes();
const { 404: NOT_FOUND, 405: METHOD_NOT_ALLOWED } = DOCUMENT['x-unmatched'];
/** Express's own answer to OPTIONS: no body to check. */
const OPTIONS_ANSWER = {};

/**
 * What Allow must say on `route`: its operations, with the HEAD Express answers for a GET; a 405
 * names OPTIONS too, which Express's own OPTIONS answer leaves out.
 */
function documentedAllow(route: Route, status: number): string {
  // The path item may also hold its parameters, which are no method.
  const methods = new Set(Object.keys(route.operations).filter((key) => key !== 'parameters').map((key) => key.toUpperCase()));
  if (methods.has('GET')) methods.add('HEAD');
  if (status === 405) methods.add('OPTIONS');
  return [...methods].sort().join(', ');
}

/** The documented answer to a method `route` does not have, or to a path the document does not have. */
function undocumentedOperation(route: Route | undefined, method: string, status: number): Operation['responses'][string] | undefined {
  if (status === 404 || status === 400) return NOT_FOUND;
  if (route === undefined) return undefined;
  if (method === 'OPTIONS') return status === 200 ? OPTIONS_ANSWER : undefined;
  return status === 405 ? METHOD_NOT_ALLOWED : undefined;
}

function check(method: string, url: string, status: number, headers: { contentType?: string; allow?: string }, body: string | undefined): string | undefined {
  // Express's routing is not strict: a trailing slash reaches the same route.
  const path = (url.split('?')[0] ?? url).replace(/(.)\/$/, '$1');
  const route = ROUTES.find((candidate) => candidate.pattern.test(path));
  const operation = route?.operations[method.toLowerCase()] ?? (method === 'HEAD' ? route?.operations.get : undefined);
  const what = `${method} ${url.slice(0, 120)} → ${status}`;
  const documented = operation === undefined ? undocumentedOperation(route, method, status) : operation.responses[String(status)];
  if (documented === undefined) return `${what}: status not documented for ${route === undefined ? 'an unknown route' : `${method} ${route.template}`}`;
  if ((documented === METHOD_NOT_ALLOWED || documented === OPTIONS_ANSWER) && route !== undefined && headers.allow !== documentedAllow(route, status)) {
    return `${what}: Allow is ${headers.allow ?? 'missing'}, the document has ${documentedAllow(route, status)}`;
  }
  const schema = documented.content?.['application/json']?.schema;
  if (schema === undefined || method === 'HEAD' || body === undefined) return undefined;
  if (!headers.contentType?.startsWith('application/json')) return `${what}: documented as JSON, sent as ${headers.contentType ?? 'nothing'}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${what}: not JSON: ${body.slice(0, 200)}`;
  }
  const validate = validatorFor(schema as object);
  if (validate(parsed)) return undefined;
  return `${what}: ${body.slice(0, 300)} does not match the document: ${ajv.errorsText(validate.errors)}`;
}

/** Records what `res` sends, and checks it once it is sent. */
function watch(req: IncomingMessage, res: ServerResponse): void {
  // As the client sent it: mounted routers rewrite req.url while they handle it.
  const { method = 'GET', url = '/' } = req;
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > MAX_BODY) return;
    if (!String(res.getHeader('content-type') ?? '').startsWith('application/json')) return;
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : undefined;
    if (buffer === undefined) return;
    size += buffer.length;
    chunks.push(buffer);
  };
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as ServerResponse['end'];
  res.once('finish', () => {
    const body = size > MAX_BODY || chunks.length === 0 ? undefined : Buffer.concat(chunks).toString('utf8');
    const headers = { contentType: res.getHeader('content-type')?.toString(), allow: res.getHeader('allow')?.toString() };
    const violation = check(method, url, res.statusCode, headers, body);
    if (violation !== undefined) violations.push(violation);
  });
}

/** Checks every response `server` sends from now on. */
export function holdToContract(server: Server): void {
  // Before the app's own listener, so even a response sent synchronously is seen whole.
  server.prependListener('request', watch);
}

/** Files what was found since the last call under `test`. */
export function fileViolations(test: string): void {
  byTest.push(...violations.splice(0).map((violation) => `${test}: ${violation}`));
}

export function allViolations(): string[] {
  return byTest.splice(0);
}
