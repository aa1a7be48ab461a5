import type { ObjectId } from 'mongodb';
import type { ScannedFile } from '../store';
import { parentObjectId } from '../store';

/** What fsck says of one document's place in its owner's tree. */
export type Verdict = 'reachable' | 'orphan' | 'cycle' | 'below-damage';

/** Bounded so that fsck's memory stays flat whatever the number of documents. */
const VERDICT_CACHE = 100_000;

interface Known {
  verdict: Verdict;
  /** What a child needs of its parent, so a verdict from the cache is used only where a lookup would have led. */
  folder: boolean;
  owner: string;
  /** Its trash root, when in the trash: what a child's own mark must agree with. */
  trashedBy: string | undefined;
}

/** What is known of each document the walk has met, bounded: the oldest verdicts go first. */
export class VerdictCache {
  private readonly known = new Map<string, Known>();

  constructor(private readonly capacity = VERDICT_CACHE) {}

  get(id: ObjectId): Verdict | undefined {
    return this.known.get(id.toHexString())?.verdict;
  }

  /** What is known of a parent: its verdict, its type and its owner. */
  lookup(id: ObjectId): Known | undefined {
    return this.known.get(id.toHexString());
  }

  set(doc: ScannedFile, verdict: Verdict): void {
    if (this.known.size >= this.capacity) this.known.delete(this.known.keys().next().value as string);
    this.known.set(doc._id.toHexString(), { verdict, folder: doc.type === 'folder', owner: doc.userId.toHexString(), trashedBy: doc.trashedBy?.toHexString() });
  }
}

export const isTrashRoot = (doc: ScannedFile): boolean => doc.trashedBy?.equals(doc._id) === true;

/** Looks a parent up by id: the store in fsck, a map in the unit tests. */
export type FindFile = (id: ObjectId) => Promise<ScannedFile | null>;

/**
 * Walks up from `doc` towards the root, or an item in the trash, and says what `doc` is:
 * reachable; an orphan (its parent is missing, no folder, or someone else's); a member of a
 * cycle (a walk that comes back to itself); or below such damage. What the walk learns of the documents on its way
 * goes into the cache, so most walks stop after one step.
 */
export async function classify(doc: ScannedFile, cache: VerdictCache, findFile: FindFile): Promise<Verdict> {
  const path: ScannedFile[] = [];
  const onPath = new Set<string>();
  let current: ScannedFile = doc;
  let ending: { above: Verdict } | { orphan: ObjectId } | { cycleFrom: number } = { above: 'reachable' };
  for (;;) {
    path.push(current);
    onPath.add(current._id.toHexString());
    const parentId = parentObjectId(current.parentId);
    // An item in the trash on its own is reached from the trash: its old folder may be gone.
    if (parentId === null || isTrashRoot(current)) break;
    const known = cache.lookup(parentId);
    // A parent known to be in a cycle says nothing of this walk: it may be below the cycle or, its
    // other members' verdicts gone from the cache, part of it. Only walking on tells.
    if (known !== undefined && known.verdict !== 'cycle') {
      // A parent that is a file or someone else's makes an orphan, whatever its own verdict.
      ending = !known.folder || known.owner !== doc.userId.toHexString() ? { orphan: current._id } : { above: known.verdict === 'reachable' ? 'reachable' : 'below-damage' };
      break;
    }
    if (onPath.has(parentId.toHexString())) {
      ending = { cycleFrom: path.findIndex((entry) => entry._id.equals(parentId)) };
      break;
    }
    const parent = await findFile(parentId);
    if (parent === null || parent.type !== 'folder' || !parent.userId.equals(doc.userId)) {
      ending = { orphan: current._id };
      break;
    }
    current = parent;
  }
  const verdictAt = (index: number): Verdict => {
    if ('above' in ending) return ending.above;
    if ('cycleFrom' in ending) return index >= ending.cycleFrom ? 'cycle' : 'below-damage';
    return index === path.length - 1 ? 'orphan' : 'below-damage';
  };
  path.forEach((entry, index) => cache.set(entry, verdictAt(index)));
  return verdictAt(0);
}
