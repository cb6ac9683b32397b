import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';

/** Only an explicit `all: true` selects every device; a null or empty selector is bad input, not "everything". */
describe('fleet push selection', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let siteId: string;
  let deviceId: string;

  beforeAll(async () => {
    t = await createTestApp({ schedulerIntervalMs: 3_600_000 });
    prisma = t.app.get(PrismaService);
    const site = await create(t, 'sites', { name: 'fleet-site' });
    const zone = await create(t, 'zones', { siteId: site.id, name: 'lan', cidrs: ['10.7.0.0/24'] });
    siteId = site.id;
    // Ports 9 (discard) and 1 (tcpmux) are closed: any push that does get queued fails fast instead of waiting on
    // a timeout. Two ports, because two device records of one endpoint are refused.
    for (const [name, port] of [
      ['fleet-a', 9],
      ['fleet-b', 1],
    ] as const) {
      const device = await create(t, 'devices', {
        siteId: site.id,
        name,
        vendor: 'pfsense',
        managementUrl: `http://127.0.0.1:${port}`,
        credentials: { apiKey: 'fleet-key-0123456789' },
        interfaces: [{ name: 'lan', zoneIds: [zone.id] }],
      });
      deviceId = device.id;
    }
  });
  afterAll(() => t.close());

  const recorded = async (): Promise<{ pushes: number; audits: number }> => ({
    pushes: await prisma.push.count(),
    audits: await prisma.auditEntry.count({ where: { action: 'push.fleet' } }),
  });

  const refusals: [Record<string, unknown>, string][] = [
    [{ deviceIds: null }, 'deviceIds'],
    [{ siteId: null }, 'siteId'],
    [{ vendor: null }, 'vendor'],
    [{ all: null }, 'all'],
    [{ deviceIds: [] }, 'deviceIds'],
    [{}, 'all'],
    [{ all: false }, 'all'],
  ];

  it('refuses null and empty selectors with 400 naming the field, and queues and audits nothing (REST)', async () => {
    const before = await recorded();
    for (const [body, field] of refusals) {
      const res = await t.http().post('/api/v1/pushes').send(body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    }
    const empty = await t.http().post('/api/v1/pushes').send({ deviceIds: [] });
    expect(empty.body.errors[0].message).toContain('at least one');
    expect(await recorded()).toEqual(before);
  });

  it('refuses the same over GraphQL pushFleet', async () => {
    const before = await recorded();
    for (const [input, field] of refusals) {
      const res = await t.gql(`mutation($input: FleetPushInput!) { pushFleet(input: $input) { fleetId } }`, {
        input,
      });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.errors?.map((e) => e.field)).toContain(field);
    }
    expect(await recorded()).toEqual(before);
  });

  it('still selects by deviceIds, by site, and every device only with all: true', async () => {
    const one = await t
      .http()
      .post('/api/v1/pushes')
      .send({ deviceIds: [deviceId], dryRun: true })
      .expect(202);
    expect(one.body.pushes.map((p: { deviceId: string }) => p.deviceId)).toEqual([deviceId]);
    const site = await t.http().post('/api/v1/pushes').send({ siteId, dryRun: true }).expect(202);
    expect(site.body.pushes).toHaveLength(2);
    const all = await t.http().post('/api/v1/pushes').send({ all: true, dryRun: true }).expect(202);
    expect(all.body.pushes).toHaveLength(2);
  });
});
