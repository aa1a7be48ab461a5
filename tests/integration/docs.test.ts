import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { closeServer, startServer } from '../../server';
import { openApiDocument } from '../../routes/openapi';
import { queues } from '../../utils/queues';
import { api, basicAuth, withConfig } from '../support';

describe('GET /openapi.json and /docs', () => {
  it('serves the OpenAPI document the server is built from', async () => {
    const response = await api('GET', '/openapi.json');
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('renders it with the bundled viewer, under a policy of its own and with nothing from elsewhere', async () => {
    const page = await api('GET', '/docs');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.headers.get('content-security-policy')).to.match(/default-src 'self'/);
    expect(page.text).not.to.match(/https?:\/\//);
    for (const asset of page.text.match(/(?:src|href)="([^"]+)"/g) ?? []) {
      const target = /"([^"]+)"/.exec(asset)?.[1] ?? '';
      expect((await api('GET', target)).status, target).to.equal(200);
    }
    expect((await api('GET', '/docs/init.js')).text).to.include("url: '/openapi.json'");
  });
});

describe('the web app at /', () => {
  it('serves its files whole, ignoring a Range header, as the OpenAPI document says', async () => {
    for (const path of ['/', '/assets/app.css', '/assets/main.js']) {
      for (const method of ['GET', 'HEAD'] as const) {
        const response = await api(method, path, { headers: { Range: 'bytes=999999-' } });
        expect(response.status, `${method} ${path}`).to.equal(200);
        expect(response.headers.get('accept-ranges'), `${method} ${path}`).to.equal(null);
      }
    }
  });
});

describe('/admin/queues', () => {
  const token = 'an-admin-token-for-tests';
  let server: Server;
  let baseUrl: string;

  before(async () => {
    await withConfig({ adminToken: token }, async () => {
      server = await startServer(0);
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await closeServer(server);
  });

  it('does not exist without ADMIN_TOKEN', async () => {
    expect((await api('GET', '/admin/queues')).status).to.equal(404);
  });

  it('asks for the token, Basic-style so a browser can answer, and refuses a wrong one', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: basicAuth('admin', 'wrong') }, { 'X-Admin-Token': `${token}x` }];
    for (const headers of attempts) {
      const refused = await api('GET', '/admin/queues', { baseUrl, headers });
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('www-authenticate')).to.match(/^Basic realm="files-manager admin"/);
    }
  });

  it('shows the thumbnail and welcome queues and their jobs to the holder of the token', async () => {
    const job = await queues.fileQueue.add({ fileId: 'shown-to-the-admin' }, { jobId: `admin-test-${Date.now()}` });
    try {
      const page = await api('GET', '/admin/queues', { baseUrl, headers: { Authorization: basicAuth('admin', token) } });
      expect(page.status).to.equal(200);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      const listed = await api('GET', '/admin/queues/api/queues?activeQueue=fileQueue&status=waiting', { baseUrl, headers: { 'X-Admin-Token': token } });
      expect(listed.status, listed.text).to.equal(200);
      const { queues: shown } = listed.body as { queues: { name: string }[] };
      expect(shown.map((queue) => queue.name)).to.include.members(['fileQueue', 'userQueue', 'upkeepQueue']);
      const detail = await api('GET', `/admin/queues/api/queues/fileQueue/${String(job.id)}`, { baseUrl, headers: { 'X-Admin-Token': token } });
      expect(detail.status, detail.text).to.equal(200);
      expect((detail.body as { job: { data: unknown } }).job.data).to.deep.equal({ fileId: 'shown-to-the-admin' });
      const failedTab = await api('GET', '/admin/queues/api/queues?activeQueue=fileQueue&status=failed', { baseUrl, headers: { 'X-Admin-Token': token } });
      expect(failedTab.status).to.equal(200);
    } finally {
      await job.remove();
    }
  });
});
