/**
 * The ceilings: a bare node:http server doing the same work as the service with no framework
 * and no checks beyond what the work needs, and a bare Express app with the same security
 * headers, so each ratio says what is the framework, what is the database and what is ours.
 * Scenario 1 uses the same drivers, clients and queries (Redis GET, MongoDB findOne/aggregate);
 * scenarios 2 and 3 are plain file streaming, and a download after the same lookups as ours.
 * Scenario 7 has a bare tus endpoint on the Express app.
 * Run as its own process, like the service, so both are measured the same way.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { ObjectId } from 'mongodb';
import { securityHeaders } from '../../routes/securityHeaders';
import { dbClient, type FileDoc, type UserDoc } from '../../utils/db';
import { parseObjectId as toObjectId } from '../../utils/files/input';
import { redisClient } from '../../utils/redis';
import { WRITE_BUFFER_BYTES } from '../../utils/storage/localStore';

export interface BaselineOptions {
  port: number;
  /** The Express ceiling: a bare Express 5 app with the service's security headers. */
  expressPort: number;
  dbUrl: string;
  dbName: string;
  redisUrl: string;
  /** Downloads are served from here, by file name only. */
  filesDir: string;
  /** Uploads are written here. */
  uploadDir: string;
}

const PAGE_SIZE = 20;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function authenticate(req: IncomingMessage): Promise<UserDoc | null> {
  const token = req.headers['x-token'];
  if (typeof token !== 'string') return null;
  const userId = toObjectId(await redisClient.get(`auth_${token}`));
  return userId && dbClient.users.findOne({ _id: userId });
}

function publicFile(file: FileDoc): Record<string, unknown> {
  const parentId = file.parentId instanceof ObjectId ? file.parentId.toHexString() : file.parentId;
  const { name, type } = file;
  return { id: file._id.toHexString(), userId: file.userId.toHexString(), name, type, isPublic: file.isPublic === true, parentId };
}

async function handle(options: BaselineOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const route = url.pathname;

  if (route === '/status') {
    json(res, 200, { redis: redisClient.isAlive(), db: dbClient.isAlive() });
    return;
  }
  if (route === '/stream' || route === '/readfile') {
    const file = path.join(options.filesDir, path.basename(url.searchParams.get('name') ?? ''));
    const { size } = await fs.stat(file);
    if (route === '/stream') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
      await pipeline(createReadStream(file), res);
    } else {
      const data = await fs.readFile(file);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
      res.end(data);
    }
    return;
  }
  if (route === '/upload' && req.method === 'POST') {
    const target = path.join(options.uploadDir, `upload-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    await pipeline(req, createWriteStream(target));
    const { size } = await fs.stat(target);
    await fs.rm(target);
    json(res, 201, { size });
    return;
  }

  const user = await authenticate(req);
  if (!user) {
    json(res, 401, { error: 'Unauthorized' });
    return;
  }
  if (route === '/users/me') {
    json(res, 200, { id: user._id.toHexString(), email: user.email });
    return;
  }
  if (route === '/files') {
    const parentId = toObjectId(url.searchParams.get('parentId'));
    const page = Number(url.searchParams.get('page') ?? 0);
    const files = parentId
      ? await dbClient.files
          .aggregate<FileDoc>([
            { $match: { userId: user._id, parentId: { $in: [parentId, parentId.toHexString()] } } },
            { $sort: { _id: 1 } },
            { $skip: page * PAGE_SIZE },
            { $limit: PAGE_SIZE },
          ])
          .toArray()
      : [];
    json(res, 200, files.map(publicFile));
    return;
  }
  // The same lookups as ours before the first byte (token, user, file), then a bare pipe.
  const dataId = /^\/files\/([0-9a-f]{24})\/data$/.exec(route)?.[1];
  if (dataId !== undefined) {
    const file = await dbClient.files.findOne({ _id: new ObjectId(dataId) });
    if (!file?.userId.equals(user._id) || file.localPath === undefined) {
      json(res, 404, { error: 'Not found' });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': file.size ?? (await fs.stat(file.localPath)).size });
    await pipeline(createReadStream(file.localPath, { highWaterMark: 512 * 1024 }), res);
    return;
  }
  const fileId = /^\/files\/([0-9a-f]{24})$/.exec(route)?.[1];
  if (fileId !== undefined) {
    // The same lookup as ours: by _id, the owner compared here.
    const file = await dbClient.files.findOne({ _id: new ObjectId(fileId) });
    if (file && file.userId.equals(user._id)) json(res, 200, publicFile(file));
    else json(res, 404, { error: 'Not found' });
    return;
  }
  json(res, 404, { error: 'Not found' });
}

/**
 * The least a Node service does for tus-js-client's upload, on Express: make an empty file,
 * append each PATCH where the file's size says the upload is, keep the running SHA-256 the
 * service keeps, and say the new offset. No token, lock or database, so what ours spends beyond
 * it is its own, and what it spends beyond tusd is Node's and Express's. The file goes once full.
 */
function tusCeiling(app: express.Express, uploadDir: string): void {
  const uploads = new Map<string, { file: string; length: number; hash: Hash }>();
  app.use('/uploads', (_req, res, next) => {
    res.set('Tus-Resumable', '1.0.0');
    next();
  });
  app.post('/uploads', async (req, res) => {
    const id = randomBytes(16).toString('hex');
    const file = path.join(uploadDir, `tus-${id}`);
    await fs.writeFile(file, '');
    uploads.set(id, { file, length: Number(req.get('Upload-Length')), hash: createHash('sha256') });
    res.status(201).location(`/uploads/${id}`).set('Upload-Offset', '0').end();
  });
  app.patch('/uploads/:id', async (req, res) => {
    const upload = uploads.get(req.params.id);
    if (upload === undefined) {
      res.status(404).end();
      return;
    }
    const handle = await fs.open(upload.file, 'r+');
    const { size } = await handle.stat();
    if (Number(req.get('Upload-Offset')) !== size) {
      await handle.close();
      res.status(409).end();
      return;
    }
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        upload.hash.update(chunk);
        callback(null, chunk);
      },
    });
    const output = handle.createWriteStream({ start: size, highWaterMark: WRITE_BUFFER_BYTES });
    await pipeline(req, hashing, output);
    const offset = size + output.bytesWritten;
    if (offset >= upload.length) {
      upload.hash.digest();
      uploads.delete(req.params.id);
      await fs.rm(upload.file);
    }
    res.status(204).set('Upload-Offset', String(offset)).end();
  });
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as BaselineOptions;
  await dbClient.connect(options.dbUrl, options.dbName);
  await redisClient.connect(options.redisUrl);
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      console.error(error);
      if (res.headersSent) res.destroy();
      else json(res, 500, { error: 'Internal server error' });
    });
  });
  server.listen(options.port, '127.0.0.1');
  const framework = express();
  framework.disable('x-powered-by');
  framework.use(securityHeaders);
  framework.get('/status', (_req, res) => {
    res.json({ redis: redisClient.isAlive(), db: dbClient.isAlive() });
  });
  tusCeiling(framework, options.uploadDir);
  const expressServer = framework.listen(options.expressPort, '127.0.0.1');
  const stop = (): void => {
    for (const each of [server, expressServer]) {
      each.close();
      each.closeIdleConnections();
    }
    void Promise.all([dbClient.close(), redisClient.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
