import type { TestApp } from './create-test-app';

export interface Created {
  id: string;
  [key: string]: unknown;
}

/** Creates through the public REST API (like a user would) and fails loudly on anything but 201. */
export async function create(t: TestApp, path: string, body: Record<string, unknown>): Promise<Created> {
  const res = await t.http().post(`/api/v1/${path}`).send(body);
  if (res.status !== 201) throw new Error(`POST ${path} → ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as Created;
}

/** Row counts of every inventory table, to prove a refused request changed nothing. */
export async function snapshotCounts(t: TestApp): Promise<Record<string, number>> {
  const paths = ['sites', 'zones', 'nodes', 'devices'];
  const out: Record<string, number> = {};
  for (const path of paths) {
    const res = await t.http().get(`/api/v1/${path}?limit=500`);
    out[path] = (res.body as { total: number }).total;
    out[`${path}:body`] = JSON.stringify((res.body as { items: unknown[] }).items).length;
  }
  return out;
}

export interface SmallDeployment {
  hq: Created;
  branch: Created;
  servers: Created;
  lan: Created;
  branchLan: Created;
  master: Created;
  agents: Created;
  probe: Created;
  hqFw: Created;
}

export async function smallDeployment(t: TestApp): Promise<SmallDeployment> {
  const hq = await create(t, 'sites', { name: 'HQ', description: 'Head office' });
  const branch = await create(t, 'sites', { name: 'Branch-1' });
  const servers = await create(t, 'zones', { siteId: hq.id, name: 'servers', cidrs: ['10.1.10.0/24'] });
  const lan = await create(t, 'zones', {
    siteId: hq.id,
    name: 'lan',
    cidrs: ['10.1.20.0/24', 'fd00:1:20::/64'],
  });
  const branchLan = await create(t, 'zones', { siteId: branch.id, name: 'lan', cidrs: ['10.2.20.0/24'] });
  const master = await create(t, 'nodes', {
    siteId: hq.id,
    name: 'hq-master',
    role: 'master',
    addresses: ['10.1.10.5'],
  });
  const agents = await create(t, 'nodes', {
    siteId: hq.id,
    name: 'hq-agents',
    role: 'agent',
    addresses: ['10.1.20.0/24'],
    collectorId: master.id,
  });
  const probe = await create(t, 'nodes', {
    siteId: branch.id,
    name: 'branch-probe',
    role: 'probe',
    addresses: ['10.2.20.2'],
  });
  const hqFw = await create(t, 'devices', {
    siteId: hq.id,
    name: 'hq-fw',
    vendor: 'pfsense',
    managementUrl: 'https://10.1.0.1',
    credentials: { apiKey: 'pfsense-secret-key-123' },
    interfaces: [
      { name: 'opt1', zoneIds: [servers.id] },
      { name: 'lan', zoneIds: [lan.id] },
      { name: 'wan', external: true },
    ],
  });
  return { hq, branch, servers, lan, branchLan, master, agents, probe, hqFw };
}
