import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from '../common/errors/all-exceptions.filter';
import { CallConflict } from '../calls/call-errors';
import { CallLockTimeout } from '../calls/call-lock.service';

/** By then the holder has finished, or its lease has run out and the lock can be taken over. */
export const CALL_BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * A provider callback that could not get its call's lock, or whose call kept changing under it (a
 * lost lock: CallConflict is what the write loop raises when every attempt missed), is answered 503
 * with `Retry-After`: the provider retries it, whereas a 500 would lose the event as a failure of ours.
 */
@Catch(CallLockTimeout, CallConflict)
export class CallLockTimeoutFilter implements ExceptionFilter {
  private readonly logger = new Logger(CallLockTimeoutFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(_exception: CallLockTimeout | CallConflict, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { id: requestId } = http.getRequest<FastifyRequest>();
    this.logger.warn({ requestId }, 'A provider callback could not change its call in time; answered 503 for the provider to retry');
    reply.header('Retry-After', String(CALL_BUSY_RETRY_AFTER_SECONDS));
    const body = toErrorBody(new ServiceUnavailableException('The call is being updated by other requests; retry shortly'));
    this.adapterHost.httpAdapter.reply(reply, body, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
