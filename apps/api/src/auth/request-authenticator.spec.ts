import type { Request, Response } from 'express';
import { DomainError } from '../common/errors/domain-error';
import type { Principal } from '../common/request-context';
import type { AppConfig } from '../config/app-config';
import { RateLimiter } from './rate-limiter';
import { RequestAuthenticator, type AuthedRequest } from './request-authenticator';
import type { TokensService } from './tokens.service';

const PRINCIPAL: Principal = { tokenId: 't1', name: 'dashboard', scopes: ['read'] };

function setup(burst: number) {
  const lookups: string[] = [];
  const tokens = {
    authenticate: async (token: string): Promise<Principal | null> => {
      lookups.push(token);
      await new Promise((r) => setTimeout(r, 5));
      return token === 'uto_good' ? PRINCIPAL : null;
    },
  } as unknown as TokensService;
  const limiter = new RateLimiter({ rateLimitPerMinute: 1, rateLimitBurst: burst } as AppConfig);
  return { authenticator: new RequestAuthenticator(tokens, limiter), lookups };
}

function request(authorization?: string): AuthedRequest {
  return { headers: authorization ? { authorization } : {} } as unknown as Request;
}

function response(): Response & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { headers, setHeader: (name: string, value: string) => (headers[name] = value) } as never;
}

describe('RequestAuthenticator', () => {
  it('looks a request up once and takes one rate-limit unit, however many callers ask at once', async () => {
    const { authenticator, lookups } = setup(1);
    const req = request('Bearer uto_good');
    const all = await Promise.all([1, 2, 3].map(() => authenticator.require(req, response())));
    expect(all).toEqual([PRINCIPAL, PRINCIPAL, PRINCIPAL]);
    expect(lookups).toEqual(['uto_good']);
    expect(req.principal).toEqual(PRINCIPAL);
    // The burst of 1 is spent by that one request: the next request is limited.
    const res = response();
    await expect(authenticator.require(request('Bearer uto_good'), res)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(Number(res.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('refuses a missing, malformed or unknown token with UNAUTHENTICATED and a challenge', async () => {
    const { authenticator, lookups } = setup(10);
    for (const header of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer uto_unknown']) {
      const res = response();
      const error = await authenticator.require(request(header), res).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('UNAUTHENTICATED');
      expect(res.headers['WWW-Authenticate']).toMatch(/^Bearer realm=/);
    }
    expect(lookups).toEqual(['uto_unknown']);
    expect(await authenticator.principal(request())).toBeNull();
  });
});
