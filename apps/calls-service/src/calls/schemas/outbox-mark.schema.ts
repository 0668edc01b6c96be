import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, Types } from 'mongoose';

/**
 * Says "this call's event `seq` may be waiting in its outbox": `_id` is `<callId>:<seq, 9 digits>`, inserted
 * (a unique insert) before the call's write that carries the event, so that after a crash the relay finds it
 * without scanning the calls collection (FerretDB pushes down only an equality on `_id`). The relay deletes it
 * once the event is in the feed; a mark whose call never got the event (its writer died between the two) is
 * deleted under the call's lock, or found again by the call's next writer, which reuses the number.
 *
 * A mark written before marks per event has the call's ObjectId as `_id` and no `callId`/`seq`: it stands for
 * every event of the call without `marked` (call.schema.ts), which the relay takes out of the call itself.
 */
@Schema({ collection: 'event_outbox', versionKey: false })
export class OutboxMark {
  @Prop({ type: MongooseSchema.Types.Mixed, required: true })
  _id!: string | Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  /** Absent in a whole call's mark (whose `_id` is the call). */
  @Prop({ type: Types.ObjectId })
  callId?: Types.ObjectId;

  @Prop({ type: Number })
  seq?: number;

  @Prop({ type: Date, required: true })
  markedAt!: Date;
}

export const OutboxMarkSchema = SchemaFactory.createForClass(OutboxMark);
// The relay reads an organization's marks in `_id` order (on MongoDB; FerretDB scans the small collection).
OutboxMarkSchema.index({ organizationId: 1, _id: 1 });

/** The mark of a call's event `seq`: sorts by call, then in the call's order. */
export function markId(callId: Types.ObjectId | string, seq: number): string {
  return `${typeof callId === 'string' ? callId : callId.toHexString()}:${String(seq).padStart(9, '0')}`;
}
