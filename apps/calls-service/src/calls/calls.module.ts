import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactsModule } from '../contacts/contacts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { OutcomesModule } from '../outcomes/outcomes.module';
import { PhoneNumbersModule } from '../phone-numbers/phone-numbers.module';
import { CallEventsService } from './call-events.service';
import { CallOutbox } from './call-outbox';
import { CallLockService } from './call-lock.service';
import { CallWriter } from './call-writer.service';
import { CallRepository } from './call.repository';
import { CallsController } from './calls.controller';
import { CallExportService } from './call-export.service';
import { CallStatsBackfill } from './call-stats-backfill.service';
import { CallStatsService } from './call-stats.service';
import { CallsService } from './calls.service';
import { ProviderCallIdService } from './provider-call-id.service';
import { CallEventEntry, CallEventEntrySchema } from './schemas/call-event.schema';
import { CallLock, CallLockSchema } from './schemas/call-lock.schema';
import { Call, CallSchema } from './schemas/call.schema';
import { OutboxMark, OutboxMarkSchema } from './schemas/outbox-mark.schema';
import { ProviderCallId, ProviderCallIdSchema } from './schemas/provider-call-id.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: Call.name, schema: CallSchema },
      { name: CallLock.name, schema: CallLockSchema },
      { name: ProviderCallId.name, schema: ProviderCallIdSchema },
      { name: CallEventEntry.name, schema: CallEventEntrySchema },
      { name: OutboxMark.name, schema: OutboxMarkSchema },
    ]),
    ContactsModule,
    IdempotencyModule,
    PhoneNumbersModule,
    OutcomesModule,
  ],
  controllers: [CallsController],
  providers: [CallsService, CallStatsService, CallStatsBackfill, CallExportService, CallRepository, CallWriter, CallLockService, ProviderCallIdService, CallEventsService, CallOutbox],
  // The telephony module hands provider events to the calls they belong to; the events module relays the outboxes.
  exports: [CallEventsService, CallOutbox],
})
export class CallsModule {}
