import { Injectable } from '@nestjs/common';
import { AuthUser } from '@app/auth';
import { sdkUserIdOf } from './call-token';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { SdkTokenResponseDto } from './dto/sdk-token-response.dto';

@Injectable()
export class SdkTokensService {
  constructor(private readonly providers: CallProviderRegistry) {}

  /** The provider's SDK registers the caller as their organization and user, which its ICE then names as the caller. */
  issue(user: AuthUser): SdkTokenResponseDto {
    const sdkUserId = sdkUserIdOf(user.organizationId, user.userId);
    const { token, expiresAt, applicationKey, userId } = this.providers.get("sinch").createSdkToken(sdkUserId, new Date());
    return { success: true, token, expiresAt: expiresAt.toISOString(), applicationKey, userId };
  }
}
