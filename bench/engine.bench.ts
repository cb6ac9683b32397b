/**
 * Engine benchmark: generated deployments of 10, 100, 1,000 and 10,000 sites (555,000 nodes), each size in
 * a child process of its own, so each peak RSS is that size's alone (the 10,000-site run would otherwise
 * set the figure of every size after it, and the smaller runs would warm the heap of the larger).
 *
 * Each site: zones lan (10.x.y.0/24) and servers (10.x.y+1.0/24 + an IPv6 /64), 50 agents as individual
 * hosts in lan, 5 agentless sources in servers (syslog, netflow, http, syslog+netflow, no selector), a probe
 * in servers at every even site, one firewall (pfSense / FortiOS / OPNsense in turn: lan, servers,
 * wan external). Site 0 is the hub: it also holds the master (dual stack), the consoles (outside every
 * zone) and a core firewall (dc → the hub's servers zone, inet external). Every site uses utmstack-v9,
 * every other site's agents therefore report to the master across the WAN (the hub's firewalls carry
 * them all), and the full builtin catalog (v9 + v11) is passed in.
 */
import { builtinFlows } from '@app/catalog';
import { computeRuleSets } from '@app/engine';
import type { CatalogFlow, DeviceInput, Inventory, NodeInput, RuleSet, Vendor, ZoneInput } from '@app/engine';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BenchContext, formatTable, loadGc, median } from './bench-util';

const VENDORS: Vendor[] = ['pfsense', 'fortios', 'opnsense'];
const AGENTLESS_SELECTORS = [['syslog'], ['netflow'], ['http'], ['syslog', 'netflow'], []];

export function generateDeployment(siteCount: number): { inventory: Inventory; flows: CatalogFlow[] } {
  const inventory: Inventory = { sites: [], zones: [], nodes: [], devices: [] };
  for (let k = 0; k < siteCount; k++) {
    const id = `site-${String(k).padStart(4, '0')}`;
    const a = 16 + (k >> 7);
    const b = (k & 127) * 2;
    const lanZone: ZoneInput = { id: `${id}-lan`, siteId: id, name: 'lan', cidrs: [`10.${a}.${b}.0/24`] };
    const serversZone: ZoneInput = {
      id: `${id}-servers`,
      siteId: id,
      name: 'servers',
      cidrs: [`10.${a}.${b + 1}.0/24`, `2001:db8:${k.toString(16)}:1::/64`],
    };
    inventory.sites.push({ id, name: k === 0 ? 'Hub' : `Site-${k}`, catalogVersion: 'utmstack-v9' });
    inventory.zones.push(lanZone, serversZone);
    const node = (suffix: string, role: NodeInput['role'], addresses: string[], selectors: string[] = []) =>
      inventory.nodes.push({
        id: `${id}-${suffix}`,
        siteId: id,
        name: `${id}-${suffix}`,
        role,
        addresses,
        selectors,
      });
    for (let i = 0; i < 50; i++) node(`agent-${i}`, 'agent', [`10.${a}.${b}.${10 + i}`]);
    AGENTLESS_SELECTORS.forEach((selectors, i) =>
      node(`source-${i}`, 'agentless', [`10.${a}.${b + 1}.${20 + i}`], selectors),
    );
    if (k % 2 === 0) node('probe', 'probe', [`10.${a}.${b + 1}.5`, `2001:db8:${k.toString(16)}:1::5`]);
    const firewall: DeviceInput = {
      id: `${id}-fw`,
      siteId: id,
      name: `${id}-fw`,
      vendor: VENDORS[k % VENDORS.length],
      interfaces: [
        { name: 'lan', external: false, zoneIds: [lanZone.id] },
        { name: 'servers', external: false, zoneIds: [serversZone.id] },
        { name: 'wan', external: true, zoneIds: [] },
      ],
    };
    inventory.devices.push(firewall);
    if (k === 0) {
      node('master', 'master', [`10.${a}.${b + 1}.10`, '2001:db8:0:1::10']);
      node('analysts', 'console', ['198.51.100.0/24', '2001:db8:ffff::/64']);
      node('admins', 'console', ['203.0.113.7']);
      inventory.devices.push({
        id: `${id}-core`,
        siteId: id,
        name: 'core-fw',
        vendor: 'fortios',
        interfaces: [
          { name: 'dc', external: false, zoneIds: [serversZone.id] },
          { name: 'inet', external: true, zoneIds: [] },
        ],
      });
    }
  }
  return { inventory, flows: builtinFlows() };
}

interface SizeResult {
  sites: number;
  nodes: number;
  devices: number;
  rules: number;
  addressObjects: number;
  serviceObjects: number;
  maxRulesPerDevice: number;
  runs: number[];
  medianMs: number;
  /** CPU time (user + system, all threads) of the median run (odd run counts): less sensitive to a loaded machine. */
  cpuMs: number;
  heapMb: number;
  /** RSS once the inventory is generated, before the first computation. */
  inputRssMb: number;
  peakRssMb: number;
}

