import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser } from './auth-user';
import { JwtVerification } from './auth.options';

export const JWT_VERIFICATION = Symbol('JWT_VERIFICATION');

const OBJECT_ID = /^[0-9a-f]{24}$/i;

interface TokenClaims {
  sub?: unknown;
  organizationId?: unknown;
  role?: unknown;
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(JWT_VERIFICATION) verification: JwtVerification) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // jsonwebtoken accepts a KeyObject and then skips re-parsing the key on every request;
      // passport-jwt passes it through untouched, but its types only know strings and Buffers.
      secretOrKey: verification.key as unknown as Buffer,
      algorithms: [verification.algorithm],
      issuer: verification.issuer,
      audience: verification.audience,
      ignoreExpiration: false,
    });
  }

  validate(claims: TokenClaims): AuthUser {
    const { sub, organizationId, role } = claims;
    if (typeof sub !== 'string' || !OBJECT_ID.test(sub)) {
      throw new UnauthorizedException('Token has no valid sub (user id) claim');
    }
    if (typeof organizationId !== 'string' || !OBJECT_ID.test(organizationId)) {
      throw new UnauthorizedException('Token has no valid organizationId claim');
    }
    return {
      userId: sub.toLowerCase(),
      organizationId: organizationId.toLowerCase(),
      ...(typeof role === 'string' ? { role } : {}),
    };
  }
}
