import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactsModule } from '../contacts/contacts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { PhoneNumbersModule } from '../phone-numbers/phone-numbers.module';
import { ProvidersModule } from '../providers/providers.module';
import { CallEventsService } from './call-events.service';
import { CallLockService } from './call-lock.service';
import { CallProviderController } from './call-provider.controller';
import { CallWriter } from './call-writer.service';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';
import { ProviderCallIdService } from './provider-call-id.service';
import { CallEventEntry, CallEventEntrySchema } from './schemas/call-event.schema';
import { CallLock, CallLockSchema } from './schemas/call-lock.schema';
import { Call, CallSchema } from './schemas/call.schema';
import { ProviderCallId, ProviderCallIdSchema } from './schemas/provider-call-id.schema';
import { SdkTokensService } from './sdk-tokens.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Call.name, schema: CallSchema },
      { name: CallLock.name, schema: CallLockSchema },
      { name: ProviderCallId.name, schema: ProviderCallIdSchema },
      { name: CallEventEntry.name, schema: CallEventEntrySchema },
    ]),
    ContactsModule,
    IdempotencyModule,
    PhoneNumbersModule,
    ProvidersModule,
  ],
  controllers: [CallsController, CallProviderController],
  providers: [CallsService, CallWriter, CallLockService, ProviderCallIdService, CallEventsService, SdkTokensService, WebhookSignatureGuard],
})
export class CallsModule {}
