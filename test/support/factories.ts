import { Types } from 'mongoose';
import { RunningApp } from './app';

export interface ContactSeed {
  _id?: string;
  organizationId: string;
  firstName?: string;
  lastName?: string | null;
  email?: string | null;
  company?: string | null;
  phoneNumber?: string | null;
  phoneNumbers?: string[];
}

/** Writes a contact straight into the database, as another replica or an import would. */
export async function insertContact(app: RunningApp, seed: ContactSeed): Promise<string> {
  const _id = new Types.ObjectId(seed._id);
  const now = new Date();
  await app.db.collection('contacts').insertOne({
    _id,
    organizationId: new Types.ObjectId(seed.organizationId),
    firstName: seed.firstName ?? 'Ada',
    lastName: seed.lastName ?? null,
    email: seed.email ?? null,
    company: seed.company ?? null,
    phoneNumber: seed.phoneNumber === undefined ? '+14165550199' : seed.phoneNumber,
    phoneNumbers: seed.phoneNumbers ?? [],
    createdAt: now,
    updatedAt: now,
  });
  return _id.toHexString();
}

export function countCalls(app: RunningApp, filter: Record<string, unknown> = {}): Promise<number> {
  return app.db.collection('calls').countDocuments(filter);
}
