import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CallProviderAdapter } from './call-provider';

/** The injection token of the adapters the service talks to (the list ProvidersModule builds). */
export const CALL_PROVIDER_ADAPTERS = Symbol('CALL_PROVIDER_ADAPTERS');

/** The provider adapters the service talks to, by name. */
@Injectable()
export class CallProviderRegistry {
  constructor(@Inject(CALL_PROVIDER_ADAPTERS) private readonly adapters: readonly CallProviderAdapter[]) {}

  get(name: string): CallProviderAdapter {
    const adapter = this.find(name);
    if (!adapter) throw new NotFoundException(`No call provider named ${name}`);
    return adapter;
  }

  find(name: string): CallProviderAdapter | undefined {
    return this.adapters.find((candidate) => candidate.name === name);
  }

  get names(): string[] {
    return this.adapters.map((adapter) => adapter.name);
  }
}
