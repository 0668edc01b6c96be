import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '@app/auth';
import { CallsModule } from './calls/calls.module';
import { Environment, validateEnvironment } from './config/environment';
import { ContactsModule } from './contacts/contacts.module';
import { PhoneNumbersModule } from './phone-numbers/phone-numbers.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, cache: true, validate: validateEnvironment }),
    MongooseModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        uri: config.get('MONGODB_URI', { infer: true }),
        // Fail fast instead of queueing operations while the database is unreachable.
        bufferCommands: false,
        serverSelectionTimeoutMS: 2000,
      }),
    }),
    AuthModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        secret: config.get('JWT_SECRET', { infer: true }),
        publicKey: config.get('JWT_PUBLIC_KEY', { infer: true }),
        issuer: config.get('JWT_ISSUER', { infer: true }),
        audience: config.get('JWT_AUDIENCE', { infer: true }),
      }),
    }),
    ContactsModule,
    PhoneNumbersModule,
    CallsModule,
  ],
})
export class AppModule {}
