import { createTestApp, type TestApp } from '../utils/create-test-app';

/** Unmatched paths outside the API prefix used to get Express's HTML page instead of problem+json. */
describe('unknown paths', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ apiDocs: 'off' });
  });
  afterAll(() => t.close());

  it.each([
    ['GET', '/nope'],
    ['POST', '/health'],
    ['GET', '/api/docs'],
    ['PUT', '/api/x'],
    ['GET', '/nope?access_token=secret-value'],
  ])('%s %s answers 404 problem+json without echoing the query', async (method, path) => {
    const res = await t.anon()[method.toLowerCase() as 'get' | 'post' | 'delete'](path);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(JSON.stringify(res.body)).not.toContain('secret-value');
  });

  it('leaves known routes and the prefixed 404 alone', async () => {
    await t.anon().get('/health').expect(200);
    const res = await t.http().get('/api/v1/nope').expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
