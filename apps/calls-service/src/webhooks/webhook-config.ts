import { ConfigService } from '@nestjs/config';
import { Environment } from '../config/environment';
import { UrlPolicy } from './webhook-url';

/** The webhook settings, read once. */
export interface WebhookSettings {
  policy: UrlPolicy;
  timeoutMs: number;
  schedule: number[];
  disableAfter: number;
  retentionMs: number;
}

export function webhookSettings(config: ConfigService<Environment, true>): WebhookSettings {
  return {
    policy: {
      allowHttp: config.get('WEBHOOK_ALLOW_HTTP', { infer: true }),
      allowPrivate: config.get('WEBHOOK_ALLOW_PRIVATE_URLS', { infer: true }),
    },
    timeoutMs: config.get('WEBHOOK_TIMEOUT_MS', { infer: true }),
    schedule: config.get('WEBHOOK_RETRY_SCHEDULE', { infer: true }),
    disableAfter: config.get('WEBHOOK_DISABLE_AFTER', { infer: true }),
    retentionMs: config.get('WEBHOOK_LOG_RETENTION_DAYS', { infer: true }) * 86_400_000,
  };
}
