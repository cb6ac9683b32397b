import { performance } from 'node:perf_hooks';
import { IncrementalRuleSets } from '@app/engine/incremental';
import { generateDeployment } from './engine.bench';

const { inventory, flows } = generateDeployment(1000);
const internet = process.env.INTERNET === '1';
if (internet) {
  const hub = inventory.sites.find((s) => s.id === 'site-0000')!;
  (hub as { connectivity?: string }).connectivity = 'internet';
  for (const d of inventory.devices) for (const i of d.interfaces) if (i.name === 'wan') i.publicAddresses = d.id === 'site-0000-fw' ? ['192.0.2.10'] : ['interface'];
  const tcp = (from: number, to = from) => ({ protocol: 'tcp' as const, ports: { from, to }, externalFrom: null });
  inventory.publications = [{ id: 'pub', nodeId: 'site-0000-master', deviceId: 'site-0000-fw', interface: 'wan', publicAddress: null, ports: [tcp(1194), tcp(5044), tcp(1514, 1516), tcp(55000), tcp(9000), tcp(514)] } as never];
}
const engine = new IncrementalRuleSets(inventory, flows, {});
engine.computePending();
const agent = inventory.nodes.find((n) => n.id === 'site-0002-agent-7')!;
const times: number[] = [];
for (let i = 0; i < Number(process.env.N ?? 200); i++) {
  const t0 = performance.now();
  engine.apply([{ kind: 'node', id: agent.id, value: { ...agent, addresses: [`10.16.4.${(i % 2) + 100}`] } }]);
  const t1 = performance.now();
  engine.ruleSet('site-0002-fw');
  times.push(performance.now() - t1);
  if (i < 3) console.log('apply', (t1 - t0).toFixed(2));
}
times.sort((a, b) => a - b);
console.log('ruleSet ms min/med/p90', times[0].toFixed(2), times[times.length >> 1].toFixed(2), times[Math.floor(times.length * 0.9)].toFixed(2));
