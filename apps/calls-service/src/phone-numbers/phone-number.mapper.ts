import { Types } from 'mongoose';
import { PhoneNumberDto } from './dto/phone-number.dto';
import { PhoneNumberRecord } from './schemas/phone-number.schema';

export function toPhoneNumberDto(phoneNumber: PhoneNumberRecord, defaultId: Types.ObjectId | null): PhoneNumberDto {
  return {
    _id: phoneNumber._id.toHexString(),
    organizationId: phoneNumber.organizationId.toHexString(),
    number: phoneNumber.number,
    label: phoneNumber.label,
    isDefault: defaultId !== null && defaultId.equals(phoneNumber._id),
    userIds: phoneNumber.userIds.map((id) => id.toHexString()),
    createdAt: phoneNumber.createdAt.toISOString(),
    updatedAt: phoneNumber.updatedAt.toISOString(),
  };
}
