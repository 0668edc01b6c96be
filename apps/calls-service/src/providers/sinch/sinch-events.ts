import { createHash } from 'node:crypto';
import type { CallStatus } from '../../call-model/call-status';
import { CallEvent, EventChange } from '../../call-model/call-event';
import { CallFacts, ParsedEvent } from '../call-provider';

export const SINCH = 'sinch';
/** The call headers the dialer sets: `callPhoneNumber(number, { 'x-call-id': call.callId, 'x-call-token': call.callToken })`. */
export const CALL_ID_HEADER = 'x-call-id';
export const CALL_TOKEN_HEADER = 'x-call-token';
const RECORDING_NOTIFICATIONS = new Set(['recording_finished', 'recording_available']);
const OBJECT_ID = /^[0-9a-fA-F]{24}$/;
// What a providerCallId may be (issue 3's PATCH accepts the same): printable ASCII without spaces, at most 128.
export const PROVIDER_CALL_ID = /^[!-~]{1,128}$/;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/**
 * The end status of a DiCE. `result` and `reason` are open sets: an unknown value maps by what is
 * known (a call with talk time completed, else failed) and is kept as it came.
 */
export function statusOfDisconnect(result: string | null, reason: string | null, duration: number | null): CallStatus {
  const outcome = result?.toUpperCase();
  const why = reason?.toUpperCase();
  if (outcome === 'ANSWERED') return 'completed';
  // Cancelled, or the caller hung up before anyone answered.
  if (why === 'CANCEL' || why === 'CALLERHANGUP') return 'canceled';
  if (outcome === 'BUSY') return 'busy';
  if (outcome === 'NOANSWER') return 'no-answer';
  if (outcome === 'FAILED') return 'failed';
  return duration !== null && duration > 0 ? 'completed' : 'failed';
}

function timeOf(body: Json, receivedAt: Date): Date {
  const parsed = typeof body.timestamp === 'string' ? Date.parse(body.timestamp) : Number.NaN;
  return Number.isNaN(parsed) ? receivedAt : new Date(parsed);
}

/** A call header the SDK client set, by name. */
function callHeaderOf(body: Json, name: string): string | null {
  if (!Array.isArray(body.callHeaders)) return null;
  const header = body.callHeaders.find((entry): entry is Json => isObject(entry) && typeof entry.key === 'string' && entry.key.toLowerCase() === name);
  return header ? text(header.value) : null;
}

/** Our call id from the SDK's call headers, when it is there and looks like one. */
function callIdOf(body: Json): string | null {
  const value = callHeaderOf(body, CALL_ID_HEADER);
  return value && OBJECT_ID.test(value) ? value.toLowerCase() : null;
}

/**
 * Who placed the call: Sinch names the SDK user placing an in-app (`mxp`) call in the ICE's `user`. Its
 * `cli` is no identity (the number to show), so it is not read.
 */
function callerIdentityOf(body: Json): string | null {
  const user = text(body.user);
  return user && PROVIDER_CALL_ID.test(user) ? user : null;
}

function costOf(debit: unknown): EventChange['cost'] | undefined {
  if (!isObject(debit) || typeof debit.amount !== 'number' || !Number.isFinite(debit.amount)) return undefined;
  const currency = text(debit.currencyId);
  return currency ? { amount: debit.amount, currency } : undefined;
}

/** Whole seconds of talk time; a value no call could have (negative, or past any integer we can count) is unknown. */
function durationOf(value: unknown): number | null {
  if (typeof value !== 'number' || !(value >= 0)) return null;
  const seconds = Math.round(value);
  return Number.isSafeInteger(seconds) ? seconds : null;
}

function disconnectChange(body: Json, endTime: Date): EventChange {
  const result = text(body.result);
  const reason = text(body.reason);
  const duration = durationOf(body.duration);
  const status = statusOfDisconnect(result, reason, duration);
  const change: EventChange = { status, endTime };
  if (duration !== null) change.duration = duration;
  if (reason) change.endReason = reason;
  const cost = costOf(body.debit);
  if (cost) change.cost = cost;
  // Without an ACE the answer time follows from the talk time; an ACE applied first wins, as fields are only filled.
  // A call that failed after talk time was answered too; busy, no-answer and canceled never were.
  const answered = status === 'completed' || (status === 'failed' && duration !== null && duration > 0);
  if (answered && duration !== null) {
    const answerTime = new Date(endTime.getTime() - duration * 1000);
    // A talk time longer than a Date reaches back gives no answer time at all, not an invalid one.
    if (Number.isFinite(answerTime.getTime())) change.answerTime = answerTime;
  }
  return change;
}

/** Reads one Sinch Voice callback (ICE, ACE, DiCE or a recording notification). */
export function parseSinchEvent(body: unknown, receivedAt: Date): ParsedEvent {
  if (!isObject(body)) return { outcome: 'invalid', message: 'The body must be a JSON object' };
  const name = text(body.event)?.toLowerCase();
  if (!name) return { outcome: 'invalid', message: 'event is required' };
  const notification = name === 'notify' ? text(body.type)?.toLowerCase() : undefined;
  const known = name === 'ice' || name === 'ace' || name === 'dice' || (notification !== undefined && RECORDING_NOTIFICATIONS.has(notification));
  if (!known) return { outcome: 'ignored', type: notification ? `${name}:${notification}` : name };

  const providerCallId = text(body.callid);
  if (!providerCallId) return { outcome: 'invalid', message: 'callid is required' };
  if (!PROVIDER_CALL_ID.test(providerCallId)) return { outcome: 'invalid', message: 'callid must be printable ASCII without spaces, at most 128 characters' };
  const occurredAt = timeOf(body, receivedAt);
  const base = { provider: SINCH, providerCallId, callId: callIdOf(body), callToken: callHeaderOf(body, CALL_TOKEN_HEADER), callerIdentity: callerIdentityOf(body), occurredAt, payload: body };

  switch (name) {
    case 'ice':
      // The status stays: `ringing` is what the dialer reports.
      return { outcome: 'event', event: { ...base, type: 'ice', kind: 'placed', change: {} } };
    case 'ace':
      return { outcome: 'event', event: { ...base, type: 'ace', kind: 'answered', change: { status: 'in-progress', answerTime: occurredAt } } };
    case 'dice':
      return { outcome: 'event', event: { ...base, type: 'dice', kind: 'ended', change: disconnectChange(body, occurredAt) } };
    default: {
      const url = text(body.destination);
      if (!url) return { outcome: 'ignored', type: `notify:${notification}` };
      // A call may be recorded more than once: the recording's URL is part of what makes a notification unique.
      const recordingKey = createHash('sha256').update(url).digest('hex').slice(0, 16);
      return {
        outcome: 'event',
        event: { ...base, type: `notify:${notification}:${recordingKey}`, kind: 'recording', change: { recording: { url, type: notification as string, createdAt: occurredAt } } },
      };
    }
  }
}

/** SVAML: what Sinch should do next. */
export type Svaml = { action?: { name: 'connectPstn'; number: string; cli: string } | { name: 'hangup' } | { name: 'continue' } };

export function sinchAnswer(event: CallEvent | null, call: CallFacts | null): Svaml {
  if (event?.kind === 'placed') {
    // Connect to the number we recorded, not one the client might have changed, with the organization's caller ID.
    return call ? { action: { name: 'connectPstn', number: call.to, cli: call.from } } : { action: { name: 'hangup' } };
  }
  if (event?.kind === 'answered') return { action: { name: 'continue' } };
  return {};
}
