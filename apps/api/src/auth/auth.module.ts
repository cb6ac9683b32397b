import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard';
import { RateLimiter } from './rate-limiter';
import { RequestAuthenticator } from './request-authenticator';
import { TokensController } from './tokens.controller';
import { TokensResolver } from './tokens.resolver';
import { TokensService } from './tokens.service';

@Global()
@Module({
  controllers: [TokensController],
  providers: [
    TokensService,
    TokensResolver,
    RateLimiter,
    RequestAuthenticator,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokensService, RequestAuthenticator],
})
export class AuthModule {}
