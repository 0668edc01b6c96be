import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { CallProvider } from './call-provider';

export const CALL_PROVIDERS = Symbol('CALL_PROVIDERS');

/** The providers the service talks to, by name; the first one places new calls. */
@Injectable()
export class CallProviderRegistry {
  constructor(@Inject(CALL_PROVIDERS) private readonly providers: readonly CallProvider[]) {}

  get(name: string): CallProvider {
    const provider = this.providers.find((candidate) => candidate.name === name);
    if (!provider) throw new NotFoundException(`No call provider named ${name}`);
    return provider;
  }

  get primary(): CallProvider {
    return this.providers[0];
  }
}
