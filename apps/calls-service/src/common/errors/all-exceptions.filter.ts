import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { describeError, withoutPersonalData } from '../logging/error-cause';
import { isDatabaseUnavailableError } from '../mongo-errors';

export interface ErrorBody {
  success: false;
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/** Fastify rejects some requests before Nest sees them (body too large, bad JSON, wrong media type). */
function isFastifyClientError(exception: unknown): exception is Error & { statusCode: number; code?: string } {
  if (!(exception instanceof Error) || !('statusCode' in exception)) return false;
  const { statusCode } = exception as { statusCode: unknown };
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500;
}

function body(statusCode: number, message: string, extras: Record<string, unknown> = {}): ErrorBody {
  return { success: false, statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...extras };
}

export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') return body(statusCode, response);
    const { message, statusCode: _status, error: _error, ...extras } = response as Record<string, unknown>;
    const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
    return body(statusCode, text, extras);
  }
  if (isFastifyClientError(exception)) {
    if (exception.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return body(413, 'Request body is too large');
    if (exception.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return body(415, 'Request body must be application/json');
    if (exception instanceof SyntaxError || exception.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return body(400, 'Request body is not valid JSON');
    }
    return body(exception.statusCode, exception.message);
  }
  if (isDatabaseUnavailableError(exception)) {
    return body(HttpStatus.SERVICE_UNAVAILABLE, 'The database is unavailable; try again shortly');
  }
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
}

/** Every error leaves the service in one JSON shape; details of unexpected failures stay in the log. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const errorBody = toErrorBody(exception);
    const http = host.switchToHttp();
    const { id: requestId } = http.getRequest<FastifyRequest>();
    if (errorBody.statusCode === HttpStatus.INTERNAL_SERVER_ERROR) {
      // Unexpected: its cause and where it happened go to the log (never to the client), but not the
      // error object, which can carry the request's data (a duplicate key's values, a driver's command).
      this.logger.error({ requestId }, `Answered 500: ${describeError(exception)}`);
    } else if (errorBody.statusCode >= 500) {
      // Expected while the database is away: one line saying why, not a stack per request.
      const cause =
        exception instanceof HttpException || !(exception instanceof Error) ? '' : ` (${exception.name}: ${withoutPersonalData(exception.message)})`;
      this.logger.warn({ requestId }, `${errorBody.message}${cause}`);
    }
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(http.getResponse(), errorBody, errorBody.statusCode);
  }
}
