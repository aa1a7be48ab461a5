import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { MongoServerError } from 'mongodb';
import { z } from 'zod';
import { config } from '../config';
import { dbClient, DUPLICATE_KEY } from '../db';
import { StartupError } from '../lifecycle';
import { MissingObjectError, STORE_MARKER_KEY, type ByteStore } from './byteStore';
import { storesInUse } from './stores';

/**
 * A store knows whose it is. Two deployments pointed at one folder or bucket prefix by mistake
 * would each see the other's objects as referenced by no document, and `npm run fsck -- --repair`
 * would delete them. So each database gets a deployment id, the first start writes it into a
 * marker in every store it uses, and a process whose database has another id refuses to start;
 * deleting commands check the marker again just before they delete.
 */

interface IdentityDoc {
  _id: 'identity';
  /** A random uuid, made by the database's first start. */
  deployment: string;
  /** The database's name when it was made: a database of that name that lost its identity may take it back. */
  database: string;
  createdAt: Date;
}

const markerSchema = z.object({ deployment: z.string().min(1), database: z.string() });
type Marker = z.infer<typeof markerSchema>;

/** Large enough for any marker; a larger object under that key is not one of ours. */
const MARKER_MAX_BYTES = 4096;

export class ForeignStoreError extends StartupError {
  override name = 'ForeignStoreError';
}

let claimed: Marker | undefined;

function identities() {
  return dbClient.database.collection<IdentityDoc>('deployment');
}

async function readMarker(store: ByteStore): Promise<Marker | undefined> {
  let body: Readable;
  try {
    body = await store.read(STORE_MARKER_KEY);
  } catch (error) {
    if (error instanceof MissingObjectError) return undefined;
    throw error;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MARKER_MAX_BYTES) break;
    chunks.push(chunk);
  }
  body.destroy();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const marker = markerSchema.safeParse(parsed);
  if (!marker.success) throw new ForeignStoreError(`${store.location} holds a ${STORE_MARKER_KEY} that is not a Files Manager marker: refusing to use it`);
  return marker.data;
}

async function writeMarker(store: ByteStore, marker: Marker): Promise<void> {
  const body = JSON.stringify({ ...marker, createdAt: new Date().toISOString() });
  await store.write(STORE_MARKER_KEY, Readable.from([Buffer.from(body)]), { maxBytes: MARKER_MAX_BYTES });
}

/** This database's identity, made on its first start, or taken back from a marker that names a database of its name. */
async function databaseIdentity(markers: readonly (Marker | undefined)[]): Promise<Marker> {
  const found = await identities().findOne({ _id: 'identity' });
  if (found !== null) return { deployment: found.deployment, database: found.database };
  const database = config().db.name;
  const ownMarker = markers.find((marker) => marker?.database === database);
  const identity: IdentityDoc = { _id: 'identity', deployment: ownMarker?.deployment ?? randomUUID(), database, createdAt: new Date() };
  try {
    await identities().insertOne(identity);
  } catch (error) {
    // Another process of this deployment made it first.
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    return databaseIdentity(markers);
  }
  return { deployment: identity.deployment, database: identity.database };
}

function foreign(store: ByteStore, theirs: Marker, ours: Marker): ForeignStoreError {
  return new ForeignStoreError(
    `${store.location} belongs to another deployment (database "${theirs.database}", id ${theirs.deployment}), ` +
      `not to this one (database "${ours.database}", id ${ours.deployment}): give this deployment a folder or bucket prefix of its own`,
  );
}

/**
 * Marks every store in use as this deployment's, or fails when one is another's. Called at
 * start-up, once the database is connected.
 */
export async function claimStores(): Promise<void> {
  const stores = storesInUse();
  const markers = await Promise.all(stores.map(readMarker));
  const ours = await databaseIdentity(markers);
  for (const [index, store] of stores.entries()) {
    let marker = markers[index];
    if (marker === undefined) {
      await writeMarker(store, ours);
      // Two deployments starting at once on one fresh store: the last write wins, and the loser sees it here.
      marker = (await readMarker(store)) ?? ours;
    }
    if (marker.deployment !== ours.deployment) throw foreign(store, marker, ours);
  }
  claimed = ours;
}

/** Throws unless `store`'s marker, read now, names this deployment; for anything that deletes objects no document names. */
export async function assertStoreIsOurs(store: ByteStore): Promise<void> {
  if (claimed === undefined) throw new Error('claimStores() has not run');
  const marker = await readMarker(store);
  if (marker === undefined) throw new ForeignStoreError(`${store.location} has no ${STORE_MARKER_KEY}: refusing to delete anything in it`);
  if (marker.deployment !== claimed.deployment) throw foreign(store, marker, claimed);
}
