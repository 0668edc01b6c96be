import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuthUser } from '@app/auth';
import { sdkUserIdOf } from '../calls/call-token';
import { Environment } from '../config/environment';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { SdkTokenResponseDto } from './dto/sdk-token-response.dto';

@Injectable()
export class SdkTokensService {
  constructor(
    private readonly providers: CallProviderRegistry,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /**
   * The SDK of the provider that places new calls (CALL_PROVIDER) registers the caller as their
   * organization and user, which its ICE then names as the caller.
   */
  issue(user: AuthUser): SdkTokenResponseDto {
    const sdkUserId = sdkUserIdOf(user.organizationId, user.userId);
    const provider = this.providers.get(this.config.get('CALL_PROVIDER', { infer: true }));
    const { token, expiresAt, applicationKey, userId } = provider.createSdkToken(sdkUserId, new Date());
    return { success: true, token, expiresAt: expiresAt.toISOString(), applicationKey, userId };
  }
}
