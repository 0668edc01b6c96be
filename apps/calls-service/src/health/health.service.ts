import { HttpException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Connection } from 'mongoose';
import { HealthResponseDto } from './dto/health-response.dto';

/** A backstop only: an unreachable database fails the ping sooner, at the driver's server selection timeout. */
const PING_TIMEOUT_MS = 1800;

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectConnection() private readonly connection: Connection,
  ) {}

  async readiness(): Promise<HealthResponseDto> {
    try {
      return (await this.health.check([() => this.pingDatabase()])) as HealthResponseDto;
    } catch (error) {
      throw new ServiceUnavailableException(`Not ready: ${reasonOf(error)}`);
    }
  }

  /**
   * A ping through the driver rather than terminus' mongoose indicator, which gives up without trying
   * while mongoose thinks it is disconnected: the ping makes the driver look for the server again, so
   * readiness comes back as soon as the database does.
   */
  private pingDatabase() {
    return this.indicators
      .check('database')
      .attempt(async () => {
        const db = this.connection.db;
        if (!db) throw new Error('not connected yet');
        await db.command({ ping: 1 });
      })
      .withTimeout(PING_TIMEOUT_MS);
  }
}

/** "database: connect ECONNREFUSED 10.0.0.5:27017" from terminus' 503, whose body lists each failed check. */
function reasonOf(error: unknown): string {
  if (!(error instanceof HttpException)) return error instanceof Error ? error.message : String(error);
  const { error: failed } = error.getResponse() as { error?: Record<string, { message?: string }> };
  const reasons = Object.entries(failed ?? {}).map(([name, check]) => `${name}: ${check.message ?? 'down'}`);
  return reasons.length > 0 ? reasons.join('; ') : error.message;
}
