import pino, { Logger, stdTimeFunctions, TransportSingleOptions } from 'pino';
import { Environment } from '../config/environment';

/** The pino logger every line goes through: Nest's own logs, the services' and one line per request. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

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

export function createRootLogger(level: Environment['LOG_LEVEL'], env: Environment['NODE_ENV']): Logger {
  return pino({
    level,
    transport: prettyTransport(env),
    formatters: { level: (label) => ({ level: label }) },
    timestamp: stdTimeFunctions.isoTime,
    // A second line of defence, should anything ever log a request or response object whole: headers
    // (the bearer token among them) and bodies are never logged on purpose.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', 'headers.authorization', 'authorization'],
      censor: '[redacted]',
    },
  });
}
