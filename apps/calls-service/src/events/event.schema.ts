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

/** How many of the newest events the head keeps a copy of, and the largest call (bytes of JSON) it copies. */
export const RECENT_EVENTS = 100;
export const RECENT_CALL_BYTES = 10_000;

/** The head's slot for the copy of event `seq`: the slot of the number RECENT_EVENTS before it, which it replaces. */
function copySlot(seq: number): string {
  return `copies.s${seq % RECENT_EVENTS}`;
}

/**
 * The write of a head moved to `seq` over `added` (the events stored just under it, in order): `seq`,
 * `settledThrough`, and the copies of the added events in their slots, in the same write. Only the added
 * events are written (not the 100 kept): each copy replaces the one RECENT_EVENTS numbers older. A call
 * larger than RECENT_CALL_BYTES is not copied (its slot is emptied), so the copies stay within about 1 MB.
 * The array of copies a head kept before the slots (`recent`) goes.
 */
export function headWrite(seq: number, settledThrough: number, purgedThrough: number, added: FeedEvent[]): Record<string, unknown> {
  const set: Record<string, unknown> = { seq, settledThrough };
  const unset: Record<string, ''> = { recent: '' };
  for (const event of added.slice(-RECENT_EVENTS)) {
    if (event.call.length <= RECENT_CALL_BYTES) set[copySlot(seqOf(event._id))] = event;
    else unset[copySlot(seqOf(event._id))] = '';
  }
  return { $set: set, $unset: unset, $setOnInsert: { purgedThrough } };
}

/** The copies a head holds, by number: each the event stored under its number (events never change). */
export function copiesOf(head: Pick<EventHead, 'copies' | 'recent'> | null): Map<number, FeedEvent> {
  const copies = new Map<number, FeedEvent>();
  for (const event of [...(head?.recent ?? []), ...Object.values(head?.copies ?? {})]) copies.set(seqOf(event._id), event);
  return copies;
}

/**
 * Where an organization's feed stands. Written only by the holder of the organization's relay lease. `seq`:
 * the last number readers may read, every event up to it stored; events past it may be stored already (a
 * relay between its insert and the head, or one that died there), and only a relay that took over a lease
 * that ran out looks for them. `settledThrough`: the mark of every event up to it is deleted, where that
 * relay starts looking. `purgedThrough`: the last number purged.
 */
@Schema({ collection: 'event_heads', versionKey: false })
export class EventHead {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Number, required: true })
  seq!: number;

  /**
   * Copies of the newest events, in RECENT_EVENTS slots (`s<seq % RECENT_EVENTS>`), each written in the same
   * write as the `seq` that covers it, so each is the event stored under its number, and the slots hold the
   * newest events, up to `seq` (less those too large to copy). Readers near the head (the streams' tails, the
   * feed's last page) read them here, in one lookup of this small collection, rather than from `events`, where
   * on FerretDB 1.24 a lookup by `_id` scans the table up to its document.
   */
  @Prop({ type: Object, default: undefined })
  copies?: Record<string, FeedEvent>;

  /** The copies as a head kept them before the slots: read until the relay's next write of the head. */
  @Prop({ type: [Object], default: undefined })
  recent?: FeedEvent[];

  /** Absent in a head written before it existed: then `seq`, which was written only once its events were settled. */
  @Prop({ type: Number })
  settledThrough?: number;

  @Prop({ type: Number, required: true })
  purgedThrough!: number;
}

export const EventHeadSchema = SchemaFactory.createForClass(EventHead);
