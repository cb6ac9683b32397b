import type { RunningSimulator } from '@app/simulators';
import { credentialsInputOf } from '../../apps/api/src/inventory/devices/device-credentials';
import type { TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';

export interface SimulatedDeployment {
  hq: Created;
  servers: Created;
  lan: Created;
  master: Created;
  agents: Created;
  device: Created;
}

export async function simulatedDevice(
  t: TestApp,
  sim: RunningSimulator,
  siteId: string,
  name: string,
  interfaces: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Promise<Created> {
  return create(t, 'devices', {
    siteId,
    name,
    vendor: sim.vendor,
    managementUrl: sim.url,
    credentials: credentialsInputOf(sim.credentials),
    tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
    interfaces,
    ...extra,
  });
}

/** HQ with servers (master) and lan (agents) behind a simulated pfSense: agents → master needs rules on lan. */
export async function simulatedDeployment(
  t: TestApp,
  sim: RunningSimulator,
  extra: Record<string, unknown> = {},
  suffix = '',
): Promise<SimulatedDeployment> {
  const hq = await create(t, 'sites', { name: `HQ${suffix}` });
  const servers = await create(t, 'zones', { siteId: hq.id, name: 'servers', cidrs: ['10.1.10.0/24'] });
  const lan = await create(t, 'zones', { siteId: hq.id, name: 'lan', cidrs: ['10.1.20.0/24'] });
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
  const device = await simulatedDevice(
    t,
    sim,
    hq.id,
    `hq-fw${suffix}`,
    [
      { name: 'opt1', zoneIds: [servers.id] },
      { name: 'lan', zoneIds: [lan.id] },
      { name: 'wan', external: true },
    ],
    extra,
  );
  return { hq, servers, lan, master, agents, device };
}
