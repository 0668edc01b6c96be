import type { CallEvent } from '../call-model/call-event';

/**
 * The seam between the service and a telephony provider. Everything provider-specific (how a callback
 * is authenticated, what its events mean, what the provider expects in reply, how its SDK
 * authenticates) lives behind it; the rest of the service sees only the plain data below and the call
 * vocabulary of call-model/ (a CallEvent).
 */
export interface CallProviderAdapter {
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
