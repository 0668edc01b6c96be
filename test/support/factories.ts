import { Types } from 'mongoose';
import { CallStatus } from '../../apps/calls-service/src/call-model/call-status';
import { newCallRecord } from '../../apps/calls-service/src/calls/call-record';
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

export interface CallSeed {
  _id?: string;
  organizationId: string;
  userId?: string;
  contactId?: string | null;
  status?: string;
  direction?: 'outbound' | 'inbound';
  from?: string;
  to?: string;
  startTime?: Date;
  answerTime?: Date | null;
  endTime?: Date | null;
  duration?: number | null;
  providerCallId?: string | null;
  endReason?: string | null;
  outcomeId?: string | null;
  notes?: string | null;
  tags?: string[];
}

/** A call as initiate makes it (newCallRecord), with the seed's fields; seeded calls have no call token, as calls recorded before it existed. */
function newCall(seed: CallSeed) {
  return newCallRecord({
    ...seed,
    userId: seed.userId ?? new Types.ObjectId(),
    provider: 'sinch',
    status: seed.status as CallStatus | undefined,
    outcomeId: seed.outcomeId ? new Types.ObjectId(seed.outcomeId) : null,
    callToken: null,
    from: seed.from ?? '+14165550100',
    to: seed.to ?? '+14165550199',
  });
}

/** Writes a call straight into the database, as another replica or an import would; answers its id. */
export async function insertCall(app: RunningApp, seed: CallSeed): Promise<string> {
  const call = newCall(seed);
  await app.db.collection('calls').insertOne(call);
  return call._id.toHexString();
}

export async function insertCalls(app: RunningApp, seeds: CallSeed[]): Promise<string[]> {
  const calls = seeds.map(newCall);
  await app.db.collection('calls').insertMany(calls);
  return calls.map((call) => call._id.toHexString());
}

export function findCall(app: RunningApp, id: string) {
  return app.db.collection('calls').findOne({ _id: new Types.ObjectId(id) });
}

/**
 * Waits until the event relay has moved every waiting event to the feed (no mark left, and no call marked
 * before marks per event still holding an unmarked event) and let go of the call locks it may take (the
 * service's own locks carry a UUID token), so that a test can compare stored documents or count locks
 * without racing it. Relayed events stay in their call's outbox until its next write.
 */
export async function relayed(app: RunningApp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const serviceLock = { token: { $regex: '^[0-9a-f]{8}-[0-9a-f]{4}-' } };
  for (;;) {
    const calls = await app.db.collection('calls').find({}, { projection: { pendingEvents: 1 } }).toArray();
    const waiting = calls.some((call) => (call.pendingEvents ?? []).some((event: { marked?: boolean }) => !event.marked));
    if (!waiting && (await app.db.collection('event_outbox').countDocuments({})) === 0 && (await app.db.collection('call_locks').countDocuments(serviceLock)) === 0) return;
    if (Date.now() > deadline) throw new Error('The event relay did not settle');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
