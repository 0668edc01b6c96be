import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Environment } from '../config/environment';
import { JsonLogger } from '../common/logging/json-logger';
import { createRootLogger, ROOT_LOGGER } from './root-logger';

/**
 * Structured JSON lines through pino, for Nest's own logs (main.ts hands Nest the JsonLogger) and one
 * line per request (configureApp adds the hooks, see request-logging.ts).
 */
@Global()
@Module({
  providers: [
    {
      provide: ROOT_LOGGER,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        createRootLogger(config.get('LOG_LEVEL', { infer: true }), config.get('NODE_ENV', { infer: true })),
    },
    { provide: JsonLogger, inject: [ROOT_LOGGER], useFactory: (logger) => new JsonLogger(logger) },
  ],
  exports: [ROOT_LOGGER, JsonLogger],
})
export class LoggingModule {}
