import { createHmac, randomUUID } from 'node:crypto';
import { SinchCredentials } from './sinch-signature';

/** Long enough for the SDK to register, short enough that a leaked token is soon useless. */
export const SDK_TOKEN_TTL_SECONDS = 10 * 60;

export interface SdkRegistrationToken {
  token: string;
  expiresAt: Date;
}

/** The UTC date as YYYYMMDD: Sinch keys each day's signing key by it. */
export function keyDate(now: Date): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '');
}

/** signingKey = HMAC-SHA256(Base64Decode(applicationSecret), UTF-8(YYYYMMDD)), as Sinch's docs define it. */
export function deriveSigningKey(applicationSecret: string, now: Date): Buffer {
  return createHmac('sha256', Buffer.from(applicationSecret, 'base64')).update(keyDate(now), 'utf8').digest();
}

const base64url = (value: object | Buffer): string => (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value), 'utf8')).toString('base64url');

/**
 * The JWT that Sinch's in-app calling SDK asks for in `onCredentialsRequired`, following Sinch's
 * "application authentication" docs: HS256 with a `kid` naming the day's derived key.
 */
export function createRegistrationToken(
  credentials: SinchCredentials,
  userId: string,
  now: Date,
  options: { ttlSeconds?: number; nonce?: string } = {},
): SdkRegistrationToken {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + (options.ttlSeconds ?? SDK_TOKEN_TTL_SECONDS);
  const application = `//rtc.sinch.com/applications/${credentials.applicationKey}`;
  // Key order matters only for byte-for-byte comparison with Sinch's worked example.
  const header = { alg: 'HS256', kid: `hkdfv1-${keyDate(now)}` };
  const claims = { iss: application, sub: `${application}/users/${userId}`, iat: issuedAt, exp: expiresAt, nonce: options.nonce ?? randomUUID() };
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  const signature = createHmac('sha256', deriveSigningKey(credentials.applicationSecret, now)).update(signingInput, 'utf8').digest();
  return { token: `${signingInput}.${base64url(signature)}`, expiresAt: new Date(expiresAt * 1000) };
}
