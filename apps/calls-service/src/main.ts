// First: it keeps V8's young generation small and puts off building date formats while everything below loads (startup-memory.ts).
import { endStartUp } from './startup-memory';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { JsonLogger } from './common/logging/json-logger';
import { APP_OPTIONS, configureApp, createHttpAdapter } from './app.setup';
import { Environment, validateEnvironment } from './config/environment';
import { parseTrustProxy } from './config/trust-proxy';
import { DOCS_PATH } from './openapi/openapi';

/** Orchestrators wait about 10 s (Docker's default) before SIGKILL; stop on our own terms before that. */
const SHUTDOWN_DEADLINE_MS = 9000;
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

/**
 * On SIGTERM or SIGINT Nest stops accepting connections, lets the requests in flight finish, closes the
 * database connection and then exits 0. Should a request hang past the deadline, exit 1 instead of
 * waiting for the orchestrator's SIGKILL.
 */
function exitCleanlyOnSignals(app: NestFastifyApplication): void {
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  for (const signal of SHUTDOWN_SIGNALS) {
    process.once(signal, () => {
      Logger.log(`${signal} received: finishing the requests in flight, then exiting`, 'Shutdown');
      setTimeout(() => {
        Logger.error(`Requests still running after ${SHUTDOWN_DEADLINE_MS} ms; exiting without them`, 'Shutdown');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
    });
  }
}

async function bootstrap(): Promise<void> {
  // Checked here as well as by ConfigModule, so that a bad setting ends the process with the plain
  // message below rather than with Nest's start-up stack trace.
  const env = validateEnvironment(process.env);
  // The HTTP server exists before ConfigModule does, so its one setting is read here.
  const adapter = createHttpAdapter(parseTrustProxy(env.TRUST_PROXY) ?? false);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, adapter, { ...APP_OPTIONS, bufferLogs: true });
  app.useLogger(app.get(JsonLogger));
  await configureApp(app);
  exitCleanlyOnSignals(app);
  const config = app.get(ConfigService<Environment, true>);
  await app.listen(config.get('PORT', { infer: true }), config.get('HOST', { infer: true }));
  endStartUp();
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  Logger.log(`Listening on ${url}; Swagger UI at ${url}/${DOCS_PATH}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // A configuration error is the common case here: say it plainly, without a stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
