import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { leaseSchema } from '../../database/lease';

/** A number the organization owns at Sinch and may show as caller ID. */
@Schema({ collection: 'phone_numbers', timestamps: true, versionKey: false })
export class PhoneNumber {
  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  /** E.164. */
  @Prop({ type: String, required: true })
  number!: string;

  @Prop({ type: String, default: null })
  label!: string | null;

  /** Users who call from this number. A user is assigned to at most one of the organization's numbers. */
  @Prop({ type: [Types.ObjectId], default: [] })
  userIds!: Types.ObjectId[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type PhoneNumberRecord = PhoneNumber & { _id: Types.ObjectId };

export const PhoneNumberSchema = SchemaFactory.createForClass(PhoneNumber);
PhoneNumberSchema.index({ organizationId: 1, number: 1 }, { unique: true });
// Initiate finds the caller's own number.
PhoneNumberSchema.index({ organizationId: 1, userIds: 1 });

/**
 * The organization's default caller ID, one document per organization. Keeping it apart from the
 * numbers makes "exactly one default" hold by construction: changing it is a single upsert, with no
 * window in which two numbers (or none) are marked, and no partial unique index (FerretDB has none).
 */
@Schema({ collection: 'phone_number_defaults', versionKey: false, timestamps: { createdAt: false, updatedAt: true } })
export class PhoneNumberDefault {
  /** The organization's id. */
  @Prop({ type: Types.ObjectId, required: true })
  _id!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, default: null })
  phoneNumberId!: Types.ObjectId | null;
}

export const PhoneNumberDefaultSchema = SchemaFactory.createForClass(PhoneNumberDefault);

/** The model name of the per-organization lock every write to numbers, default or assignments holds, by organization id. */
export const PHONE_NUMBER_LOCK = 'PhoneNumberLock';
export const PhoneNumberLockSchema = leaseSchema('phone_number_locks', Types.ObjectId);
