import { Inject, Injectable } from '@nestjs/common';
import { CallProviderAdapter } from './call-provider';

/** The injection token of the adapters the service talks to (the list ProvidersModule builds). */
export const CALL_PROVIDER_ADAPTERS = Symbol('CALL_PROVIDER_ADAPTERS');

/** The provider adapters the service talks to, by name. */
@Injectable()
export class CallProviderRegistry {
  constructor(@Inject(CALL_PROVIDER_ADAPTERS) private readonly adapters: readonly CallProviderAdapter[]) {}

  /** The adapter of a name the service vouches for (CALL_PROVIDER, checked at start-up). */
  get(name: string): CallProviderAdapter {
    const adapter = this.find(name);
    if (!adapter) throw new Error(`No call provider named ${name}`);
    return adapter;
  }

  /** The adapter of a name someone else gave (a webhook path), if there is one. */
  find(name: string): CallProviderAdapter | undefined {
    return this.adapters.find((candidate) => candidate.name === name);
  }

  get names(): string[] {
    return this.adapters.map((adapter) => adapter.name);
  }
}
