import { expect } from 'chai';
import { ObjectId } from 'mongodb';
import { dbClient } from '../../utils/db';
import { CURSOR_LIFETIME_MS } from '../../utils/files/listing';
import { encodeCursor, LIST_SORTS, type ListSort } from '../../utils/files/listQuery';
import { fillNameKeys } from '../../utils/files/upkeep/nameKeys';
import { recountUsage } from '../../utils/users/quota';
import type { components } from '../../web/src/generated/openapi';
import { api, base64, createUser, expectError, type PublicFileBody, type TestUser, upload } from '../support';

type DetailedFileBody = components['schemas']['DetailedFile'];

interface Page<T> {
  items: T[];
  /** The path and query of the Link header's next page. */
  next?: string;
}

/** GET `path`, with the next page from its Link header. */
async function listPage<T = PublicFileBody>(user: TestUser, path: string): Promise<Page<T>> {
  const answer = await api('GET', path, { token: user.token });
  expect(answer.status, answer.text).to.equal(200);
  const link = answer.headers.get('link');
  if (link === null) return { items: answer.body as T[] };
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  expect(match, link).to.not.equal(null);
  const url = new URL((match as RegExpExecArray)[1] as string);
  return { items: answer.body as T[], next: url.pathname + url.search };
}

const query = (params: Record<string, string | number>): string =>
  `/files?${new URLSearchParams(Object.entries(params).map(([name, value]): [string, string] => [name, String(value)])).toString()}`;

/** Every page, following the Link headers from `path`. */
async function listAll<T = PublicFileBody>(user: TestUser, path: string): Promise<T[]> {
  const items: T[] = [];
  for (let next: string | undefined = path; next !== undefined; ) {
    const page: Page<T> = await listPage<T>(user, next);
    items.push(...page.items);
    next = page.next;
  }
  return items;
}

const names = (items: readonly { name: string }[]): string[] => items.map((item) => item.name);

function file(user: TestUser, name: string, bytes = 1, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'file', data: base64('x'.repeat(bytes)), ...(parentId === undefined ? {} : { parentId }) });
}

function folder(user: TestUser, name: string, parentId?: string): Promise<PublicFileBody> {
  return upload(user.token, { name, type: 'folder', ...(parentId === undefined ? {} : { parentId }) });
}

async function change(user: TestUser, id: string, json: Record<string, unknown>): Promise<void> {
  const answer = await api('PATCH', `/files/${id}`, { token: user.token, json });
  expect(answer.status, answer.text).to.equal(200);
}

async function remove(user: TestUser, id: string): Promise<void> {
  const answer = await api('DELETE', `/files/${id}`, { token: user.token });
  expect(answer.status, answer.text).to.equal(204);
}

/** Strings as MongoDB compares them: by UTF-8 bytes. */
const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** What each sort must give, from the items' details: a missing value first, ties by id. */
function expectedOrder(items: readonly DetailedFileBody[], sort: ListSort): string[] {
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const keyOf = (item: DetailedFileBody): string | number | null =>
    field === 'name' ? item.name.toLowerCase() : field === 'size' ? item.size : item.createdAt === null ? null : Date.parse(item.createdAt);
  const compare = (a: DetailedFileBody, b: DetailedFileBody): number => {
    const [x, y] = [keyOf(a), keyOf(b)];
    const byKey = x === y ? 0 : x === null ? -1 : y === null ? 1 : typeof x === 'string' ? byBytes(x, String(y)) : x - Number(y);
    return (descending ? -1 : 1) * (byKey !== 0 ? byKey : byBytes(a.id, b.id));
  };
  return [...items].sort(compare).map((item) => item.id);
}

function shuffled<T>(items: readonly T[]): T[] {
  return items.map((item) => ({ item, order: Math.random() })).sort((a, b) => a.order - b.order).map(({ item }) => item);
}

