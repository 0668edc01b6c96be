import { DynamicModule, FactoryProvider, Module, ModuleMetadata } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AUTH_MODULE_OPTIONS, AuthModuleOptions, resolveJwtVerification } from './auth.options';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JWT_VERIFICATION, JwtStrategy } from './jwt.strategy';

export type AuthModuleAsyncOptions = Pick<ModuleMetadata, 'imports'> &
  Pick<FactoryProvider<AuthModuleOptions | Promise<AuthModuleOptions>>, 'useFactory' | 'inject'>;

/** Verifies bearer tokens on every route; `@Public()` opts a route out. */
@Module({})
export class AuthModule {
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports: [PassportModule, ...(options.imports ?? [])],
      providers: [
        { provide: AUTH_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: JWT_VERIFICATION,
          useFactory: (authOptions: AuthModuleOptions) => resolveJwtVerification(authOptions),
          inject: [AUTH_MODULE_OPTIONS],
        },
        JwtStrategy,
        { provide: APP_GUARD, useClass: JwtAuthGuard },
      ],
      exports: [JWT_VERIFICATION],
    };
  }
}
