/**
 * The folders an upload goes into, found or made once, and what each holds, listed once: how a
 * second run of the same upload knows what is already there.
 */
import type { Api, FileItem } from '../api';
import { childPath, createFolder, listFolder, pickFolder, type Place } from '../remote';

const keyOf = (folder: readonly string[]): string => folder.join('/');

export class RemoteFolders {
  private readonly places = new Map<string, Place>();
  private readonly listings = new Map<string, Promise<FileItem[]>>();

  constructor(
    private readonly api: Api,
    private readonly target: Place,
  ) {}

  /** A folder of the upload made by ensure(), by its names under the target. */
  place(folder: readonly string[]): Place {
    if (folder.length === 0) return this.target;
    const place = this.places.get(keyOf(folder));
    if (place === undefined) throw new Error(`the folder ${keyOf(folder)} was not made before its files`);
    return place;
  }

  /** Everything in the folder, with sizes and hashes, as it was when first asked. */
  children(place: Place): Promise<FileItem[]> {
    let listing = this.listings.get(place.id);
    if (listing === undefined) {
      listing = listFolder(this.api, place.id);
      this.listings.set(place.id, listing);
    }
    return listing;
  }

  /** Finds the folder, or makes it; its parent first. */
  async ensure(folder: readonly string[]): Promise<void> {
    const parent = this.place(folder.slice(0, -1));
    const name = folder.at(-1) ?? '';
    const path = childPath(parent.path, name);
    const found = pickFolder(path, (await this.children(parent)).filter((item) => item.name === name));
    if (found !== undefined) {
      this.places.set(keyOf(folder), { id: found.id, path, item: found });
      return;
    }
    const made = await createFolder(this.api, parent, name);
    this.places.set(keyOf(folder), made);
    this.listings.set(made.id, Promise.resolve([]));
  }
}
