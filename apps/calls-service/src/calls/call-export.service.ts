import { Injectable, Logger, StreamableFile } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Readable } from 'node:stream';
import { Environment } from '../config/environment';
import { OutcomesService } from '../outcomes/outcomes.service';
import { CSV_HEADER, csvRow, ndjsonRow } from './call-export';
import { toCallDto } from './call.mapper';
import { CallRepository } from './call.repository';
import { CallsService } from './calls.service';
import { ExportCallsQueryDto, ExportFormat } from './dto/export-calls-query.dto';

/** Calls read from the database per round trip. */
const BATCH_SIZE = 500;
/** Rows are sent in chunks of about this many bytes: few enough writes, and little held at any time. */
const CHUNK_BYTES = 64 * 1024;

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' };

/**
 * Exports the organization's calls as a stream read from a database cursor: a chunk is made only when
 * the response has taken the one before (Readable.from pulls from the generator on demand), so memory
 * stays flat however many calls there are, and a client that stops reading stops the query (the
 * response destroys the stream, which returns the generator, which closes the cursor). A client that
 * stays connected but takes nothing leaves a chunk untaken: after EXPORT_STALL_TIMEOUT_MS the stream is
 * destroyed too, which ends the answer the same way.
 */
@Injectable()
export class CallExportService {
  private readonly logger = new Logger(CallExportService.name);

  constructor(
    private readonly calls: CallRepository,
    private readonly callsService: CallsService,
    private readonly outcomes: OutcomesService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async export(organizationId: string, query: ExportCallsQueryDto, requestId: string, now = new Date()): Promise<StreamableFile> {
    // Everything that can refuse the request (the filters' own lookups) happens before the first byte.
    const filter = await this.callsService.filterOf(organizationId, query);
    const outcomeNames = query.format === 'csv' ? await this.outcomes.namesById(organizationId) : new Map<string, string>();
    const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const rows = this.rows(organizationId, filter, query.format, outcomeNames, requestId);
    const stallMs = this.config.get('EXPORT_STALL_TIMEOUT_MS', { infer: true });
    const stream: Readable = Readable.from(
      endWhenNotTaken(rows, stallMs, () => {
        this.logger.warn({ requestId }, `Export cut off: the client took nothing for ${stallMs} ms`);
        // With an error, so that the answer is cut off (its connection closed) rather than ended as if complete.
        stream.destroy(new Error(`the client took nothing for ${stallMs} ms`));
      }),
      { objectMode: false, highWaterMark: CHUNK_BYTES },
    );
    return new StreamableFile(stream, {
      type: CONTENT_TYPES[query.format],
      disposition: `attachment; filename="calls-${stamp}.${query.format}"`,
    });
  }

  private async *rows(
    organizationId: string,
    filter: Awaited<ReturnType<CallsService['filterOf']>>,
    format: ExportFormat,
    outcomeNames: Map<string, string>,
    requestId: string,
  ): AsyncGenerator<string> {
    const cursor = this.calls.stream(organizationId, filter, BATCH_SIZE);
    let count = 0;
    let complete = false;
    try {
      let chunk = format === 'csv' ? CSV_HEADER : '';
      for await (const call of cursor) {
        const dto = toCallDto(call);
        chunk += format === 'csv' ? csvRow(dto, dto.outcomeId ? (outcomeNames.get(dto.outcomeId) ?? null) : null) : ndjsonRow(dto);
        count++;
        if (chunk.length >= CHUNK_BYTES) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
      complete = true;
    } finally {
      // Reached when the export ends, fails, or the response is destroyed because the client went away.
      await cursor.close().catch(() => undefined);
      this.logger.log({ requestId }, `Export of ${count} calls ${complete ? 'finished' : 'stopped before the end; its database cursor is closed'}`);
    }
  }
}

/**
 * Passes `source` on, and calls `onStall` when a chunk it handed on is not taken within `stallMs`: only
 * the client's not reading counts, never the time the database takes for the next chunk.
 */
async function* endWhenNotTaken<T>(source: AsyncGenerator<T>, stallMs: number, onStall: () => void): AsyncGenerator<T> {
  try {
    for await (const chunk of source) {
      const timer = setTimeout(onStall, stallMs);
      try {
        yield chunk;
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    // Ended early (a destroyed stream returns this generator): end the source too, which closes its cursor.
    await source.return(undefined);
  }
}
