import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { Connection, ConnectionStates } from 'mongoose';
import { withoutPersonalData } from '../common/logging/error-cause';
import { DATABASE_OPTIONS, DatabaseOptions } from './database-options';

const RETRY_DELAY_MS = 2000;

/**
 * Reaches the database in the background, so that the service starts (live, not ready) while the
 * database is down and becomes ready by itself once it answers. Mongoose does not retry a failed first
 * connection, so this does; after that the driver reconnects on its own. Indexes are built here, once
 * connected, because mongoose's automatic build would have run, and failed, before the connection.
 */
@Injectable()
export class DatabaseConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnector.name);
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(DATABASE_OPTIONS) private readonly database: DatabaseOptions,
  ) {}

  onApplicationBootstrap(): void {
    void this.connect(1);
  }

  /** Runs once the HTTP server has closed, so no request in flight loses its database. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.connection.close();
    this.logger.log('Closed the database connection');
  }

  private async connect(attempt: number): Promise<void> {
    try {
      if (this.connection.readyState !== ConnectionStates.connected) {
        // The first attempt is the one mongoose started when the connection was created.
        await (attempt === 1 ? this.connection.asPromise() : this.connection.openUri(this.database.uri, this.database.options));
      }
      await Promise.all(Object.values(this.connection.models).map((model) => model.createIndexes()));
      if (attempt > 1) this.logger.log(`Reached the database after ${attempt} attempts`);
    } catch (error) {
      if (this.stopped) return;
      // An index that cannot be built because of duplicates names them in its message (MongoDB's E11000).
      const reason = error instanceof Error ? withoutPersonalData(error.message) : typeof error;
      const step = this.connection.readyState === ConnectionStates.connected ? 'build the indexes' : 'reach the database';
      this.logger.warn(`Cannot ${step} (attempt ${attempt}): ${reason}; retrying in ${RETRY_DELAY_MS} ms`);
      this.retry = setTimeout(() => void this.connect(attempt + 1), RETRY_DELAY_MS);
    }
  }
}
