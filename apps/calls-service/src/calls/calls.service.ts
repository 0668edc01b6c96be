import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthUser } from '@app/auth';
import { QueryFilter, Types } from 'mongoose';
import { CallReport, planCallUpdate } from '../call-model/call-update';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../common/cursor';
import { parseDateTime } from '../common/date-time';
import { refusalToDial } from '../common/phone-number';
import { Environment } from '../config/environment';
import { invalidCursor } from '../common/object-id';
import { ContactsService } from '../contacts/contacts.service';
import { ContactDto } from '../contacts/dto/contact.dto';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { PhoneNumbersService } from '../phone-numbers/phone-numbers.service';
import { CallChangeInvalid, CallConflict, CallNotFound } from './call-errors';
import { crashPoint } from '../common/test-crash';
import { CallEventsService } from './call-events.service';
import { CallOutbox, pendingEventFor } from './call-outbox';
import { CallLockService, CallLockTimeout } from './call-lock.service';
import { toCallDto } from './call.mapper';
import { CallRepository, newCallRecord } from './call.repository';
import { CallWriter } from './call-writer.service';
import { CallDto } from './dto/call.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { ListCallsQueryDto } from './dto/list-calls-query.dto';
import { UpdateCallDto } from './dto/update-call.dto';
import { Call, CallRecord } from './schemas/call.schema';

@Injectable()
export class CallsService {
  constructor(
    private readonly calls: CallRepository,
    private readonly contactsService: ContactsService,
    private readonly idempotencyService: IdempotencyService,
    private readonly callLocks: CallLockService,
    private readonly writer: CallWriter,
    private readonly callEvents: CallEventsService,
    private readonly phoneNumbersService: PhoneNumbersService,
    private readonly config: ConfigService<Environment, true>,
    private readonly outbox: CallOutbox,
  ) {}

  async initiateSdkCall(user: AuthUser, dto: InitiateCallDto, idempotency: IdempotentRequest | null): Promise<CallDto> {
    if (!idempotency) return this.recordSdkCall(user, dto, new Types.ObjectId());
    return this.idempotencyService.run(
      idempotency,
      { operation: 'initiateSdkCall', organizationId: user.organizationId, userId: user.userId },
      { contactId: dto.contactId?.toLowerCase(), phoneNumber: dto.phoneNumber },
      (id) => this.recordSdkCall(user, dto, id),
      async (id) => {
        const call = await this.calls.findInOrganization(user.organizationId, id);
        return call ? toCallDto(call) : null;
      },
    );
  }

  async findOne(organizationId: string, id: string): Promise<CallDto> {
    return asHttp(async () => toCallDto(await this.findRecord(organizationId, new Types.ObjectId(id))));
  }

  async list(organizationId: string, query: ListCallsQueryDto): Promise<{ calls: CallDto[]; nextCursor: string | null }> {
    const filter: QueryFilter<Call> = {};
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

    const page = await this.calls.findPage(organizationId, filter, query.limit);
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
    return asHttp(() => this.applyUpdate(organizationId, id, dto));
  }

  private async applyUpdate(organizationId: string, id: string, dto: UpdateCallDto): Promise<CallDto> {
    const callId = new Types.ObjectId(id);
    const report = toCallReport(dto);
    // Unknown or foreign ids are answered before any lock is taken.
    await this.findRecord(organizationId, callId);
    let updated: CallDto;
    try {
      updated = await this.callLocks.withLock(callId, () => this.applyReport(organizationId, callId, report));
    } catch (error) {
      if (!(error instanceof CallLockTimeout)) throw error;
      throw new CallConflict('The call is being updated by other requests; retry shortly', await this.findRecord(organizationId, callId));
    }
    // Provider events that came before the call had its providerCallId were kept for it: apply them now.
    if (report.providerCallId && updated.providerCallId === report.providerCallId) {
      const applied = await this.callEvents.applyPending(callId, updated.provider, report.providerCallId);
      if (applied > 0) return this.findOne(organizationId, id);
    }
    return updated;
  }

  private async applyReport(organizationId: string, callId: Types.ObjectId, report: CallReport): Promise<CallDto> {
    const updated = await this.writer.update(
      () => this.findRecord(organizationId, callId),
      (call) => {
        const plan = planCallUpdate(call, report, new Date());
        // Well-formed, but impossible for this call or at this time: what is stored decides, not the request alone.
        if (plan.kind === 'invalid') throw new CallChangeInvalid(plan.message);
        if (plan.kind === 'conflict') throw new CallConflict(plan.message, call);
        return Object.keys(plan.changes).length === 0 ? null : { changes: plan.changes };
      },
      'report',
      'The call kept changing while the report was applied; retry',
    );
    // findRecord never answers null: a call that is not there is CallNotFound.
    return toCallDto(updated as CallRecord);
  }

  private async findRecord(organizationId: string, id: Types.ObjectId): Promise<CallRecord> {
    const call = await this.calls.findInOrganization(organizationId, id);
    if (!call) throw new CallNotFound();
    return call;
  }

  private async recordSdkCall(user: AuthUser, dto: InitiateCallDto, id: Types.ObjectId): Promise<CallDto> {
    const contact = dto.contactId ? await this.contactsService.findOne(user.organizationId, dto.contactId) : null;
    const to = dto.phoneNumber ?? dialledNumberOf(contact);
    const refusal = refusalToDial(to, this.config.get('BLOCKED_NUMBER_TYPES', { infer: true }));
    if (refusal) throw new UnprocessableEntityException(refusal);
    const linkedContact = contact ?? (await this.contactsService.findByPhoneNumber(user.organizationId, to));
    const callerId = await this.phoneNumbersService.resolveCallerId(user);
    const call = newCallRecord({
      _id: id,
      organizationId: user.organizationId,
      userId: user.userId,
      // The provider the dialer's SDK places the call with, whose events will then name it.
      provider: this.config.get('CALL_PROVIDER', { infer: true }),
      from: callerId,
      to,
      contactId: linkedContact?._id ?? null,
    });
    // The call goes in with its first event in its outbox: one insert, so the two never part.
    call.pendingEvents = [pendingEventFor(null, call, [], call.createdAt)];
    call.eventSeq = 1;
    await this.outbox.mark(call);
    crashPoint('after-outbox-mark');
    await this.calls.insert(call);
    crashPoint('after-call-write');
    this.outbox.written(call);
    return toCallDto(call);
  }
}

/**
 * The calls module's errors as the API answers them: 404, 409 with the call as it stands, 422. Persistence
 * and event code raise the errors; only the dialer's API words them as HTTP.
 */
async function asHttp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CallNotFound) throw new NotFoundException(error.message);
    if (error instanceof CallConflict) throw new ConflictException({ message: error.message, call: toCallDto(error.call) });
    if (error instanceof CallChangeInvalid) throw new UnprocessableEntityException(error.message);
    throw error;
  }
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
