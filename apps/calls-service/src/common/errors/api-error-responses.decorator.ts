import { applyDecorators, Type } from '@nestjs/common';
import { ApiResponse, ApiResponseOptions } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { ErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or a field is invalid.',
  401: 'The bearer token is missing, invalid or expired.',
  403: 'The caller\'s role does not allow this.',
  404: 'No such resource in the caller\'s organization.',
  409: 'The request conflicts with the current state.',
  413: 'The body is larger than the limit.',
  415: 'The body is not JSON.',
  422: 'The request is well-formed but cannot be carried out.',
  429: 'Too many requests.',
  503: 'The database cannot be reached.',
};

/** An error answer that says more than the usual: its own description, or the error shape with extra fields. */
export interface ErrorResponseSpec {
  status: number;
  description?: string;
  /** A subclass of ErrorResponseDto, for errors that carry more than the one shape (such as the conflicting record). */
  type?: Type<ErrorResponseDto>;
  /** Headers the answer carries beside the usual ones (an error that carries a record may carry its ETag). */
  headers?: ApiResponseOptions['headers'];
}

const HEADERS: Record<number, ApiResponseOptions['headers']> = {
  429: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
};

/** Documents error answers with the one error shape, so the contract and the exception filter agree. */
export function ApiErrorResponses(...responses: (number | ErrorResponseSpec)[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...responses.map((response) => {
      const { status, description, type, headers } = typeof response === 'number' ? ({ status: response } as ErrorResponseSpec) : response;
      return ApiResponse({
        status,
        description: description ?? DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? 'Error',
        type: type ?? ErrorResponseDto,
        ...(HEADERS[status] || headers ? { headers: { ...HEADERS[status], ...headers } } : {}),
      });
    }),
  );
}

/** What any route behind the rate limit that reads or writes the database may also answer. */
export const ApiOperatingErrorResponses = (): ClassDecorator => ApiErrorResponses(429, 503);
