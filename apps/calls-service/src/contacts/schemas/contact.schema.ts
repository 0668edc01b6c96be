import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

@Schema({ collection: 'contacts', timestamps: true, versionKey: false })
export class Contact {
  @Prop({ type: Types.ObjectId, required: true })
  organizationId!: Types.ObjectId;

  @Prop({ type: String, required: true })
  firstName!: string;

  @Prop({ type: String, default: null })
  lastName!: string | null;

  /** Stored lower-cased so search and equality ignore case. */
  @Prop({ type: String, default: null })
  email!: string | null;

  @Prop({ type: String, default: null })
  company!: string | null;

  /** The main number, E.164. */
  @Prop({ type: String, default: null })
  phoneNumber!: string | null;

  /** More numbers, E.164. */
  @Prop({ type: [String], default: [] })
  phoneNumbers!: string[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type ContactRecord = Contact & { _id: Types.ObjectId };

export const ContactSchema = SchemaFactory.createForClass(Contact);
// Initiate looks a contact up by number in either field; both lookups are served by an index.
ContactSchema.index({ organizationId: 1, phoneNumber: 1 });
ContactSchema.index({ organizationId: 1, phoneNumbers: 1 });
// Listing pages through an organization's contacts newest first.
ContactSchema.index({ organizationId: 1, _id: -1 });
