/**
 * `npm run demo`: the service on the embedded database (DATA_DIR, default ./data), the vendor simulators, a
 * realistic UTMStack deployment (HQ with master, agents, a DMZ and analysts; two branches with probes, agents and
 * syslog/NetFlow sources; one firewall of each vendor), one fleet push, and a summary of what went where.
 * Two customers (tenants): acme owns that deployment; globex's master stands in the provider's datacenter, whose
 * FortiGate belongs to no tenant. The run ends with what each customer's own token sees.
 * Internet paths: Branch-1 reaches HQ over the internet (its probe's VPN goes to the master's port forward on HQ's
 * pfSense at 198.51.100.10), Branch-2 over a site-to-site VPN (a routed site link), and SOC analysts working from
 * home (a site on the internet) reach the master's console through the same publication.
 * Simulator state is saved in DATA_DIR, so running the demo again shows the unchanged devices as `noop`.
 * Keeps serving on PORT (default 3000) until Ctrl-C; `--once` (or DEMO_ONCE=1) exits after the summary.
 */
import 'reflect-metadata';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { startSimulator, type RunningSimulator } from '@app/simulators';
import type { Vendor } from '@app/engine/model';
import { AppModule } from '../apps/api/src/app.module';
import { TokensService } from '../apps/api/src/auth/tokens.service';
import { loadConfig } from '../apps/api/src/config/app-config';
import { APP_OPTIONS, configureApp } from '../apps/api/src/configure-app';
import { credentialsInputOf } from '../apps/api/src/inventory/devices/device-credentials';

interface Firewall {
  vendor: Vendor;
  name: string;
  site: string;
  /** Interface → zones behind it (empty: external). */
  interfaces: [string, string[]][];
  /** Public addresses of the external interface (internet paths). */
  publicAddresses?: string[];
  simPort: number;
}

const once = process.argv.includes('--once') || process.env.DEMO_ONCE === '1';
const config = loadConfig(process.env);
const dataDir = config.dataDir ?? resolve('data');
const stateFile = join(dataDir, 'demo-simulators.json');
const portBase = Number(process.env.DEMO_SIM_PORT_BASE ?? 19440);

const DEPLOYMENT = {
  name: 'Demo',
  description: 'UTMStack v9: master at HQ, a probe per branch',
  catalogVersion: 'utmstack-v9',
};
const SITES = [
  { name: 'HQ', description: 'Head office: UTMStack master, agents, DMZ' },
  { name: 'Branch-1', description: 'Branch with a probe, agents, switches and a NetFlow router' },
  { name: 'Branch-2', description: 'Branch with a probe, agents and hypervisors' },
];
/** [site, name, cidrs] */
type ZoneRow = [string, string, string[]];
// [site, name, role, addresses, zone-less collector name, selectors]
type NodeRow = [string, string, string, string[], string | null, string[]];
const ZONES: ZoneRow[] = [
  ['HQ', 'servers', ['10.10.10.0/24']],
  ['HQ', 'lan', ['10.10.20.0/23']],
  ['HQ', 'dmz', ['172.16.10.0/24']],
  ['HQ', 'mgmt', ['10.10.99.0/24']],
  ['Branch-1', 'servers', ['10.20.10.0/24']],
  ['Branch-1', 'lan', ['10.20.20.0/24']],
  ['Branch-2', 'servers', ['10.30.10.0/24']],
  ['Branch-2', 'lan', ['10.30.20.0/24']],
];
const NODES: NodeRow[] = [
  ['HQ', 'hq-master', 'master', ['10.10.10.5'], null, []],
  ['HQ', 'hq-agents', 'agent', ['10.10.20.0/23'], 'hq-master', []],
  ['HQ', 'dmz-web', 'agent', ['172.16.10.10', '172.16.10.11'], 'hq-master', []],
  ['HQ', 'hq-core-switch', 'agentless', ['10.10.10.2'], 'hq-master', ['syslog']],
  ['HQ', 'soc-analysts', 'console', ['10.10.99.0/24'], null, []],
  ['Branch-1', 'br1-probe', 'probe', ['10.20.10.2'], null, []],
  ['Branch-1', 'br1-agents', 'agent', ['10.20.20.0/24'], 'br1-probe', []],
  ['Branch-1', 'br1-switches', 'agentless', ['10.20.10.50', '10.20.10.51'], 'br1-probe', ['syslog']],
  ['Branch-1', 'br1-router', 'agentless', ['10.20.10.1'], 'br1-probe', ['netflow']],
  ['Branch-2', 'br2-probe', 'probe', ['10.30.10.2'], null, []],
  ['Branch-2', 'br2-agents', 'agent', ['10.30.20.0/24'], 'br2-probe', []],
  ['Branch-2', 'br2-esxi', 'agentless', ['10.30.10.60'], 'br2-probe', ['syslog']],
];
/** Tenants: acme owns the deployment above and its sites; globex shares the provider datacenter. */
const CUSTOMERS = [
  { name: 'acme', description: 'Customer running the Demo deployment (HQ and two branches)' },
  { name: 'globex', description: 'Customer whose master is hosted in the provider datacenter' },
];
const SECOND = {
  deployment: {
    name: 'Globex',
    description: 'UTMStack v9: master in the provider datacenter',
    catalogVersion: 'utmstack-v9',
  },
  /** Provider site: no tenant; shared by every customer hosted there. */
  dc: {
    name: 'Provider-DC',
    description: 'Provider datacenter: hosted UTMStack masters of several customers',
  },
  office: { name: 'Globex-Office', description: 'Globex office: agents reporting to the hosted master' },
  zones: [
    ['Provider-DC', 'globex-masters', ['10.200.1.0/24']],
    ['Globex-Office', 'lan', ['10.60.20.0/24']],
  ] as ZoneRow[],
  nodes: [
    ['Provider-DC', 'globex-master', 'master', ['10.200.1.10'], null, []],
    ['Globex-Office', 'globex-agents', 'agent', ['10.60.20.0/24'], 'globex-master', []],
  ] as NodeRow[],
};

