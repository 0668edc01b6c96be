import { decode, verify } from 'jsonwebtoken';
import { AuthUser } from './auth-user';
import { JwtVerification } from './auth.options';
import { TokenClaims, tokenProblem, userFromClaims } from './claims';

/** `Bearer <token>`, the scheme in any case, as passport-jwt reads it. */
const BEARER = /^bearer\s+(\S+)$/i;

/**
 * The user an Authorization header proves, checked exactly as JwtStrategy checks it (key, pinned
 * algorithm, issuer, audience, expiry, lifetime, header, claims); undefined for anything less. For code that must know
 * the caller before the guard runs, such as a rate limit keyed by user: an unverified `sub` would let
 * anyone spend another user's budget, or dodge their own with a fresh `sub` per request.
 */
export function verifiedBearerUser(verification: JwtVerification, authorization: string | undefined): AuthUser | undefined {
  const token = BEARER.exec(authorization ?? '')?.[1];
  if (!token) return undefined;
  try {
    const { header, payload } = verify(token, verification.key, {
      algorithms: [verification.algorithm],
      issuer: verification.issuer,
      audience: verification.audience,
      complete: true,
    });
    if (typeof payload === 'string') return undefined;
    if (tokenProblem(header, payload as TokenClaims, verification.maxTtlSeconds)) return undefined;
    const checked = userFromClaims(payload);
    return 'user' in checked ? checked.user : undefined;
  } catch {
    return undefined;
  }
}

const VERIFIED_USER = Symbol('auth:verifiedBearerUser');

type WithVerifiedUser = { [VERIFIED_USER]?: AuthUser | null };

/**
 * verifiedBearerUser for this request, worked out once and kept on the request: the rate limit needs
 * the caller before the bearer guard runs, and the guard can then take the same answer instead of
 * checking the signature a second time.
 */
export function requestBearerUser(verification: JwtVerification, request: { headers: { authorization?: string } }): AuthUser | undefined {
  const memo = request as WithVerifiedUser;
  if (memo[VERIFIED_USER] === undefined) memo[VERIFIED_USER] = verifiedBearerUser(verification, request.headers.authorization) ?? null;
  return memo[VERIFIED_USER] ?? undefined;
}

/** The user requestBearerUser already verified for this request, if it was asked and the token is good. */
export function alreadyVerifiedUser(request: object): AuthUser | undefined {
  return (request as WithVerifiedUser)[VERIFIED_USER] ?? undefined;
}

/**
 * When the Authorization header's bearer token expires. It decodes without checking: ask only about a
 * header that verifiedBearerUser (or the guard) has already accepted.
 */
export function bearerTokenExpiry(authorization: string | undefined): Date | undefined {
  const token = BEARER.exec(authorization ?? '')?.[1];
  const payload = token ? decode(token) : null;
  return payload && typeof payload === 'object' && typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
}
