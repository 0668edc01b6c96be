import type { CallStatus } from './call-status';

/** A provider adapter's name, as the webhook path and `Call.provider` carry it. */
export type ProviderName = string;

/** Where an event stands in a call's life; pending events are applied in this order. */
export const CALL_EVENT_KINDS = ['placed', 'answered', 'ended', 'recording'] as const;
export type CallEventKind = (typeof CALL_EVENT_KINDS)[number];

/** Orders events as they happen in a call's life, then by time: an ACE is applied before a DiCE that came first. */
export function byCallLifeOrder(a: { kind: CallEventKind; occurredAt: Date }, b: { kind: CallEventKind; occurredAt: Date }): number {
  return CALL_EVENT_KINDS.indexOf(a.kind) - CALL_EVENT_KINDS.indexOf(b.kind) || a.occurredAt.getTime() - b.occurredAt.getTime();
}

/**
 * What a provider event says changed on its call, worked out by the provider's adapter when it arrived.
 * Applying it only ever fills fields, never overwrites them.
 */
export interface EventChange {
  status?: CallStatus;
  answerTime?: Date;
  endTime?: Date;
  duration?: number;
  endReason?: string;
  cost?: { amount: number; currency: string };
  recording?: { url: string; type: string; createdAt: Date };
}

/** A provider's event in the service's terms: what every adapter's parser produces, and the event log keeps. */
export interface CallEvent {
  /** The adapter's name: the webhook path's `{provider}`, and `Call.provider` of the calls it places. */
  provider: ProviderName;
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
  change: EventChange;
  /** The event as the provider sent it, kept for the record. */
  payload: Record<string, unknown>;
}
