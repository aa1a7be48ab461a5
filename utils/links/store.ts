import type { ObjectId } from 'mongodb';
import { dbClient, type LinkDoc } from '../db';
import { chunks } from '../files/store';

/** The only module that queries the `links` collection. */

export async function insertLink(link: LinkDoc): Promise<void> {
  await dbClient.links.insertOne(link);
}

export async function findLinkByToken(token: string): Promise<LinkDoc | null> {
  return dbClient.links.findOne({ token });
}

/** A file's links, oldest first. */
export async function findLinksOfFile(owner: ObjectId, fileId: ObjectId): Promise<LinkDoc[]> {
  return dbClient.links.find({ fileId, userId: owner }).sort({ _id: 1 }).toArray();
}

/** False when the link is not there or not the owner's. */
export async function deleteOwnedLink(owner: ObjectId, id: ObjectId): Promise<boolean> {
  const { deletedCount } = await dbClient.links.deleteOne({ _id: id, userId: owner });
  return deletedCount === 1;
}

export async function deleteLinksOfFiles(fileIds: readonly ObjectId[]): Promise<void> {
  for (const batch of chunks(fileIds)) await dbClient.links.deleteMany({ fileId: { $in: batch } });
}

export async function findLink(id: ObjectId): Promise<LinkDoc | null> {
  return dbClient.links.findOne({ _id: id });
}

/** Adds one to a link's downloads; the caller holds the link's lock (FerretDB's conditional updates do not serialize). */
export async function addDownload(id: ObjectId): Promise<void> {
  await dbClient.links.updateOne({ _id: id }, { $inc: { downloads: 1 } });
}
