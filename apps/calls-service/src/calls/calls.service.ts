import { ConflictException, Injectable, NotFoundException, OnModuleInit, PreconditionFailedException, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthUser } from '@app/auth';
import { QueryFilter, Types } from 'mongoose';
import { CallReport, planCallUpdate } from '../call-model/call-update';
import { normalizeTags, tagKey } from '../call-model/call-wrap-up';
import { escapeRegExp } from '../common/text';
import { IfMatch, ifMatches, parseIfMatch } from '../common/http/if-match';
import { ChoosableOutcome, OutcomesService } from '../outcomes/outcomes.service';
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
import { CallChangeInvalid, CallConflict, CallNotFound, CallVersionMismatch } from './call-errors';
import { crashPoint } from '../common/test-crash';
import { CallEventsService } from './call-events.service';
import { CallOutbox, pendingEventFor } from './call-outbox';
import { CallLockService, CallLockTimeout } from './call-lock.service';
import { etagOf, toCallDto, versionOf } from './call.mapper';
import { CallRepository, newCallRecord } from './call.repository';
import { CallWrite, CallWriter, WrapUpChanges } from './call-writer.service';
import { CallDto } from './dto/call.dto';
import { InitiateCallDto } from './dto/initiate-call.dto';
import { ListCallsQueryDto, MAX_Q_CONTACTS, TimedCallFiltersDto } from './dto/list-calls-query.dto';
import { UpdateCallDto } from './dto/update-call.dto';
import { Call, CallRecord } from './schemas/call.schema';

/** The outcome a PATCH chose, as read under the outcome's lock; or that it chose none, or one not checked. */
type CheckedOutcome = ChoosableOutcome | typeof NO_OUTCOME_CHOSEN | typeof UNCHECKED;
const NO_OUTCOME_CHOSEN = Symbol('no outcome chosen');
const UNCHECKED = Symbol('outcome not checked');

/** The call's outcome changed after it was read, and the outcome now chosen was not checked under its lock. */
class OutcomeUnchecked extends Error {}

