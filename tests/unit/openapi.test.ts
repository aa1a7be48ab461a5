import { validate } from '@readme/openapi-parser';
import { expect } from 'chai';
import { createRouter } from '../../routes';
import { openApiDocument } from '../../routes/openapi';
import { MESSAGES } from '../../utils/errors';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** The messages of every `{"error": …}` schema under `node`: an enum, or enums in an anyOf. */
function errorMessages(node: unknown, into: Set<string>): Set<string> {
  if (typeof node !== 'object' || node === null) return into;
  const error = (node as { properties?: { error?: { enum?: string[]; anyOf?: { enum?: string[] }[] } } }).properties?.error;
  if (error !== undefined) for (const option of [error, ...(error.anyOf ?? [])]) for (const message of option.enum ?? []) into.add(message);
  for (const child of Object.values(node)) errorMessages(child, into);
  return into;
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // The parser resolves in place; it gets a copy so the served document stays as built.
    const result = await validate(structuredClone(openApiDocument()) as never);
    expect(result.valid, JSON.stringify(result, null, 2)).to.equal(true);
    expect(result.specification).to.equal('OpenAPI');
    expect((openApiDocument() as { openapi: string }).openapi).to.match(/^3\.1\./);
  });

  it('describes every route of the API, method by method', () => {
    const { paths } = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const stack = (createRouter() as unknown as { stack: Layer[] }).stack;
    const routes = stack.flatMap((layer) => (layer.route === undefined ? [] : Object.keys(layer.route.methods).map((method) => [method, layer.route?.path ?? ''] as const)));
    expect(routes.length).to.be.greaterThan(10);
    for (const [method, path] of routes) {
      const template = path.replace(/:(\w+)/g, '{$1}');
      expect(paths[template]?.[method], `${method.toUpperCase()} ${path}`).to.be.an('object');
    }
  });

  it('names every error message of an upload in the order the server checks them', () => {
    const { paths } = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const text = JSON.stringify(paths['/files']?.post?.responses['400']);
    const order = ['Missing name', 'Invalid name', 'Missing type', 'Missing data', 'Invalid data', 'Parent not found', 'Parent is not a folder', 'Invalid isPublic'];
    const positions = order.map((message) => text.indexOf(`"${message}"`));
    expect(positions.every((position) => position >= 0), text).to.equal(true);
    expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
    const resumable = JSON.stringify(paths['/uploads']?.post?.responses['400']);
    const metadataOrder = order.filter((message) => !/data/.test(message)).map((message) => resumable.indexOf(`"${message}"`));
    expect(metadataOrder.every((position) => position >= 0), resumable).to.equal(true);
    expect([...metadataOrder].sort((a, b) => a - b)).to.deep.equal(metadataOrder);
  });

  it('names each operation for a generated client, files it under a declared tag, and lists no OPTIONS twin or web app route', () => {
    const { paths, tags } = openApiDocument() as { paths: Record<string, Record<string, { operationId?: string; tags?: string[] }>>; tags: { name: string }[] };
    const declared = tags.map((tag) => tag.name);
    const operations = Object.entries(paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
    // tus discovery is an operation of its own, not Express's answer listing methods.
    expect(operations.filter(({ method }) => method === 'options').map(({ path }) => path)).to.deep.equal(['/uploads']);
    expect(Object.keys(paths).filter((path) => !/^\/(status|health|stats|users|connect|disconnect|files|trash|uploads|links|s)\b/.test(path))).to.deep.equal([]);
    const ids = operations.map(({ operation }) => operation.operationId);
    for (const id of ids) expect(id).to.match(/^[a-z][A-Za-z]+$/);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const { operation } of operations) expect(operation.tags?.length === 1 && declared.includes(operation.tags[0] ?? ''), operation.operationId).to.equal(true);
  });

  it('lists no error message that is not in the catalogue the server throws from', () => {
    const listed = errorMessages(openApiDocument(), new Set());
    expect(listed.size).to.be.greaterThan(25);
    const catalogue: readonly string[] = Object.values(MESSAGES);
    expect([...listed].filter((message) => !catalogue.includes(message))).to.deep.equal([]);
  });
});
