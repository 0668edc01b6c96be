import fc from 'fast-check';
import { parseSinchEvent, sinchAnswer, statusOfDisconnect } from './sinch-events';

const receivedAt = new Date('2026-11-27T10:00:30Z');
const callId = '64f0a1b2c3d4e5f6a7b8cb00';
const headers = [{ key: 'x-call-id', value: callId }];
const parse = (body: unknown) => parseSinchEvent(body, receivedAt);
const eventOf = (body: unknown) => {
  const parsed = parse(body);
  if (parsed.outcome !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
};

describe('statusOfDisconnect', () => {
  it.each([
    ['ANSWERED', 'CALLEEHANGUP', 30, 'completed'],
    ['ANSWERED', 'CALLERHANGUP', 30, 'completed'],
    ['BUSY', 'CALLEEHANGUP', 0, 'busy'],
    ['NOANSWER', 'TIMEOUT', 0, 'no-answer'],
    ['FAILED', 'GENERALERROR', 0, 'failed'],
    ['NOANSWER', 'CANCEL', 0, 'canceled'],
    ['N/A', 'CANCEL', 0, 'canceled'],
    ['NOANSWER', 'CALLERHANGUP', 0, 'canceled'],
    ['answered', 'calleehangup', 5, 'completed'],
    ['SOMETHINGNEW', 'ALSONEW', 12, 'completed'],
    ['SOMETHINGNEW', 'ALSONEW', 0, 'failed'],
    [null, null, null, 'failed'],
  ] as const)('result %s, reason %s, duration %s: %s', (result, reason, duration, status) => {
    expect(statusOfDisconnect(result, reason, duration)).toBe(status);
  });
});

describe('parseSinchEvent', () => {
  it('reads an ICE: our call id and token from the call headers, the caller from `user`, no status change', () => {
    const ice = {
      event: 'ice',
      callid: 'abc_1',
      timestamp: '2026-11-27T10:00:00Z',
      callHeaders: [...headers, { key: 'X-Call-Token', value: 'tok' }],
      user: 'org-user',
      cli: '+14165550100',
      to: { type: 'number', endpoint: '+14165550199' },
    };
    expect(eventOf(ice)).toEqual({
      provider: 'sinch',
      providerCallId: 'abc_1',
      callId,
      callToken: 'tok',
      callerIdentity: 'org-user',
      type: 'ice',
      kind: 'placed',
      occurredAt: new Date('2026-11-27T10:00:00Z'),
      change: {},
      payload: expect.objectContaining({ event: 'ice' }),
    });
  });

  it('reads an ACE as in progress from its timestamp', () => {
    expect(eventOf({ event: 'ace', callid: 'abc_1', timestamp: '2026-11-27T10:00:05Z' })).toMatchObject({
      type: 'ace',
      kind: 'answered',
      callId: null,
      callToken: null,
      callerIdentity: null,
      change: { status: 'in-progress', answerTime: new Date('2026-11-27T10:00:05Z') },
    });
  });

  it('reads an answered DiCE with its end, duration, reason, cost and the answer time it implies', () => {
    const event = eventOf({
      event: 'dice',
      callid: 'abc_1',
      timestamp: '2026-11-27T10:01:05Z',
      result: 'ANSWERED',
      reason: 'CALLEEHANGUP',
      duration: 60,
      debit: { currencyId: 'USD', amount: 0.0125 },
      userRate: { currencyId: 'USD', amount: 0.0125 },
    });

    expect(event).toMatchObject({ type: 'dice', kind: 'ended' });
    expect(event.change).toEqual({
      status: 'completed',
      endTime: new Date('2026-11-27T10:01:05Z'),
      duration: 60,
      endReason: 'CALLEEHANGUP',
      cost: { amount: 0.0125, currency: 'USD' },
      answerTime: new Date('2026-11-27T10:00:05Z'),
    });
  });

  it('gives a call that failed after talk time the answer time its talk time implies', () => {
    expect(eventOf({ event: 'dice', callid: 'abc_1', timestamp: '2026-11-27T10:01:05Z', result: 'FAILED', reason: 'GENERALERROR', duration: 30 }).change).toMatchObject({
      status: 'failed',
      answerTime: new Date('2026-11-27T10:00:35Z'),
    });
    expect(eventOf({ event: 'dice', callid: 'abc_1', timestamp: '2026-11-27T10:01:05Z', result: 'FAILED', reason: 'GENERALERROR', duration: 0 }).change.answerTime).toBeUndefined();
  });

  it('keeps an unknown reason and gives an unanswered call no answer time', () => {
    expect(eventOf({ event: 'dice', callid: 'abc_1', timestamp: '2026-11-27T10:01:05Z', result: 'NOANSWER', reason: 'BRANDNEWREASON', duration: 0 }).change).toEqual({
      status: 'no-answer',
      endTime: new Date('2026-11-27T10:01:05Z'),
      duration: 0,
      endReason: 'BRANDNEWREASON',
    });
  });

  it('reads recording notifications, each recording its own event', () => {
    const finished = eventOf({ event: 'notify', callid: 'abc_1', type: 'recording_finished', destination: 'https://store.example.com/a.mp3' });
    const available = eventOf({ event: 'notify', callid: 'abc_1', type: 'recording_available', destination: 'https://store.example.com/a.mp3' });
    const second = eventOf({ event: 'notify', callid: 'abc_1', type: 'recording_finished', destination: 'https://store.example.com/b.mp3' });

    expect(finished).toMatchObject({ kind: 'recording', occurredAt: receivedAt, change: { recording: { url: 'https://store.example.com/a.mp3', type: 'recording_finished', createdAt: receivedAt } } });
    expect(new Set([finished.type, available.type, second.type]).size).toBe(3);
    expect(finished.type).toMatch(/^notify:recording_finished:[0-9a-f]{16}$/);
  });

  it('falls back to the time of receipt for a missing or unreadable timestamp', () => {
    expect(eventOf({ event: 'ace', callid: 'abc_1', timestamp: 'soon' }).occurredAt).toEqual(receivedAt);
  });

  it.each([
    ['a header with another name', [{ key: 'x-other', value: callId }]],
    ['a value that is not an id', [{ key: 'x-call-id', value: 'nope' }]],
    ['headers that are not a list', { 'x-call-id': callId }],
  ])('ignores %s', (_label, callHeaders) => {
    expect(eventOf({ event: 'ice', callid: 'abc_1', callHeaders }).callId).toBeNull();
  });

  it('reads the call id header whatever its case', () => {
    expect(eventOf({ event: 'ice', callid: 'abc_1', callHeaders: [{ key: 'X-Call-Id', value: callId.toUpperCase() }] }).callId).toBe(callId);
  });

  it.each([
    ['a PIE', { event: 'pie', callid: 'abc_1' }, 'pie'],
    ['another notification', { event: 'notify', callid: 'abc_1', type: 'amd' }, 'notify:amd'],
    ['a recording notification without a URL', { event: 'notify', callid: 'abc_1', type: 'recording_finished' }, 'notify:recording_finished'],
  ])('ignores %s', (_label, body, type) => {
    expect(parse(body)).toEqual({ outcome: 'ignored', type });
  });

  it.each([
    ['an array', [], 'The body must be a JSON object'],
    ['null', null, 'The body must be a JSON object'],
    ['no event', { callid: 'abc_1' }, 'event is required'],
    ['no callid', { event: 'ace' }, 'callid is required'],
    ['a callid that is not a string', { event: 'dice', callid: 42 }, 'callid is required'],
    ['a callid with spaces', { event: 'dice', callid: 'a b' }, 'callid must be printable ASCII without spaces, at most 128 characters'],
    ['an over-long callid', { event: 'dice', callid: 'x'.repeat(129) }, 'callid must be printable ASCII without spaces, at most 128 characters'],
  ])('refuses %s', (_label, body, message) => {
    expect(parse(body)).toEqual({ outcome: 'invalid', message });
  });
});

describe('sinchAnswer', () => {
  const ice = eventOf({ event: 'ice', callid: 'abc_1' });
  const ace = eventOf({ event: 'ace', callid: 'abc_1' });
  const dice = eventOf({ event: 'dice', callid: 'abc_1', result: 'ANSWERED' });
  const call = { to: '+14165550199', from: '+14165550100' };

  it('connects an ICE to the recorded number with the organization\'s caller ID', () => {
    expect(sinchAnswer(ice, call)).toEqual({ action: { name: 'connectPstn', number: '+14165550199', cli: '+14165550100' } });
  });

  it('hangs up an ICE for a call we never recorded', () => {
    expect(sinchAnswer(ice, null)).toEqual({ action: { name: 'hangup' } });
  });

  it('lets an answered call continue, and answers other events with no action', () => {
    expect(sinchAnswer(ace, null)).toEqual({ action: { name: 'continue' } });
    expect(sinchAnswer(dice, call)).toEqual({});
    expect(sinchAnswer(null, null)).toEqual({});
  });
});

describe('parseSinchEvent, on anything', () => {
  const validDate = (date: Date | undefined) => date === undefined || Number.isFinite(date.getTime());
  // Callbacks shaped like Sinch's, with every field free to be odd: the webhook must read them all.
  const callback = fc.record(
    {
      event: fc.oneof(fc.constantFrom('ice', 'ace', 'dice', 'notify', 'ICE', 'pie'), fc.jsonValue()),
      callid: fc.oneof(fc.constant('822aa4b7-05b4-4d83-87c7-1f835ee0b6f6_257'), fc.jsonValue()),
      timestamp: fc.oneof(fc.date({ noInvalidDate: false }).map((date) => (Number.isFinite(date.getTime()) ? date.toISOString() : 'never')), fc.jsonValue()),
      result: fc.oneof(fc.constantFrom('ANSWERED', 'BUSY', 'NOANSWER', 'FAILED'), fc.jsonValue()),
      reason: fc.oneof(fc.constantFrom('CALLEEHANGUP', 'CANCEL', 'TIMEOUT'), fc.jsonValue()),
      duration: fc.oneof(fc.double(), fc.jsonValue()),
      debit: fc.oneof(fc.record({ currencyId: fc.string(), amount: fc.double() }), fc.jsonValue()),
      type: fc.oneof(fc.constantFrom('recording_finished', 'recording_available'), fc.jsonValue()),
      destination: fc.oneof(fc.webUrl(), fc.jsonValue()),
      callHeaders: fc.oneof(fc.constant([...headers, { key: 'x-call-token', value: 'tok' }]), fc.jsonValue()),
      user: fc.oneof(fc.constant('org-user'), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );

  // The property's first find: the answer time was derived as an Invalid Date.
  it.each([
    ['longer than a Date reaches back', 8641795773630.5],
    ['beyond any integer', 1e300],
  ])('reads a DiCE whose duration is %s as ended, without an answer time', (_label, duration) => {
    const { change } = eventOf({ event: 'dice', callid: 'c-1', result: 'ANSWERED', duration });
    expect(change).toMatchObject({ status: 'completed' });
    expect(change.answerTime).toBeUndefined();
  });

  it('never throws, and what it reads as an event is one the service can store and apply', () => {
    fc.assert(
      fc.property(fc.oneof(callback, fc.jsonValue()), (body) => {
        const parsed = parse(body);
        if (parsed.outcome !== 'event') return;
        const { event } = parsed;
        expect(event.providerCallId).toMatch(/^[!-~]{1,128}$/);
        expect(event.callId === null || /^[0-9a-f]{24}$/.test(event.callId)).toBe(true);
        expect(Number.isFinite(event.occurredAt.getTime())).toBe(true);
        const { change } = event;
        expect(validDate(change.answerTime) && validDate(change.endTime) && validDate(change.recording?.createdAt)).toBe(true);
        if (change.duration !== undefined) expect(Number.isSafeInteger(change.duration) && change.duration >= 0).toBe(true);
        if (change.cost) expect(Number.isFinite(change.cost.amount)).toBe(true);
        // An ending that says nobody answered never comes with an answer time.
        if (change.status === 'busy' || change.status === 'no-answer' || change.status === 'canceled') expect(change.answerTime).toBeUndefined();
        expect(event.callToken === null || typeof event.callToken === 'string').toBe(true);
        expect(event.callerIdentity === null || /^[!-~]{1,128}$/.test(event.callerIdentity)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
