import { expect } from 'chai';
import { type Document, type Filter, ObjectId } from 'mongodb';
import { dbClient, type FileDoc, FILE_LISTING_INDEXES } from '../../utils/db';
import { parentForms, ROOT } from '../../utils/files/store';
import { inFolders, LIST_SORTS, type ListPosition, matchOf, notInFolders, orderOf, pageReads, type Read, type SortKey } from '../../utils/files/listQuery';

/**
 * Every read `GET /files` makes, against the indexes of utils/db.ts. MongoDB's `explain` says
 * which index serves a query and whether it sorts in memory; FerretDB, which these tests run on,
 * answers every query with a scan whatever the indexes, so its explain says nothing about them.
 * So each read is checked against the rule MongoDB's planner follows (an index serves a query in
 * order when its equality fields come first, then the sort's), here and everywhere; and against
 * MongoDB itself when the tests run on one (DB_URL): no collection scan, no sort in memory.
 */

type Shape = Read & { label: string };

const owner = new ObjectId();
const [folderA, folderB] = [new ObjectId(), new ObjectId()];

function readsOfEveryShape(): Shape[] {
  const scopes: [string, Filter<FileDoc>][] = [
    ['a folder', inFolders(parentForms(folderA))],
    ['the root', inFolders(parentForms(ROOT))],
    ['a folder’s tree', inFolders([...parentForms(folderA), ...parentForms(folderB)])],
    ['the root’s tree', notInFolders(parentForms(folderB))],
  ];
  const keys: Record<string, SortKey> = { nameKey: 'm', size: 10, createdAt: new Date(), _id: null };
  const shapes: Shape[] = [];
  for (const [where, scope] of scopes) {
    for (const type of [undefined, 'image'] as const) {
      for (const q of [undefined, 'beach']) {
        for (const sort of [undefined, ...LIST_SORTS]) {
          const order = orderOf(sort);
          const match = matchOf(owner, scope, { type, q });
          const positions: (ListPosition | undefined)[] = [undefined, { key: keys[order.field] ?? null, id: new ObjectId(), since: new Date() }];
          if (order.field !== '_id') positions.push({ key: null, id: new ObjectId(), since: new Date() });
          for (const after of positions) {
            const label = `${where}, type ${type ?? 'any'}, q ${q ?? 'none'}, sort ${sort ?? 'id'}, ${after === undefined ? 'first page' : `after ${String(after.key)}`}`;
            const { inOrder, renamed } = pageReads(match, order, after);
            shapes.push({ ...inOrder, label });
            if (renamed !== undefined) shapes.push({ ...renamed, label: `${label}: renamed since` });
          }
        }
      }
    }
  }
  return shapes;
}

/** A field a query pins to one value or a few (an `$in`): MongoDB scans each in index order. */
function isEquality(value: unknown): boolean {
  if (value instanceof ObjectId || typeof value !== 'object' || value === null) return true;
  return Object.keys(value).length === 1 && '$in' in value;
}

/** A field a query bounds on one side: an index range that stops where it ends. */
const isRange = (value: unknown): boolean => typeof value === 'object' && value !== null && ('$gt' in value || '$lt' in value);

/**
 * The index that serves `read` without a sort in memory: its first fields are the query's
 * equality fields (in any order), then the sort's other fields in order; or, for a read with no order
 * to keep (an `_id` sort of a few items), its equalities then a bounded range.
 */
function indexFor({ filter, sort }: Read): Readonly<Record<string, 1>> | undefined {
  const equalities = new Set(Object.entries(filter).filter(([, value]) => isEquality(value)).map(([field]) => field));
  // A sort field the query pins to one value orders nothing.
  const sortFields = Object.keys(sort as Record<string, unknown>).filter((field) => !equalities.has(field));
  const ranges = Object.entries(filter).filter(([, value]) => isRange(value)).map(([field]) => field);
  return FILE_LISTING_INDEXES.find((index) => {
    const fields = Object.keys(index);
    const leading = fields.slice(0, equalities.size);
    if (leading.length !== equalities.size || !leading.every((field) => equalities.has(field))) {
      // Fewer equalities, then a range: the renamed items, found by when they were renamed.
      const prefix = fields.slice(0, -1);
      const last = fields.at(-1) as string;
      return prefix.every((field) => equalities.has(field)) && ranges.includes(last) && sortFields.join() === '_id';
    }
    const rest = fields.slice(equalities.size);
    return sortFields.every((field, position) => rest[position] === field);
  });
}

function stagesOf(plan: Document): string[] {
  const children = [plan.inputStage, ...((plan.inputStages as Document[] | undefined) ?? [])].filter((child): child is Document => child !== undefined);
  return [String(plan.stage), ...children.flatMap(stagesOf)];
}

describe('GET /files: each read is served by an index', function () {
  this.timeout(60_000);
  const shapes = readsOfEveryShape();

  it(`has an index for every one of the ${shapes.length} reads, its equality fields first, then its sort`, () => {
    const unserved = shapes.filter((shape) => indexFor(shape) === undefined).map((shape) => shape.label);
    expect(unserved).to.deep.equal([]);
    // The contract's own listing, and the folders a recursive listing reads.
    expect(indexFor({ filter: { userId: owner, parentId: { $in: parentForms(ROOT) } }, sort: { _id: 1 } })).to.deep.equal({ userId: 1, parentId: 1, _id: 1 });
    expect(indexFor({ filter: { userId: owner, type: 'folder' }, sort: {} })).to.not.equal(undefined);
  });

  it('and refuses a read no index serves in order (the rule is not vacuous)', () => {
    expect(indexFor({ filter: { userId: owner, parentId: { $in: [0] } }, sort: { name: 1, _id: 1 } })).to.equal(undefined);
    expect(indexFor({ filter: { userId: owner, isPublic: true }, sort: { _id: 1 } })).to.equal(undefined);
    expect(indexFor({ filter: { parentId: { $in: [0] } }, sort: { size: 1, _id: 1 } })).to.equal(undefined);
  });

  it('is explained by the database: on MongoDB, an index scan and no sort in memory', async () => {
    const info = await dbClient.database.command({ buildInfo: 1 });
    const isFerretDb = 'ferretdbVersion' in info;
    for (const { filter, sort, label } of shapes) {
      const explained = await dbClient.files.find(filter).sort(sort).limit(21).explain('queryPlanner');
      if (isFerretDb) {
        // Accepted, and answered from its scan: the cost of a page is the contract listing's.
        expect(explained.ok, label).to.equal(1);
        continue;
      }
      const stages = stagesOf((explained.queryPlanner as Document).winningPlan as Document);
      expect(stages, label).to.include('IXSCAN').and.not.include('COLLSCAN').and.not.include('SORT');
    }
  });
});
