import type { CallStatus } from '../calls/call-status';

/**
 * The seam between the calls module and a telephony provider. Everything provider-specific (how a
 * callback is authenticated, what its events mean, what the provider expects in reply, how its SDK
 * authenticates) lives behind it; the calls module sees only the plain data below.
 */
export interface CallProvider {
  /** The name in the webhook path and in `Call.provider`. */
  readonly name: string;
  /** Whether the provider really sent this callback. */
  verifyRequest(request: WebhookRequest, now: Date): WebhookVerification;
  /** What the callback says about a call, in the service's terms. */
  parseEvent(body: unknown, receivedAt: Date): ParsedEvent;
  /** The body to answer the callback with. `call` is null when the event's call must not go ahead. */
  answer(event: CallEvent | null, call: CallFacts | null): object;
  /** The credentials the provider's client SDK needs to register this user. */
  createSdkToken(userId: string, now: Date): SdkToken;
}

export interface WebhookRequest {
  method: string;
  /** The path as requested, without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes as received; absent when there was no body. */
  rawBody: Buffer | undefined;
}

export type WebhookVerification = { ok: true } | { ok: false; reason: string };

/** Where an event stands in a call's life; pending events are applied in this order. */
export const CALL_EVENT_KINDS = ['placed', 'answered', 'ended', 'recording'] as const;
export type CallEventKind = (typeof CALL_EVENT_KINDS)[number];

/** Orders events as they happen in a call's life, then by time: an ACE is applied before a DiCE that came first. */
export function byCallLifeOrder(a: { kind: CallEventKind; occurredAt: Date }, b: { kind: CallEventKind; occurredAt: Date }): number {
  return CALL_EVENT_KINDS.indexOf(a.kind) - CALL_EVENT_KINDS.indexOf(b.kind) || a.occurredAt.getTime() - b.occurredAt.getTime();
}

/** What applying an event changes. Fields are only ever filled, never overwritten. */
export interface CallChange {
  status?: CallStatus;
  answerTime?: Date;
  endTime?: Date;
  duration?: number;
  endReason?: string;
  cost?: { amount: number; currency: string };
  recording?: { url: string; type: string; createdAt: Date };
}

export interface CallEvent {
  provider: string;
  /** The provider's id for the call. */
  providerCallId: string;
  /** Our call id, when the provider echoed it back (the dialer passes it to the SDK). Trusted only with callToken and callerIdentity. */
  callId: string | null;
  /** The call's unguessable reference, when the provider echoed it back beside callId. */
  callToken: string | null;
  /** Who placed the call, as the provider authenticated them: for an SDK call, the user id its token was issued to. */
  callerIdentity: string | null;
  /** The provider's name for the event; with `providerCallId` it identifies a delivery, so repeats share it. */
  type: string;
  kind: CallEventKind;
  occurredAt: Date;
  change: CallChange;
  /** The event as the provider sent it, kept for the record. */
  payload: Record<string, unknown>;
}

export type ParsedEvent =
  | { outcome: 'event'; event: CallEvent }
  /** An event type the service has no use for: acknowledged and dropped. */
  | { outcome: 'ignored'; type: string }
  | { outcome: 'invalid'; message: string };

/** What the provider needs to know about a call to answer for it. */
export interface CallFacts {
  to: string;
  from: string;
}

export interface SdkToken {
  token: string;
  expiresAt: Date;
  applicationKey: string;
  userId: string;
}
