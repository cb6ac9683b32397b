import type { ExecutionContext } from '@nestjs/common';
import express from 'express';
import request from 'supertest';
import type { AuthGuard } from '../../auth/auth.guard';
import { DomainError } from '../errors/domain-error';
import { HttpGuards } from './http-guards';
import { REPLAYED_HEADER } from './idempotency.interceptor';
import type { NoBodyGuard } from './no-body.guard';
import { sendVersionEtags, versionEtag } from './version-etag';

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

describe('versionEtag', () => {
  it('is the version of a body with a string id, the revision when version is not a number', () => {
    expect(versionEtag({ id: 'a', version: 3 })).toBe('"3"');
    expect(versionEtag({ id: 'a', version: '2026.1', revision: 7 })).toBe('"7"');
  });

  it('is absent for anything that is not one versioned resource', () => {
    for (const body of [null, 'text', 5, [], { id: 1, version: 2 }, { id: 'a' }, { items: [], version: 1 }]) {
      expect(versionEtag(body)).toBeUndefined();
    }
  });
});

describe('sendVersionEtags', () => {
  function app(): express.Express {
    const server = express();
    sendVersionEtags(server);
    server.get('/item', (_req, res) => void res.json({ id: 'a', version: 4 }));
    server.get('/replay', (_req, res) => void res.setHeader(REPLAYED_HEADER, 'true').json({ id: 'a', version: 4 }));
    server.get('/list', (_req, res) => void res.json({ items: [{ id: 'a', version: 4 }] }));
    return server;
  }

  it('sends the version of a versioned resource as a strong ETag', async () => {
    const res = await request(app()).get('/item').expect(200);
    expect(res.headers.etag).toBe('"4"');
    expect(res.body).toEqual({ id: 'a', version: 4 });
  });

  it('leaves replays and other bodies to Express (a weak ETag of the bytes, or none)', async () => {
    const replay = await request(app()).get('/replay').expect(200);
    expect(replay.headers.etag).toMatch(/^W\//);
    const list = await request(app()).get('/list').expect(200);
    expect(list.headers.etag).toMatch(/^W\//);
  });

  it('changes only the app it was given', async () => {
    app();
    const other = express();
    other.get('/item', (_req, res) => void res.json({ id: 'a', version: 4 }));
    const res = await request(other).get('/item').expect(200);
    expect(res.headers.etag).toMatch(/^W\//);
  });
});
