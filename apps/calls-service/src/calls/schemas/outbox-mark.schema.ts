import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * Says "this call may have events waiting in its outbox". Inserted before the call's write, so that after a
 * crash the relay finds the call here without scanning the calls collection (FerretDB pushes down only an
 * equality on `_id`). A mark whose call has nothing waiting is harmless, and the relay deletes it.
 */
@Schema({ collection: 'event_outbox', versionKey: false })
export class OutboxMark {
  /** The call's id. */
  @Prop({ type: Types.ObjectId, required: true })
  _id!: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: Date, required: true })
  markedAt!: Date;
}

export const OutboxMarkSchema = SchemaFactory.createForClass(OutboxMark);
