import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { AuthUser } from '@app/auth';
import { Model, QueryFilter, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { Environment } from '../config/environment';
import { CreatePhoneNumberDto } from './dto/create-phone-number.dto';
import { PhoneNumberDto } from './dto/phone-number.dto';
import { UpdatePhoneNumberDto } from './dto/update-phone-number.dto';
import { toPhoneNumberDto } from './phone-number.mapper';
import { PhoneNumber, PhoneNumberDefault, PhoneNumberRecord } from './schemas/phone-number.schema';

@Injectable()
export class PhoneNumbersService {
  constructor(
    @InjectModel(PhoneNumber.name) private readonly phoneNumberModel: Model<PhoneNumber>,
    @InjectModel(PhoneNumberDefault.name) private readonly defaultModel: Model<PhoneNumberDefault>,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async create(organizationId: string, dto: CreatePhoneNumberDto): Promise<PhoneNumberDto> {
    const organization = new Types.ObjectId(organizationId);
    const userIds = uniqueIds(dto.userIds);
    const created = await this.phoneNumberModel
      .create({ organizationId: organization, number: dto.number, label: dto.label ?? null, userIds })
      .catch(rethrowDuplicateNumber);
    await this.unassignElsewhere(organization, created._id, userIds);
    if (dto.isDefault) await this.setDefault(organization, created._id);
    return this.findOne(organizationId, created._id.toHexString());
  }

  async list(organizationId: string): Promise<PhoneNumberDto[]> {
    const organization = new Types.ObjectId(organizationId);
    const [numbers, defaultId] = await Promise.all([
      this.phoneNumberModel.find({ organizationId: organization }).sort({ number: 1 }).lean<PhoneNumberRecord[]>(),
      this.defaultIdOf(organization),
    ]);
    return numbers.map((phoneNumber) => toPhoneNumberDto(phoneNumber, defaultId));
  }

  async findOne(organizationId: string, id: string): Promise<PhoneNumberDto> {
    const phoneNumber = await this.phoneNumberModel.findOne(scoped(organizationId, id)).lean<PhoneNumberRecord>();
    if (!phoneNumber) throw phoneNumberNotFound();
    return toPhoneNumberDto(phoneNumber, await this.defaultIdOf(phoneNumber.organizationId));
  }

  async update(organizationId: string, id: string, dto: UpdatePhoneNumberDto): Promise<PhoneNumberDto> {
    const changes: Partial<PhoneNumber> = {};
    if (dto.number !== undefined) changes.number = dto.number;
    if (dto.label !== undefined) changes.label = dto.label;
    const userIds = dto.userIds === undefined ? undefined : uniqueIds(dto.userIds);
    if (userIds !== undefined) changes.userIds = userIds;
    const updated = await this.phoneNumberModel
      .findOneAndUpdate(scoped(organizationId, id), { $set: changes }, { returnDocument: 'after' })
      .lean<PhoneNumberRecord>()
      .catch(rethrowDuplicateNumber);
    if (!updated) throw phoneNumberNotFound();
    if (userIds !== undefined) await this.unassignElsewhere(updated.organizationId, updated._id, userIds);
    if (dto.isDefault === true) await this.setDefault(updated.organizationId, updated._id);
    if (dto.isDefault === false) await this.clearDefault(updated.organizationId, updated._id);
    return toPhoneNumberDto(updated, await this.defaultIdOf(updated.organizationId));
  }

  async remove(organizationId: string, id: string): Promise<void> {
    const { deletedCount } = await this.phoneNumberModel.deleteOne(scoped(organizationId, id));
    if (deletedCount === 0) throw phoneNumberNotFound();
    await this.clearDefault(new Types.ObjectId(organizationId), new Types.ObjectId(id));
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
