import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from '../../utils/config';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config: Config = loadConfig({});
    expect(config.port).to.equal(5000);
    expect(config.db).to.deep.equal({ url: 'mongodb://localhost:27017', name: 'files_manager' });
    expect(config.redisUrl).to.equal('redis://127.0.0.1:6379');
    expect(config.folderPath).to.equal('/tmp/files_manager');
    expect(config.uploadMaxBytes).to.equal(100 * 1024 * 1024);
    expect(config.workerConcurrency).to.equal(2);
  });

  it('builds the MongoDB and Redis addresses from their host, port and database variables', () => {
    const config = loadConfig({
      DB_HOST: 'db.internal',
      DB_PORT: '27018',
      DB_DATABASE: 'other_db',
      REDIS_HOST: 'cache.internal',
      REDIS_PORT: '6380',
      PORT: '8080',
      UPLOAD_MAX_BYTES: '1024',
      WORKER_CONCURRENCY: '5',
    });
    expect(config.db).to.deep.equal({ url: 'mongodb://db.internal:27018', name: 'other_db' });
    expect(config.redisUrl).to.equal('redis://cache.internal:6380');
    expect(config.port).to.equal(8080);
    expect(config.uploadMaxBytes).to.equal(1024);
    expect(config.workerConcurrency).to.equal(5);
  });

  it('lets DB_URL win over DB_HOST and DB_PORT, and REDIS_URL over REDIS_HOST and REDIS_PORT', () => {
    const config = loadConfig({
      DB_URL: 'mongodb://a.example:1,b.example:2/?replicaSet=rs0',
      DB_HOST: 'ignored.example',
      DB_PORT: '1234',
      DB_DATABASE: 'kept_name',
      REDIS_URL: 'redis://r.example:7000',
      REDIS_HOST: 'ignored.example',
      REDIS_PORT: '1',
    });
    expect(config.db).to.deep.equal({ url: 'mongodb://a.example:1,b.example:2/?replicaSet=rs0', name: 'kept_name' });
    expect(config.redisUrl).to.equal('redis://r.example:7000');
  });

  it('uses the default FOLDER_PATH when the variable is set but empty', () => {
    expect(loadConfig({ FOLDER_PATH: '' }).folderPath).to.equal('/tmp/files_manager');
    expect(loadConfig({ FOLDER_PATH: '   ' }).folderPath).to.equal('/tmp/files_manager');
  });

  it('resolves a relative FOLDER_PATH to an absolute path', () => {
    const { folderPath } = loadConfig({ FOLDER_PATH: 'data/files' });
    expect(path.isAbsolute(folderPath)).to.equal(true);
    expect(folderPath).to.equal(path.join(process.cwd(), 'data', 'files'));
  });

  it('fails with one ConfigError that lists every invalid variable', () => {
    const error = configError({
      PORT: 'eighty',
      DB_PORT: '70000',
      REDIS_PORT: '-1',
      UPLOAD_MAX_BYTES: '1.5',
      WORKER_CONCURRENCY: '0',
      DB_URL: 'http://not-mongo.example',
    });
    const bad = ['PORT', 'DB_URL', 'DB_PORT', 'REDIS_PORT', 'UPLOAD_MAX_BYTES', 'WORKER_CONCURRENCY'];
    expect(error.problems).to.have.length(bad.length);
    for (const name of bad) {
      expect(error.problems.some((problem) => problem.startsWith(`${name} `)), name).to.equal(true);
      expect(error.message).to.include(name);
    }
  });
});

