import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { leaseSchema } from '../../database/lease';

/** One signing secret of an endpoint. The service must sign with it, so it is kept as the key itself. */
export interface EndpointSecret {
  secret: string;
  /** Null for the current secret; for the one a rotation replaced, when it stops signing. */
  expiresAt: Date | null;
}

/**
 * An endpoint as its admins registered it. Written only by the API, under the endpoint's lock: the delivery
 * workers never write it (FerretDB's blind writes would undo an admin's concurrent change); what they learn
 * about it (failures, disabling) goes into its WebhookEndpointState.
 */
@Schema({ collection: 'webhook_endpoints', versionKey: false })
export class WebhookEndpoint {
  _id!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: String, required: true })
  url!: string;

  /** Event types it wants; empty for all. */
  @Prop({ type: [String], required: true })
  events!: string[];

  @Prop({ type: String, default: null })
  description!: string | null;

  /** The admins' switch. The endpoint is sent to when this is on and its state is not disabled. */
  @Prop({ type: Boolean, required: true })
  enabled!: boolean;

  /** Newest first. */
  @Prop({ type: [{ _id: false, secret: { type: String, required: true }, expiresAt: { type: Date, default: null } }], required: true })
  secrets!: EndpointSecret[];

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  updatedAt!: Date;
}

export const WebhookEndpointSchema = SchemaFactory.createForClass(WebhookEndpoint);
// Every lookup and list names the organization (see test/query-shapes.e2e-spec.ts).
WebhookEndpointSchema.index({ organizationId: 1, _id: 1 });

/**
 * What the delivery workers learned about an endpoint: consecutive failed attempts, and whether they
 * disabled it. `_id` = the endpoint's. Re-enabling the endpoint deletes it.
 */
@Schema({ collection: 'webhook_endpoint_states', versionKey: false })
export class WebhookEndpointState {
  @Prop({ type: Types.ObjectId, required: true })
  _id!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Number, required: true })
  failures!: number;

  @Prop({ type: Date, default: null })
  disabledAt!: Date | null;

  @Prop({ type: String, default: null })
  disabledReason!: string | null;
}

export const WebhookEndpointStateSchema = SchemaFactory.createForClass(WebhookEndpointState);

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryAttempt {
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * One event for one endpoint. `_id` = `<endpointId>:<eventId>`, claimed by a unique insert, so a fan-out
 * that crashed and ran again cannot make a second one. Written by the holder of its lease only.
 */
@Schema({ collection: 'webhook_deliveries', versionKey: false })
export class WebhookDelivery {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  endpointId!: Types.ObjectId;

  /** The event's id: the `webhook-id` of every attempt, and the deliveries' page cursor. */
  @Prop({ type: String, required: true })
  eventId!: string;

  @Prop({ type: String, required: true })
  eventType!: string;

  /** The body, exactly as sent on every attempt. */
  @Prop({ type: String, required: true })
  payload!: string;

  @Prop({ type: String, required: true, enum: DELIVERY_STATUSES })
  status!: DeliveryStatus;

  @Prop({ type: [{ _id: false, at: Date, statusCode: { type: Number, default: null }, error: { type: String, default: null }, durationMs: Number }], required: true })
  attempts!: DeliveryAttempt[];

  /** How many attempts came before the current round (a retry by hand starts a new one): the schedule restarts. */
  @Prop({ type: Number, required: true })
  roundStart!: number;

  @Prop({ type: Date, default: null })
  nextAttemptAt!: Date | null;

  @Prop({ type: Date, required: true })
  createdAt!: Date;

  @Prop({ type: Date, required: true })
  updatedAt!: Date;
}

export const WebhookDeliverySchema = SchemaFactory.createForClass(WebhookDelivery);
// The deliveries list: one endpoint's, by event id, newest first, optionally of one status.
WebhookDeliverySchema.index({ organizationId: 1, endpointId: 1, eventId: -1 });
WebhookDeliverySchema.index({ organizationId: 1, endpointId: 1, status: 1, eventId: -1 });
// The retention purge.
WebhookDeliverySchema.index({ createdAt: 1 });

/**
 * A pending delivery and when its next attempt is due: the workers' queue. Only pending deliveries are
 * here (deleted when a delivery succeeds or fails for good), so a poll's cost follows the backlog, not the
 * history. `_id` = the delivery's.
 */
@Schema({ collection: 'webhook_due', versionKey: false })
export class WebhookDue {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  endpointId!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  dueAt!: Date;
}

export const WebhookDueSchema = SchemaFactory.createForClass(WebhookDue);
WebhookDueSchema.index({ dueAt: 1 });

/** How far an organization's fan-out has read the feed: the last event sequence number it handled. */
@Schema({ collection: 'webhook_cursors', versionKey: false })
export class WebhookCursor {
  /** The organization's id. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: Number, required: true })
  seq!: number;
}

export const WebhookCursorSchema = SchemaFactory.createForClass(WebhookCursor);

/** One fan-out at a time per organization. */
export const WEBHOOK_DISPATCH_LEASE = 'WebhookDispatchLease';
export const WebhookDispatchLeaseSchema = leaseSchema('webhook_dispatch_leases', String);
/** One attempt at a time per delivery, and a dead sender's delivery taken over when its lease runs out. */
export const WEBHOOK_DELIVERY_LEASE = 'WebhookDeliveryLease';
export const WebhookDeliveryLeaseSchema = leaseSchema('webhook_delivery_leases', String);
/** One admin write at a time per endpoint. */
export const WEBHOOK_ENDPOINT_LOCK = 'WebhookEndpointLock';
export const WebhookEndpointLockSchema = leaseSchema('webhook_endpoint_locks', Types.ObjectId);
