import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const EVENT_TYPES = ['call.initiated', 'call.ringing', 'call.answered', 'call.ended', 'call.recording.added', 'call.updated'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** `<organizationId>:<sequence, 12 digits>`: sorts in feed order, and is the `_id` the sequence is claimed by. */
export const EVENT_ID = /^[0-9a-f]{24}:[0-9]{12}$/;

export function eventId(organizationId: string, seq: number): string {
  return `${organizationId}:${String(seq).padStart(12, '0')}`;
}

export function seqOf(id: string): number {
  return Number(id.slice(25));
}

/** One event of the feed. Its `_id` is claimed by a unique insert, so each sequence number is used once. */
@Schema({ collection: 'events', versionKey: false })
export class FeedEvent {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  organizationId!: string;

  @Prop({ type: String, required: true })
  callId!: string;

  /** The call's own sequence number of this event: which of the call's outbox entries it came from. */
  @Prop({ type: Number, required: true })
  callSeq!: number;

  @Prop({ type: String, required: true })
  type!: string;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: [String], required: true })
  changes!: string[];

  /** The call after the change, as JSON. */
  @Prop({ type: String, required: true })
  call!: string;
}

export const FeedEventSchema = SchemaFactory.createForClass(FeedEvent);

/** How many of the newest events the head keeps a copy of, and about how many bytes of calls at most. */
export const RECENT_EVENTS = 100;
export const RECENT_BYTES = 1_000_000;

/**
 * The copies of the newest events a head keeps after `added` (stored under the numbers that follow `kept`'s
 * last): in order and contiguous, newest last, within RECENT_EVENTS and RECENT_BYTES.
 */
export function recentEvents(kept: FeedEvent[], added: FeedEvent[]): FeedEvent[] {
  let recent = [...kept];
  for (const event of added) {
    // Never a gap: after a number that does not follow, only what follows it is kept.
    if (recent.length > 0 && seqOf(event._id) !== seqOf(recent[recent.length - 1]._id) + 1) recent = [];
    recent.push(event);
  }
  recent = recent.slice(-RECENT_EVENTS);
  let bytes = recent.reduce((sum, event) => sum + event.call.length, 0);
  while (recent.length > 0 && bytes > RECENT_BYTES) bytes -= recent.shift()!.call.length;
  return recent;
}

/**
 * Where an organization's feed stands. Written only by the holder of the organization's relay lease. `seq`:
 * the last number readers may read, every event up to it stored; events past it may be stored already (a
 * relay between its insert and the head, or one that died there), and only a relay that took over a lease
 * that ran out looks for them. `settledThrough`: every event up to it is out of its call's outbox, where that
 * relay starts looking. `purgedThrough`: the last number purged.
 */
@Schema({ collection: 'event_heads', versionKey: false })
export class EventHead {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Number, required: true })
  seq!: number;

  /**
   * Copies of the newest events (at most RECENT_EVENTS, about RECENT_BYTES), in order and ending at `seq`:
   * written with `seq`, so each is the event stored under its number. Readers near the head (the streams'
   * tails, the feed's last page) read them here, in one lookup of this small collection, rather than from
   * `events`, where on FerretDB 1.24 a lookup by `_id` scans the table up to its document.
   */
  @Prop({ type: [Object], default: undefined })
  recent?: FeedEvent[];

  /** Absent in a head written before it existed: then `seq`, which was written only once its events were settled. */
  @Prop({ type: Number })
  settledThrough?: number;

  @Prop({ type: Number, required: true })
  purgedThrough!: number;
}

export const EventHeadSchema = SchemaFactory.createForClass(EventHead);
