import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { CallLockService, CallLockTimeout } from './call-lock.service';
import { statsFieldsOf } from './call-record';
import { Call, CallRecord } from './schemas/call.schema';

/** The record that says every call has the fields below; once there, a start costs one lookup by `_id`. */
const MIGRATIONS = 'service_migrations';
const MIGRATION_ID = 'call-stats-fields';
const BATCH = 100;
/** After start-up, so that it never competes with the first requests for the database. */
const START_DELAY_MS = 2_000;

/**
 * Gives calls recorded before the statistics existed the fields the statistics group and sum by
 * (`startQuarterHour`, `ringSeconds`, `tagKeys`), which new calls get when they are written. Each call is
 * written under its lock, so a write in flight is never overwritten; replicas may run it at once, as
 * every write is the same. When none is left it records so, and later starts skip it.
 */
@Injectable()
export class CallStatsBackfill implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CallStatsBackfill.name);
  private timer?: NodeJS.Timeout;
  private run?: Promise<void>;
  private closing = false;

  constructor(
    @InjectModel(Call.name) private readonly calls: Model<Call>,
    private readonly locks: CallLockService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setTimeout(() => {
      this.run = this.backfill().catch((error: unknown) => {
        this.logger.warn(`Could not give older calls their statistics fields (tried again at the next start): ${String(error)}`);
      });
    }, START_DELAY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.run;
  }

  private async backfill(): Promise<void> {
    const migrations = this.calls.db.collection<{ _id: string; at: Date }>(MIGRATIONS);
    if (await migrations.findOne({ _id: MIGRATION_ID })) return;
    let written = 0;
    while (!this.closing) {
      const batch = await this.calls.collection.find({ startQuarterHour: { $exists: false } }, { projection: { _id: 1 } }).limit(BATCH).toArray();
      if (batch.length === 0) break;
      for (const { _id } of batch) {
        if (this.closing) return;
        // A call whose lock stays busy is found again by the next batch, once its writer is done.
        const derived = await this.locks.withLock(_id, () => this.derive(_id)).catch((error: unknown) => {
          if (error instanceof CallLockTimeout) return false;
          throw error;
        });
        if (derived) written++;
      }
    }
    if (this.closing) return;
    if (written > 0) this.logger.log(`Gave ${written} older calls the fields the statistics read`);
    await migrations.updateOne({ _id: MIGRATION_ID }, { $setOnInsert: { at: new Date() } }, { upsert: true });
  }

  /** Under the call's lock: sets the derived fields from the call as stored. */
  private async derive(_id: Types.ObjectId): Promise<boolean> {
    const call = await this.calls.collection.findOne({ _id });
    if (!call || typeof call.startQuarterHour === 'number') return false;
    const { startTime, answerTime, tags } = call as unknown as CallRecord;
    await this.calls.collection.updateOne({ _id }, { $set: statsFieldsOf({ startTime, answerTime, tags: tags ?? [] }) });
    return true;
  }
}
