import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';

/** Found by the fuzz suite: DateTime arguments that are not date-time strings used to be read as null or as a guess. */
describe('GraphQL DateTime arguments', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
    await create(t, 'sites', { name: 'audited' });
  });
  afterAll(() => t.close());

  const AUDIT = 'query($since: DateTime) { auditEntries(filter: { since: $since }) { totalCount } }';

  it('filter by a date-time string as before', async () => {
    const past = await t.gql<{ auditEntries: { totalCount: number } }>(AUDIT, {
      since: '2000-01-01T00:00:00Z',
    });
    expect(past.errors).toBeUndefined();
    expect(past.data?.auditEntries.totalCount).toBeGreaterThan(0);
    const future = await t.gql<{ auditEntries: { totalCount: number } }>(AUDIT, {
      since: '2999-01-01T00:00:00Z',
    });
    expect(future.data?.auditEntries.totalCount).toBe(0);
  });

  it.each(['2026', 'true', '[1, "a"]', 'NOT_A_DATE'])(
    'refuse the literal %s (it used to become null: the filter was silently dropped)',
    async (literal) => {
      for (const query of [
        `{ auditEntries(filter: { since: ${literal} }) { totalCount } }`,
        `{ pushes(until: ${literal}) { totalCount } }`,
      ]) {
        const res = await t.gql(query);
        expect(res.data).toBeNull();
        expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(res.errors?.[0].message).toMatch(/DateTime must be a date-time string/);
      }
    },
  );

  it.each([true, 0, [1], '2026-12-03', 'yesterday'])(
    'refuse the variable %j (it used to go through new Date(): true was 1970)',
    async (since) => {
      const res = await t.gql(AUDIT, { since });
      expect(res.data).toBeNull();
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    },
  );
});
