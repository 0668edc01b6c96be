import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

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

  @Prop({ type: Date, required: true })
  createdAt!: Date;
}

export const ProviderCallIdSchema = SchemaFactory.createForClass(ProviderCallId);
