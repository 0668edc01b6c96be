import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactsModule } from '../contacts/contacts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { CallLockService } from './call-lock.service';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';
import { ProviderCallIdService } from './provider-call-id.service';
import { CallLock, CallLockSchema } from './schemas/call-lock.schema';
import { Call, CallSchema } from './schemas/call.schema';
import { ProviderCallId, ProviderCallIdSchema } from './schemas/provider-call-id.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Call.name, schema: CallSchema },
      { name: CallLock.name, schema: CallLockSchema },
      { name: ProviderCallId.name, schema: ProviderCallIdSchema },
    ]),
    ContactsModule,
    IdempotencyModule,
  ],
  controllers: [CallsController],
  providers: [CallsService, CallLockService, ProviderCallIdService],
})
export class CallsModule {}
