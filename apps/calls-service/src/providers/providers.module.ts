import { Module, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Environment } from '../config/environment';
import { CALL_PROVIDER_ADAPTERS, CallProviderRegistry } from './call-provider.registry';
import { SinchModule } from './sinch/sinch.module';
import { SinchCallProvider } from './sinch/sinch.provider';

/**
 * The provider adapters. Adding a provider means its folder under providers/, importing its module and
 * listing it here; nothing outside providers/ changes (the contract's enums aside: DOCUMENTED_PROVIDER_NAMES).
 */
@Module({
  imports: [SinchModule],
  providers: [{ provide: CALL_PROVIDER_ADAPTERS, useFactory: (sinch: SinchCallProvider) => [sinch], inject: [SinchCallProvider] }, CallProviderRegistry],
  exports: [CallProviderRegistry],
})
export class ProvidersModule implements OnModuleInit {
  constructor(
    private readonly registry: CallProviderRegistry,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /** The process refuses to start when CALL_PROVIDER names no adapter, as for any other bad setting. */
  onModuleInit(): void {
    const name = this.config.get('CALL_PROVIDER', { infer: true });
    if (!this.registry.find(name)) {
      throw new Error(`Invalid configuration:\n  - CALL_PROVIDER must be one of ${this.registry.names.join(', ')}, not ${name}`);
    }
  }
}
