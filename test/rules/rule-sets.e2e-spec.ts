import { computeRuleSets, formatPorts } from '@app/engine';
import { builtinFlows } from '@app/catalog';
import {
  HAND_CHECKED_EXPECTED,
  handCheckedInventory,
  type HandCheckedVersion,
} from '@app/engine/testing/hand-checked.fixture';
import { RuleSetsService } from '../../apps/api/src/rules/rule-sets.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create } from '../utils/fixtures';
import { seedInventory, toFixtureIds } from '../utils/seed-inventory';

const RULESET_QUERY = `query($id: ID!) { device(id: $id) { name ruleSet {
  deviceId deviceName vendor prefix hash
  addresses { name family entries description }
  services { name protocol ports portRanges { from to } description }
  rules { name order ingress egress family source destination service protocol flowIds sourceNodeIds destinationNodeIds
    explanations { flowId catalogVersion purpose sourceNodeIds destinationNodeIds text } }
} } }`;

describe.each(['utmstack-v9', 'utmstack-v11'] as HandCheckedVersion[])(
  'rule sets of the hand-checked deployment (%s)',
  (version) => {
    let t: TestApp;
    let ids: Map<string, string>;

    beforeAll(async () => {
      t = await createTestApp();
      ids = await seedInventory(t, handCheckedInventory(version));
    });
    afterAll(() => t.close());

    it.each(['hq-fw', 'br1-fw'] as const)(
      '%s over REST matches the hand-written expectation',
      async (device) => {
        const res = await t
          .http()
          .get(`/api/v1/devices/${ids.get(device)}/ruleset`)
          .expect(200);
        const expected = HAND_CHECKED_EXPECTED[version][device];
        const { hash, ...actual } = toFixtureIds(res.body, ids);
        expect(hash).toMatch(/^[0-9a-f]{16,64}$/);
        expect(actual).toEqual({
          ...expected,
          services: expected.services.map((s) => ({
            ...s,
            ports: formatPorts(s.ports),
            portRanges: s.ports,
          })),
        });
      },
    );

    it.each(['hq-fw', 'br1-fw'] as const)('%s over GraphQL equals REST', async (device) => {
      const rest = await t
        .http()
        .get(`/api/v1/devices/${ids.get(device)}/ruleset`)
        .expect(200);
      const gql = await t.gql<{ device: { ruleSet: unknown } }>(RULESET_QUERY, { id: ids.get(device) });
      expect(gql.errors).toBeUndefined();
      expect(gql.data!.device.ruleSet).toEqual(rest.body);
    });

    it('hashes match the engine run directly on the same inventory', async () => {
      const direct = computeRuleSets(handCheckedInventory(version), builtinFlows());
      for (const ruleSet of direct) {
        const res = await t
          .http()
          .get(`/api/v1/devices/${ids.get(ruleSet.deviceId)}/ruleset`)
          .expect(200);
        expect(toFixtureIds(res.body, ids).rules).toEqual(ruleSet.rules);
      }
    });
  },
);

