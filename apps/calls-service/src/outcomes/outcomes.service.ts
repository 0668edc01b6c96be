import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, Types } from 'mongoose';
import { decodeIdCursor, encodeIdCursor } from '../common/cursor';
import { isDuplicateKeyError } from '../common/mongo-errors';
import { invalidCursor } from '../common/object-id';
import { trimmed } from '../common/text';
import { LeaseRecord, Leases, LeaseTimeout } from '../database/lease';
import { CreateOutcomeDto } from './dto/create-outcome.dto';
import { ListOutcomesQueryDto } from './dto/list-outcomes-query.dto';
import { OutcomeDto } from './dto/outcome.dto';
import { UpdateOutcomeDto } from './dto/update-outcome.dto';
import { toOutcomeDto } from './outcome.mapper';
import { Outcome, OUTCOME_LOCK, outcomeKey, OutcomeRecord } from './schemas/outcome.schema';

/**
 * Longer than any work under it takes, and never renewed (see Leases.keepAlive): a PATCH holds it while it
 * waits for the call's lock (at most 8 s, calls/call-lock.service.ts) and then writes the call.
 */
const LOCK_LEASE_MS = 20_000;
/** A waiter outlasts one lease, so a dead holder's lock is taken over rather than waited out in vain. */
const LOCK_WAIT_MS = LOCK_LEASE_MS + 1_000;

/** Whether any call of the organization has the outcome; the calls module answers it (it owns the calls). */
export type OutcomeUsage = (organizationId: Types.ObjectId, outcomeId: Types.ObjectId) => Promise<boolean>;

/** Which outcome a call may be given: the outcome as stored, or null when the organization has none with that id. */
export type ChoosableOutcome = Pick<OutcomeRecord, '_id' | 'archived'> | null;

/**
 * The organization's call outcomes. Admins write them; everyone in the organization reads them and
 * chooses them for calls. Every write to one outcome, and every call's write that chooses it, holds
 * the outcome's lock: FerretDB has no transactions, so "delete only when no call has it" is true only
 * if no call can choose the outcome between the check and the delete.
 */
@Injectable()
export class OutcomesService {
  private readonly logger = new Logger(OutcomesService.name);
  private readonly locks: Leases<Types.ObjectId>;
  private usage: OutcomeUsage | null = null;

  constructor(
    @InjectModel(Outcome.name) private readonly outcomeModel: Model<Outcome>,
    @InjectModel(OUTCOME_LOCK) lockModel: Model<LeaseRecord<Types.ObjectId>>,
  ) {
    this.locks = new Leases(lockModel, LOCK_LEASE_MS);
  }

  /** The calls module tells how to find a call with an outcome; without it no outcome can be deleted. */
  useUsage(usage: OutcomeUsage): void {
    this.usage = usage;
  }

  async create(organizationId: string, dto: CreateOutcomeDto): Promise<OutcomeDto> {
    const name = trimmed(dto.name);
    const created = await this.outcomeModel
      .create({
        organizationId: new Types.ObjectId(organizationId),
        name,
        key: outcomeKey(name),
        description: trimmed(dto.description) ?? null,
        positive: dto.positive ?? false,
        archived: false,
      })
      .catch(rethrowDuplicateName);
    return toOutcomeDto(created.toObject<OutcomeRecord>());
  }

  async list(organizationId: string, query: ListOutcomesQueryDto): Promise<{ outcomes: OutcomeDto[]; nextCursor: string | null }> {
    const filter: QueryFilter<Outcome> = { organizationId: new Types.ObjectId(organizationId) };
    if (query.cursor) filter._id = { $gt: decodeIdCursor(query.cursor) ?? invalidCursor() };
    const page = await this.outcomeModel.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean<OutcomeRecord[]>();
    const hasMore = page.length > query.limit;
    const outcomes = hasMore ? page.slice(0, query.limit) : page;
    return { outcomes: outcomes.map(toOutcomeDto), nextCursor: hasMore ? encodeIdCursor(outcomes[outcomes.length - 1]._id) : null };
  }

  async findOne(organizationId: string, id: string): Promise<OutcomeDto> {
    const outcome = await this.outcomeModel.findOne(scoped(organizationId, new Types.ObjectId(id))).lean<OutcomeRecord>();
    if (!outcome) throw outcomeNotFound();
    return toOutcomeDto(outcome);
  }

