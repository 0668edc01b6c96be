import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { AuthUser } from '@app/auth';
import { Model, Types } from 'mongoose';
import { Environment } from '../config/environment';
import { ContactsService } from '../contacts/contacts.service';
import { ContactDto } from '../contacts/dto/contact.dto';
import { toCallDto } from './call.mapper';
import { CallDto } from './dto/call.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { Call, CallRecord } from './schemas/call.schema';

@Injectable()
export class CallsService {
  constructor(
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly contactsService: ContactsService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async initiateSdkCall(user: AuthUser, dto: InitiateCallDto): Promise<CallDto> {
    const contact = dto.contactId ? await this.contactsService.findOne(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? dialledNumberOf(contact);
    const linkedContact = contact ?? (await this.contactsService.findByPhoneNumber(user.organizationId, to));
    const callerId = this.callerIdFor();
    const now = new Date();
    const call: CallRecord = {
      _id: new Types.ObjectId(),
      organizationId: new Types.ObjectId(user.organizationId),
      userId: new Types.ObjectId(user.userId),
      provider: 'sinch',
      providerCallId: null,
      direction: 'outbound',
      status: 'initiated',
      from: callerId,
      to,
      contactId: linkedContact ? new Types.ObjectId(linkedContact._id) : null,
      conversationId: null,
      providerPhoneNumber: callerId,
      startTime: now,
      answerTime: null,
      endTime: null,
      duration: null,
      recordings: [],
      createdAt: now,
      updatedAt: now,
    };
    // This is the hottest write, and a mongoose document would buy it nothing: every field is set
    // here, typed as the schema's record, from values already validated. Hydrating, casting and
    // validating one was the largest cost our code added to initiate (see docs/performance.md).
    await this.callModel.collection.insertOne(call);
    return toCallDto(call);
  }

  private callerIdFor(): string {
    const callerId = this.config.get('DEFAULT_CALLER_ID', { infer: true });
    if (!callerId) {
      throw new UnprocessableEntityException('No caller ID is configured for this organization');
    }
    return callerId;
  }
}

/** A contact's main number, else its first other number. */
function dialledNumberOf(contact: ContactDto | null): string {
  const number = contact?.phoneNumber ?? contact?.phoneNumbers[0];
  if (!number) {
    throw new UnprocessableEntityException('The contact has no phone number');
  }
  return number;
}
