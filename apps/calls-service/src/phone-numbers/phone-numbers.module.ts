import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PhoneNumbersController } from './phone-numbers.controller';
import { PhoneNumbersService } from './phone-numbers.service';
import { PHONE_NUMBER_LOCK, PhoneNumber, PhoneNumberDefault, PhoneNumberDefaultSchema, PhoneNumberLockSchema, PhoneNumberSchema } from './schemas/phone-number.schema';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: PhoneNumber.name, schema: PhoneNumberSchema },
      { name: PhoneNumberDefault.name, schema: PhoneNumberDefaultSchema },
      { name: PHONE_NUMBER_LOCK, schema: PhoneNumberLockSchema },
    ]),
  ],
  controllers: [PhoneNumbersController],
  providers: [PhoneNumbersService],
  exports: [PhoneNumbersService],
})
export class PhoneNumbersModule {}
