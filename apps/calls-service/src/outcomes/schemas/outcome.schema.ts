import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { leaseSchema } from '../../database/lease';

/** What came of a call, as an organization's admins name it ("Meeting booked", "Left voicemail"). */
@Schema({ collection: 'call_outcomes', timestamps: true, versionKey: false })
export class Outcome {
  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: String, required: true })
  name!: string;

  /**
   * The name as uniqueness sees it (outcomeKey). FerretDB has no collations, so a case-insensitive
   * unique index is a plain unique index on this normalised copy.
   */
  @Prop({ type: String, required: true })
  key!: string;

  @Prop({ type: String, default: null })
  description!: string | null;

  /** Counts as a success ("connected", "meeting booked") in the statistics' positiveOutcomes. */
  @Prop({ type: Boolean, default: false })
  positive!: boolean;

  /** Stays on the calls that have it, but can no longer be chosen for a call. */
  @Prop({ type: Boolean, default: false })
  archived!: boolean;

  createdAt!: Date;
  updatedAt!: Date;
}

export type OutcomeRecord = Outcome & { _id: Types.ObjectId };

export const OutcomeSchema = SchemaFactory.createForClass(Outcome);
OutcomeSchema.index({ organizationId: 1, key: 1 }, { unique: true });
// The list pages through one organization's outcomes in _id order.
OutcomeSchema.index({ organizationId: 1, _id: 1 });

/**
 * The model name of the lock on one outcome, by the outcome's id: held by its admin's writes and by a
 * call's write that chooses it, so that a delete never misses a call choosing the outcome meanwhile.
 */
export const OUTCOME_LOCK = 'OutcomeLock';
export const OutcomeLockSchema = leaseSchema('call_outcome_locks', Types.ObjectId);

/** Case and Unicode compatibility forms never make two names different: "Voicemail", "VOICEMAIL" and "ＶｏｉｃｅＭａｉｌ" are one. */
export function outcomeKey(name: string): string {
  return name.trim().normalize('NFKC').toLowerCase();
}
