import { BATCH, findWithoutNameKey, setNameKey } from '../store';

/**
 * Gives documents written before names had keys (FileDoc.nameKey) theirs, so listings sort and
 * search them with the rest; a worker runs it as it starts, and it returns how many it gave.
 * A document renamed meanwhile already has its key and is left alone. Stops early once `stop`
 * is aborted: the next start goes on from there.
 */
export async function fillNameKeys(stop?: AbortSignal): Promise<number> {
  let filled = 0;
  for (;;) {
    const batch = await findWithoutNameKey(BATCH);
    for (const { _id: id, name } of batch) {
      if (stop?.aborted === true) return filled;
      await setNameKey(id, name);
      filled += 1;
    }
    if (batch.length < BATCH) return filled;
  }
}
