import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { AuthUser } from '@app/auth';
import { Model, QueryFilter, Types } from 'mongoose';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../common/cursor';
import { parseDateTime } from '../common/date-time';
import { invalidCursor } from '../common/object-id';
import { Environment } from '../config/environment';
import { ContactsService } from '../contacts/contacts.service';
import { ContactDto } from '../contacts/dto/contact.dto';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { PhoneNumbersService } from '../phone-numbers/phone-numbers.service';
import { CallEventsService } from './call-events.service';
import { CallLockService, CallLockTimeout } from './call-lock.service';
import { toCallDto } from './call.mapper';
import { newCallToken } from './call-token';
import { CallReport, planCallUpdate } from '../call-model/call-update';
import { callConflict, CallWriter } from './call-writer.service';
import { CallDto } from './dto/call.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { ListCallsQueryDto } from './dto/list-calls-query.dto';
import { UpdateCallDto } from './dto/update-call.dto';
import { Call, CallRecord } from './schemas/call.schema';

/** Under the call's lock the write can only miss if the lock was lost (a lease outlived); then re-plan a few times. */
const WRITE_ATTEMPTS = 3;

@Injectable()
export class CallsService {
  constructor(
    @InjectModel(Call.name) private readonly callModel: Model<Call>,
    private readonly contactsService: ContactsService,
    private readonly idempotencyService: IdempotencyService,
    private readonly callLocks: CallLockService,
    private readonly writer: CallWriter,
    private readonly callEvents: CallEventsService,
    private readonly phoneNumbersService: PhoneNumbersService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async initiateSdkCall(user: AuthUser, dto: InitiateCallDto, idempotency: IdempotentRequest | null): Promise<CallDto> {
    if (!idempotency) return this.recordSdkCall(user, dto, new Types.ObjectId());
    return this.idempotencyService.run(
      idempotency,
      { operation: 'initiateSdkCall', organizationId: user.organizationId, userId: user.userId },
      { contactId: dto.contactId?.toLowerCase(), phoneNumber: dto.phoneNumber },
      (id) => this.recordSdkCall(user, dto, id),
      async (id) => {
        const call = await this.callModel.findOne(scoped(user.organizationId, id)).lean<CallRecord>();
        return call ? toCallDto(call) : null;
      },
    );
  }

  async findOne(organizationId: string, id: string): Promise<CallDto> {
    return toCallDto(await this.findRecord(organizationId, new Types.ObjectId(id)));
  }

  async list(organizationId: string, query: ListCallsQueryDto): Promise<{ calls: CallDto[]; nextCursor: string | null }> {
    const filter: QueryFilter<Call> = { organizationId: new Types.ObjectId(organizationId) };
    if (query.contactId) filter.contactId = new Types.ObjectId(query.contactId);
    if (query.userId) filter.userId = new Types.ObjectId(query.userId);
    if (query.status) filter.status = { $in: query.status };
    if (query.direction) filter.direction = query.direction;
    const clauses: QueryFilter<Call>[] = [];
    if (query.phoneNumber) clauses.push({ $or: [{ to: query.phoneNumber }, { from: query.phoneNumber }] });
    const startTime: { $gte?: Date; $lt?: Date; $lte?: Date } = {};
    if (query.since) startTime.$gte = parseDateTime(query.since) ?? undefined;
    if (query.until) startTime.$lt = parseDateTime(query.until) ?? undefined;
    if (query.cursor) {
      const after = decodeTimeIdCursor(query.cursor) ?? invalidCursor();
      // The bound on startTime alone lets an index range start at the cursor; the $or breaks ties by _id.
      startTime.$lte = after.time;
      clauses.push({ $or: [{ startTime: { $lt: after.time } }, { _id: { $lt: after.id } }] });
    }
    if (Object.keys(startTime).length > 0) filter.startTime = startTime;
    if (clauses.length > 0) filter.$and = clauses;

    const page = await this.callModel
      .find(filter)
      .sort({ startTime: -1, _id: -1 })
      .limit(query.limit + 1)
      .lean<CallRecord[]>();
    const hasMore = page.length > query.limit;
    const calls = hasMore ? page.slice(0, query.limit) : page;
    const last = calls[calls.length - 1];
    return {
      calls: calls.map(toCallDto),
      nextCursor: hasMore ? encodeTimeIdCursor({ time: last.startTime, id: last._id }) : null,
    };
  }

  /**
   * Applies what the dialer saw. Writes to one call are serialised by its lock, and the write itself is
   * conditional on the call being exactly as read, so a change is always decided on the current state.
   */
  async update(organizationId: string, id: string, dto: UpdateCallDto): Promise<CallDto> {
    const callId = new Types.ObjectId(id);
    const report = toCallReport(dto);
    // Unknown or foreign ids are answered before any lock is taken.
    await this.findRecord(organizationId, callId);
    let updated: CallDto;
    try {
      updated = await this.callLocks.withLock(callId, () => this.applyReport(organizationId, callId, report));
    } catch (error) {
      if (!(error instanceof CallLockTimeout)) throw error;
      throw callConflict('The call is being updated by other requests; retry shortly', await this.findRecord(organizationId, callId));
    }
    // Provider events that came before the call had its providerCallId were kept for it: apply them now.
    if (report.providerCallId && updated.providerCallId === report.providerCallId) {
      const applied = await this.callEvents.applyPending(callId, updated.provider, report.providerCallId);
      if (applied > 0) return this.findOne(organizationId, id);
    }
    return updated;
  }

  private async applyReport(organizationId: string, callId: Types.ObjectId, report: CallReport): Promise<CallDto> {
    for (let attempt = 1; ; attempt++) {
      const call = await this.findRecord(organizationId, callId);
      const plan = planCallUpdate(call, report, new Date());
      // Well-formed, but impossible for this call or at this time: what is stored decides, not the request alone.
      if (plan.kind === 'invalid') throw new UnprocessableEntityException(plan.message);
      if (plan.kind === 'conflict') throw callConflict(plan.message, call);
      if (Object.keys(plan.changes).length === 0) return toCallDto(call);
      const updated = await this.writer.write(call, plan.changes);
      if (updated) return toCallDto(updated);
      if (attempt === WRITE_ATTEMPTS) throw callConflict('The call kept changing while the report was applied; retry', call);
    }
  }

  private async findRecord(organizationId: string, id: Types.ObjectId): Promise<CallRecord> {
    const call = await this.callModel.findOne(scoped(organizationId, id)).lean<CallRecord>();
    if (!call) throw new NotFoundException('Call not found');
    return call;
  }

  private async recordSdkCall(user: AuthUser, dto: InitiateCallDto, id: Types.ObjectId): Promise<CallDto> {
    const contact = dto.contactId ? await this.contactsService.findOne(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? dialledNumberOf(contact);
    const linkedContact = contact ?? (await this.contactsService.findByPhoneNumber(user.organizationId, to));
    const callerId = await this.phoneNumbersService.resolveCallerId(user);
    const now = new Date();
    const call: CallRecord = {
      _id: id,
      organizationId: new Types.ObjectId(user.organizationId),
      userId: new Types.ObjectId(user.userId),
      // The provider the dialer's SDK places the call with, whose events will then name it.
      provider: this.config.get('CALL_PROVIDER', { infer: true }),
      providerCallId: null,
      callToken: newCallToken(),
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
      endReason: null,
      cost: null,
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
}

function scoped(organizationId: string, id: Types.ObjectId): QueryFilter<Call> {
  return { _id: id, organizationId: new Types.ObjectId(organizationId) };
}

function toCallReport(dto: UpdateCallDto): CallReport {
  return {
    status: dto.status,
    providerCallId: dto.providerCallId,
    answerTime: parseDateTime(dto.answerTime) ?? undefined,
    endTime: parseDateTime(dto.endTime) ?? undefined,
    endReason: dto.endReason,
    conversationId: dto.conversationId,
  };
}

/** A contact's main number, else its first other number. */
function dialledNumberOf(contact: ContactDto | null): string {
  const number = contact?.phoneNumber ?? contact?.phoneNumbers[0];
  if (!number) {
    throw new UnprocessableEntityException('The contact has no phone number');
  }
  return number;
}
