import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactsModule } from '../contacts/contacts.module';
import { PhoneNumbersModule } from '../phone-numbers/phone-numbers.module';
import { ProvidersModule } from '../providers/providers.module';
import { CallEventsService } from './call-events.service';
import { CallProviderController } from './call-provider.controller';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';
import { CallEventEntry, CallEventEntrySchema } from './schemas/call-event.schema';
import { Call, CallSchema } from './schemas/call.schema';
import { SdkTokensService } from './sdk-tokens.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Call.name, schema: CallSchema },
      { name: CallEventEntry.name, schema: CallEventEntrySchema },
    ]),
    ContactsModule,
    PhoneNumbersModule,
    ProvidersModule,
  ],
  controllers: [CallsController, CallProviderController],
  providers: [CallsService, CallEventsService, SdkTokensService, WebhookSignatureGuard],
})
export class CallsModule {}
