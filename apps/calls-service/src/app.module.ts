import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AuthModule } from '@app/auth';
import { CallsModule } from './calls/calls.module';
import { LoggingModule } from './logging/logging.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { Environment, validateEnvironment } from './config/environment';
import { ContactsModule } from './contacts/contacts.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { OutcomesModule } from './outcomes/outcomes.module';
import { PhoneNumbersModule } from './phone-numbers/phone-numbers.module';
import { TelephonyModule } from './telephony/telephony.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({
  imports: [
    // Settings come from the environment only: a stray .env file in the working directory must not
    // change what the process runs with.
    ConfigModule.forRoot({ isGlobal: true, cache: true, ignoreEnvFile: true, validate: validateEnvironment }),
    LoggingModule,
    DatabaseModule,
    // Before AuthModule: global guards run in the order their modules are imported, and the rate limit
    // must come first so that requests with bad tokens are limited too.
    RateLimitModule.forRoot(),
    AuthModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        secret: config.get('JWT_SECRET', { infer: true }),
        publicKey: config.get('JWT_PUBLIC_KEY', { infer: true }),
        issuer: config.get('JWT_ISSUER', { infer: true }),
        audience: config.get('JWT_AUDIENCE', { infer: true }),
        maxTtlSeconds: config.get('JWT_MAX_TTL', { infer: true }),
      }),
    }),
    ContactsModule,
    PhoneNumbersModule,
    OutcomesModule,
    CallsModule,
    TelephonyModule,
    EventsModule,
    WebhooksModule,
    HealthModule,
  ],
})
export class AppModule {}
