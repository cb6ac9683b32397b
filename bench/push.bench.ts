/**
 * Push benchmark: 200 simulated pfSense firewalls (20 ms per API call), pushed in one fleet push.
 *
 * Deployment: a hub site (master in servers, its own firewall) and 199 branches (agents in lan, a syslog
 * switch in servers, one firewall each: lan, servers, wan external). Every branch's agents and sources report
 * to the hub master, so every branch firewall needs outbound rules and the hub firewall inbound rules for all.
 *
 * Prints, for (1) the first fleet push, (2) the same push again (both in ROUNDS rounds, each from devices back at
 * their seed; the targets take the median round) and (3) a push after adding one agent:
 * wall time against the ideal (calls × latency ÷ concurrency), total API calls against the minimum the plans
 * need (one state read of 4 calls + one write per change + one commit per changed device), writes, the
 * process's event-loop utilisation and CPU time per push, and the SQL statements per push (Prisma, job queue
 * and advisory locks, counted at the driver; the bench's own progress polls, every second as a dashboard
 * would, are counted apart). The wall time ends when the runner reports the last push finished, so it does
 * not depend on the poll interval.
 * Targets: no writes at all in (2); in (3) writes only on the devices whose rule set changed; wall/ideal of
 * (1) ≤ 1.3 and (2) ≤ 1.5 on PostgreSQL, ≤ 2 and ≤ 3 on PGlite; at most 6 statements per push in (2).
 * The simulators run in a process of their own (sim-fleet.ts), as firewalls are other machines: until 2026-12-06
 * they shared the service's event loop, and their HTTP servers, handlers and timers then counted as the service's
 * overhead. They still share this machine's two cores with the service and the database.
 * The floor: each device's state read through its connector alone (the calls of a no-change push, a connection per
 * device, as many at a time), with no service, database or job queue: what the simulators, their timers and HTTP
 * cost on this machine, so the service's own share of the ratios above can be read off in the same run.
 */
import 'reflect-metadata';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createConnector } from '@app/connectors';
import { QueryCounter, type QueryCounts } from '../apps/api/src/database/query-counter';
import { credentialsInputOf } from '../apps/api/src/inventory/devices/device-credentials';
import { PushRunner } from '../apps/api/src/pushes/push-runner.service';
import { startBenchApp } from './bench-app';
import { BENCH_ADMIN_TOKEN, BenchContext, formatTable } from './bench-util';
import { type FleetSimulator, type SimFleet, startSimFleet } from './sim-fleet';

const DEVICES = Number(process.env.BENCH_PUSH_DEVICES ?? 200);
const LATENCY_MS = 20;
const CONCURRENCY = Number(process.env.BENCH_PUSH_CONCURRENCY ?? 25);
/** Rounds of (first push, no-change push); a single run moved by ±0.05 between runs on this machine. */
const ROUNDS = Number(process.env.BENCH_PUSH_ROUNDS ?? 3);
/** readState on pfSense: aliases, rules, port forwards (managed NAT), apply status. */
const STATE_READ_CALLS = 4;
/** How often the bench asks `GET /pushes` for progress, as a dashboard would; the wall time does not depend on it. */
const POLL_MS = 1_000;
const POSTGRES = Boolean(process.env.BENCH_DATABASE_URL);
/** Wall time ÷ ideal, per database: first fleet push, no-change push (issue #14). */
const TARGETS = POSTGRES ? { first: 1.3, noChange: 1.5 } : { first: 2, noChange: 3 };
const SQL_PER_NO_CHANGE_PUSH = 6;

interface PushRow {
  id: string;
  deviceId: string;
  durationMs: number | null;
  state: string;
  writes: number | null;
  plan: { changes: unknown[]; pendingCommit: boolean } | null;
}

interface Run {
  label: string;
  wallMs: number;
  calls: number;
  writes: number;
  minimumCalls: number;
  changedDevices: number;
  states: Record<string, number>;
  pushes: PushRow[];
  /** Mean time a push held its device (start to finish). */
  meanPushMs: number;
  /** Event-loop utilisation of the process over the run (1: the one thread never idle). */
  elu: number;
  /** CPU time of the whole process (service and simulators) over the run ÷ pushes: what load does not inflate. */
  cpuMsPerPush: number;
  /** Statements sent outside requests (queue, workers, listeners, timers) per push. */
  sqlPerPush: number;
  /** Statements of the POST /pushes request, and of all progress polls together. */
  requestSql: number;
  pollSql: number;
  polls: number;
}

