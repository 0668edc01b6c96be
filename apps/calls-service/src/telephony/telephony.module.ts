import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { ProvidersModule } from '../providers/providers.module';
import { ProviderCallbacksService } from './provider-callbacks.service';
import { SdkTokensService } from './sdk-tokens.service';
import { TelephonyController } from './telephony.controller';
import { WebhookSignatureGuard } from './webhook-signature.guard';

/**
 * What the telephony provider and its SDK talk to: the signed webhook and the SDK token. It joins the
 * provider adapters to the calls module, which knows neither providers/ nor this module.
 */
@Module({
  imports: [CallsModule, ProvidersModule],
  controllers: [TelephonyController],
  providers: [ProviderCallbacksService, SdkTokensService, WebhookSignatureGuard],
})
export class TelephonyModule {}
