import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ContactsModule } from '../contacts/contacts.module';
import { PhoneNumbersModule } from '../phone-numbers/phone-numbers.module';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';
import { Call, CallSchema } from './schemas/call.schema';

@Module({
  imports: [MongooseModule.forFeature([{ name: Call.name, schema: CallSchema }]), ContactsModule, PhoneNumbersModule],
  controllers: [CallsController],
  providers: [CallsService],
})
export class CallsModule {}
