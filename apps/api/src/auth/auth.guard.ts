import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import type { Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import { requestContext } from '../common/request-context';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PUBLIC_KEY, SCOPE_KEY, type PublicWhen } from './auth.decorators';
import { RequestAuthenticator, type AuthedRequest } from './request-authenticator';
import { grants, type Scope } from './scopes';

interface RouteRules {
  publicWhen: PublicWhen | undefined;
  scope: Scope | undefined;
}

/**
 * Run first by HttpGuards (the APP_GUARD): every REST route and GraphQL operation needs a valid bearer token with the
 * route's scope, unless marked @Public(). 401 without a valid token, 403 without the scope, 429 over
 * the token's rate limit.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly rules = new WeakMap<object, WeakMap<object, RouteRules>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { publicWhen, scope } = this.routeRules(context);
    if (publicWhen === true || (typeof publicWhen === 'function' && publicWhen(this.config))) return true;
    const { req, res, defaultScope } = this.transport(context);
    const required = scope ?? defaultScope;
    // GraphQL runs this once per root field, after the endpoint already authenticated the request.
    const principal = await this.authenticator.require(req, res);
    const state = requestContext.getStore();
    if (state) state.principal = principal;
    if (!grants(principal.scopes, required)) {
      throw new DomainError('FORBIDDEN', `token ${principal.name} lacks the "${required}" scope`, [], {
        requiredScope: required,
      });
    }
    return true;
  }

  /** A route's @Public and @RequireScope, read from its metadata once rather than on every request. */
  private routeRules(context: ExecutionContext): RouteRules {
    const handler = context.getHandler();
    const type = context.getClass();
    // By class, then handler: a method inherited by two controllers has the metadata of each.
    let byHandler = this.rules.get(type);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.rules.set(type, byHandler);
    }
    let rules = byHandler.get(handler);
    if (!rules) {
      const targets = [handler, type];
      rules = {
        publicWhen: this.reflector.getAllAndOverride<PublicWhen | undefined>(PUBLIC_KEY, targets),
        scope: this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, targets),
      };
      byHandler.set(handler, rules);
    }
    return rules;
  }

  private transport(context: ExecutionContext): {
    req: AuthedRequest;
    res: Response | undefined;
    defaultScope: Scope;
  } {
    if (context.getType<GqlContextType>() === 'graphql') {
      const gql = GqlExecutionContext.create(context);
      const { req } = gql.getContext<{ req: AuthedRequest }>();
      const operation = gql.getInfo<{ operation: { operation: string } }>().operation.operation;
      return { req, res: req.res, defaultScope: operation === 'query' ? 'read' : 'write' };
    }
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    return { req, res, defaultScope: req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write' };
  }
}
