import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';

/**
 * Inserts the document, answering false when its unique `_id` is already taken. A unique insert is the
 * one write both MongoDB and FerretDB make atomic (FerretDB applies a conditional update as a read and
 * a blind write), so every "claim by inserting" here is built on it: leases (call locks, idempotency
 * keys, phone-number locks), provider call id claims, and the provider event log's once-only entries.
 * What happens when the claim is taken (wait, take over, yield, ignore) is each caller's own rule.
 */
export async function insertUnique<T>(model: Model<T>, document: Partial<T>): Promise<boolean> {
  try {
    await model.create(document);
    return true;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return false;
  }
}

/** What the driver's collections (a mongoose model's `.collection` included) offer for an insert. */
interface InsertsDocuments {
  insertOne(document: never): Promise<unknown>;
}

/**
 * The same claim through the driver, for a document already complete and of the stored types: no mongoose
 * document is built (casting, defaults, validation), which on a hot path costs more than the insert's round
 * trip. The caller answers for every field.
 */
export async function insertRawUnique<T>(collection: InsertsDocuments, document: T): Promise<boolean> {
  try {
    await collection.insertOne(document as never);
    return true;
  } catch (error) {
    if (!isDuplicateKeyError(error)) throw error;
    return false;
  }
}