const FIREWALLS: Firewall[] = [
  {
    vendor: 'pfsense',
    name: 'hq-pfsense',
    site: 'HQ',
    interfaces: [
      ['wan', []],
      ['lan', ['lan']],
      ['opt1', ['servers']],
      ['opt2', ['dmz']],
      ['opt3', ['mgmt']],
    ],
    publicAddresses: ['198.51.100.10'],
    simPort: portBase,
  },
  {
    vendor: 'fortios',
    name: 'br1-fortigate',
    site: 'Branch-1',
    interfaces: [
      ['port1', []],
      ['port2', ['lan']],
      ['port3', ['servers']],
    ],
    publicAddresses: ['203.0.113.20'],
    simPort: portBase + 1,
  },
  {
    vendor: 'opnsense',
    name: 'br2-opnsense',
    site: 'Branch-2',
    interfaces: [
      ['wan', []],
      ['lan', ['lan']],
      ['opt1', ['servers']],
    ],
    simPort: portBase + 2,
  },
  {
    vendor: 'fortios',
    name: 'dc-fortigate',
    site: 'Provider-DC',
    interfaces: [
      ['port1', []],
      ['port2', ['globex-masters']],
    ],
    simPort: portBase + 3,
  },
];

/** Internet paths of the Demo deployment (see the header). */
const INTERNET = {
  internetSites: ['HQ', 'Branch-1'],
  /** Site pairs on a site-to-site VPN although one of them talks to others over the internet. */
  routedLinks: [['HQ', 'Branch-2']] as [string, string][],
  roaming: {
    name: 'Roaming',
    description: 'Analysts working from home: on the internet, no firewall of ours',
  },
  roamingNodes: [['Roaming', 'home-analysts', 'console', ['0.0.0.0/0'], null, []]] as NodeRow[],
  /** [node, firewall]: published at the firewall's first public address, on the ports its flows need. */
  publications: [['hq-master', 'hq-pfsense']] as [string, string][],
};

/** Simulators that can hand over and take back their whole state (pfSense, FortiOS, OPNsense) survive demo restarts. */
interface Restorable {
  state: unknown;
  guiReplace(state: unknown): void;
}

