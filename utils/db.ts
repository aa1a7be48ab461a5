import { type Binary, Collection, Db, MongoClient, ObjectId } from 'mongodb';
import { config } from './config';
import { log } from './log';
import type { Staging } from './storage/staging';

/**
 * The documents of the collections, as stored. utils/users/store.ts, utils/users/usageStore.ts,
 * utils/files/store.ts, utils/files/resumable/store.ts, utils/links/store.ts and
 * utils/auth/secrets.ts query them.
 */

/** MongoDB's (and FerretDB's) code for an insert that a unique index refused. */
export const DUPLICATE_KEY = 11000;

export const FILE_TYPES = ['folder', 'file', 'image'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface UserDoc {
  _id: ObjectId;
  email: string;
  /** SHA-1 hex (the contract's format) or a self-describing scrypt string; see utils/auth/passwords.ts. */
  password: string;
}

/** The root is stored as 0; documents written by other tools may hold "0" or a hex string instead. */
export type StoredParentId = ObjectId | 0 | string;

export interface FileDoc {
  _id: ObjectId;
  userId: ObjectId;
  name: string;
  /**
   * The name as listings sort and search it (lower case: people expect "apple, Banana"). Written
   * with every name (utils/files/store.ts); documents from before it get it when a worker starts.
   */
  nameKey?: string;
  /** When the name last changed: a listing sorted by name that began before it goes by `renames`. */
  renamedAt?: Date;
  /** The name keys a file had, each until when, for as long as a listing's cursor lives (utils/files/listing.ts). */
  renames?: NameChange[];
  type: FileType;
  isPublic?: boolean;
  parentId: StoredParentId;
  /** Where the bytes are on the local driver (absent on folders and on other drivers). */
  localPath?: string;
  /** Set when another driver than the local disk holds the bytes, under `objectKey`. */
  storage?: 's3';
  objectKey?: string;
  size?: number;
  sha256?: string;
  createdAt?: Date;
  /** Set on a folder whose delete has begun: nothing may go into it any more (utils/files/manage.ts). */
  deleting?: boolean;
  /**
   * Set on an item deleted directly (its trash root, which also holds `trash`), to its own id,
   * and on every folder under it, to the root's. Such a folder, and every file in it, is to every
   * reader gone (utils/files/trash.ts, utils/files/store.ts `findFile`).
   */
  trashedBy?: ObjectId;
  /** Only on a trash root. */
  trash?: TrashInfo;
}

export interface NameChange {
  key: string;
  until: Date;
}

export interface TrashInfo {
  at: Date;
  /** When the worker removes it for good: `at` plus TRASH_RETENTION_DAYS as it was then. */
  purgeAt: Date;
}

/**
 * A resumable upload (tus) until its last byte arrives, and for a while after, so a client that
 * lost the final answer can still learn the file's id. utils/files/resumable/store.ts queries them.
 */
export interface UploadDoc {
  /** The opaque id in the upload's URL. */
  _id: string;
  userId: ObjectId;
  /** Upload-Length. */
  length: number;
  /** Bytes stored so far: the authority on how much of the staging counts. */
  offset: number;
  /** The file's fields, checked at creation. */
  file: Pick<FileDoc, 'name' | 'isPublic'> & { type: 'file' | 'image'; parentId: ObjectId | 0 };
  /** The file's id, chosen at creation so a finish retried after a crash inserts the file once. */
  fileId: ObjectId;
  staging: Staging;
  /** Upload-Metadata as the client sent it, given back by HEAD. */
  metadata?: string;
  createdAt: Date;
  expiresAt: Date;
  /** Set with `done`: its length counts as the file's in the owner's usage. Set alone, before the document, by versions before 2026-12. */
  counted?: boolean;
  /** Set once the file's document exists. */
  done?: boolean;
}

/** A shared link: anyone with its URL reads the file or folder it names, within its limits. */
export interface LinkDoc {
  _id: ObjectId;
  /** The secret part of the link's URL (/s/<token>): 192 random bits. */
  token: string;
  fileId: ObjectId;
  /** The owner of the file, who alone lists and revokes the link. */
  userId: ObjectId;
  expiresAt: Date | null;
  /** scrypt, as utils/auth/passwords.ts stores it. */
  passwordHash: string | null;
  maxDownloads: number | null;
  /** Complete downloads so far; never above maxDownloads. */
  downloads: number;
  /** On a folder: a drop folder, which takes uploads and shows nothing. */
  allowUpload: boolean;
  createdAt: Date;
}

/**
 * What a user's files take, kept as they change (utils/users/usage.ts), and the user's quota.
 * Written only under the user's quota lock: FerretDB loses one of two concurrent updates of a document.
 */
export interface UsageDoc {
  /** The user's id. */
  _id: ObjectId;
  /** Bytes of every file and image document, the trash's included. */
  stored: number;
  /** Bytes of the documents in the trash. */
  trash: number;
  /** File and image documents (not folders), the trash's included. */
  files: number;
  /** Upload-Length of every unfinished resumable upload. */
  uploads: number;
  /** Bytes held for uploads streaming now, each until its holder renews it or it lapses (a crashed server's). */
  leases: Record<string, { bytes: number; until: Date }>;
  /** Absent: QUOTA_BYTES; null: unlimited. */
  quota?: number | null;
}

/** A key every server of a deployment shares, made once by whichever server needs it first. */
export interface SecretDoc {
  _id: string;
  key: Binary;
  createdAt: Date;
}

/** The fields that say where a document's bytes are: the local disk's `localPath`, or a driver and its key. */
export type BlobLocation = Pick<FileDoc, 'localPath' | 'storage' | 'objectKey'>;

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

/**
 * The indexes that serve `GET /files` (utils/files/listQuery.ts; tests/integration/listing.test.ts
 * checks every query it makes against them): the contract's listing, a folder's children in each
 * order (the type an equality, or an `$in` of the three, which MongoDB merges in order), a whole
 * tree from the root in each order, and the items renamed while a listing by name goes on.
 */
export const FILE_LISTING_INDEXES: readonly Readonly<Record<string, 1>>[] = [
  { userId: 1, parentId: 1, _id: 1 },
  { userId: 1, parentId: 1, type: 1, _id: 1 },
  { userId: 1, parentId: 1, type: 1, nameKey: 1, _id: 1 },
  { userId: 1, parentId: 1, type: 1, size: 1, _id: 1 },
  { userId: 1, parentId: 1, type: 1, createdAt: 1, _id: 1 },
  { userId: 1, type: 1, _id: 1 },
  { userId: 1, type: 1, nameKey: 1, _id: 1 },
  { userId: 1, type: 1, size: 1, _id: 1 },
  { userId: 1, type: 1, createdAt: 1, _id: 1 },
  { userId: 1, renamedAt: 1 },
];

/**
 * An unheld client (a script that only uses the seeds' methods) closes after this long
 * without a call, so the script can exit: the driver's sockets and timers cannot be unref'd.
 */
const UNHELD_IDLE_MS = 2000;

/**
 * The seeds' MongoDB client: `isAlive()`, `nbUsers()`, `nbFiles()`, usable as soon as it is
 * imported (the first call starts connecting from DB_HOST/DB_PORT/DB_DATABASE or DB_URL).
 * The server and the worker call `connect()` at start, which also makes the indexes the
 * contract relies on, and hold the connection until `close()`.
 */
export class DBClient {
  private client: MongoClient | undefined;
  private connectedDb: Db | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private alive = false;
  /** What an unheld client knew when it closed for idleness; it reopens on the next call. */
  private lastKnownAlive = false;
  private held = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private callsInFlight = 0;
  /** Bumped by close(), so a connection that completes after it is dropped instead of kept. */
  private generation = 0;

  /** Connects and makes sure the indexes exist; waits for nothing else. */
  async connect(url: string = config().db.url, dbName: string = config().db.name): Promise<void> {
    if (this.held && this.client !== undefined) throw new Error('DBClient is already connected');
    this.held = true;
    this.stopIdleTimer();
    if (this.client === undefined) await (this.opening ?? this.open(url, dbName));
    // The unique index is what makes two concurrent sign-ups with one email yield one account.
    await this.users.createIndex({ email: 1 }, { unique: true });
    await this.files.createIndex({ parentId: 1 });
    for (const keys of FILE_LISTING_INDEXES) await this.files.createIndex(keys);
    // The trash: a user's, newest first; and what to purge.
    await this.files.createIndex({ userId: 1, 'trash.at': -1, _id: -1 });
    await this.files.createIndex({ 'trash.purgeAt': 1 }, { sparse: true });
    // The worker's sweep of expired resumable uploads.
    await this.uploads.createIndex({ expiresAt: 1 });
    // A link is opened by its token, and listed and ended with its file.
    await this.links.createIndex({ token: 1 }, { unique: true });
    await this.links.createIndex({ fileId: 1 });
  }

  /** Live state; the first call also starts connecting, so a poll of it turns true by itself. */
  isAlive(): boolean {
    if (this.client === undefined) {
      // Not awaited: startLazily() keeps its own failure, and the next call retries.
      void this.startLazily();
      return this.lastKnownAlive;
    }
    this.touch();
    return this.alive;
  }

  async nbUsers(): Promise<number> {
    return this.call(() => this.users.countDocuments());
  }

  async nbFiles(): Promise<number> {
    return this.call(() => this.files.countDocuments());
  }

  get users(): Collection<UserDoc> {
    return this.database.collection<UserDoc>('users');
  }

  get files(): Collection<FileDoc> {
    return this.database.collection<FileDoc>('files');
  }

  get uploads(): Collection<UploadDoc> {
    return this.database.collection<UploadDoc>('uploads');
  }

  get links(): Collection<LinkDoc> {
    return this.database.collection<LinkDoc>('links');
  }

  get usage(): Collection<UsageDoc> {
    return this.database.collection<UsageDoc>('usage');
  }

  get secrets(): Collection<SecretDoc> {
    return this.database.collection<SecretDoc>('secrets');
  }

  get database(): Db {
    if (this.connectedDb === undefined) throw new Error('DBClient.connect() has not been called');
    return this.connectedDb;
  }

  /** Safe to call twice or before any use. */
  close(): Promise<void> {
    this.held = false;
    this.stopIdleTimer();
    this.generation += 1;
    const client = this.client;
    if (client === undefined) return this.closing ?? Promise.resolve();
    this.client = undefined;
    this.connectedDb = undefined;
    this.alive = false;
    this.closing = client.close();
    return this.closing;
  }

  private async open(url: string, dbName: string): Promise<void> {
    const generation = this.generation;
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
    if (generation !== this.generation) {
      await client.close();
      throw new Error('DBClient was closed while connecting');
    }
    this.client = client;
    this.closing = undefined;
    this.alive = true;
    this.connectedDb = client.db(dbName);
  }

  private startLazily(): Promise<void> {
    if (this.opening === undefined) {
      const { url, name } = config().db;
      this.opening = this.open(url, name)
        .then(() => this.touch())
        .finally(() => {
          this.opening = undefined;
        });
      // isAlive() does not wait; a failed attempt is retried by the next call.
      this.opening.catch(() => {
        this.lastKnownAlive = false;
      });
    }
    return this.opening;
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    this.callsInFlight += 1;
    this.stopIdleTimer();
    try {
      if (this.client === undefined) await this.startLazily();
      return await run();
    } finally {
      this.callsInFlight -= 1;
      this.touch();
    }
  }

  /** For an unheld client: close once nothing has used it for a while. */
  private touch(): void {
    if (this.held || this.client === undefined || this.callsInFlight > 0) return;
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => {
      if (this.held || this.callsInFlight > 0) return;
      this.lastKnownAlive = this.alive;
      this.close().catch((error: unknown) => log.error('closing an idle MongoDB connection failed', error));
    }, UNHELD_IDLE_MS);
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

export const dbClient = new DBClient();
export default dbClient;
