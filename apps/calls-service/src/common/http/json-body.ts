import { isUtf8 } from 'node:buffer';
import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest } from 'fastify';
import { isNestedTooDeeply, MAX_JSON_DEPTH } from './json-depth';

/**
 * The only body parsers: JSON, checked before it is parsed (see isNestedTooDeeply), and a refusal for
 * form bodies, which Nest would otherwise parse on every route. Every other media type has no parser, so
 * Fastify refuses it with 415 too. The raw bytes are still kept (NestFactory's `rawBody`), for the
 * provider callbacks' signatures. Must run before the app is initialised, which registers Nest's own
 * parsers for the types that have none yet.
 */
export function acceptJsonBodiesOnly(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Fastify's own parser, which refuses `__proto__` and `constructor.prototype` keys with 400.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', {}, (request: FastifyRequest, raw: Buffer, done) => {
    // No body at all (a DELETE sent with a Content-Type, say) is no body, not malformed JSON; a route
    // that needs one says so with its own 400.
    if (raw.length === 0) return done(null, undefined);
    if (!isUtf8(raw)) return done(new BadRequestException('Request body is not valid UTF-8'), undefined);
    if (isNestedTooDeeply(raw)) {
      return done(new BadRequestException(`Request body is nested too deeply (more than ${MAX_JSON_DEPTH} levels)`), undefined);
    }
    parseJson(request, raw.toString('utf8'), done);
  });
  app.useBodyParser('application/x-www-form-urlencoded', {}, (_request: FastifyRequest, _raw: Buffer, done) =>
    done(new UnsupportedMediaTypeException('Request body must be application/json'), undefined),
  );
}
