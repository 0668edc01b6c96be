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
    createdAt: call.createdAt.toISOString(),
    updatedAt: call.updatedAt.toISOString(),
  };
}
