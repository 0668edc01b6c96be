import { CallDto } from './dto/call.dto';
import { CallRecord } from './schemas/call.schema';

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function toCallDto(call: CallRecord): CallDto {
  const id = call._id.toHexString();
  return {
    _id: id,
    callId: id,
    // Calls recorded before the field existed have no callToken at all.
    callToken: call.callToken ?? null,
    provider: call.provider,
    providerCallId: call.providerCallId,
    direction: call.direction,
    status: call.status,
    from: call.from,
    to: call.to,
    contactId: call.contactId ? call.contactId.toHexString() : null,
    conversationId: call.conversationId,
    organizationId: call.organizationId.toHexString(),
    userId: call.userId.toHexString(),
    providerPhoneNumber: call.providerPhoneNumber,
    startTime: call.startTime.toISOString(),
    answerTime: iso(call.answerTime),
    endTime: iso(call.endTime),
    duration: call.duration,
    // Calls recorded before the field existed have no endReason at all.
    endReason: call.endReason ?? null,
    cost: call.cost ? { amount: call.cost.amount, currency: call.cost.currency } : null,
    recordings: call.recordings.map((recording) => ({
      url: recording.url,
      type: recording.type,
      createdAt: recording.createdAt.toISOString(),
    })),
    // Calls recorded before the wrap-up fields existed have none of them.
    outcomeId: call.outcomeId ? call.outcomeId.toHexString() : null,
    notes: call.notes ?? null,
    tags: call.tags ?? [],
    version: versionOf(call),
    createdAt: call.createdAt.toISOString(),
    updatedAt: call.updatedAt.toISOString(),
  };
}

/** Every stored change of a call bumps its eventSeq (call-outbox.ts); calls older than the outbox have none yet. */
export function versionOf(call: Pick<CallRecord, 'eventSeq'>): number {
  return call.eventSeq ?? 0;
}

/** A call's version as an entity tag: strong, since one version is one stored state of the call. */
export function etagOf(version: number): string {
  return `"${version}"`;
}
