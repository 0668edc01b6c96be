import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { ProviderName } from '../../call-model/call-event';
import { CALL_STATUSES, CallStatus } from '../../call-model/call-status';

/**
 * The provider names the API contract documents (openapi.yaml's enums for `Call.provider` and the
 * webhook path). The code takes any registered adapter's name; a new real provider is added to the
 * contract here too.
 */
export const DOCUMENTED_PROVIDER_NAMES = ['sinch'] as const;

export const CALL_DIRECTIONS = ['outbound', 'inbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];


export class CallCost {
  amount!: number;
  currency!: string;
}

/** One change's event, waiting in its call's outbox for the relay. */
export class PendingCallEvent {
  /** Per call, 1, 2, 3…: which of the call's events the relay has moved already. */
  seq!: number;
  type!: string;
  createdAt!: Date;
  /** The names of the fields the change set. */
  changes!: string[];
  /** The call as GET answered it right after the change, as JSON. */
  call!: string;
  /**
   * True for an event with a mark of its own in `event_outbox` (`<call>:<seq>`): the relay moves it by its
   * mark and leaves it here, and the call's next writer drops it once its mark is gone. Absent in an event
   * written before marks per event (a whole call's mark): the relay takes those out of the call itself.
   */
  marked?: boolean;
}

export class Recording {
  url!: string;
  type!: string;
  createdAt!: Date;
}

@Schema({ collection: 'calls', timestamps: true, versionKey: false })
export class Call {
  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  userId!: Types.ObjectId;

  /** The name of the provider adapter that carries the call. */
  @Prop({ type: String, required: true })
  provider!: ProviderName;

  @Prop({ type: String, default: null })
  providerCallId!: string | null;

  /**
   * The unguessable reference the dialer passes in the call headers, so that an ICE can name only a call
   * its dialer was told about; null for calls recorded before it existed, which no ICE can bind.
   */
  @Prop({ type: String, default: null })
  callToken!: string | null;

  @Prop({ type: String, enum: CALL_DIRECTIONS, required: true })
  direction!: CallDirection;

  @Prop({ type: String, enum: CALL_STATUSES, required: true })
  status!: CallStatus;

  @Prop({ type: String, required: true })
  from!: string;

  @Prop({ type: String, required: true })
  to!: string;

  @Prop({ type: Types.ObjectId, default: null })
  contactId!: Types.ObjectId | null;

  @Prop({ type: String, default: null })
  conversationId!: string | null;

  @Prop({ type: String, default: null })
  providerPhoneNumber!: string | null;

  @Prop({ type: Date, required: true })
  startTime!: Date;

  @Prop({ type: Date, default: null })
  answerTime!: Date | null;

  @Prop({ type: Date, default: null })
  endTime!: Date | null;

  /** Whole seconds; known once the call has ended. */
  @Prop({ type: Number, default: null })
  duration!: number | null;

  /** Why the call ended, as the dialer or the provider reported it (for Sinch, the DiCE `reason`: an open set). */
  @Prop({ type: String, default: null })
  endReason!: string | null;

  /** What the provider charged (Sinch's DiCE `debit`). */
  @Prop({ type: { _id: false, amount: { type: Number, required: true }, currency: { type: String, required: true } }, default: null })
  cost!: CallCost | null;

  @Prop({
    type: [{ _id: false, url: { type: String, required: true }, type: { type: String, required: true }, createdAt: { type: Date, required: true } }],
    default: [],
  })
  recordings!: Recording[];

  /** What came of the call: one of the organization's outcomes, chosen by the agent. */
  @Prop({ type: Types.ObjectId, default: null })
  outcomeId!: Types.ObjectId | null;

  /** The agent's notes, plain text. */
  @Prop({ type: String, default: null })
  notes!: string | null;

  /** The agent's tags, trimmed, unique ignoring case, in the order given. */
  @Prop({ type: [String], default: [] })
  tags!: string[];

  /** The tags as the `tag` filter matches them (tagKey of each), so that the filter can use an index. */
  @Prop({ type: [String], default: [] })
  tagKeys!: string[];

  /**
   * Derived for the statistics, which FerretDB cannot compute in a pipeline (it has no date operators
   * nor $subtract): the quarter-hour the call started in, as whole quarter-hours since the epoch (every
   * time zone's offset is a whole number of quarter-hours, so a quarter-hour lies within one local day).
   */
  @Prop({ type: Number })
  startQuarterHour!: number;

  /** Derived for the statistics: answerTime − startTime in seconds, once the call is answered. */
  @Prop({ type: Number, default: null })
  ringSeconds!: number | null;

  createdAt!: Date;
  updatedAt!: Date;

  /**
   * The outbox: events of changes stored on this call that the relay has not yet moved to the feed. Each
   * is written in the same single-document write as its change, so a change and its event never part.
   */
  @Prop({
    type: [
      {
        _id: false,
        seq: { type: Number, required: true },
        type: { type: String, required: true },
        createdAt: { type: Date, required: true },
        changes: { type: [String], required: true },
        call: { type: String, required: true },
        marked: { type: Boolean },
      },
    ],
    default: undefined,
  })
  pendingEvents?: PendingCallEvent[];

  /** The sequence number of the call's last event (absent: none yet); per call, events are in this order. */
  @Prop({ type: Number, default: undefined })
  eventSeq?: number;
}

export type CallRecord = Call & { _id: Types.ObjectId };


export const CallSchema = SchemaFactory.createForClass(Call);
// The history is read newest first (startTime, then _id, which the page cursor encodes) and always
// within one organization. Each filter the dialer uses has an index that starts with the organization,
// matches the filter, and then yields the sort order, so a page is read without sorting in memory.
CallSchema.index({ organizationId: 1, startTime: -1, _id: -1 });
CallSchema.index({ organizationId: 1, contactId: 1, startTime: -1, _id: -1 });
CallSchema.index({ organizationId: 1, userId: 1, startTime: -1, _id: -1 });
CallSchema.index({ organizationId: 1, status: 1, startTime: -1, _id: -1 });
// phoneNumber matches either end of the call: one index per branch of the $or.
CallSchema.index({ organizationId: 1, to: 1, startTime: -1, _id: -1 });
CallSchema.index({ organizationId: 1, from: 1, startTime: -1, _id: -1 });
// The wrap-up filters: a call's outcome, and each of its tags (a multikey index; `tag` filters with $all).
CallSchema.index({ organizationId: 1, outcomeId: 1, startTime: -1, _id: -1 });
CallSchema.index({ organizationId: 1, tagKeys: 1, startTime: -1, _id: -1 });
// Provider events name the call by the provider's id. Not unique: uniqueness is enforced through
// provider_call_ids, which works without partial indexes (a unique index here would refuse the many nulls).
CallSchema.index({ provider: 1, providerCallId: 1 });
