import { MongoServerError, type ObjectId } from 'mongodb';
import { dbClient, DUPLICATE_KEY, type UserDoc } from '../db';

/** The only module that queries the `users` collection. */


export async function findUserById(id: ObjectId): Promise<UserDoc | null> {
  return dbClient.users.findOne({ _id: id });
}

export async function findUserByEmail(email: string): Promise<UserDoc | null> {
  return dbClient.users.findOne({ email });
}

export async function emailTaken(email: string): Promise<boolean> {
  return (await dbClient.users.findOne({ email }, { projection: { _id: 1 } })) !== null;
}

/** Inserts the account; null when the email is taken, which the unique index decides under races. */
export async function insertUser(email: string, password: string): Promise<ObjectId | null> {
  try {
    const { insertedId } = await dbClient.users.insertOne({ email, password } as UserDoc);
    return insertedId;
  } catch (error) {
    // FerretDB reports a unique-index violation on insert with the standard code.
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return null;
    throw error;
  }
}

/** Replaces a password hash, unless another login replaced it first. */
export async function replacePasswordHash(user: UserDoc, hash: string): Promise<void> {
  await dbClient.users.updateOne({ _id: user._id, password: user.password }, { $set: { password: hash } });
}
