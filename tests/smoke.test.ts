import { expect } from 'chai';
import { api, base64, createUser, upload } from './helpers';

describe('smoke', () => {
  it('serves status, users and a file round trip', async () => {
    expect((await api('GET', '/status')).body).to.deep.equal({ redis: true, db: true });
    const user = await createUser();
    const file = await upload(user.token, { name: 'a.txt', type: 'file', data: base64('hello') });
    const data = await api('GET', `/files/${file.id}/data`, { token: user.token });
    expect(data.status).to.equal(200);
    expect(data.text).to.equal('hello');
  });
});
