import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, Types } from 'mongoose';
import { decodeIdCursor, encodeIdCursor } from '../common/cursor';
import { invalidCursor } from '../common/object-id';
import { escapeRegExp, trimmed } from '../common/text';
import { toContactDto } from './contact.mapper';
import { ContactDto } from './dto/contact.dto';
import { CreateContactDto } from './dto/create-contact.dto';
import { ListContactsQueryDto } from './dto/list-contacts-query.dto';
import { UpdateContactDto } from './dto/update-contact.dto';
import { Contact, ContactRecord } from './schemas/contact.schema';

const MAX_SEARCH_WORDS = 5;
/** A query of digits and the separators people type is a number (or the start of one). */
const NUMBER_QUERY = /^\+?[\d\s()-]*\d[\d\s()-]*$/;

@Injectable()
export class ContactsService {
  constructor(@InjectModel(Contact.name) private readonly contactModel: Model<Contact>) {}

  async create(organizationId: string, dto: CreateContactDto): Promise<ContactDto> {
    const created = await this.contactModel.create({
      organizationId: new Types.ObjectId(organizationId),
      firstName: dto.firstName.trim(),
      lastName: trimmed(dto.lastName) ?? null,
      email: lowerCased(dto.email) ?? null,
      company: trimmed(dto.company) ?? null,
      phoneNumber: dto.phoneNumber ?? null,
      phoneNumbers: uniqueNumbers(dto.phoneNumbers),
    });
    return toContactDto(created.toObject<ContactRecord>());
  }

  async list(organizationId: string, query: ListContactsQueryDto): Promise<{ contacts: ContactDto[]; nextCursor: string | null }> {
    const filter: QueryFilter<Contact> = { organizationId: new Types.ObjectId(organizationId) };
    if (query.cursor) filter._id = { $lt: decodeIdCursor(query.cursor) ?? invalidCursor() };
    const q = (query.q ?? '').trim();
    if (NUMBER_QUERY.test(q)) {
      filter.$or = numberPrefixClauses(q);
    } else if (q) {
      filter.$and = q.split(/\s+/).slice(0, MAX_SEARCH_WORDS).map(wordClause);
    }
    const page = await this.contactModel
      .find(filter)
      .sort({ _id: -1 })
      .limit(query.limit + 1)
      .lean<ContactRecord[]>();
    const hasMore = page.length > query.limit;
    const contacts = hasMore ? page.slice(0, query.limit) : page;
    return {
      contacts: contacts.map(toContactDto),
      nextCursor: hasMore ? encodeIdCursor(contacts[contacts.length - 1]._id) : null,
    };
  }

  /**
   * The ids of the organization's contacts whose name ("first last") contains `text`, ignoring case, at
   * most `max` + 1 of them: one more than the caller takes tells it that there are too many. Neither
   * database can match a concatenation without `$expr`, so text that spans the space between the names
   * ("Ada Love") is matched as an end of the first name and a start of the last, at each of its spaces.
   */
  async idsWithNameContaining(organizationId: string, text: string, max: number): Promise<Types.ObjectId[]> {
    const within = new RegExp(escapeRegExp(text), 'i');
    const across = [...text.matchAll(/ /g)].map(({ index }) => ({
      firstName: new RegExp(`${escapeRegExp(text.slice(0, index))}$`, 'i'),
      lastName: new RegExp(`^${escapeRegExp(text.slice(index + 1))}`, 'i'),
    }));
    const found = await this.contactModel
      .find({ organizationId: new Types.ObjectId(organizationId), $or: [{ firstName: within }, { lastName: within }, ...across] }, { _id: 1 })
      .limit(max + 1)
      .lean<Pick<ContactRecord, '_id'>[]>();
    return found.map((contact) => contact._id);
  }

  async findOne(organizationId: string, id: string): Promise<ContactDto> {
    const contact = await this.contactModel.findOne(scoped(organizationId, id)).lean<ContactRecord>();
    if (!contact) throw contactNotFound();
    return toContactDto(contact);
  }

  /** The organization's oldest contact with this number as its main or another number, if any. */
  async findByPhoneNumber(organizationId: string, phoneNumber: string): Promise<ContactDto | null> {
    const organization = new Types.ObjectId(organizationId);
    const contact = await this.contactModel
      .findOne({ $or: [{ organizationId: organization, phoneNumber }, { organizationId: organization, phoneNumbers: phoneNumber }] })
      .sort({ _id: 1 })
      .lean<ContactRecord>();
    return contact ? toContactDto(contact) : null;
  }

  async update(organizationId: string, id: string, dto: UpdateContactDto): Promise<ContactDto> {
    const changes: Partial<Contact> = {};
    if (dto.firstName !== undefined) changes.firstName = dto.firstName.trim();
    if (dto.lastName !== undefined) changes.lastName = trimmed(dto.lastName);
    if (dto.email !== undefined) changes.email = lowerCased(dto.email);
    if (dto.company !== undefined) changes.company = trimmed(dto.company);
    if (dto.phoneNumber !== undefined) changes.phoneNumber = dto.phoneNumber;
    if (dto.phoneNumbers !== undefined) changes.phoneNumbers = uniqueNumbers(dto.phoneNumbers);
    const contact = await this.contactModel
      .findOneAndUpdate(scoped(organizationId, id), { $set: changes }, { returnDocument: 'after' })
      .lean<ContactRecord>();
    if (!contact) throw contactNotFound();
    return toContactDto(contact);
  }

  async remove(organizationId: string, id: string): Promise<void> {
    const { deletedCount } = await this.contactModel.deleteOne(scoped(organizationId, id));
    if (deletedCount === 0) throw contactNotFound();
  }
}

function scoped(organizationId: string, id: string): QueryFilter<Contact> {
  return { _id: new Types.ObjectId(id), organizationId: new Types.ObjectId(organizationId) };
}

/** Emails are kept in lower case, so that search and equality ignore case. */
function lowerCased<T extends string | null | undefined>(email: T): T {
  return (typeof email === 'string' ? email.toLowerCase() : email) as T;
}

function contactNotFound(): NotFoundException {
  return new NotFoundException('Contact not found');
}

function uniqueNumbers(numbers: string[] | null | undefined): string[] {
  return [...new Set(numbers ?? [])];
}

/** Every word must appear, case-insensitively, in a name, the email or the company. */
function wordClause(word: string): QueryFilter<Contact> {
  const text = new RegExp(escapeRegExp(word), 'i');
  return { $or: [{ firstName: text }, { lastName: text }, { email: text }, { company: text }] };
}

/** Numbers are stored in E.164, so a typed number matches as a prefix of its digits. */
function numberPrefixClauses(q: string): QueryFilter<Contact>[] {
  const prefix = new RegExp(`^\\+${q.replace(/\D/g, '')}`);
  return [{ phoneNumber: prefix }, { phoneNumbers: prefix }];
}
