import { Module } from '@nestjs/common';
import { CALL_PROVIDER_ADAPTERS, CallProviderRegistry } from './call-provider.registry';
import { SinchModule } from './sinch/sinch.module';
import { SinchCallProvider } from './sinch/sinch.provider';

/** Adding a provider means importing its module and listing it here; the calls module does not change. */
@Module({
  imports: [SinchModule],
  providers: [{ provide: CALL_PROVIDER_ADAPTERS, useFactory: (sinch: SinchCallProvider) => [sinch], inject: [SinchCallProvider] }, CallProviderRegistry],
  exports: [CallProviderRegistry],
})
export class ProvidersModule {}
