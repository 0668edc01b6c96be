import { createPublicKey, createSecretKey, KeyObject } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export interface AuthModuleOptions {
  /** Shared secret for HS256 tokens. */
  secret?: string;
  /** PEM public key for RS256 or ES256 tokens; takes precedence over `secret`. */
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** The longest lifetime (exp - iat) a token may have, in seconds; a day unless set. */
  maxTtlSeconds?: number;
}

export const DEFAULT_MAX_TTL_SECONDS = 24 * 60 * 60;

export interface JwtVerification {
  key: KeyObject;
  algorithm: JwtAlgorithm;
  issuer?: string;
  audience?: string;
  maxTtlSeconds: number;
}

export const AUTH_MODULE_OPTIONS = Symbol('AUTH_MODULE_OPTIONS');

/**
 * Pins the one algorithm the configured key allows, so a token can never choose a weaker one
 * (`alg: none`, or HS256 signed with a public key). KeyObjects also spare jsonwebtoken from
 * re-parsing the key on every request.
 */
export function resolveJwtVerification(options: AuthModuleOptions): JwtVerification {
  const { issuer, audience } = options;
  const maxTtlSeconds = options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  if (options.publicKey) {
    const key = createPublicKey(options.publicKey);
    const type = key.asymmetricKeyType;
    if (type === 'rsa') return { key, algorithm: 'RS256', issuer, audience, maxTtlSeconds };
    if (type === 'ec') return { key, algorithm: 'ES256', issuer, audience, maxTtlSeconds };
    throw new Error(`JWT_PUBLIC_KEY must be an RSA or EC public key, got ${type ?? 'unknown'}`);
  }
  if (options.secret) {
    return { key: createSecretKey(Buffer.from(options.secret, 'utf8')), algorithm: 'HS256', issuer, audience, maxTtlSeconds };
  }
  throw new Error('Set JWT_SECRET or JWT_PUBLIC_KEY');
}
