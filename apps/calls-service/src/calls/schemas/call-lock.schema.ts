import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * Whoever holds a call's lock is the only one writing that call. A lock is taken by inserting it: a
 * unique `_id` is the one write both MongoDB and FerretDB make atomic, while FerretDB applies a
 * conditional update as a read followed by a blind write.
 */
@Schema({ collection: 'call_locks', versionKey: false })
export class CallLock {
  /** The locked call's id. */
  @Prop({ type: Types.ObjectId, required: true })
  _id!: Types.ObjectId;

  /** Who holds it, so that only the holder releases it. */
  @Prop({ type: String, required: true })
  token!: string;

  /** After this the holder is taken to have died, and the lock may be taken over. */
  @Prop({ type: Date, required: true })
  expiresAt!: Date;
}

export const CallLockSchema = SchemaFactory.createForClass(CallLock);