describe('loadConfig: throttling and proxies', () => {
  it('exempts loopback by default, nothing with THROTTLE_EXEMPT=none, and the listed ranges otherwise', () => {
    const byDefault = loadConfig({}).throttle.exempt;
    expect(byDefault.check('127.0.0.1', 'ipv4')).to.equal(true);
    expect(byDefault.check('127.200.3.4', 'ipv4')).to.equal(true);
    expect(byDefault.check('::1', 'ipv6')).to.equal(true);
    expect(byDefault.check('10.0.0.1', 'ipv4')).to.equal(false);
    const none = loadConfig({ THROTTLE_EXEMPT: 'none' }).throttle.exempt;
    expect(none.check('127.0.0.1', 'ipv4')).to.equal(false);
    const listed = loadConfig({ THROTTLE_EXEMPT: '10.1.0.0/16, 192.0.2.7,2001:db8::/32' }).throttle.exempt;
    expect(listed.check('10.1.200.3', 'ipv4')).to.equal(true);
    expect(listed.check('192.0.2.7', 'ipv4')).to.equal(true);
    expect(listed.check('2001:db8::5', 'ipv6')).to.equal(true);
    expect(listed.check('127.0.0.1', 'ipv4')).to.equal(false);
  });

  it('reads TRUST_PROXY as false, true, a hop count or a list of proxies', () => {
    expect(loadConfig({}).trustProxy).to.equal(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).to.deep.equal(['loopback', '10.0.0.0/8']);
  });

  it('lists bad throttling and proxy values with the rest', () => {
    const error = configError({ THROTTLE_EXEMPT: '127.0.0.1/99,nowhere', TRUST_PROXY: 'proxy.example', LOGIN_MAX_FAILURES_PER_ADDRESS: '0' });
    for (const name of ['THROTTLE_EXEMPT', 'TRUST_PROXY', 'LOGIN_MAX_FAILURES_PER_ADDRESS']) {
      expect(error.problems.some((problem) => problem.startsWith(`${name} `)), name).to.equal(true);
    }
    expect(error.message).to.include('nowhere');
  });
});

describe('loadConfig: the URLs the service hands out', () => {
  it('signs with a key from the database and builds URLs from each request unless told otherwise', () => {
    const config = loadConfig({});
    expect(config.urlSigningSecret).to.equal(undefined);
    expect(config.publicUrl).to.equal(undefined);
  });

  it('reads URL_SIGNING_SECRET, and PUBLIC_URL without its trailing slash', () => {
    const secret = 'x'.repeat(32);
    const config = loadConfig({ URL_SIGNING_SECRET: secret, PUBLIC_URL: 'https://files.example.com/api/' });
    expect(config.urlSigningSecret).to.equal(secret);
    expect(config.publicUrl).to.equal('https://files.example.com/api');
  });

  it('lists a short secret and a PUBLIC_URL that is not an http(s) URL without a query', () => {
    for (const publicUrl of ['files.example.com', 'ftp://files.example.com', 'https://files.example.com/?a=1', 'https://exa mple.com']) {
      const error = configError({ URL_SIGNING_SECRET: 'short', PUBLIC_URL: publicUrl });
      expect(error.problems.some((problem) => problem.startsWith('URL_SIGNING_SECRET ')), publicUrl).to.equal(true);
      expect(error.problems.some((problem) => problem.startsWith('PUBLIC_URL ')), publicUrl).to.equal(true);
    }
  });
});

describe('loadConfig: storage', () => {
  it('keeps the bytes on the local disk by default', () => {
    expect(loadConfig({}).storage).to.deep.equal({ driver: 'local' });
  });

  it('reads the AWS SDK variables and the bucket for STORAGE=s3', () => {
    const { storage } = loadConfig({
      STORAGE: 's3',
      S3_BUCKET: 'files',
      S3_PREFIX: 'prod/',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000',
      AWS_ACCESS_KEY_ID: 'key',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(storage).to.deep.equal({
      driver: 's3',
      s3: { bucket: 'files', prefix: 'prod/', region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', accessKeyId: 'key', secretAccessKey: 'secret' },
    });
  });

  it('lists a missing bucket, half a key pair, a bad endpoint and an unknown driver with the rest', () => {
    const s3 = configError({ STORAGE: 's3', AWS_ACCESS_KEY_ID: 'key', AWS_ENDPOINT_URL_S3: 'ftp://x', PORT: 'x' });
    for (const name of ['S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_ENDPOINT_URL_S3', 'PORT']) {
      expect(s3.problems.some((problem) => problem.startsWith(`${name} `)), name).to.equal(true);
    }
    expect(configError({ STORAGE: 'ftp' }).problems).to.deep.equal(['STORAGE must be one of local, s3, got "ftp"']);
  });
});
