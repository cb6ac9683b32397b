import { Global, Module } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { RateLimiter } from './rate-limiter';
import { RequestAuthenticator } from './request-authenticator';
import { TokensController } from './tokens.controller';
import { TokensResolver } from './tokens.resolver';
import { TokensService } from './tokens.service';

@Global()
@Module({
  controllers: [TokensController],
  providers: [TokensService, TokensResolver, RateLimiter, RequestAuthenticator, AuthGuard],
  exports: [TokensService, RequestAuthenticator, AuthGuard],
})
export class AuthModule {}