@Injectable()
export class CallsService implements OnModuleInit {
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
    private readonly outcomes: OutcomesService,
  ) {}

  onModuleInit(): void {
    // The outcomes module may delete an outcome only when no call has it; only this module reads calls.
    this.outcomes.useUsage((organizationId, outcomeId) => this.calls.usesOutcome(organizationId, outcomeId));
  }

  async initiateSdkCall(user: AuthUser, dto: InitiateCallDto, idempotency: IdempotentRequest | null, requestId?: string): Promise<CallDto> {
    if (!idempotency) return this.recordSdkCall(user, dto, new Types.ObjectId(), requestId);
    return this.idempotencyService.run(
      idempotency,
      { operation: 'initiateSdkCall', organizationId: user.organizationId, userId: user.userId },
      { contactId: dto.contactId?.toLowerCase(), phoneNumber: dto.phoneNumber },
      (id) => this.recordSdkCall(user, dto, id, requestId),
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
    const filter = await this.filterOf(organizationId, query);
    if (query.cursor) {
      const after = decodeTimeIdCursor(query.cursor) ?? invalidCursor();
      // The bound on startTime alone lets an index range start at the cursor; the $or breaks ties by _id.
      filter.startTime = { ...(filter.startTime as object | undefined), $lte: after.time };
      (filter.$and ??= []).push({ $or: [{ startTime: { $lt: after.time } }, { _id: { $lt: after.id } }] });
    }

    const page = await this.calls.findPage(organizationId, filter, query.limit);
    const hasMore = page.length > query.limit;
    const calls = hasMore ? page.slice(0, query.limit) : page;
    const last = calls[calls.length - 1];
    return {
      calls: calls.map(toCallDto),
      nextCursor: hasMore ? encodeTimeIdCursor({ time: last.startTime, id: last._id }) : null,
    };
  }

  /** The list's filters as a query on the organization's calls (which the repository scopes to it). */
  async filterOf(organizationId: string, query: TimedCallFiltersDto): Promise<QueryFilter<Call>> {
    const filter: QueryFilter<Call> = {};
    if (query.contactId) filter.contactId = new Types.ObjectId(query.contactId);
    if (query.userId) filter.userId = new Types.ObjectId(query.userId);
    if (query.status) filter.status = { $in: query.status };
    if (query.direction) filter.direction = query.direction;
    if (query.outcomeId) filter.outcomeId = new Types.ObjectId(query.outcomeId);
    if (query.tag) filter.tagKeys = { $all: [...new Set(query.tag.map(tagKey))] };
    const clauses: QueryFilter<Call>[] = [];
    if (query.phoneNumber) clauses.push({ $or: [{ to: query.phoneNumber }, { from: query.phoneNumber }] });
    if (query.q) clauses.push(await this.textClause(organizationId, query.q.trim()));
    const startTime: { $gte?: Date; $lt?: Date } = {};
    if (query.since) startTime.$gte = parseDateTime(query.since) ?? undefined;
    if (query.until) startTime.$lt = parseDateTime(query.until) ?? undefined;
    if (Object.keys(startTime).length > 0) filter.startTime = startTime;
    if (clauses.length > 0) filter.$and = clauses;
    return filter;
  }

  /**
   * `q`: the notes contain the text, or the call's contact is one whose name does. The contacts are looked
   * up first (a bounded list of ids), since the calls hold only the contact's id.
   */
  private async textClause(organizationId: string, text: string): Promise<QueryFilter<Call>> {
    const contactIds = await this.contactsService.idsWithNameContaining(organizationId, text, MAX_Q_CONTACTS);
    if (contactIds.length > MAX_Q_CONTACTS) {
      throw new UnprocessableEntityException(`q matches the names of more than ${MAX_Q_CONTACTS} contacts; make it longer`);
    }
    const notes = { notes: new RegExp(escapeRegExp(text), 'i') };
    return contactIds.length === 0 ? notes : { $or: [notes, { contactId: { $in: contactIds } }] };
  }

  /**
   * Applies what the dialer saw and what the agent recorded. Writes to one call are serialised by its
   * lock, and the write itself is conditional on the call being exactly as read, so a change is always
   * decided on the current state; so is the `If-Match` check, inside the same loop.
   */
  async update(organizationId: string, id: string, dto: UpdateCallDto, ifMatchHeader?: string, requestId?: string): Promise<CallDto> {
    // A header that is no list of entity tags names no version the call could have: it never matches (412).
    const parsed = parseIfMatch(ifMatchHeader);
    const ifMatch = parsed === null ? { tags: [] } : parsed;
    return asHttp(() => this.applyUpdate(organizationId, id, dto, ifMatch, requestId));
  }

  private async applyUpdate(organizationId: string, id: string, dto: UpdateCallDto, ifMatch: IfMatch | undefined, requestId: string | undefined): Promise<CallDto> {
    const callId = new Types.ObjectId(id);
    const report = toCallReport(dto);
    const wrapUp = toWrapUp(dto);
    // Unknown or foreign ids are answered before any lock is taken.
    const current = await this.findRecord(organizationId, callId);
    const locked = (outcome: CheckedOutcome) =>
      this.callLocks.withLock(callId, () => this.applyReport(organizationId, callId, report, wrapUp, outcome, ifMatch, requestId), requestId);
    // Giving the call another outcome holds that outcome's lock too (always taken before the call's), so
    // that a delete of the outcome either sees the call or happens before the check of the outcome.
    const withOutcomeLock = (chosen: Types.ObjectId) =>
      this.outcomes.withLock(chosen, async () => locked(await this.outcomes.choosable(organizationId, chosen)), requestId);
    const chosen = wrapUp.outcomeId;
    let updated: CallDto;
    try {
      if (!chosen) {
        updated = await locked(NO_OUTCOME_CHOSEN);
      } else if (current.outcomeId?.equals(chosen)) {
        // The outcome the call has already: agents saving their notes do not queue on the outcome's lock.
        // Should the call's outcome have changed meanwhile, the write refuses to go on, and it is done again so.
        updated = await locked(UNCHECKED).catch((error: unknown) => {
          if (error instanceof OutcomeUnchecked) return withOutcomeLock(chosen);
          throw error;
        });
      } else {
        updated = await withOutcomeLock(chosen);
      }
    } catch (error) {
      if (!(error instanceof CallLockTimeout)) throw error;
      throw new CallConflict('The call is being updated by other requests; retry shortly', await this.findRecord(organizationId, callId));
    }
    // Provider events that came before the call had its providerCallId were kept for it: apply them now.
    if (report.providerCallId && updated.providerCallId === report.providerCallId) {
      const applied = await this.callEvents.applyPending(callId, updated.provider, report.providerCallId, requestId);
      if (applied > 0) return this.findOne(organizationId, id);
    }
    return updated;
  }

  private async applyReport(
    organizationId: string,
    callId: Types.ObjectId,
    report: CallReport,
    wrapUp: WrapUpChanges,
    outcome: CheckedOutcome,
    ifMatch: IfMatch | undefined,
    requestId: string | undefined,
  ): Promise<CallDto> {
    const updated = await this.writer.update(
      () => this.findRecord(organizationId, callId),
      (call) => {
        // Checked on the call as read under its lock, in the loop that writes only if it is still so.
        if (ifMatch && !ifMatches(ifMatch, etagOf(versionOf(call)))) {
          throw new CallVersionMismatch(
            `The call is at version ${versionOf(call)}, which If-Match does not name: send its ETag ("${versionOf(call)}", with the quotes)`,
            call,
          );
        }
        // A wrap-up alone leaves the call's telephony fields as they are.
        const plan = hasReport(report) ? planCallUpdate(call, report, new Date()) : { kind: 'apply' as const, changes: {} };
        // Well-formed, but impossible for this call or at this time: what is stored decides, not the request alone.
        if (plan.kind === 'invalid') throw new CallChangeInvalid(plan.message);
        if (plan.kind === 'conflict') throw new CallConflict(plan.message, call);
        const write: CallWrite = { changes: plan.changes, wrapUp: wrapUpChangesOf(call, wrapUp, outcome) };
        return Object.keys(write.changes).length === 0 && Object.keys(write.wrapUp ?? {}).length === 0 ? null : write;
      },
      'report',
      'The call kept changing while the report was applied; retry',
      requestId,
    );
    // findRecord never answers null: a call that is not there is CallNotFound.
    return toCallDto(updated as CallRecord);
  }

  private async findRecord(organizationId: string, id: Types.ObjectId): Promise<CallRecord> {
    const call = await this.calls.findInOrganization(organizationId, id);
    if (!call) throw new CallNotFound();
    return call;
  }

  private async recordSdkCall(user: AuthUser, dto: InitiateCallDto, id: Types.ObjectId, requestId: string | undefined): Promise<CallDto> {
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
    await this.outbox.mark(call, 1);
    crashPoint('after-outbox-mark');
    await this.calls.insert(call);
    crashPoint('after-call-write');
    this.outbox.written(call, requestId);
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
    if (error instanceof CallVersionMismatch) throw new PreconditionFailedException({ message: error.message, call: toCallDto(error.call) });
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

function hasReport(report: CallReport): boolean {
  return Object.values(report).some((value) => value !== undefined);
}

function toWrapUp(dto: UpdateCallDto): WrapUpChanges {
  const wrapUp: WrapUpChanges = {};
  if (dto.outcomeId !== undefined) wrapUp.outcomeId = dto.outcomeId === null ? null : new Types.ObjectId(dto.outcomeId);
  if (dto.notes !== undefined) wrapUp.notes = dto.notes;
  if (dto.tags !== undefined) wrapUp.tags = normalizeTags(dto.tags);
  return wrapUp;
}

/**
 * The agent's changes that differ from the call as read. A new outcome must be the organization's and
 * not archived (`outcome` is it, read under its lock); the outcome the call already has stays, archived or not.
 */
function wrapUpChangesOf(call: CallRecord, wrapUp: WrapUpChanges, outcome: CheckedOutcome): WrapUpChanges {
  const changes: WrapUpChanges = {};
  if (wrapUp.outcomeId !== undefined) {
    const current = call.outcomeId ?? null;
    const same = wrapUp.outcomeId === null ? current === null : current !== null && current.equals(wrapUp.outcomeId);
    if (!same && wrapUp.outcomeId !== null) {
      if (outcome === UNCHECKED) throw new OutcomeUnchecked();
      if (!outcome || outcome === NO_OUTCOME_CHOSEN) throw new CallChangeInvalid('outcomeId is not an outcome of the organization');
      if (outcome.archived) throw new CallChangeInvalid('The outcome is archived; it can no longer be chosen for a call');
    }
    if (!same) changes.outcomeId = wrapUp.outcomeId;
  }
  if (wrapUp.notes !== undefined && wrapUp.notes !== (call.notes ?? null)) changes.notes = wrapUp.notes;
  if (wrapUp.tags !== undefined && JSON.stringify(wrapUp.tags) !== JSON.stringify(call.tags ?? [])) changes.tags = wrapUp.tags;
  return changes;
}

/** A contact's main number, else its first other number. */
function dialledNumberOf(contact: ContactDto | null): string {
  const number = contact?.phoneNumber ?? contact?.phoneNumbers[0];
  if (!number) {
    throw new UnprocessableEntityException('The contact has no phone number');
  }
  return number;
}
