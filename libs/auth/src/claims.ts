import { AuthUser } from './auth-user';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export interface TokenClaims {
  sub?: unknown;
  organizationId?: unknown;
  role?: unknown;
  exp?: unknown;
  iat?: unknown;
}

export interface TokenHeader {
  crit?: unknown;
}

/**
 * What is wrong with a token whose signature, issuer, audience and expiry checked out, beyond its user
 * claims: a token that never expires, or lives longer than `maxTtlSeconds`, is a standing credential
 * should it leak; and `crit` names header extensions the verifier must understand, which this one
 * understands none of (RFC 7515 §4.1.11). The lifetime counts from the earlier of `iat` and now, so
 * that neither a missing `iat` nor one set in the future stretches it.
 */
export function tokenProblem(header: TokenHeader, claims: TokenClaims, maxTtlSeconds: number, nowSeconds = Date.now() / 1000): string | undefined {
  if (header.crit !== undefined) return 'Token has a crit header, which is not supported';
  if (typeof claims.exp !== 'number') return 'Token has no exp (expiry) claim';
  const issued = typeof claims.iat === 'number' ? Math.min(claims.iat, nowSeconds) : nowSeconds;
  if (claims.exp - issued > maxTtlSeconds) return `Token lives longer than the ${maxTtlSeconds} s allowed`;
  return undefined;
}

/** The user a verified token's claims name, or what is wrong with them. */
export function userFromClaims(claims: TokenClaims): { user: AuthUser } | { problem: string } {
  const { sub, organizationId, role } = claims;
  if (typeof sub !== 'string' || !OBJECT_ID.test(sub)) {
    return { problem: 'Token has no valid sub (user id) claim' };
  }
  if (typeof organizationId !== 'string' || !OBJECT_ID.test(organizationId)) {
    return { problem: 'Token has no valid organizationId claim' };
  }
  return {
    user: {
      userId: sub.toLowerCase(),
      organizationId: organizationId.toLowerCase(),
      ...(typeof role === 'string' ? { role } : {}),
    },
  };
}
