import { Collection, Db, MongoClient, ObjectId } from 'mongodb';
import { log } from './log';

export const FILE_TYPES = ['folder', 'file', 'image'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface UserDoc {
  _id: ObjectId;
  email: string;
  /** SHA-1 hex (the contract's format) or a self-describing scrypt string; see utils/passwords.ts. */
  password: string;
}

/** The root is stored as 0; documents written by other tools may hold "0" or a hex string instead. */
export type StoredParentId = ObjectId | 0 | string;

export interface FileDoc {
  _id: ObjectId;
  userId: ObjectId;
  name: string;
  type: FileType;
  isPublic?: boolean;
  parentId: StoredParentId;
  /** Absent on folders. */
  localPath?: string;
  size?: number;
  sha256?: string;
  createdAt?: Date;
}

/** Parses a client-supplied id; anything but a 24-digit hex string is no id at all. */
export function toObjectId(value: unknown): ObjectId | null {
  return typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value) ? new ObjectId(value) : null;
}

/** The folder a stored parentId names, whichever form it was stored in; null for the root. */
export function parentObjectId(parentId: StoredParentId): ObjectId | null {
  return parentId instanceof ObjectId ? parentId : toObjectId(parentId);
}

/**
 * The file with this id if `ownerId` owns it, else null. Looked up by `_id` alone with the owner
 * checked here: the one filter FerretDB answers from an index (it scans for `{_id, userId}`).
 */
export async function findFileOf(ownerId: ObjectId, id: unknown): Promise<FileDoc | null> {
  const fileId = toObjectId(id);
  const file = fileId && (await dbClient.files.findOne({ _id: fileId }));
  return file && file.userId.equals(ownerId) ? file : null;
}

/**
 * Timeouts are short so that a database outage turns into a prompt 503 instead of a hung
 * request; the driver keeps reconnecting in the background. Selection waits only while no
 * server is reachable; half a second leaves the rest of the promised second to the request.
 */
const CLIENT_OPTIONS = {
  serverSelectionTimeoutMS: 500,
  connectTimeoutMS: 2000,
  heartbeatFrequencyMS: 1000,
  maxPoolSize: 50,
} as const;

export class DBClient {
  private client: MongoClient | undefined;
  private connectedDb: Db | undefined;
  private alive = false;
  private closing: Promise<void> | undefined;

  /** Connects and makes sure the indexes the contract relies on exist. */
  async connect(url: string, dbName: string): Promise<void> {
    if (this.client !== undefined) throw new Error('DBClient is already connected');
    const client = new MongoClient(url, CLIENT_OPTIONS);
    client.on('topologyDescriptionChanged', (event) => {
      this.alive = event.newDescription.hasDataBearingServers;
    });
    try {
      await client.connect();
    } catch (error) {
      await client.close();
      throw error;
    }
    this.client = client;
    this.closing = undefined;
    this.alive = true;
    this.connectedDb = client.db(dbName);
    // The unique index is what makes two concurrent sign-ups with one email yield one account.
    await this.users.createIndex({ email: 1 }, { unique: true });
    await this.files.createIndex({ userId: 1, parentId: 1, _id: 1 });
    await this.files.createIndex({ parentId: 1 });
  }

  isAlive(): boolean {
    return this.client !== undefined && this.alive;
  }

  async nbUsers(): Promise<number> {
    return this.users.countDocuments();
  }

  async nbFiles(): Promise<number> {
    return this.files.countDocuments();
  }

  get users(): Collection<UserDoc> {
    return this.database.collection<UserDoc>('users');
  }

  get files(): Collection<FileDoc> {
    return this.database.collection<FileDoc>('files');
  }

  /** Safe to call twice or before connect(). */
  close(): Promise<void> {
    const client = this.client;
    if (client === undefined) return this.closing ?? Promise.resolve();
    this.client = undefined;
    this.connectedDb = undefined;
    this.alive = false;
    this.closing = client.close().catch((error: unknown) => log.error('closing MongoDB failed', error));
    return this.closing;
  }

  get database(): Db {
    if (this.connectedDb === undefined) throw new Error('DBClient.connect() has not been called');
    return this.connectedDb;
  }
}

export const dbClient = new DBClient();
export default dbClient;
