import { LoggerService } from '@nestjs/common';
import { Level, Logger } from 'pino';

/** Nest's exception handlers call `error(message, stack, context)`, a stack where a context would go. */
function stackTraceIn(level: Level, params: unknown[]): string | undefined {
  const [stack] = params;
  return level === 'error' && params.length === 1 && typeof stack === 'string' && /\n\s*at /.test(stack) ? stack : undefined;
}

/**
 * Nest's `Logger` calls as JSON lines through pino, `context` naming the class that logged. The lines are
 * those nestjs-pino wrote before (see issue 15): `{ level, time, pid, hostname, requestId?, context, msg }`.
 * A line logged for a request names it as pino's own calls do, with the fields first and the text after:
 * `logger.warn({ requestId }, 'text')` (common/logging/request-id.decorator.ts says why it is passed by hand).
 */
export class JsonLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, optional: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const isObject = typeof message === 'object' && message !== null;
    // An object's fields come first (a request's id), then the context; an error goes under `err`.
    const fields: Record<string, unknown> = isObject && !(message instanceof Error) ? { ...message } : {};
    // Nest passes the context (the class that logged) last.
    const params = optional.length > 0 ? optional.slice(0, -1) : optional;
    if (optional.length > 0) fields.context = optional[optional.length - 1];
    if (isObject) {
      if (message instanceof Error) fields.err = message;
      this.logger[level](fields, ...(params as []));
    } else if (typeof message === 'string' && stackTraceIn(level, params) !== undefined) {
      const error = new Error(message);
      error.stack = stackTraceIn(level, params);
      fields.err = error;
      this.logger[level](fields);
    } else {
      this.logger[level](fields, message as string, ...(params as []));
    }
  }
}