describe('rule set caching, catalog and reachability', () => {
  let t: TestApp;
  let ids: Map<string, string>;
  let service: RuleSetsService;

  beforeAll(async () => {
    t = await createTestApp();
    ids = await seedInventory(t, handCheckedInventory('utmstack-v9'));
    service = t.app.get(RuleSetsService);
  });
  afterAll(() => t.close());

  it('computes once while nothing changes and again after an inventory change', async () => {
    const hq = ids.get('hq-fw')!;
    const first = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    const count = service.computations;
    await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    await t
      .http()
      .get(`/api/v1/devices/${ids.get('br1-fw')}/ruleset`)
      .expect(200);
    expect(service.computations).toBe(count);

    const agent = await create(t, 'nodes', {
      siteId: ids.get('hq'),
      name: 'new-agent',
      role: 'agent',
      addresses: ['10.1.20.77'],
    });
    const changed = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    expect(service.computations).toBe(count + 1);
    // The new agent sits inside the lan agents' /25, so its traffic is already allowed and the rules are
    // unchanged except for the node lists that justify them.
    expect(changed.body.hash).not.toBe(first.body.hash);
    await t.http().delete(`/api/v1/nodes/${agent.id}`).expect(204);
    const back = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    expect(back.body.hash).toBe(first.body.hash);
    expect(back.body).toEqual(first.body);
  });

  it('lists catalog flows per version over REST and GraphQL', async () => {
    const v9 = await t.http().get('/api/v1/catalog/flows?version=utmstack-v9').expect(200);
    expect(v9.body.every((f: { version: string }) => f.version === 'utmstack-v9')).toBe(true);
    const hids = v9.body.find((f: { ports: string }) => f.ports === '1514-1516');
    expect(hids).toMatchObject({
      from: 'agent',
      to: 'collector',
      protocol: 'tcp',
      portRanges: [{ from: 1514, to: 1516 }],
    });
    const gql = await t.gql<{ catalogFlows: { id: string }[] }>(
      `{ catalogFlows(version: "utmstack-v9") { id } }`,
    );
    expect(gql.data!.catalogFlows.map((f) => f.id)).toEqual(v9.body.map((f: { id: string }) => f.id));
    await t.http().get('/api/v1/catalog/flows?version=utmstack-v1').expect(400);
    const versions = await t.http().get('/api/v1/catalog/versions').expect(200);
    expect(versions.body).toEqual(['utmstack-v9', 'utmstack-v11']);
    const never = await t.http().get('/api/v1/catalog/never-exposed').expect(200);
    expect(never.body.map((p: { port: number }) => p.port)).toEqual(expect.arrayContaining([5432, 9200]));
  });

  it('adds, changes and removes a custom flow, and rule sets follow', async () => {
    const hq = ids.get('hq-fw')!;
    const before = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    const bad = await t
      .http()
      .post('/api/v1/catalog/flows')
      .send({
        version: 'utmstack-v9',
        from: 'console',
        to: 'master',
        protocol: 'tcp',
        ports: '70000',
        purpose: 'x',
      })
      .expect(400);
    expect(bad.body.errors[0].field).toBe('ports');
    await t
      .http()
      .post('/api/v1/catalog/flows')
      .send({
        version: 'utmstack-v9',
        from: 'console',
        to: 'wizard',
        protocol: 'tcp',
        ports: '22',
        purpose: 'x',
      })
      .expect(400);
    const created = await t
      .http()
      .post('/api/v1/catalog/flows')
      .send({
        id: 'custom-ssh',
        version: 'utmstack-v9',
        from: 'console',
        to: 'master',
        protocol: 'tcp',
        ports: '22, 2222-2223',
        purpose: 'SSH to the master',
      })
      .expect(201);
    expect(created.body).toMatchObject({ id: 'custom-ssh', ports: '22,2222-2223', custom: true });
    await t
      .http()
      .post('/api/v1/catalog/flows')
      .send({
        id: 'custom-ssh',
        version: 'utmstack-v9',
        from: 'console',
        to: 'master',
        protocol: 'tcp',
        ports: '22',
        purpose: 'dup',
      })
      .expect(409);
    const withSsh = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    expect(withSsh.body.hash).not.toBe(before.body.hash);
    const sshRules = withSsh.body.rules.filter((r: { flowIds: string[] }) =>
      r.flowIds.includes('custom-ssh'),
    );
    expect(sshRules.length).toBeGreaterThan(0);
    expect(sshRules[0].explanations.map((e: { text: string }) => e.text).join(' ')).toContain(
      'SSH to the master',
    );

    const gql = await t.gql<{ updateCustomFlow: { ports: string } }>(
      `mutation { updateCustomFlow(id: "custom-ssh", input: { ports: "22" }) { ports } }`,
    );
    expect(gql.data!.updateCustomFlow.ports).toBe('22');
    const builtin = await t.http().delete('/api/v1/catalog/flows/v9-probe-master-vpn');
    expect(builtin.status).toBe(400);
    await t.http().delete('/api/v1/catalog/flows/custom-ssh').expect(204);
    const after = await t.http().get(`/api/v1/devices/${hq}/ruleset`).expect(200);
    expect(after.body.hash).toBe(before.body.hash);
  });

  it('answers reachability: flows, devices on the path with interfaces, and allowing rules', async () => {
    const res = await t
      .http()
      .get(`/api/v1/reachability?from=${ids.get('br1-legacy')}&to=${ids.get('hq-master')}`)
      .expect(200);
    const body = toFixtureIds(res.body, ids);
    expect(body.flows.length).toBeGreaterThan(0);
    expect(body.flows.map((f: { flowId: string }) => f.flowId)).toEqual(
      expect.arrayContaining(['v9-agent-hids']),
    );
    const hops = body.hops.map((h: { deviceId: string; ingress: string; egress: string }) => [
      h.deviceId,
      h.ingress,
      h.egress,
    ]);
    expect(hops).toEqual(
      expect.arrayContaining([
        ['br1-fw', 'port2', 'port1'],
        ['hq-fw', 'wan', 'opt1'],
      ]),
    );
    expect(body.allowed).toBe(true);
    for (const hop of body.hops) expect(hop.rules.length).toBeGreaterThan(0);

    const hids = await t
      .http()
      .get(
        `/api/v1/reachability?from=${ids.get('br1-legacy')}&to=${ids.get('hq-master')}&protocol=tcp&port=1515`,
      )
      .expect(200);
    expect(hids.body.flows.map((f: { ports: string }) => f.ports)).toEqual(['1514-1516']);

    const postgres = await t
      .http()
      .get(
        `/api/v1/reachability?from=${ids.get('analysts')}&to=${ids.get('hq-master')}&protocol=tcp&port=5432`,
      )
      .expect(200);
    expect(postgres.body.flows).toEqual([]);
    expect(postgres.body.allowed).toBe(false);

    const gql = await t.gql<{ reachability: { allowed: boolean; hops: { deviceName: string }[] } }>(
      `query($f: ID!, $t: ID!) { reachability(from: $f, to: $t) { allowed hops { deviceName ingress egress } } }`,
      { f: ids.get('br1-legacy'), t: ids.get('hq-master') },
    );
    expect(gql.data!.reachability.allowed).toBe(true);
    expect(gql.data!.reachability.hops.map((h) => h.deviceName).sort()).toEqual(['br1-fw', 'hq-fw']);

    await t
      .http()
      .get(`/api/v1/reachability?from=${ids.get('analysts')}`)
      .expect(400);
    const unknown = await t
      .http()
      .get(`/api/v1/reachability?from=${ids.get('analysts')}&to=00000000-0000-4000-8000-000000000000`)
      .expect(400);
    expect(unknown.body.errors[0].field).toBe('to');
  });
});
