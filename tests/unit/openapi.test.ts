import { validate } from '@readme/openapi-parser';
import { expect } from 'chai';
import { createRouter } from '../../routes';
import { openApiDocument } from '../../routes/openapi';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
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
  });
});