function restorable(sim: RunningSimulator & { simulator?: unknown }): Restorable | null {
  const candidate = sim.simulator as Partial<Restorable> | undefined;
  return candidate && typeof candidate.guiReplace === 'function' && 'state' in candidate
    ? (candidate as Restorable)
    : null;
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const saved = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>)
    : {};
  const sims = new Map<string, RunningSimulator>();
  for (const fw of FIREWALLS) {
    try {
      const options: Record<string, unknown> = { port: fw.simPort };
      if (fw.vendor === 'pfsense') options.interfaces = fw.interfaces.map(([name]) => name);
      const sim = await startSimulator(fw.vendor, options as never);
      const state = saved[fw.name];
      if (state !== undefined) restorable(sim)?.guiReplace(state);
      sims.set(fw.name, sim);
    } catch (error) {
      console.log(
        `  ! no ${fw.vendor} simulator in this build (${error instanceof Error ? error.message : String(error)}); ${fw.name} is left out`,
      );
    }
  }

  // Request logs would drown the summary; LOG_LEVEL=info brings them back.
  const logLevel = process.env.LOG_LEVEL ? config.logLevel : 'warn';
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ logLevel }), {
    ...APP_OPTIONS,
    logger: ['error', 'warn'],
  });
  configureApp(app);
  await app.listen(config.port, config.host);
  const base = `http://127.0.0.1:${config.port}`;
  const { token } = await app
    .get(TokensService)
    .create({ name: `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`, scopes: ['admin'] }, 'demo');
  const call = async <T>(bearer: string, method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  const api = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    call<T>(token, method, path, body);

  const saveSimulators = (): void => {
    const out: Record<string, unknown> = {};
    for (const [name, sim] of sims) {
      const r = restorable(sim);
      if (r) out[name] = r.state;
    }
    writeFileSync(stateFile, JSON.stringify(out));
  };

  // Seed once; later runs find the inventory in the database and only refresh the simulator URLs.
  type Named = { id: string; name: string };
  const list = async (path: string): Promise<Named[]> =>
    (await api<{ items: Named[] }>('GET', `${path}?limit=500`)).items;
  const sites = new Map((await list('/sites')).map((s) => [s.name, s.id]));
  const seeded = SITES.every((s) => sites.has(s.name));
  // Sites are in `sites` by then; a collector comes before the nodes that name it.
  const seedZonesAndNodes = async (
    deploymentId: string,
    zones: ZoneRow[],
    nodeRows: NodeRow[],
  ): Promise<void> => {
    for (const [site, name, cidrs] of zones)
      await api('POST', '/zones', { siteId: sites.get(site), name, cidrs });
    const nodes = new Map<string, string>();
    for (const [site, name, role, addresses, collector, selectors] of nodeRows) {
      const created = await api<Named>('POST', '/nodes', {
        siteId: sites.get(site),
        deploymentId,
        name,
        role,
        addresses,
        selectors,
        ...(collector ? { collectorId: nodes.get(collector) } : {}),
      });
      nodes.set(name, created.id);
    }
  };
  if (!seeded) {
    // One UTMStack installation; its catalog version applies to every node (sites carry no override).
    const deploymentId =
      (await list('/deployments')).find((d) => d.name === DEPLOYMENT.name)?.id ??
      (await api<Named>('POST', '/deployments', DEPLOYMENT)).id;
    for (const s of SITES) {
      if (!sites.has(s.name)) sites.set(s.name, (await api<Named>('POST', '/sites', s)).id);
    }
    await seedZonesAndNodes(deploymentId, ZONES, NODES);
  }
  // Customers: created on any run, so a data directory seeded before tenants gets them too. Moving the
  // deployment first lets its sites follow (a tenant's site holds only that tenant's nodes).
  type Owned = Named & { tenantId: string | null };
  const tenants = new Map((await list('/tenants')).map((c) => [c.name, c.id]));
  for (const c of CUSTOMERS)
    if (!tenants.has(c.name)) tenants.set(c.name, (await api<Named>('POST', '/tenants', c)).id);
  const acme = tenants.get('acme')!;
  for (const d of (await list('/deployments')) as Owned[])
    if (d.name === DEPLOYMENT.name && d.tenantId === null)
      await api('PATCH', `/deployments/${d.id}`, { tenantId: acme });
  for (const s of (await list('/sites')) as Owned[])
    if (SITES.some((x) => x.name === s.name) && s.tenantId === null)
      await api('PATCH', `/sites/${s.id}`, { tenantId: acme });
  if (!(await list('/deployments')).some((d) => d.name === SECOND.deployment.name)) {
    const globex = tenants.get('globex')!;
    const deploymentId = (
      await api<Named>('POST', '/deployments', { ...SECOND.deployment, tenantId: globex })
    ).id;
    if (!sites.has(SECOND.dc.name))
      sites.set(SECOND.dc.name, (await api<Named>('POST', '/sites', SECOND.dc)).id);
    sites.set(
      SECOND.office.name,
      (await api<Named>('POST', '/sites', { ...SECOND.office, tenantId: globex })).id,
    );
    await seedZonesAndNodes(deploymentId, SECOND.zones, SECOND.nodes);
  }

  // Firewalls are added on any run, so a vendor whose simulator arrives later joins the deployment.
  const zoneIds = new Map(
    (await api<{ items: (Named & { siteId: string })[] }>('GET', '/zones?limit=500')).items.map((z) => [
      `${z.siteId}/${z.name}`,
      z.id,
    ]),
  );
  const existing = new Set((await list('/devices')).map((d) => d.name));
  for (const fw of FIREWALLS) {
    const sim = sims.get(fw.name);
    if (!sim || existing.has(fw.name)) continue;
    await api('POST', '/devices', {
      siteId: sites.get(fw.site),
      name: fw.name,
      vendor: fw.vendor,
      managementUrl: sim.url,
      credentials: credentialsInputOf(sim.credentials),
      tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
      interfaces: fw.interfaces.map(([name, zs]) =>
        zs.length
          ? { name, zoneIds: zs.map((z) => zoneIds.get(`${sites.get(fw.site)}/${z}`)) }
          : { name, external: true, ...(fw.publicAddresses ? { publicAddresses: fw.publicAddresses } : {}) },
      ),
    });
  }
  await seedInternetPaths();
  const devices = await api<{ items: (Named & { managementUrl: string; vendor: string })[] }>(
    'GET',
    '/devices?limit=500',
  );
  for (const d of devices.items) {
    const sim = sims.get(d.name);
    if (sim && sim.url !== d.managementUrl)
      await api('PATCH', `/devices/${d.id}`, { managementUrl: sim.url });
  }

  // Internet paths: added on any run (a data directory seeded before them gets them too), each step only when
  // missing, so the second run changes nothing.
  async function seedInternetPaths(): Promise<void> {
    type SiteRow = Named & { connectivity?: string; tenantId: string | null };
    const siteRows = (await list('/sites')) as SiteRow[];
    for (const s of siteRows)
      if (INTERNET.internetSites.includes(s.name) && s.connectivity !== 'internet')
        await api('PATCH', `/sites/${s.id}`, { connectivity: 'internet' });
    const links = (
      await api<{ items: { siteAId: string; siteBId: string }[] }>('GET', '/site-links?limit=500')
    ).items;
    for (const [a, b] of INTERNET.routedLinks) {
      const [ida, idb] = [sites.get(a)!, sites.get(b)!];
      const known = links.some(
        (l) => (l.siteAId === ida && l.siteBId === idb) || (l.siteAId === idb && l.siteBId === ida),
      );
      if (!known) await api('POST', '/site-links', { siteAId: ida, siteBId: idb, connectivity: 'routed' });
    }
    if (!sites.has(INTERNET.roaming.name)) {
      const deploymentId = (await list('/deployments')).find((d) => d.name === DEPLOYMENT.name)!.id;
      sites.set(
        INTERNET.roaming.name,
        (await api<Named>('POST', '/sites', { ...INTERNET.roaming, onInternet: true, tenantId: acme })).id,
      );
      await seedZonesAndNodes(deploymentId, [], INTERNET.roamingNodes);
    }
    type DeviceRow = Named & {
      interfaces: { name: string; external: boolean; zoneIds: string[]; publicAddresses?: string[] }[];
    };
    const deviceRows = (await api<{ items: DeviceRow[] }>('GET', '/devices?limit=500')).items;
    for (const fw of FIREWALLS) {
      const d = deviceRows.find((x) => x.name === fw.name);
      const wan = d?.interfaces.find((i) => i.external);
      if (!d || !wan || !fw.publicAddresses || (wan.publicAddresses ?? []).length > 0) continue;
      await api('PATCH', `/devices/${d.id}`, {
        interfaces: d.interfaces.map((i) =>
          i.external
            ? { name: i.name, external: true, publicAddresses: fw.publicAddresses }
            : { name: i.name, zoneIds: i.zoneIds },
        ),
      });
    }
    const nodeIds = new Map((await list('/nodes')).map((n) => [n.name, n.id]));
    const published = new Set(
      (await api<{ items: { nodeId: string }[] }>('GET', '/publications?limit=500')).items.map(
        (p) => p.nodeId,
      ),
    );
    for (const [node, fw] of INTERNET.publications) {
      const nodeId = nodeIds.get(node);
      const deviceId = deviceRows.find((x) => x.name === fw)?.id;
      if (nodeId && deviceId && !published.has(nodeId))
        await api('POST', '/publications', { nodeId, deviceId });
    }
  }

  console.log(
    `\n${seeded ? 'Inventory already seeded' : 'Seeded'}: ${SITES.length} sites, ${ZONES.length} zones, ${NODES.length} nodes, ${sims.size} firewalls`,
  );
  type Push = {
    id: string;
    deviceId: string;
    state: string;
    writes: number | null;
    durationMs: number | null;
    errorMessage: string | null;
    plan: { summary: { create: number; update: number; delete: number; reorder: number } } | null;
  };
  const names = new Map(devices.items.map((d) => [d.id, d]));
  const fleetPush = async (reason: string): Promise<Push[]> => {
    const started = Date.now();
    const fleet = await api<{ fleetId: string; pushes: { id: string }[] }>('POST', '/pushes', {
      all: true,
      reason,
    });
    let pushes: Push[];
    for (;;) {
      pushes = (await api<{ items: Push[] }>('GET', `/pushes?fleetId=${fleet.fleetId}&limit=500`)).items;
      if (pushes.every((p) => ['succeeded', 'failed', 'noop', 'cancelled'].includes(p.state))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    saveSimulators();
    console.log(`\n${reason}: fleet push ${fleet.fleetId} (${Date.now() - started} ms)`);
    const rows = pushes
      .map((p) => {
        const d = names.get(p.deviceId)!;
        const s = p.plan?.summary;
        const changes = s
          ? `+${s.create} ~${s.update} -${s.delete}${s.reorder ? ` ↕${s.reorder}` : ''}`
          : '-';
        return [
          d.name,
          d.vendor,
          p.state,
          changes,
          String(p.writes ?? 0),
          `${p.durationMs ?? '-'} ms`,
          p.errorMessage ?? '',
        ];
      })
      .sort((a, b) => a[0].localeCompare(b[0]));
    const header = ['device', 'vendor', 'state', 'changes', 'writes', 'took', 'error'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [header, ...rows])
      console.log(`  ${row.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd());
    return pushes;
  };
  const pushes = await fleetPush('push');
  for (const p of pushes) {
    const ruleSet = await api<{
      rules: { name: string; ingress: string; service: string; explanations: { text: string }[] }[];
      nat?: { interface: string; description: string }[];
    }>('GET', `/devices/${p.deviceId}/ruleset`);
    console.log(`\n  ${names.get(p.deviceId)!.name}: ${ruleSet.rules.length} allow rules`);
    for (const r of ruleSet.rules.slice(0, 4))
      console.log(`    ${r.name} (${r.ingress}): ${r.explanations[0]?.text ?? ''}`);
    if (ruleSet.rules.length > 4) console.log(`    … ${ruleSet.rules.length - 4} more`);
    for (const n of ruleSet.nat ?? []) console.log(`    NAT ${n.interface}: ${n.description}`);
  }
  // Pushing an unchanged fleet again writes nothing.
  await fleetPush('push again');

  // What each customer sees with a token limited to it: only its own inventory and fleet; of the provider's
  // shared FortiGate, only the rules of its own flows.
  console.log('\nPer customer (each with its own tenant-limited read token):');
  const dcFortigate = devices.items.find((d) => d.name === 'dc-fortigate');
  const table = [
    ['customer', 'deployments', 'sites', 'nodes', 'firewalls', 'last pushes', 'dc-fortigate rules'],
  ];
  for (const c of CUSTOMERS) {
    const own = await api<{ token: string }>('POST', '/tokens', {
      name: `demo-${c.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      scopes: ['read'],
      tenantIds: [tenants.get(c.name)],
    });
    const total = async (path: string): Promise<string> =>
      String((await call<{ total: number }>(own.token, 'GET', `${path}?limit=1`)).total);
    const fleet = await call<{ totalDevices: number; byState: { state: string; devices: number }[] }>(
      own.token,
      'GET',
      '/pushes/summary',
    );
    const shared = dcFortigate
      ? await call<{ rules: unknown[] }>(own.token, 'GET', `/devices/${dcFortigate.id}/ruleset`).then(
          (r) => String(r.rules.length),
          () => '0 (not found for it)',
        )
      : '-';
    table.push([
      c.name,
      await total('/deployments'),
      await total('/sites'),
      await total('/nodes'),
      String(fleet.totalDevices),
      fleet.byState
        .filter((s) => s.devices > 0)
        .map((s) => `${s.state} ${s.devices}`)
        .join(', ') || '-',
      shared,
    ]);
  }
  const tw = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  for (const row of table) console.log(`  ${row.map((c, i) => c.padEnd(tw[i])).join('  ')}`.trimEnd());
  console.log(
    '\nRun `npm run demo` again: the simulator state is saved in DATA_DIR, so every device is noop.',
  );

  if (once) {
    await app.close();
    for (const sim of sims.values()) await sim.stop();
    return;
  }
  console.log(`\nService: ${base}  (GraphQL ${base}/graphql, Swagger UI ${base}/api/docs)`);
  console.log(`Admin token for this demo: ${token}`);
  console.log('Ctrl-C stops the service and the simulators.');
  const stop = async (): Promise<void> => {
    saveSimulators();
    await app.close();
    for (const sim of sims.values()) await sim.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
