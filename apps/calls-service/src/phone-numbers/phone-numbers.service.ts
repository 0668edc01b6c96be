import { ConflictException, Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { AuthUser } from '@app/auth';
import { Model, QueryFilter, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { Environment } from '../config/environment';
import { LeaseRecord, Leases, LeaseTimeout } from '../database/lease';
import { CreatePhoneNumberDto } from './dto/create-phone-number.dto';
import { ListPhoneNumbersQueryDto } from './dto/list-phone-numbers-query.dto';
import { PhoneNumberDto } from './dto/phone-number.dto';
import { UpdatePhoneNumberDto } from './dto/update-phone-number.dto';
import { decodeNumberCursor, encodeNumberCursor } from '../common/cursor';
import { toPhoneNumberDto } from './phone-number.mapper';
import { PHONE_NUMBER_LOCK, PhoneNumber, PhoneNumberDefault, PhoneNumberRecord } from './schemas/phone-number.schema';

/**
 * Longer than any write takes (at most four operations, each bounded by the driver), and not renewed:
 * on FerretDB a renewal is a read and then a blind write, which can bring back a lease that was just
 * taken over and leave two holders. A dead holder's lock is taken over after this.
 */
const LOCK_LEASE_MS = 10_000;
/** A waiter outlasts one lease, so a dead holder's lock is taken over rather than waited out in vain. */
const LOCK_WAIT_MS = LOCK_LEASE_MS + 1_000;

/**
 * An organization's numbers, its default and its assignments are written by one request at a time,
 * under the organization's lock: a write spans several documents (a number, the numbers its users
 * leave, the default marker), and FerretDB applies each update as a read and then a blind write of the
 * whole document, so two admins writing at once would overwrite each other unseen. Reads take no lock.
 */
@Injectable()
export class PhoneNumbersService {
  private readonly logger = new Logger(PhoneNumbersService.name);
  private readonly locks: Leases<Types.ObjectId>;

  constructor(
    @InjectModel(PhoneNumber.name) private readonly phoneNumberModel: Model<PhoneNumber>,
    @InjectModel(PhoneNumberDefault.name) private readonly defaultModel: Model<PhoneNumberDefault>,
    @InjectModel(PHONE_NUMBER_LOCK) lockModel: Model<LeaseRecord<Types.ObjectId>>,
    private readonly config: ConfigService<Environment, true>,
  ) {
    this.locks = new Leases(lockModel, LOCK_LEASE_MS);
  }

  async create(organizationId: string, dto: CreatePhoneNumberDto, requestId?: string): Promise<PhoneNumberDto> {
    const organization = new Types.ObjectId(organizationId);
    const userIds = uniqueIds(dto.userIds);
    const created = await this.locked(organization, async () => {
      const phoneNumber = await this.phoneNumberModel
        .create({ organizationId: organization, number: dto.number, label: dto.label ?? null, userIds })
        .catch(rethrowDuplicateNumber);
      try {
        await this.unassignElsewhere(organization, phoneNumber._id, userIds);
        if (dto.isDefault) await this.setDefault(organization, phoneNumber._id);
      } catch (error) {
        // Undone, so that the client's retry creates the number whole instead of meeting a 409 for a
        // number left without its default or assignments. Still under the lock, so nobody saw it.
        await this.phoneNumberModel.deleteOne({ _id: phoneNumber._id }).catch(() => undefined);
        throw error;
      }
      return phoneNumber;
    }, requestId);
    return this.findOne(organizationId, created._id.toHexString());
  }

  async list(organizationId: string, query: ListPhoneNumbersQueryDto): Promise<{ phoneNumbers: PhoneNumberDto[]; nextCursor: string | null }> {
    const organization = new Types.ObjectId(organizationId);
    const filter: QueryFilter<PhoneNumber> = { organizationId: organization };
    if (query.cursor) filter.number = { $gt: decodeNumberCursor(query.cursor) };
    const [page, defaultId] = await Promise.all([
      this.phoneNumberModel.find(filter).sort({ number: 1 }).limit(query.limit + 1).lean<PhoneNumberRecord[]>(),
      this.defaultIdOf(organization),
    ]);
    const hasMore = page.length > query.limit;
    const numbers = hasMore ? page.slice(0, query.limit) : page;
    return {
      phoneNumbers: numbers.map((phoneNumber) => toPhoneNumberDto(phoneNumber, defaultId)),
      nextCursor: hasMore ? encodeNumberCursor(numbers[numbers.length - 1].number) : null,
    };
  }

  async findOne(organizationId: string, id: string): Promise<PhoneNumberDto> {
    const phoneNumber = await this.phoneNumberModel.findOne(scoped(organizationId, id)).lean<PhoneNumberRecord>();
    if (!phoneNumber) throw phoneNumberNotFound();
    return toPhoneNumberDto(phoneNumber, await this.defaultIdOf(phoneNumber.organizationId));
  }

  async update(organizationId: string, id: string, dto: UpdatePhoneNumberDto, requestId?: string): Promise<PhoneNumberDto> {
    const changes: Partial<PhoneNumber> = {};
    if (dto.number !== undefined) changes.number = dto.number;
    if (dto.label !== undefined) changes.label = dto.label;
    const userIds = dto.userIds === undefined ? undefined : uniqueIds(dto.userIds);
    if (userIds !== undefined) changes.userIds = userIds;
    const organization = new Types.ObjectId(organizationId);
    const updated = await this.locked(organization, async () => {
      const phoneNumber = await this.phoneNumberModel
        .findOneAndUpdate(scoped(organizationId, id), { $set: changes }, { returnDocument: 'after' })
        .lean<PhoneNumberRecord>()
        .catch(rethrowDuplicateNumber);
      if (!phoneNumber) throw phoneNumberNotFound();
      if (userIds !== undefined) await this.unassignElsewhere(organization, phoneNumber._id, userIds);
      if (dto.isDefault === true) await this.setDefault(organization, phoneNumber._id);
      if (dto.isDefault === false) await this.clearDefault(organization, phoneNumber._id);
      return phoneNumber;
    }, requestId);
    return toPhoneNumberDto(updated, await this.defaultIdOf(organization));
  }

  async remove(organizationId: string, id: string, requestId?: string): Promise<void> {
    const organization = new Types.ObjectId(organizationId);
    await this.locked(organization, async () => {
      const { deletedCount } = await this.phoneNumberModel.deleteOne(scoped(organizationId, id));
      if (deletedCount === 0) throw phoneNumberNotFound();
      await this.clearDefault(organization, new Types.ObjectId(id));
    }, requestId);
  }

  /**
   * The caller ID for a call the user places: their own number, else the organization's default,
   * else the service-wide DEFAULT_CALLER_ID.
   */
  async resolveCallerId(user: AuthUser): Promise<string> {
    const organization = new Types.ObjectId(user.organizationId);
    // Oldest first, so that a user left on two numbers by concurrent assignments still gets one answer.
    const own = await this.phoneNumberModel
      .findOne({ organizationId: organization, userIds: new Types.ObjectId(user.userId) })
      .sort({ _id: 1 })
      .lean<PhoneNumberRecord>();
    if (own) return own.number;
    const defaultId = await this.defaultIdOf(organization);
    if (defaultId) {
      const organizationDefault = await this.phoneNumberModel.findOne({ _id: defaultId, organizationId: organization }).lean<PhoneNumberRecord>();
      if (organizationDefault) return organizationDefault.number;
    }
    const fallback = this.config.get('DEFAULT_CALLER_ID', { infer: true });
    if (fallback) return fallback;
    throw new UnprocessableEntityException('No caller ID is configured for this organization');
  }

  /** Runs a write holding the organization's lock; 409 if other writes kept it past the wait. */
  private async locked<T>(organization: Types.ObjectId, write: () => Promise<T>, requestId: string | undefined): Promise<T> {
    // The lease frees a lock that could not be released; the next writer waits at most that long.
    const onReleaseError = (error: unknown) => this.logger.warn({ requestId }, `Could not release an organization's phone numbers lock: ${String(error)}`);
    try {
      return await this.locks.withLease(organization, { waitMs: LOCK_WAIT_MS, onReleaseError }, write);
    } catch (error) {
      if (!(error instanceof LeaseTimeout)) throw error;
      throw new ConflictException('The organization\'s phone numbers are being changed by another request; retry shortly');
    }
  }

  private async defaultIdOf(organization: Types.ObjectId): Promise<Types.ObjectId | null> {
    const marker = await this.defaultModel.findById(organization).lean();
    return marker?.phoneNumberId ?? null;
  }

  private async setDefault(organization: Types.ObjectId, phoneNumberId: Types.ObjectId): Promise<void> {
    const set = (upsert: boolean) => this.defaultModel.updateOne({ _id: organization }, { $set: { phoneNumberId } }, { upsert });
    await set(true).catch(async (error: unknown) => {
      // Two first-ever upserts raced and the other inserted the document: now it exists, so update it.
      if (!isDuplicateKeyError(error)) throw error;
      await set(false);
    });
  }

  /** Clears the default only if it is still this number, so a concurrent change to another number stands. */
  private async clearDefault(organization: Types.ObjectId, phoneNumberId: Types.ObjectId): Promise<void> {
    await this.defaultModel.updateOne({ _id: organization, phoneNumberId }, { $set: { phoneNumberId: null } });
  }

  private async unassignElsewhere(organization: Types.ObjectId, phoneNumberId: Types.ObjectId, userIds: Types.ObjectId[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.phoneNumberModel.updateMany(
      { organizationId: organization, _id: { $ne: phoneNumberId }, userIds: { $in: userIds } },
      { $pullAll: { userIds } },
    );
  }
}

function scoped(organizationId: string, id: string): QueryFilter<PhoneNumber> {
  return { _id: new Types.ObjectId(id), organizationId: new Types.ObjectId(organizationId) };
}

function uniqueIds(ids: string[] | undefined): Types.ObjectId[] {
  return [...new Set(ids ?? [])].map((id) => new Types.ObjectId(id));
}

function phoneNumberNotFound(): NotFoundException {
  return new NotFoundException('Phone number not found');
}

function rethrowDuplicateNumber(error: unknown): never {
  if (isDuplicateKeyError(error)) throw new ConflictException('The organization already has this number');
  throw error;
}
