import { expect } from 'chai';
import fc from 'fast-check';
import { ObjectId } from 'mongodb';
import { classify, VerdictCache, type Verdict } from '../../utils/files/upkeep/classify';
import { KeyFilter } from '../../utils/files/upkeep/keyFilter';
import type { ScannedFile } from '../../utils/files/store';

/** Documents by index: `parent` is another index, -1 for the root, or a number past the end for a parent that does not exist. */
interface Node {
  parent: number;
  folder: boolean;
  owner: 0 | 1;
}

function documentsOf(nodes: readonly Node[]): ScannedFile[] {
  const ids = nodes.map(() => new ObjectId());
  const owners = [new ObjectId(), new ObjectId()];
  return nodes.map((node, index) => ({
    _id: ids[index] as ObjectId,
    userId: owners[node.owner] as ObjectId,
    type: node.folder ? 'folder' : 'file',
    // Parents are stored as ObjectId or, from older clients, as its hex string; the root as 0.
    parentId: node.parent < 0 ? 0 : node.parent < nodes.length ? (index % 2 === 0 ? (ids[node.parent] as ObjectId) : (ids[node.parent] as ObjectId).toHexString()) : new ObjectId(),
  }));
}

function lookupIn(docs: readonly ScannedFile[]) {
  return (id: ObjectId) => Promise.resolve(docs.find((doc) => doc._id.equals(id)) ?? null);
}

/** The verdict by definition, with nothing remembered: walk up until the root, damage, or a document seen before. */
function verdictByDefinition(nodes: readonly Node[], start: number): Verdict {
  const path: number[] = [];
  let current = start;
  for (;;) {
    path.push(current);
    const { parent } = nodes[current] as Node;
    if (parent < 0) return 'reachable';
    const above = nodes[parent];
    if (above === undefined || !above.folder || above.owner !== (nodes[start] as Node).owner) return current === start ? 'orphan' : 'below-damage';
    const seen = path.indexOf(parent);
    if (seen >= 0) return 'cycle';
    // A walk that reaches a cycle it is not part of is below it.
    if (onCycle(nodes, parent) && !onCycle(nodes, start)) return 'below-damage';
    current = parent;
  }
}

function onCycle(nodes: readonly Node[], start: number): boolean {
  let current = (nodes[start] as Node).parent;
  for (let steps = 0; steps <= nodes.length; steps += 1) {
    if (current === start) return true;
    const node = nodes[current];
    if (node === undefined || current < 0) return false;
    current = node.parent;
  }
  return false;
}

/**
 * Random parent links, damage of every kind included. The members of a cycle are made folders
 * of one owner: a cycle through a file is an orphan or a cycle depending on where the walk
 * starts, and either verdict is damage fsck reports.
 */
const forest = fc
  .integer({ min: 1, max: 12 })
  .chain((size) =>
    fc.array(fc.record({ parent: fc.integer({ min: -1, max: size }), folder: fc.boolean(), owner: fc.constantFrom<0 | 1>(0, 0, 0, 1) }), { minLength: size, maxLength: size }),
  )
  .map((nodes) => nodes.map((node, index): Node => (onCycle(nodes, index) ? { ...node, folder: true, owner: 0 } : node)));

describe('fsck', () => {
  describe('classify', () => {
    it('says reachable, orphan, cycle or below-damage as the definition does, in any order and with any cache size', async () => {
      await fc.assert(
        fc.asyncProperty(forest, fc.integer({ min: 1, max: 6 }), fc.infiniteStream(fc.nat()), async (nodes, capacity, order) => {
          const docs = documentsOf(nodes);
          const cache = new VerdictCache(capacity);
          const indexes = [...docs.keys()].sort(() => (order.next().value as number) % 3 - 1);
          for (const index of indexes) {
            const doc = docs[index] as ScannedFile;
            const verdict = cache.get(doc._id) ?? (await classify(doc, cache, lookupIn(docs)));
            expect(verdict, `document ${index} of ${JSON.stringify(nodes)}`).to.equal(verdictByDefinition(nodes, index));
          }
        }),
        { numRuns: 2000 },
      );
    });

    it('calls a document whose parent is missing, a file, or another user\'s an orphan, and what lies below it below damage', async () => {
      const docs = documentsOf([
        { parent: 9, folder: true, owner: 0 },
        { parent: 0, folder: false, owner: 0 },
        { parent: 1, folder: false, owner: 0 },
        { parent: 0, folder: true, owner: 1 },
      ]);
      const verdicts = await Promise.all(docs.map((doc) => classify(doc, new VerdictCache(), lookupIn(docs))));
      expect(verdicts).to.deep.equal(['orphan', 'below-damage', 'orphan', 'orphan']);
    });

    it('finds two folders that are each other\'s parent, and what hangs below them', async () => {
      const docs = documentsOf([
        { parent: 1, folder: true, owner: 0 },
        { parent: 0, folder: true, owner: 0 },
        { parent: 1, folder: false, owner: 0 },
      ]);
      const cache = new VerdictCache();
      expect(await classify(docs[2] as ScannedFile, cache, lookupIn(docs))).to.equal('below-damage');
      expect([cache.get(docs[0]!._id), cache.get(docs[1]!._id)]).to.deep.equal(['cycle', 'cycle']);
    });
  });

  describe('the filter of referenced keys (a Bloom filter)', () => {
    it('never says no to a key it was given', () => {
      fc.assert(
        fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (keys, expected) => {
          const filter = new KeyFilter(expected);
          keys.forEach((key) => filter.add(key));
          expect(keys.filter((key) => !filter.mightContain(key))).to.deep.equal([]);
        }),
        { numRuns: 50 },
      );
    });

    it('says maybe to about 0.1% of keys it was not given, when sized for what it holds', () => {
      const filter = new KeyFilter(20_000);
      for (let index = 0; index < 20_000; index += 1) filter.add(`local:${index}`);
      let falsePositives = 0;
      for (let index = 0; index < 20_000; index += 1) if (filter.mightContain(`s3:${index}`)) falsePositives += 1;
      expect(falsePositives).to.be.below(20_000 * 0.005);
    });
  });
});
