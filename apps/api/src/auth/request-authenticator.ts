import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import type { Principal } from '../common/request-context';
import { RateLimiter } from './rate-limiter';
import { TokensService } from './tokens.service';

export type AuthedRequest = Request & { principal?: Principal | null };

const CHALLENGE = 'Bearer realm="utm-firewall-orchestrator"';

/**
 * Resolves the bearer token of an HTTP request once, however many layers ask (the GraphQL endpoint before it
 * parses anything, the guard on every root field, the API docs): authenticates it and takes one request from
 * the token's rate limit. The result is kept on `req.principal`, which the request log also reads.
 */
@Injectable()
export class RequestAuthenticator {
  private readonly pending = new WeakMap<Request, Promise<Principal | null>>();

  constructor(
    private readonly tokens: TokensService,
    private readonly limiter: RateLimiter,
  ) {}

  /** The caller, or null without a valid token; RATE_LIMITED (with Retry-After) over the token's limit. */
  principal(req: AuthedRequest, res?: Response): Promise<Principal | null> {
    if (req.principal !== undefined) return Promise.resolve(req.principal);
    // GraphQL root fields run their guards concurrently: they share one lookup and one rate-limit take.
    let pending = this.pending.get(req);
    if (!pending) {
      pending = this.resolve(req, res);
      this.pending.set(req, pending);
    }
    return pending;
  }

  /** As principal(), but refuses anonymous callers: UNAUTHENTICATED with a WWW-Authenticate challenge. */
  async require(req: AuthedRequest, res?: Response): Promise<Principal> {
    const principal = await this.principal(req, res);
    if (principal) return principal;
    res?.setHeader('WWW-Authenticate', CHALLENGE);
    throw new DomainError(
      'UNAUTHENTICATED',
      'a valid bearer token is required (Authorization: Bearer <token>)',
    );
  }

  private async resolve(req: AuthedRequest, res: Response | undefined): Promise<Principal | null> {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const principal = match ? await this.tokens.authenticate(match[1]) : null;
    req.principal = principal;
    if (!principal) return null;
    const verdict = this.limiter.take(principal.tokenId);
    if (!verdict.allowed) {
      res?.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      throw new DomainError(
        'RATE_LIMITED',
        `rate limit exceeded for token ${principal.name}; retry in ${verdict.retryAfterSeconds}s`,
        [],
        { retryAfterSeconds: verdict.retryAfterSeconds },
      );
    }
    return principal;
  }
}
