import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/** Who bound a provider call id to a call: the provider's signed ICE, or the dialer's report. */
export const CLAIM_SOURCES = ['ice', 'report'] as const;
export type ClaimSource = (typeof CLAIM_SOURCES)[number];

/**
 * One document per provider call id, naming the call that holds it. Its `_id` is the uniqueness:
 * inserting it claims the id, on MongoDB and FerretDB alike, with no partial index needed.
 */
@Schema({ collection: 'provider_call_ids', versionKey: false })
export class ProviderCallId {
  /** `<provider>:<providerCallId>`. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Types.ObjectId, required: true })
  callId!: Types.ObjectId;

  /** The organization of the call, so that a report never learns whether another organization holds the id. */
  @Prop({ type: Types.ObjectId, default: null })
  organizationId!: Types.ObjectId | null;

  /** A claim made by a report gives way to the provider's signed ICE; claims older than the field count as reports. */
  @Prop({ type: String, enum: CLAIM_SOURCES, default: 'report' })
  source!: ClaimSource;

  @Prop({ type: Date, required: true })
  createdAt!: Date;
}

export const ProviderCallIdSchema = SchemaFactory.createForClass(ProviderCallId);
// The purge of claims whose call never took the id looks at the oldest claims first.
ProviderCallIdSchema.index({ createdAt: 1 });
