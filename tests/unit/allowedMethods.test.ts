import express, { Router } from 'express';
import { expect } from 'chai';
import { createRouter } from '../../routes';
import { allowedMethods } from '../../routes/allowedMethods';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('allowedMethods, read from the route table', () => {
  it('finds every route of the API at its own path, with HEAD for GET and OPTIONS', () => {
    const router = createRouter();
    for (const { route } of (router as unknown as { stack: Layer[] }).stack) {
      if (route === undefined) continue;
      const path = route.path.replace(/:\w+/g, '0123456789abcdef01234567');
      const allowed = allowedMethods(router, path);
      for (const method of Object.keys(route.methods)) expect(allowed, path).to.include(method.toUpperCase());
      if (route.methods.get) expect(allowed, path).to.include('HEAD');
      expect(allowed, path).to.include('OPTIONS');
    }
  });

  it('looks into mounted routers and apps as Express mounts them, and finds nothing elsewhere', () => {
    const assets = Router().get('/app.css', () => undefined);
    const admin = express();
    admin.post('/jobs/:id', () => undefined);
    const top = Router().use('/assets', assets).use('/admin', admin).put('/things', () => undefined);
    expect(allowedMethods(top, '/assets/app.css')).to.deep.equal(['GET', 'HEAD', 'OPTIONS']);
    expect(allowedMethods(top, '/admin/jobs/7')).to.deep.equal(['OPTIONS', 'POST']);
    expect(allowedMethods(top, '/things/')).to.deep.equal(['OPTIONS', 'PUT']);
    for (const path of ['/assetsx/app.css', '/assets/other.css', '/admin/jobs', '/things/1', '/']) expect(allowedMethods(top, path), path).to.deep.equal([]);
  });
});
