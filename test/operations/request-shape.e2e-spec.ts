import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preshapeRequests } from '../../apps/api/src/common/http/request-shape';
import { createTestApp, type TestApp } from '../utils/create-test-app';

// EventEmitter bookkeeping that Node creates when a listener is first added; its meaning is Node's, so it is left to
// Node (added the slow way).
const NODE_EVENT_FIELDS = new Set(['_eventsCount']);

/** What preshapeRequests gives a request and a response, read off a stand-in server. */
function preshaped(): { req: Set<PropertyKey>; res: Set<PropertyKey> } {
  const server = new EventEmitter() as Server;
  preshapeRequests(server);
  const req = {};
  const res = {};
  server.emit('request', req, res);
  return { req: new Set(Reflect.ownKeys(req)), res: new Set(Reflect.ownKeys(res)) };
}

/** Accessors on an object's prototype chain, by name: an own property of that name would hide one. */
function accessors(object: object): Set<PropertyKey> {
  const found = new Set<PropertyKey>();
  for (let proto = object; proto; proto = Object.getPrototypeOf(proto) as object) {
    for (const key of Reflect.ownKeys(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor?.get || descriptor?.set) found.add(key);
    }
  }
  return found;
}

/**
 * Requests and responses get, before Express sets their prototype, every property the service adds while answering
 * (see preshapeRequests: a property added after that costs V8 a hidden class of its own).
 */
describe('request shape', () => {
  let t: TestApp;
  const added = { req: new Set<string>(), res: new Set<string>() };

  beforeAll(async () => {
    t = await createTestApp();
    // Runs before the service's own listener and Express: what the request has as Node built it.
    (t.app.getHttpServer() as Server).prependListener(
      'request',
      (req: IncomingMessage, res: ServerResponse) => {
        const before = { req: new Set(Reflect.ownKeys(req)), res: new Set(Reflect.ownKeys(res)) };
        res.once('close', () => {
          // String keys only: a library's private symbol (the router has one) cannot be named here.
          for (const key of Object.keys(req)) if (!before.req.has(key)) added.req.add(key);
          for (const key of Object.keys(res)) if (!before.res.has(key)) added.res.add(key);
        });
      },
    );
  });

  afterAll(async () => {
    await t?.close();
  });

  it('adds nothing to an answered request that was not there before Express saw it', async () => {
    const reader = await t.token(['read']);
    const site = await t.http().post('/api/v1/sites').send({ name: 'shape-site' }).expect(201);
    const id = (site.body as { id: string }).id;
    await t.as(reader).get(`/api/v1/sites/${id}`).expect(200);
    await t.as(reader).get('/api/v1/sites?limit=5').expect(200);
    await t.http().patch(`/api/v1/sites/${id}`).send({ description: 'changed' }).expect(200);
    await t.anon().get('/health').expect(200);
    await t.anon().get('/api/v1/sites').expect(401);
    await t.http().get('/api/v1/no-such-route').expect(404);
    expect((await t.gql('{ sites { nodes { id } } }')).errors).toBeUndefined();
    // Bounded wait for the last answers' close events.
    for (let i = 0; i < 50 && added.req.size === 0; i++) await new Promise((r) => setTimeout(r, 10));

    const shape = preshaped();
    expect(added.req.size).toBeGreaterThan(0);
    const missing = (seen: Set<string>, given: Set<PropertyKey>) =>
      [...seen].filter((key) => !given.has(key) && !NODE_EVENT_FIELDS.has(key));
    expect(missing(added.req, shape.req), 'request properties to add to preshapeRequests').toEqual([]);
    expect(missing(added.res, shape.res), 'response properties to add to preshapeRequests').toEqual([]);
  });

  it('hides no accessor of the request or response prototypes Express gives them', () => {
    const express = t.app.getHttpAdapter().getInstance() as Express;
    const shape = preshaped();
    const requestAccessors = accessors(express.request);
    const responseAccessors = accessors(express.response);
    expect([...shape.req].filter((key) => requestAccessors.has(key))).toEqual([]);
    expect([...shape.res].filter((key) => responseAccessors.has(key))).toEqual([]);
  });
});
