import { IncomingMessage, ServerResponse } from 'node:http';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule, Params } from 'nestjs-pino';
import { stdTimeFunctions, TransportSingleOptions } from 'pino';
import { Environment } from '../config/environment';
import { pathOf } from '../common/logging/request-id';

/** Pretty lines for a person at a terminal, only where pino-pretty (a devDependency) is installed. */
function prettyTransport(env: Environment['NODE_ENV']): TransportSingleOptions | undefined {
  if (env !== 'development') return undefined;
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  return { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } };
}

/** The one line logged per request: who asked what, how it ended and how long it took. */
function requestLine(req: IncomingMessage, res: ServerResponse, durationMs: number) {
  return { method: req.method, path: pathOf(req.url), status: res.statusCode, durationMs };
}

/**
 * Nest mounts the logging middleware on several paths that all match a route outside the /api prefix
 * (`/health`, `/health/`, `/health/ready`...), so it runs more than once for the probes: only its first
 * run may log the request.
 */
function firstRunOnly(): (req: IncomingMessage) => boolean {
  const seen = new WeakSet<IncomingMessage>();
  return (req) => {
    if (seen.has(req)) return true;
    seen.add(req);
    return false;
  };
}

function loggerParams(config: ConfigService<Environment, true>): Params {
  return {
    pinoHttp: {
      level: config.get('LOG_LEVEL', { infer: true }),
      transport: prettyTransport(config.get('NODE_ENV', { infer: true })),
      formatters: { level: (label) => ({ level: label }) },
      timestamp: stdTimeFunctions.isoTime,
      // The id is Fastify's, set from X-Request-Id (see createHttpAdapter); middie hands it to pino-http.
      // Every line logged while handling a request carries it, and nothing else of the request:
      // headers (the bearer token among them) and bodies are never logged.
      quietReqLogger: true,
      autoLogging: { ignore: firstRunOnly() },
      quietResLogger: true,
      customAttributeKeys: { reqId: 'requestId' },
      customSuccessObject: (req, res, value: { responseTime: number }) => requestLine(req, res, value.responseTime),
      // The exception filter logs the error itself, with its stack; this line only records the request.
      customErrorObject: (req, res, _error, value: { responseTime: number }) => requestLine(req, res, value.responseTime),
      customSuccessMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
      customErrorMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
      customLogLevel: (req, res, error) => {
        if (error || res.statusCode >= 500) return 'error';
        // Probes come every few seconds from each orchestrator and load balancer.
        return pathOf(req.url).startsWith('/health') ? 'debug' : 'info';
      },
      // A second line of defence, should anything ever log a request or response object whole.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'authorization'],
        censor: '[redacted]',
      },
    },
  };
}

/** Structured JSON lines through pino, for Nest's own logs and one line per request. */
@Module({
  imports: [LoggerModule.forRootAsync({ inject: [ConfigService], useFactory: loggerParams })],
})
export class LoggingModule {}
