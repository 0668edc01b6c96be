import { Injectable } from '@nestjs/common';
import { AuthUser } from '@app/auth';
import { CallProviderRegistry } from '../providers/call-provider.registry';
import { SdkTokenResponseDto } from './dto/sdk-token-response.dto';

@Injectable()
export class SdkTokensService {
  constructor(private readonly providers: CallProviderRegistry) {}

  /** The provider's SDK registers the caller under their own user id. */
  issue(user: AuthUser): SdkTokenResponseDto {
    const { token, expiresAt, applicationKey, userId } = this.providers.primary.createSdkToken(user.userId, new Date());
    return { success: true, token, expiresAt: expiresAt.toISOString(), applicationKey, userId };
  }
}