describe('GET /files: sort, filter, search and cursors', function () {
  this.timeout(120_000);

  it('answers the contract’s listing as before when no new parameter is given, with a Link to the next page', async () => {
    const user = await createUser();
    const made: PublicFileBody[] = [];
    for (let index = 0; index < 45; index += 1) made.push(await file(user, `f${String(index % 7)}`));
    const ids = made.map((item) => item.id);
    const pages = await Promise.all([0, 1, 2, 3].map((page) => listPage(user, `/files?parentId=0&page=${page}`)));
    expect(pages.map((page) => page.items.map((item) => item.id))).to.deep.equal([ids.slice(0, 20), ids.slice(20, 40), ids.slice(40), []]);
    expect(pages.map((page) => page.next !== undefined)).to.deep.equal([true, true, false, false]);
    // The contract's shape, exactly: no size or date unless asked.
    expect(Object.keys(pages[0]?.items[0] ?? {})).to.have.members(['id', 'userId', 'name', 'type', 'isPublic', 'parentId']);
    // The Link of page 0 leads to what page 1 holds, and on to the end.
    expect((await listAll(user, '/files')).map((item) => item.id)).to.deep.equal(ids);
    expect((await listPage(user, pages[0]?.next as string)).items.map((item) => item.id)).to.deep.equal(ids.slice(20, 40));
  });

  it('sorts by name (in any case), size and date, each way, ties broken by id, folders having no size', async () => {
    const user = await createUser();
    for (const [name, bytes] of [
      ['banana', 3],
      ['Apple', 9],
      ['apple', 1],
      ['cherry', 3],
      ['Émile', 5],
      ['zed', 0],
      ['10', 2],
      ['2', 3],
    ] as const) {
      await file(user, name, bytes);
    }
    await folder(user, 'Docs');
    await folder(user, 'apple');
    const details = await listAll<DetailedFileBody>(user, '/files?fields=all&limit=1000');
    expect(details).to.have.length(10);
    for (const sort of LIST_SORTS) {
      for (const limit of [1000, 3]) {
        const listed = await listAll<DetailedFileBody>(user, query({ sort, limit }));
        expect(listed.map((item) => item.id), `${sort} by ${limit}`).to.deep.equal(expectedOrder(details, sort));
      }
    }
    // Ties in any case by id (the order they were made in); an accented letter after z, as its UTF-8 bytes are.
    expect(names(await listAll(user, '/files?sort=name'))).to.deep.equal(['10', '2', 'Apple', 'apple', 'apple', 'banana', 'cherry', 'Docs', 'zed', 'Émile']);
    const bySize = await listAll<DetailedFileBody>(user, '/files?sort=size&fields=all');
    expect(bySize.slice(0, 2).map((item) => item.type)).to.deep.equal(['folder', 'folder']);
    const bySizeDown = await listAll<DetailedFileBody>(user, '/files?sort=-size&fields=all');
    expect(bySizeDown.slice(-2).map((item) => item.type)).to.deep.equal(['folder', 'folder']);
  });

  it('filters by type and finds names holding a text, in a folder or anywhere under it, never in the trash', async () => {
    const user = await createUser();
    const other = await createUser();
    const photos = await folder(user, 'Photos');
    const summer = await folder(user, 'Summer', photos.id);
    const trashedFolder = await folder(user, 'Old', photos.id);
    await file(user, 'beach.JPG', 1, photos.id);
    await file(user, 'Beach party.txt', 1, summer.id);
    await file(user, 'beach-old.jpg', 1, trashedFolder.id);
    const gone = await file(user, 'beach-gone.jpg', 1, summer.id);
    await file(user, 'a.b', 1);
    await file(user, 'axb', 1);
    await file(user, 'report (1).txt', 1);
    await file(user, 'beach at the root', 1);
    await file(other, 'beach of someone else', 1);
    await remove(user, trashedFolder.id);
    await remove(user, gone.id);

    expect(names(await listAll(user, '/files?q=BEACH'))).to.deep.equal(['beach at the root']);
    expect(names(await listAll(user, `/files?q=beach&parentId=${photos.id}`))).to.deep.equal(['beach.JPG']);
    expect(names(await listAll(user, `/files?q=beach&recursive=true&parentId=${photos.id}&sort=name`))).to.deep.equal(['Beach party.txt', 'beach.JPG']);
    expect(names(await listAll(user, '/files?q=beach&recursive=true&sort=name&limit=1'))).to.deep.equal(['beach at the root', 'Beach party.txt', 'beach.JPG']);
    // The text is text: a dot is a dot, brackets are brackets.
    expect(names(await listAll(user, '/files?q=a.b'))).to.deep.equal(['a.b']);
    expect(names(await listAll(user, '/files?q=(1)'))).to.deep.equal(['report (1).txt']);
    expect(names(await listAll(user, '/files?q=.*&recursive=true'))).to.deep.equal([]);
    // An empty text is no filter.
    expect(await listAll(user, '/files?q=')).to.have.length(5);
    // The whole tree: everything under the folder that is not in the trash, and the folder not itself.
    expect(names(await listAll(user, `/files?recursive=true&parentId=${photos.id}&sort=name`))).to.deep.equal(['Beach party.txt', 'beach.JPG', 'Summer']);
    expect(names(await listAll(user, `/files?recursive=true&type=folder&sort=-name`))).to.deep.equal(['Summer', 'Photos']);
    expect(names(await listAll(user, `/files?type=file&parentId=${photos.id}`))).to.deep.equal(['beach.JPG']);
    expect(await listAll(user, `/files?type=image&recursive=true`)).to.deep.equal([]);
    // A folder in the trash, or anyone else's, lists nothing, as in the contract.
    expect(await listAll(user, `/files?recursive=true&parentId=${trashedFolder.id}`)).to.deep.equal([]);
    expect(await listAll(other, `/files?recursive=true&parentId=${photos.id}`)).to.deep.equal([]);
    expect(await listAll(user, '/files?recursive=true&parentId=not-an-id')).to.deep.equal([]);
  });

  it('takes 1 to 1000 items a page, offset pages by the limit, and the details on asking', async () => {
    const user = await createUser();
    const made: PublicFileBody[] = [];
    for (let index = 0; index < 7; index += 1) made.push(await file(user, `n${index}`, index + 1));
    expect((await listPage(user, '/files?limit=1')).items.map((item) => item.id)).to.deep.equal([made[0]?.id]);
    expect((await listPage(user, '/files?limit=1000')).items).to.have.length(7);
    expect((await listPage(user, '/files?limit=3&page=2&sort=-size')).items.map((item) => item.name)).to.deep.equal(['n0']);
    const [detailed] = (await listPage<DetailedFileBody>(user, '/files?fields=all&limit=1')).items;
    const shown = await api('GET', `/files/${made[0]?.id}?fields=all`, { token: user.token });
    expect(detailed).to.deep.equal(shown.body);
  });

  it('names every bad value in one 400, and keeps the contract’s leniency for parentId and page', async () => {
    const user = await createUser();
    await file(user, 'one');
    const bad: [string, string][] = [
      ['sort=size,name', 'sort'],
      ['sort=NAME', 'sort'],
      ['type=video', 'type'],
      ['recursive=yes', 'recursive'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=10.5', 'limit'],
      ['limit=', 'limit'],
      ['fields=some', 'fields'],
      [`q=${encodeURIComponent('é'.repeat(128))}`, 'q'],
      ['cursor=!!!', 'cursor'],
      ['cursor=bm90IGpzb24', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ p: 0, s: 'createdAt', k: 1e300, i: '0'.repeat(24), at: 1 })).toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ p: 0, k: null, i: '0'.repeat(24), at: 9e15 })).toString('base64url')}`, 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify({ p: 0, s: 'size', k: 'big', i: '0'.repeat(24), at: 1 })).toString('base64url')}`, 'cursor'],
      ['sort=name&sort=size', 'sort'],
      ['sort=up&type=x&limit=-1&cursor=x', 'sort, type, limit, cursor'],
    ];
    for (const [params, named] of bad) {
      expectError(await api('GET', `/files?${params}`, { token: user.token }), 400, `Invalid parameters: ${named}`);
    }
    for (const params of ['page=-1', 'page=x', 'parentId=nope', 'parentId[]=1', 'page[a]=2', 'other=1']) {
      expect((await api('GET', `/files?${params}`, { token: user.token })).status, params).to.equal(200);
    }
    expectError(await api('GET', '/files?sort=zz', {}), 401, 'Unauthorized');
  });

  it('follows a cursor alone, refuses one given another query or a page, and one of a listing by name a day old', async () => {
    const user = await createUser();
    const box = await folder(user, 'box');
    for (let index = 0; index < 5; index += 1) await file(user, `b${index}`, 1, box.id);
    const first = await listPage(user, query({ parentId: box.id, sort: '-name', limit: 2, fields: 'all' }));
    const link = new URL(`http://x${first.next as string}`);
    expect(Object.fromEntries(link.searchParams)).to.include({ parentId: box.id, sort: '-name', limit: '2', fields: 'all' });
    const cursor = link.searchParams.get('cursor') as string;
    // The cursor holds the query: alone, it lists the same folder in the same order (a page is 20 unless asked).
    expect(names((await listPage(user, `/files?cursor=${cursor}`)).items)).to.deep.equal(['b2', 'b1', 'b0']);
    expect(names((await listPage(user, `/files?cursor=${cursor}&sort=-name&limit=1`)).items)).to.deep.equal(['b2']);
    for (const params of [`sort=name`, `parentId=0`, `type=folder`, `q=b`, `recursive=true`, `page=1`]) {
      expectError(await api('GET', `/files?cursor=${cursor}&${params}`, { token: user.token }), 400, params === 'page=1' ? 'Invalid parameters: page' : 'Invalid parameters: cursor');
    }
    // Another user's cursor lists that user's folder for them only: for anyone else, nothing.
    expect((await listPage(await createUser(), `/files?cursor=${cursor}`)).items).to.deep.equal([]);
    const old = new Date(Date.now() - CURSOR_LIFETIME_MS - 60_000);
    const position = { key: 'b3', id: new ObjectId(), since: old };
    const parent = { kind: 'folder', id: new ObjectId(box.id) } as const;
    expectError(await api('GET', `/files?cursor=${encodeCursor({ parent, sort: 'name', recursive: false }, position)}`, { token: user.token }), 400, 'Invalid parameters: cursor (expired)');
    // Other orders never change their keys: their cursors do not expire.
    const bySize = encodeCursor({ parent, sort: 'size', recursive: false }, { ...position, key: 0 });
    expect((await listPage(user, `/files?cursor=${bySize}`)).items).to.have.length(5);
  });

  it('puts an item renamed during a listing by name at its old place, once, and a new listing at its new one', async () => {
    const user = await createUser();
    const made = new Map<string, string>();
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) made.set(name, (await file(user, name)).id);
    const first = await listPage(user, '/files?sort=name&limit=3');
    expect(names(first.items)).to.deep.equal(['a', 'b', 'c']);
    await change(user, made.get('a') as string, { name: 'zz' });
    await change(user, made.get('j') as string, { name: 'first' });
    await change(user, made.get('j') as string, { name: '0' });
    await change(user, made.get('e') as string, { name: 'e2' });
    const rest = await listAll(user, first.next as string);
    expect(names(rest)).to.deep.equal(['d', 'e2', 'f', 'g', 'h', 'i', '0']);
    expect(names(await listAll(user, '/files?sort=name&limit=3'))).to.deep.equal(['0', 'b', 'c', 'd', 'e2', 'f', 'g', 'h', 'i', 'zz']);
  });

  it('remembers at most 100 names of a file renamed in a loop, the newest', async () => {
    const user = await createUser();
    const looped = await file(user, 'n0');
    for (let index = 1; index <= 105; index += 1) await change(user, looped.id, { name: `n${index}` });
    const stored = await dbClient.files.findOne({ _id: new ObjectId(looped.id) });
    expect(stored?.renames?.map((entry) => entry.key)).to.deep.equal(Array.from({ length: 100 }, (_, index) => `n${index + 5}`));
  });

  for (const sort of [undefined, ...LIST_SORTS]) {
    it(`gives every item once while others are added, renamed, moved and deleted between and during pages (${sort ?? 'by id'})`, async () => {
      const user = await createUser();
      const elsewhere = await folder(user, 'elsewhere');
      const initial: PublicFileBody[] = [];
      for (let index = 0; index < 24; index += 1) initial.push(await file(user, `item ${String.fromCharCode(97 + ((index * 7) % 26))}${index}`, (index * 5) % 9));
      const present = new Set([elsewhere, ...initial].map((item) => item.id));
      // Moved out and back while a page may be read: listed at most once, maybe not at all.
      const wandered = new Set<string>();
      const seen: string[] = [];
      let counter = 0;
      const changeSome = async (): Promise<void> => {
        const candidates = shuffled([...present].filter((id) => id !== elsewhere.id));
        const [renamed, renamedAgain, moved, deleted] = candidates;
        const work: Promise<unknown>[] = [file(user, `new ${Math.random().toString(36).slice(2, 6)}`, counter % 4)];
        counter += 1;
        if (renamed !== undefined) work.push(change(user, renamed, { name: `${String.fromCharCode(97 + (counter % 26))} renamed ${counter}` }));
        if (renamedAgain !== undefined) work.push(change(user, renamedAgain, { name: counter % 2 === 0 ? '0 first now' : 'zzz last now' }));
        if (moved !== undefined) {
          wandered.add(moved);
          work.push(change(user, moved, { parentId: elsewhere.id }).then(() => change(user, moved, { parentId: 0 })));
        }
        if (deleted !== undefined) {
          present.delete(deleted);
          work.push(remove(user, deleted));
        }
        await Promise.all(work);
      };
      let next: string | undefined = query({ limit: 4, ...(sort === undefined ? {} : { sort }) });
      let first = true;
      while (next !== undefined) {
        // The first page fixes the names a listing by name goes by: changes race every page after it.
        const [page]: [Page<PublicFileBody>, void] = await Promise.all([listPage(user, next), first ? Promise.resolve() : changeSome()]);
        first = false;
        seen.push(...page.items.map((item) => item.id));
        await changeSome();
        next = page.next;
      }
      expect(seen.length, 'no item twice').to.equal(new Set(seen).size);
      const missing = [...present].filter((id) => !wandered.has(id) && !seen.includes(id));
      expect(missing, 'every item there from start to end, renamed or not').to.deep.equal([]);
      // The moves happened between reads of the tree: make the counters exact for the suite's fsck.
      await recountUsage(new ObjectId(user.id));
    });
  }

  it('gives documents written before name keys theirs, so they sort and match with the rest, unless stopped', async () => {
    const user = await createUser();
    await file(user, 'Beta');
    const owner = new ObjectId(user.id);
    await dbClient.files.insertOne({ _id: new ObjectId(), userId: owner, name: 'ALPHA old', type: 'folder', isPublic: false, parentId: 0 });
    expect(names(await listAll(user, '/files?sort=name'))).to.deep.equal(['ALPHA old', 'Beta']);
    expect(names(await listAll(user, '/files?q=alpha'))).to.deep.equal([]);
    // A worker stopping meanwhile leaves the rest to the next start.
    const stopping = new AbortController();
    stopping.abort();
    expect(await fillNameKeys(stopping.signal)).to.equal(0);
    expect(names(await listAll(user, '/files?q=alpha'))).to.deep.equal([]);
    expect(await fillNameKeys()).to.be.greaterThanOrEqual(1);
    expect(names(await listAll(user, '/files?sort=-name'))).to.deep.equal(['Beta', 'ALPHA old']);
    expect(names(await listAll(user, '/files?q=alpha'))).to.deep.equal(['ALPHA old']);
    expect(await fillNameKeys()).to.equal(0);
  });
});