export async function pushBench(ctx: BenchContext): Promise<boolean> {
  const fleetOfSims = await startSimFleet(DEVICES, {
    latencyMs: LATENCY_MS,
    interfaces: ['wan', 'lan', 'servers'],
  });
  const sims = fleetOfSims.sims;
  const { app } = await startBenchApp(BENCH_ADMIN_TOKEN, { pushConcurrency: CONCURRENCY });
  const counter = app.get(QueryCounter);
  // Finish times straight from the runner (after its listeners, webhooks included), so the wall time does not
  // depend on how often the bench polls.
  const finishedAt = new Map<string, number>();
  app.get(PushRunner).onFinished((push) => {
    finishedAt.set(push.id, performance.now());
  });
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${BENCH_ADMIN_TOKEN}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };

  try {
    ctx.print(`seeding ${DEVICES} devices…`);
    const deviceIds: string[] = [];
    const hub = await api<{ id: string }>('POST', '/sites', { name: 'Hub' });
    const hubServers = await api<{ id: string }>('POST', '/zones', {
      siteId: hub.id,
      name: 'servers',
      cidrs: ['10.0.1.0/24'],
    });
    const hubLan = await api<{ id: string }>('POST', '/zones', {
      siteId: hub.id,
      name: 'lan',
      cidrs: ['10.0.0.0/24'],
    });
    const master = await api<{ id: string }>('POST', '/nodes', {
      siteId: hub.id,
      name: 'master',
      role: 'master',
      addresses: ['10.0.1.5'],
    });
    const device = async (siteId: string, name: string, sim: FleetSimulator, lan: string, servers: string) =>
      (
        await api<{ id: string }>('POST', '/devices', {
          siteId,
          name,
          vendor: 'pfsense',
          managementUrl: sim.url,
          credentials: credentialsInputOf(sim.credentials),
          tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
          interfaces: [
            { name: 'wan', external: true },
            { name: 'lan', zoneIds: [lan] },
            { name: 'servers', zoneIds: [servers] },
          ],
        })
      ).id;
    deviceIds.push(await device(hub.id, 'hub-fw', sims[0], hubLan.id, hubServers.id));
    const branchLans: { siteId: string; lan: string }[] = [];
    for (let k = 1; k < DEVICES; k++) {
      const a = 16 + (k >> 7);
      const b = (k & 127) * 2;
      const site = await api<{ id: string }>('POST', '/sites', { name: `Branch-${k}` });
      const lan = await api<{ id: string }>('POST', '/zones', {
        siteId: site.id,
        name: 'lan',
        cidrs: [`10.${a}.${b}.0/24`],
      });
      const servers = await api<{ id: string }>('POST', '/zones', {
        siteId: site.id,
        name: 'servers',
        cidrs: [`10.${a}.${b + 1}.0/24`],
      });
      await api('POST', '/nodes', {
        siteId: site.id,
        name: `agents-${k}`,
        role: 'agent',
        addresses: [`10.${a}.${b}.0/25`],
        collectorId: master.id,
      });
      await api('POST', '/nodes', {
        siteId: site.id,
        name: `switch-${k}`,
        role: 'agentless',
        addresses: [`10.${a}.${b + 1}.20`],
        selectors: ['syslog'],
        collectorId: master.id,
      });
      deviceIds.push(await device(site.id, `branch-${k}-fw`, sims[k], lan.id, servers.id));
      branchLans.push({ siteId: site.id, lan: `10.${a}.${b}` });
    }

    const hashes = async (): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const id of deviceIds)
        out.set(id, (await api<{ hash: string }>('GET', `/devices/${id}/ruleset`)).hash);
      return out;
    };

    const run = async (label: string): Promise<Run> => {
      await fleetOfSims.reset();
      finishedAt.clear();
      const total = (c: QueryCounts) => c.prisma + c.queue + c.lock;
      const sql0 = counter.counts;
      const elu0 = performance.eventLoopUtilization();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const fleet = await api<{ fleetId: string }>('POST', '/pushes', {
        all: true,
        reason: `bench: ${label}`,
      });
      const sql1 = counter.counts;
      const requestSql = total(sql1) - sql1.background - (total(sql0) - sql0.background);
      let pushes: PushRow[];
      let polls = 0;
      for (;;) {
        await new Promise((r) => setTimeout(r, finishedAt.size === DEVICES ? 0 : POLL_MS));
        polls += 1;
        pushes = (await api<{ items: PushRow[] }>('GET', `/pushes?fleetId=${fleet.fleetId}&limit=500`)).items;
        if (
          pushes.length === DEVICES &&
          pushes.every((p) => ['succeeded', 'failed', 'noop'].includes(p.state))
        )
          break;
      }
      const elu: EventLoopUtilization = performance.eventLoopUtilization(elu0);
      const cpu = process.cpuUsage(cpu0);
      const sql2 = counter.counts;
      const ids = new Set(pushes.map((p) => p.id));
      const ends = [...finishedAt].filter(([id]) => ids.has(id)).map(([, at]) => at);
      if (ends.length !== DEVICES)
        throw new Error(`${label}: ${ends.length} of ${DEVICES} pushes reported finished`);
      const wallMs = Math.max(...ends) - t0;
      const pollSql = total(sql2) - sql2.background - (total(sql1) - sql1.background);
      const backgroundSql = sql2.background - sql1.background;
      const counts = await fleetOfSims.counts();
      const calls = counts.reduce((n, c) => n + c.calls, 0);
      const writes = counts.reduce((n, c) => n + c.writes, 0);
      const changed = pushes.filter((p) => (p.plan?.changes.length ?? 0) > 0 || p.plan?.pendingCommit);
      const minimumCalls =
        DEVICES * STATE_READ_CALLS + changed.reduce((n, p) => n + (p.plan?.changes.length ?? 0) + 1, 0);
      const states: Record<string, number> = {};
      for (const p of pushes) states[p.state] = (states[p.state] ?? 0) + 1;
      const meanPushMs = pushes.reduce((n, p) => n + (p.durationMs ?? 0), 0) / pushes.length;
      return {
        label,
        wallMs,
        calls,
        writes,
        minimumCalls,
        changedDevices: changed.length,
        states,
        pushes,
        meanPushMs,
        elu: elu.utilization,
        cpuMsPerPush: (cpu.user + cpu.system) / 1000 / DEVICES,
        sqlPerPush: backgroundSql / DEVICES,
        requestSql,
        pollSql,
        polls,
      };
    };

    const floor = await bareReads(fleetOfSims);
    const before = await hashes();
    // Rounds, each from empty devices: a first push that writes everything, then the same push again.
    const firsts: Run[] = [];
    const agains: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1) await fleetOfSims.restore();
      firsts.push(await run(`first fleet push, round ${round}`));
      agains.push(await run(`no-change fleet push, round ${round}`));
    }
    // One more agent host at branch 1, outside the /25 its siblings already cover.
    await api('POST', '/nodes', {
      siteId: branchLans[0].siteId,
      name: 'new-agent',
      role: 'agent',
      addresses: [`${branchLans[0].lan}.200`],
      collectorId: master.id,
    });
    const after = await hashes();
    const onPath = new Set(deviceIds.filter((id) => before.get(id) !== after.get(id)));
    const added = await run('one added agent');
    const runs = [...firsts, ...agains, added];

    const ideal = (r: Run): number => (r.calls * LATENCY_MS) / CONCURRENCY;
    const ratio = (r: Run): number => r.wallMs / ideal(r);
    const median = (of: Run[]): Run => [...of].sort((a, b) => ratio(a) - ratio(b))[of.length >> 1];
    const first = median(firsts);
    const again = median(agains);
    ctx.print(
      formatTable(
        [
          'run',
          'wall ms',
          'ideal ms',
          'wall/ideal',
          'mean push ms',
          'calls',
          'minimum',
          'calls/min',
          'ELU',
          'CPU ms/push',
          'SQL/push',
          'writes',
          'changed devices',
          'states',
        ],
        runs.map((r) => [
          r.label,
          Math.round(r.wallMs),
          Math.round(ideal(r)),
          ratio(r).toFixed(2),
          Math.round(r.meanPushMs),
          r.calls,
          r.minimumCalls,
          (r.calls / r.minimumCalls).toFixed(2),
          r.elu.toFixed(2),
          r.cpuMsPerPush.toFixed(1),
          r.sqlPerPush.toFixed(1),
          r.writes,
          r.changedDevices,
          Object.entries(r.states)
            .map(([s, n]) => `${s}:${n}`)
            .join(' '),
        ]),
      ),
    );
    const writers = added.pushes.filter((p) => (p.writes ?? 0) > 0).map((p) => p.deviceId);
    const offPath = writers.filter((id) => !onPath.has(id));
    const firstRatio = ratio(first);
    const againRatio = ratio(again);
    const noChangeWrites = agains.reduce((n, r) => n + r.writes, 0);
    ctx.print(
      `database: ${POSTGRES ? 'PostgreSQL' : 'PGlite'}; devices: ${DEVICES}, latency ${LATENCY_MS} ms per call, ${CONCURRENCY} concurrent pushes; ideal = calls × latency ÷ concurrency\n` +
        `rounds: ${ROUNDS}, each from devices back at their seed (nothing managed); the targets take each kind's median round\n` +
        `wall = request sent → last push finished (runner's own record, after its listeners); progress polled every ${POLL_MS} ms\n` +
        `minimum = ${STATE_READ_CALLS} state reads per device + one write per planned change + one commit per changed device\n` +
        `ELU = event-loop utilisation of the process during the run; CPU ms/push = the service's CPU time (all threads; the simulators run in a process of their own) ÷ pushes; SQL/push = statements sent outside requests (Prisma, queue, advisory locks) ÷ pushes\n` +
        `floor: each device's state read through its connector alone (${floor.calls} calls, ${CONCURRENCY} devices at a time, no service, database or queue): wall ${Math.round(floor.wallMs)} ms, ideal ${Math.round(floor.idealMs)} ms, wall/ideal ${(floor.wallMs / floor.idealMs).toFixed(2)}\n` +
        `SQL in requests: ${runs.map((r) => `${r.label}: POST ${r.requestSql}, ${r.polls} polls ${r.pollSql}`).join('; ')}\n` +
        `first fleet push wall/ideal, median of ${ROUNDS}: ${firstRatio.toFixed(2)} (target ≤ ${TARGETS.first})\n` +
        `no-change fleet push wall/ideal, median of ${ROUNDS}: ${againRatio.toFixed(2)} (target ≤ ${TARGETS.noChange}); SQL per push ${again.sqlPerPush.toFixed(1)} (target ≤ ${SQL_PER_NO_CHANGE_PUSH})\n` +
        `no-change push writes, all rounds: ${noChangeWrites} (target 0)\n` +
        `added agent: rule set changed on ${onPath.size} device(s); devices written: ${writers.length}, off its paths: ${offPath.length} (target 0)`,
    );
    if (floor.calls !== again.calls) {
      throw new Error(
        `the floor made ${floor.calls} calls, a no-change push ${again.calls}: they no longer compare`,
      );
    }
    const failed = runs.some((r) => (r.states.failed ?? 0) > 0);
    return (
      !failed &&
      noChangeWrites === 0 &&
      offPath.length === 0 &&
      writers.length === onPath.size &&
      firstRatio <= TARGETS.first &&
      againRatio <= TARGETS.noChange &&
      again.sqlPerPush <= SQL_PER_NO_CHANGE_PUSH
    );
  } finally {
    await app.close();
    await fleetOfSims.stop();
  }
}

/**
 * Reads every simulator's state through a connector of its own, CONCURRENCY devices at a time, as a no-change push
 * does before it finds nothing to write: the calls, timers and HTTP of the fleet without the service around them.
 */
async function bareReads(fleet: SimFleet): Promise<{ wallMs: number; idealMs: number; calls: number }> {
  await fleet.reset();
  let next = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    for (let i = next++; i < fleet.sims.length; i = next++) {
      const sim = fleet.sims[i];
      const credentials = sim.credentials;
      if (credentials.kind !== 'pfsense-api-key') throw new Error(`simulator ${i} is not a pfSense one`);
      const connector = createConnector({
        id: `floor-${i}`,
        vendor: 'pfsense',
        url: sim.url,
        credentials,
        tls: { fingerprintSha256: sim.tls.fingerprintSha256 },
      });
      try {
        await connector.readState();
      } finally {
        connector.close();
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const wallMs = performance.now() - t0;
  const calls = (await fleet.counts()).reduce((n, c) => n + c.calls, 0);
  return { wallMs, idealMs: (calls * LATENCY_MS) / CONCURRENCY, calls };
}