  async update(organizationId: string, id: string, dto: UpdateOutcomeDto, requestId?: string): Promise<OutcomeDto> {
    const changes: Partial<Outcome> = {};
    if (dto.name !== undefined) {
      changes.name = trimmed(dto.name);
      changes.key = outcomeKey(dto.name);
    }
    if (dto.description !== undefined) changes.description = trimmed(dto.description);
    if (dto.positive !== undefined) changes.positive = dto.positive;
    if (dto.archived !== undefined) changes.archived = dto.archived;
    const outcomeId = new Types.ObjectId(id);
    // Under the lock: on FerretDB an update is a read and a blind write of the whole document, so two
    // admins changing different fields at once would otherwise undo each other.
    const updated = await this.withLock(outcomeId, () =>
      this.outcomeModel
        .findOneAndUpdate(scoped(organizationId, outcomeId), { $set: changes }, { returnDocument: 'after' })
        .lean<OutcomeRecord>()
        .catch(rethrowDuplicateName),
      requestId,
    );
    if (!updated) throw outcomeNotFound();
    return toOutcomeDto(updated);
  }

  async remove(organizationId: string, id: string, requestId?: string): Promise<void> {
    const outcomeId = new Types.ObjectId(id);
    const organization = new Types.ObjectId(organizationId);
    await this.withLock(outcomeId, async () => {
      const outcome = await this.outcomeModel.findOne(scoped(organizationId, outcomeId)).lean<OutcomeRecord>();
      if (!outcome) throw outcomeNotFound();
      if (!this.usage) throw new Error('No usage check was registered for call outcomes');
      // A call that chooses the outcome holds this same lock while it checks and writes, so no call can
      // take the outcome between this check and the delete.
      if (await this.usage(organization, outcomeId)) {
        throw new ConflictException('Calls have this outcome; archive it instead, so that no new call can choose it');
      }
      await this.outcomeModel.deleteOne(scoped(organizationId, outcomeId));
    }, requestId);
  }

  /** The outcome a call would be given, read under its lock by chooseUnderLock's caller. */
  async choosable(organizationId: string, outcomeId: Types.ObjectId): Promise<ChoosableOutcome> {
    return this.outcomeModel.findOne(scoped(organizationId, outcomeId), { archived: 1 }).lean<Pick<OutcomeRecord, '_id' | 'archived'>>();
  }

  /** Every outcome's name by its id, archived ones included, for exports that show names beside ids. */
  async namesById(organizationId: string): Promise<Map<string, string>> {
    const found = await this.outcomeModel.find({ organizationId: new Types.ObjectId(organizationId) }, { name: 1 }).lean<Pick<OutcomeRecord, '_id' | 'name'>[]>();
    return new Map(found.map((outcome) => [outcome._id.toHexString(), outcome.name]));
  }

  /** The ids of the organization's positive outcomes, archived ones included: old calls keep counting. */
  async positiveIds(organizationId: string): Promise<Types.ObjectId[]> {
    const found = await this.outcomeModel
      .find({ organizationId: new Types.ObjectId(organizationId), positive: true }, { _id: 1 })
      .lean<Pick<OutcomeRecord, '_id'>[]>();
    return found.map((outcome) => outcome._id);
  }

  /**
   * Runs `work` (a call's write that gives it the outcome) holding the outcome's lock, so that a
   * delete of the outcome either sees the call or happens before the call's check of the outcome.
   * @param requestId the request the work is done for: a warning about the lock names it.
   */
  withLock<T>(outcomeId: Types.ObjectId, work: () => Promise<T>, requestId: string | undefined): Promise<T> {
    const onReleaseError = (error: unknown) => this.logger.warn({ requestId }, `Could not release the lock of outcome ${outcomeId.toHexString()}: ${String(error)}`);
    return this.locks.withLease(outcomeId, { waitMs: LOCK_WAIT_MS, onReleaseError }, work).catch((error: unknown) => {
      if (error instanceof LeaseTimeout) throw new ConflictException('The outcome is being changed by other requests; retry shortly');
      throw error;
    });
  }
}

function scoped(organizationId: string, id: Types.ObjectId): QueryFilter<Outcome> {
  return { _id: id, organizationId: new Types.ObjectId(organizationId) };
}

function outcomeNotFound(): NotFoundException {
  return new NotFoundException('Outcome not found');
}

function rethrowDuplicateName(error: unknown): never {
  if (isDuplicateKeyError(error)) throw new ConflictException('The organization already has an outcome with this name');
  throw error;
}
