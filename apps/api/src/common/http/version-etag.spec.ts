import express from 'express';
import request from 'supertest';
import { REPLAYED_HEADER } from './idempotency.interceptor';
import { sendVersionEtags, versionEtag } from './version-etag';

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
    server.get(
      '/replay',
      (_req, res) => void res.setHeader(REPLAYED_HEADER, 'true').json({ id: 'a', version: 4 }),
    );
    server.get('/failed', (_req, res) => void res.status(409).json({ id: 'a', version: 4 }));
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
    const failed = await request(app()).get('/failed').expect(409);
    expect(failed.headers.etag).toMatch(/^W\//);
  });

  it('changes only the app it was given', async () => {
    app();
    const other = express();
    other.get('/item', (_req, res) => void res.json({ id: 'a', version: 4 }));
    const res = await request(other).get('/item').expect(200);
    expect(res.headers.etag).toMatch(/^W\//);
  });
});
