import { ContactDto } from './dto/contact.dto';
import { ContactRecord } from './schemas/contact.schema';

export function toContactDto(contact: ContactRecord): ContactDto {
  return {
    _id: contact._id.toHexString(),
    organizationId: contact.organizationId.toHexString(),
    firstName: contact.firstName,
    lastName: contact.lastName,
    email: contact.email,
    company: contact.company,
    phoneNumber: contact.phoneNumber,
    phoneNumbers: contact.phoneNumbers,
    createdAt: contact.createdAt.toISOString(),
    updatedAt: contact.updatedAt.toISOString(),
  };
}
