import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { Environment } from '../config/environment';
import { DatabaseConnector } from './database-connector.service';
import { DATABASE_OPTIONS, databaseOptions, DatabaseOptions } from './database-options';

const fromConfig = (config: ConfigService<Environment, true>): DatabaseOptions =>
  databaseOptions({
    MONGODB_URI: config.get('MONGODB_URI', { infer: true }),
    MONGODB_WRITE_CONCERN: config.get('MONGODB_WRITE_CONCERN', { infer: true }),
  });

/** The one MongoDB connection. Start-up does not wait for it: see DatabaseConnector. */
@Module({
  imports: [
    MongooseModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => {
        const { uri, options } = fromConfig(config);
        return { uri, ...options, lazyConnection: true };
      },
    }),
  ],
  providers: [{ provide: DATABASE_OPTIONS, inject: [ConfigService], useFactory: fromConfig }, DatabaseConnector],
})
export class DatabaseModule {}
