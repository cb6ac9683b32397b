import type { ExecutionContext } from '@nestjs/common';
import type { AuthGuard } from '../../auth/auth.guard';
import { DomainError } from '../errors/domain-error';
import { HttpGuards } from './http-guards';
import type { NoBodyGuard } from './no-body.guard';

describe('HttpGuards', () => {
  const context = {} as ExecutionContext;

  it('checks the body only once the caller is authenticated', async () => {
    const calls: string[] = [];
    const guards = new HttpGuards(
      {
        canActivate: () => {
          calls.push('auth');
          return Promise.reject(new DomainError('UNAUTHENTICATED', 'no token'));
        },
      } as unknown as AuthGuard,
      { canActivate: () => (calls.push('noBody'), true) } as unknown as NoBodyGuard,
    );
    await expect(guards.canActivate(context)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toEqual(['auth']);
  });

  it('runs both, auth first, and answers what the body check answers', async () => {
    const calls: string[] = [];
    const guards = new HttpGuards(
      { canActivate: () => (calls.push('auth'), Promise.resolve(true)) } as unknown as AuthGuard,
      { canActivate: () => (calls.push('noBody'), true) } as unknown as NoBodyGuard,
    );
    await expect(guards.canActivate(context)).resolves.toBe(true);
    expect(calls).toEqual(['auth', 'noBody']);
  });
});
