import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser } from './auth-user';
import { JwtVerification } from './auth.options';
import { TokenClaims, userFromClaims } from './claims';

export const JWT_VERIFICATION = Symbol('JWT_VERIFICATION');

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
    const checked = userFromClaims(claims);
    if ('problem' in checked) throw new UnauthorizedException(checked.problem);
    return checked.user;
  }
}
