import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks' secret format: `whsec_` and the base64 of the key's bytes. */
export const SECRET_PREFIX = 'whsec_';
const KEY_BYTES = 32;

export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(KEY_BYTES).toString('base64');
}

/**
 * The `webhook-signature` header of Standard Webhooks: one `v1,<base64 HMAC-SHA256>` per secret, space
 * separated, each over `<webhook-id>.<webhook-timestamp>.<body>` with the key the secret encodes. During a
 * rotation both secrets sign, so a receiver that still knows only the old one verifies too.
 */
export function signatureHeader(secrets: string[], webhookId: string, timestampSeconds: number, body: string): string {
  const content = `${webhookId}.${timestampSeconds}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')).update(content).digest('base64')}`)
    .join(' ');
}
