import { BadRequestException, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { FastifyReply, FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey } from './idempotency-key';

/** A request that carried an Idempotency-Key, and the ways to tell its client the answer is a replay or to come back later. */
export interface IdempotentRequest {
  key: string;
  /** The request's id (Fastify's), for the lines logged while it is carried out. */
  requestId: string;
  markReplayed: () => void;
  retryAfter: (seconds: number) => void;
}

const documentHeader = (target: object, propertyKey: string | symbol | undefined): void => {
  if (propertyKey === undefined) return;
  const descriptor = Object.getOwnPropertyDescriptor(target, propertyKey);
  if (!descriptor) return;
  ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      'Makes the request safe to retry. A repeat by the same user with the same key and the same body records nothing and answers ' +
      `the call the first request recorded, with \`${IDEMPOTENT_REPLAYED_HEADER}: true\`; the same key with a different body is ` +
      'refused with 422. A repeat while the first request is still being carried out waits for it briefly, else is answered 409. ' +
      'A retry after a request that failed (a 503, a lost connection) carries it out, making the call that request would have ' +
      'made and never a second one. Keys are kept for 24 hours. 1 to 255 printable ASCII characters.',
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN.source },
  })(target, propertyKey, descriptor);
  ApiResponse({
    status: 409,
    description: `A request with the same \`${IDEMPOTENCY_KEY_HEADER}\` is still being carried out; retry after \`Retry-After\` seconds.`,
    type: ErrorResponseDto,
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
  })(target, propertyKey, descriptor);
};

/**
 * The request's Idempotency-Key, or null without one; a malformed key is a 400. Documents the header
 * and the 409 it may bring on the operation, so that the contract and the handling cannot drift apart.
 */
export const IdempotencyKeyHeader = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotentRequest | null => {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
    if (header === undefined) return null;
    const key = parseIdempotencyKey(header);
    if (key === null) {
      throw new BadRequestException(`${IDEMPOTENCY_KEY_HEADER} must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters`);
    }
    const reply = http.getResponse<FastifyReply>();
    return {
      key,
      requestId: request.id,
      markReplayed: () => void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true'),
      retryAfter: (seconds) => void reply.header('Retry-After', String(seconds)),
    };
  },
  [documentHeader],
);
