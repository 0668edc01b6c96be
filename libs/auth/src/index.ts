export { AuthModule } from './auth.module';
export type { AuthModuleAsyncOptions } from './auth.module';
export { resolveJwtVerification } from './auth.options';
export type { AuthModuleOptions, JwtAlgorithm, JwtVerification } from './auth.options';
export type { AuthUser } from './auth-user';
export { CurrentUser } from './current-user.decorator';
export { addBearerAuth, BEARER_SCHEME, JwtAuthGuard } from './jwt-auth.guard';
export { JWT_VERIFICATION } from './jwt.strategy';
export { Public } from './public.decorator';
