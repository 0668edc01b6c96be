import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A ticket to open one event stream, for a browser's EventSource, which cannot send an Authorization header.
 * Stored by the SHA-256 of the ticket, never the ticket itself: what the database holds opens nothing.
 */
@Schema({ collection: 'event_stream_tickets', versionKey: false })
export class StreamTicket {
  /** The ticket's SHA-256, hex. */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true })
  organizationId!: string;

  @Prop({ type: String, required: true })
  userId!: string;

  /** Redeemable until then. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;

  /** When the bearer token that asked for the ticket expires: a stream opened with it ends then. */
  @Prop({ type: Date, required: true })
  tokenExpiresAt!: Date;
}

export const StreamTicketSchema = SchemaFactory.createForClass(StreamTicket);

/**
 * A ticket's one redemption, claimed by a unique insert of its hash: the one write both MongoDB and FerretDB
 * make atomic, so of two replicas redeeming the same ticket at once, one collides.
 */
@Schema({ collection: 'event_stream_ticket_redemptions', versionKey: false })
export class StreamTicketRedemption {
  @Prop({ type: String, required: true })
  _id!: string;

  /** The ticket's expiry: after it, the redemption proves nothing more and may be purged. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const StreamTicketRedemptionSchema = SchemaFactory.createForClass(StreamTicketRedemption);
