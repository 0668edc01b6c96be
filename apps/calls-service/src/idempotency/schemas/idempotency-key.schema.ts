import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { leaseSchema } from '../../database/lease';

/**
 * A request's claim on an Idempotency-Key. It is only ever inserted and deleted, never updated: a
 * unique `_id` is the one write FerretDB makes atomic. Whether the work is done is not stored but
 * seen: the resource with `resourceId` exists. Which attempt is carrying it out is its lease's business.
 */
@Schema({ collection: 'idempotency_keys', versionKey: false })
export class IdempotencyKey {
  /** sha256 of the operation, organization, user and key, so that keys never mix across them. */
  @Prop({ type: String, required: true })
  _id!: string;

  /** sha256 of the request's canonical, validated body: a key is tied to one request. */
  @Prop({ type: String, required: true })
  requestHash!: string;

  /** The id the resource is created with, chosen up front so every attempt creates the same one. */
  @Prop({ type: Types.ObjectId, required: true })
  resourceId!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  userId!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  /** Until then the key answers repeats; after it the key is treated as unused, and purged. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const IdempotencyKeySchema = SchemaFactory.createForClass(IdempotencyKey);
// Purging expired keys is a range delete; FerretDB has no TTL index to do it for us.
IdempotencyKeySchema.index({ expiresAt: 1 });

/** The model name of the leases attempts hold on keys while they carry them out, by the key's `_id`. */
export const IDEMPOTENCY_LEASE = 'IdempotencyLease';
export const IdempotencyLeaseSchema = leaseSchema('idempotency_leases', String);
