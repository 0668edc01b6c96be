import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import type { CallEventKind, EventChange } from '../../call-model/call-event';

/**
 * Every provider event the service accepted, kept so that nothing a provider tells us is lost: an
 * event whose call is not known yet waits here (appliedAt null) until the call is known.
 */
// minimize: false keeps an empty change ({} for an ICE), which the schema requires.
@Schema({ collection: 'call_events', versionKey: false, minimize: false })
export class CallEventEntry {
  /** `<provider>:<providerCallId>:<type>`: a repeated delivery cannot be inserted twice. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  provider!: string;

  @Prop({ type: String, required: true })
  providerCallId!: string;

  /** Our call id as the provider echoed it, if it did. */
  @Prop({ type: Types.ObjectId, default: null })
  callId!: Types.ObjectId | null;

  @Prop({ type: String, required: true })
  type!: string;

  @Prop({ type: String, required: true })
  kind!: CallEventKind;

  @Prop({ type: Date, required: true })
  occurredAt!: Date;

  @Prop({ type: Date, required: true })
  receivedAt!: Date;

  /** What applying the event changes, worked out by the provider when it arrived. */
  @Prop({ type: Object, required: true })
  change!: EventChange;

  /**
   * The event as the provider sent it, as JSON text. Stored as an object it failed on payloads that are
   * JSON but no valid document: arrays in arrays (FerretDB), a NUL in a key, deep nesting.
   */
  @Prop({ type: String, required: true })
  payload!: string;

  /** The call the event was applied to, and when; null while the call is not known. */
  @Prop({ type: Types.ObjectId, default: null })
  appliedTo!: Types.ObjectId | null;

  @Prop({ type: Date, default: null })
  appliedAt!: Date | null;
}

export const CallEventEntrySchema = SchemaFactory.createForClass(CallEventEntry);
// When a call learns its provider id, its waiting events are found by it.
CallEventEntrySchema.index({ provider: 1, providerCallId: 1, appliedAt: 1 });
