import { Types } from 'mongoose';
import { newCallRecord } from './call-record';

describe('newCallRecord', () => {
  const fields = { organizationId: new Types.ObjectId(), userId: new Types.ObjectId().toHexString(), provider: 'sinch', from: '+14165550100', to: '+14165550199' };

  it('lays the fields out in the schema order mongoose stored, so the stored bytes stay as they were', () => {
    expect(Object.keys(newCallRecord({ ...fields, status: 'completed', callToken: null }))).toEqual([
      '_id', 'organizationId', 'userId', 'provider', 'providerCallId', 'callToken', 'direction', 'status', 'from', 'to', 'contactId',
      'conversationId', 'providerPhoneNumber', 'startTime', 'answerTime', 'endTime', 'duration', 'endReason', 'cost', 'recordings',
      'outcomeId', 'notes', 'tags', 'tagKeys', 'startQuarterHour', 'ringSeconds', 'createdAt', 'updatedAt',
    ]);
  });

  it('starts a call as initiate records it, and keeps what it is given, null included', () => {
    const now = new Date('2026-11-27T10:00:00Z');
    const fresh = newCallRecord(fields, now);
    const seeded = newCallRecord({ ...fields, callToken: null, status: undefined, startTime: new Date('2026-11-26T10:00:00Z') }, now);

    expect(fresh).toMatchObject({ status: 'initiated', providerPhoneNumber: '+14165550100', startTime: now, createdAt: now, cost: null, recordings: [] });
    expect(fresh.callToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(fresh.organizationId.equals(fields.organizationId)).toBe(true);
    expect(seeded).toMatchObject({ callToken: null, status: 'initiated', createdAt: new Date('2026-11-26T10:00:00Z') });
  });
});
