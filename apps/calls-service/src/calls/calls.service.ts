import { Injectable, UnprocessableEntityException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AuthUser } from '@app/auth';
import { Model, Types } from 'mongoose';
import { ContactsService } from '../contacts/contacts.service';
import { ContactDto } from '../contacts/dto/contact.dto';
import { PhoneNumbersService } from '../phone-numbers/phone-numbers.service';
import { toCallDto } from './call.mapper';
import { CallDto } from './dto/call.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { Call, CallRecord } from './schemas/call.schema';

@Injectable()
export class CallsService {
  constructor(
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly contactsService: ContactsService,
    private readonly phoneNumbersService: PhoneNumbersService,
  ) {}

  async initiateSdkCall(user: AuthUser, dto: InitiateCallDto): Promise<CallDto> {
    const contact = dto.contactId ? await this.contactsService.findOne(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? dialledNumberOf(contact);
    const linkedContact = contact ?? (await this.contactsService.findByPhoneNumber(user.organizationId, to));
    const callerId = await this.phoneNumbersService.resolveCallerId(user);
    const created = await this.callModel.create({
      organizationId: new Types.ObjectId(user.organizationId),
      userId: new Types.ObjectId(user.userId),
      provider: 'sinch',
      providerCallId: null,
      direction: 'outbound',
      status: 'initiated',
      from: callerId,
      to,
      contactId: linkedContact ? new Types.ObjectId(linkedContact._id) : null,
      providerPhoneNumber: callerId,
      startTime: new Date(),
    });
    return toCallDto(created.toObject<CallRecord>());
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