/** Runs in the child process: generates `sites`, computes it `runs` times, returns the figures. */
function measure(gc: () => void, sites: number, runs: number): SizeResult {
  const { inventory, flows } = generateDeployment(sites);
  gc();
  const inputRssMb = process.memoryUsage().rss / 2 ** 20;
  const times: number[] = [];
  const cpu: number[] = [];
  let heapMb = 0;
  let counts = { rules: 0, addressObjects: 0, serviceObjects: 0, maxRulesPerDevice: 0 };
  for (let i = 0; i < runs; i++) {
    gc(); // the previous run's result is out of scope by now
    const startCpu = process.cpuUsage();
    const start = performance.now();
    const ruleSets = computeRuleSets(inventory, flows);
    times.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
    heapMb = Math.max(heapMb, process.memoryUsage().heapUsed / 2 ** 20);
    counts = countObjects(ruleSets);
  }
  const medianMs = median(times);
  const byTime = times.map((_, i) => i).sort((a, b) => times[a] - times[b]);
  return {
    sites,
    nodes: inventory.nodes.length,
    devices: inventory.devices.length,
    ...counts,
    runs: times,
    medianMs,
    cpuMs: cpu[byTime[byTime.length >> 1]],
    heapMb,
    inputRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function countObjects(ruleSets: RuleSet[]) {
  let maxRulesPerDevice = 0;
  for (const r of ruleSets) maxRulesPerDevice = Math.max(maxRulesPerDevice, r.rules.length);
  return {
    rules: ruleSets.reduce((n, r) => n + r.rules.length, 0),
    addressObjects: ruleSets.reduce((n, r) => n + r.addresses.length, 0),
    serviceObjects: ruleSets.reduce((n, r) => n + r.services.length, 0),
    maxRulesPerDevice,
  };
}

const CHILD_FLAG = '--engine-bench-child';

/** Measures one size in a fresh Node process running this file. */
function measureInChild(sites: number, runs: number): SizeResult {
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '-r',
      'ts-node/register/transpile-only',
      '-r',
      'tsconfig-paths/register',
      __filename,
      CHILD_FLAG,
      String(sites),
      String(runs),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) {
    throw new Error(`engine bench child (${sites} sites) exited with ${child.status ?? child.signal}`);
  }
  return JSON.parse(child.stdout) as SizeResult;
}

const TARGET_1K_MS = 5000;
const TARGET_10K_MS = 10_000;
const TARGET_MB = 1536;
const TARGET_RATIO_SMALL = 15;
/** Ten times the input costs at most ten times the time. */
const TARGET_RATIO = 10;

export function engineBench(ctx: BenchContext): boolean {
  const sizes: Array<[number, number]> = [
    [10, 7],
    [100, 5],
    [1000, 3],
    [10_000, 3],
  ];
  const results = sizes.map(([sites, runs]) => measureInChild(sites, runs));
  ctx.print(
    formatTable(
      [
        'sites',
        'nodes',
        'devices',
        'rules',
        'addr objs',
        'svc objs',
        'max rules/dev',
        'median ms',
        'runs ms',
        'cpu ms',
        'heap MB',
        'input RSS MB',
        'peak RSS MB',
      ],
      results.map((r) => [
        r.sites,
        r.nodes,
        r.devices,
        r.rules,
        r.addressObjects,
        r.serviceObjects,
        r.maxRulesPerDevice,
        r.medianMs.toFixed(1),
        r.runs.map((t) => t.toFixed(0)).join('/'),
        r.cpuMs.toFixed(0),
        r.heapMb.toFixed(0),
        r.inputRssMb.toFixed(0),
        r.peakRssMb.toFixed(0),
      ]),
    ),
  );
  const [, hundred, thousand, tenThousand] = results;
  const smallRatio = thousand.medianMs / hundred.medianMs;
  const ratio = tenThousand.medianMs / thousand.medianMs;
  const cpuRatio = tenThousand.cpuMs / thousand.cpuMs;
  const checks: Array<[string, boolean]> = [
    [
      `1,000 sites in ${thousand.medianMs.toFixed(0)} ms (target < ${TARGET_1K_MS} ms)`,
      thousand.medianMs < TARGET_1K_MS,
    ],
    [
      `10,000 sites in ${tenThousand.medianMs.toFixed(0)} ms (target < ${TARGET_10K_MS} ms)`,
      tenThousand.medianMs < TARGET_10K_MS,
    ],
    [
      `10,000 sites peak RSS ${tenThousand.peakRssMb.toFixed(0)} MB (target < ${TARGET_MB} MB)`,
      tenThousand.peakRssMb < TARGET_MB,
    ],
    [
      `100 → 1,000 sites time ratio ${smallRatio.toFixed(2)} (target ≤ ${TARGET_RATIO_SMALL})`,
      smallRatio <= TARGET_RATIO_SMALL,
    ],
    [
      `1,000 → 10,000 sites time ratio ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO}; CPU time ratio ${cpuRatio.toFixed(2)})`,
      ratio <= TARGET_RATIO,
    ],
  ];
  for (const [text, ok] of checks) ctx.print(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  return checks.every(([, ok]) => ok);
}

if (require.main === module && process.argv[2] === CHILD_FLAG) {
  const result = measure(loadGc(), Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write(JSON.stringify(result));
}
