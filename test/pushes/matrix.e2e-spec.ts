import {
  SIMULATOR_VERSIONS,
  startSimulator,
  type FortiOsSimulator,
  type StartedSimulator,
  type Vendor,
} from '@app/simulators';
import { PrismaService } from '../../apps/api/src/database/prisma.service';
import { createTestApp, type TestApp } from '../utils/create-test-app';
import { create, type Created } from '../utils/fixtures';
import { simulatedDevice } from './push-fixtures';
import { requestPush, waitForPush, type PushBody } from './push-helpers';

/*
 * The version matrix through the service (issue #13, item 3): for every firmware in SIMULATOR_VERSIONS a device
 * points at a simulator running as that version and is pushed through the REST API and the job queue, like an
 * operator would. Versions outside the supported range must be refused before any write, with the reason in the
 * push history. Then the behaviours where a connector adapts to the version, seen from the push history.
 *
 * One app and database for the file; every simulator is started at once (a simulator's version is fixed when it
 * starts, and starting one is a listen on an ephemeral port), and the pushes of all devices are queued together.
 * Names are read from the rule set API, never spelled here (the naming scheme is not this file's subject).
 */

const MARKER = '[managed by utm-orchestrator]';
const WINDOW_MS = 60_000;

type AnySim = StartedSimulator<'pfsense'> | StartedSimulator<'fortios'> | StartedSimulator<'opnsense'>;

interface BoxSpec {
  vendor: Vendor;
  label: string;
  start: () => Promise<AnySim>;
  /** The refusal the push history must show (unsupported firmware or settings); undefined: must converge. */
  refused?: RegExp;
}

interface Box extends BoxSpec {
  sim: AnySim;
  device: Created;
  first: PushBody;
  /** Writes the simulator saw during the first push. */
  firstWrites: number;
  second: PushBody;
  /** Writes the simulator saw during the second push. */
  secondWrites: number;
  /** What the simulator held right after the first push. */
  liveAfterFirst: Live;
  /** Route counts of the first push (savepoint, transaction calls…). */
  firstRoutes: Record<string, number>;
}

const UNSUPPORTED = /is not supported: this connector supports .*Nothing was written/;

const supported: BoxSpec[] = [
  ...SIMULATOR_VERSIONS.pfsense.map((v): BoxSpec => ({
    vendor: 'pfsense',
    label: `${v.version} (REST API ${v.packageVersion})`,
    start: () => startSimulator('pfsense', { version: v.version, packageVersion: v.packageVersion }),
  })),
  ...SIMULATOR_VERSIONS.fortios.map((version): BoxSpec => ({
    vendor: 'fortios',
    label: version,
    start: () => startSimulator('fortios', { version, interfaces: ['opt1', 'lan', 'wan'] }),
  })),
  ...SIMULATOR_VERSIONS.opnsense.map((version): BoxSpec => ({
    vendor: 'opnsense',
    label: version,
    start: () => startSimulator('opnsense', { version }),
  })),
];

const refused: BoxSpec[] = [
  {
    vendor: 'pfsense',
    label: '2.6.0-RELEASE (below CE 2.7)',
    start: () => startSimulator('pfsense', { version: '2.6.0-RELEASE', packageVersion: 'v2.0.0' }),
    refused: UNSUPPORTED,
  },
  {
    vendor: 'pfsense',
    label: '2.8.1-RELEASE with REST API package v1.7.6',
    start: () => startSimulator('pfsense', { version: '2.8.1-RELEASE', packageVersion: 'v1.7.6' }),
    refused: /pfSense REST API package v1\.7\.6 is not supported: .*Nothing was written/,
  },
  {
    // vendor-conformance P14: a box naming interfaces by description would reject every rule.
    vendor: 'pfsense',
    label: '2.8.1-RELEASE with represent_interfaces_as=descr',
    start: () => startSimulator('pfsense', { representInterfacesAs: 'descr' }),
    refused: /names interfaces by "descr" .*set it to "Internal ID"\. Nothing was written/,
  },
  {
    vendor: 'fortios',
    label: 'v6.2.16 (below 6.4)',
    start: () => startSimulator('fortios', { version: 'v6.2.16', interfaces: ['opt1', 'lan', 'wan'] }),
    refused: UNSUPPORTED,
  },
  {
    vendor: 'fortios',
    label: 'v8.0.0 (above 7.6)',
    start: () => startSimulator('fortios', { version: 'v8.0.0', interfaces: ['opt1', 'lan', 'wan'] }),
    refused: UNSUPPORTED,
  },
  {
    vendor: 'opnsense',
    label: '24.1 (below 24.7)',
    start: () => startSimulator('opnsense', { version: '24.1' }),
    refused: UNSUPPORTED,
  },
  {
    vendor: 'opnsense',
    label: '27.1 (above 26.7)',
    start: () => startSimulator('opnsense', { version: '27.1' }),
    refused: UNSUPPORTED,
  },
];

interface Live {
  /** Rules by the name the connectors read back (first word of the description; FortiOS policy name). */
  rules: { name: string; owned: boolean }[];
  /** Names of address, group and service objects. */
  objects: string[];
}

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));
const firstWord = (text: string): string => text.trim().split(/\s+/)[0] ?? '';

const FORTI_OBJECT_TABLES: Parameters<FortiOsSimulator['table']>[0][] = [
  'firewall/address',
  'firewall/address6',
  'firewall/addrgrp',
  'firewall/addrgrp6',
  'firewall.service/custom',
];

function liveOf(sim: AnySim): Live {
  switch (sim.vendor) {
    case 'pfsense': {
      const s = sim.simulator.state;
      return {
        rules: s.rules.map((r) => ({ name: firstWord(r.descr), owned: r.descr.includes(MARKER) })),
        objects: s.aliases.map((a) => a.name),
      };
    }
    case 'fortios': {
      const f = sim.simulator;
      return {
        rules: f.policies().map((p) => ({ name: str(p.name), owned: str(p.comments).includes(MARKER) })),
        objects: FORTI_OBJECT_TABLES.flatMap((table) => f.table(table).map((r) => str(r.name))),
      };
    }
    case 'opnsense': {
      const s = sim.simulator.state;
      return {
        rules: Object.values(s.rules).map((r) => ({
          name: firstWord(r.description ?? ''),
          owned: (r.description ?? '').includes(MARKER),
        })),
        objects: Object.values(s.aliases).map((a) => a.name ?? ''),
      };
    }
  }
}

interface RuleSetBody {
  hash: string;
  rules: { name: string }[];
  addresses: { name: string }[];
  services: { name: string }[];
}

describe('version matrix through the service: every firmware pushed over the API', () => {
  let t: TestApp;
  let prisma: PrismaService;
  let sims: AnySim[] = [];
  const boxes: Box[] = [];

  /**
   * A site with servers (master) and lan (agents: IPv4 and two IPv6 prefixes that do not aggregate, so an IPv6
   * group) behind one firewall per device; `n` keeps each site's addresses apart.
   */
  async function seedSite(
    name: string,
    n: number,
  ): Promise<{ site: Created; servers: Created; lan: Created; agents: Created }> {
    const site = await create(t, 'sites', { name });
    const servers = await create(t, 'zones', {
      siteId: site.id,
      name: 'servers',
      cidrs: [`10.${n}.10.0/24`, `fd00:${n}:10::/64`],
    });
    const lan = await create(t, 'zones', {
      siteId: site.id,
      name: 'lan',
      cidrs: [`10.${n}.20.0/24`, `fd00:${n}:20::/48`],
    });
    const master = await create(t, 'nodes', {
      siteId: site.id,
      name: `${name}-master`,
      role: 'master',
      addresses: [`10.${n}.10.5`, `fd00:${n}:10::5`],
    });
    const agents = await create(t, 'nodes', {
      siteId: site.id,
      name: `${name}-agents`,
      role: 'agent',
      addresses: [`10.${n}.20.0/24`, `fd00:${n}:20:1::/64`, `fd00:${n}:20:5::/64`],
      collectorId: master.id,
    });
    return { site, servers, lan, agents };
  }

  function addDevice(sim: AnySim, site: { site: Created; servers: Created; lan: Created }, name: string) {
    return simulatedDevice(t, sim, site.site.id, name, [
      { name: 'opt1', zoneIds: [site.servers.id] },
      { name: 'lan', zoneIds: [site.lan.id] },
      { name: 'wan', external: true },
    ]);
  }

  async function push(deviceId: string): Promise<PushBody> {
    return waitForPush(t, (await requestPush(t, deviceId)).id);
  }

  /** Requests one push per device (one request at a time), then waits for them all. */
  async function pushAll(devices: Created[]): Promise<PushBody[]> {
    const queued: PushBody[] = [];
    for (const d of devices) queued.push(await requestPush(t, d.id));
    // Generous: on a loaded machine the last of ~40 queued pushes waits for all the others.
    return Promise.all(queued.map((q) => waitForPush(t, q.id, undefined, 240_000)));
  }

  async function ruleSet(deviceId: string): Promise<RuleSetBody> {
    return (await t.http().get(`/api/v1/devices/${deviceId}/ruleset`).expect(200)).body as RuleSetBody;
  }

  function box(vendor: Vendor, label: string): Box {
    const found = boxes.find(
      (b) => b.vendor === vendor && (b.label === label || b.label.startsWith(`${label} (`)),
    );
    if (!found) throw new Error(`no ${vendor} ${label} in the matrix`);
    return found;
  }

  beforeAll(async () => {
    const specs = [...supported, ...refused];
    const [started, app] = await Promise.all([Promise.all(specs.map((s) => s.start())), createTestApp()]);
    sims = started;
    t = app;
    prisma = t.app.get(PrismaService);
    const site = await seedSite('matrix', 1);
    // One at a time, like an operator: a burst of concurrent device creations can exhaust PostgreSQL's pool (the
    // API then answers 500 "Unable to start a transaction in the given time"), which is not this file's subject.
    const devices: Created[] = [];
    for (const [i, spec] of specs.entries())
      devices.push(await addDevice(sims[i], site, `${spec.vendor}-${i}`));
    // First push of every device, queued together (the queue runs them PUSH_CONCURRENCY at a time).
    const firsts = await pushAll(devices);
    const firstWrites = sims.map((s) => s.calls.writes());
    const firstRoutes = sims.map((s) => s.calls.byRoute());
    const liveAfterFirst = sims.map(liveOf);
    for (const s of sims) s.calls.reset();
    const seconds = await pushAll(devices);
    specs.forEach((spec, i) =>
      boxes.push({
        ...spec,
        sim: sims[i],
        device: devices[i],
        first: firsts[i],
        firstWrites: firstWrites[i],
        firstRoutes: firstRoutes[i],
        liveAfterFirst: liveAfterFirst[i],
        second: seconds[i],
        secondWrites: sims[i].calls.writes(),
      }),
    );
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    await Promise.all(sims.map((s) => s.stop()));
  });

  describe.each(supported.map((s) => [`${s.vendor} ${s.label}`, s] as const))('%s', (_, spec) => {
    it('converges: rules and objects present, owned, verified; a second push is a noop with zero writes', async () => {
      const b = box(spec.vendor, spec.label);
      const want = await ruleSet(b.device.id);
      expect(want.rules.length).toBeGreaterThan(0);

      expect({ state: b.first.state, error: b.first.errorMessage }).toEqual({
        state: 'succeeded',
        error: null,
      });
      expect(b.first.ruleSetHash).toBe(want.hash);
      expect(b.first.result!.verified).toBe(true);
      expect(b.first.writes).toBe(b.firstWrites);
      expect(b.first.writes).toBeGreaterThan(0);
      expect(b.first.events.at(-1)!.message).toMatch(
        /^succeeded: .*verified: the rule set is live on the device$/,
      );

      const live = b.liveAfterFirst;
      for (const rule of want.rules) {
        expect({ rule: rule.name, live: live.rules.filter((r) => r.name === rule.name) }).toEqual({
          rule: rule.name,
          live: [{ name: rule.name, owned: true }],
        });
      }
      for (const name of [...want.addresses, ...want.services].map((o) => o.name)) {
        expect(live.objects).toContain(name);
      }
      // Nothing owned on the device that the rule set does not have.
      expect(
        live.rules
          .filter((r) => r.owned)
          .map((r) => r.name)
          .sort(),
      ).toEqual(want.rules.map((r) => r.name).sort());

      expect(b.second).toMatchObject({ state: 'noop', writes: 0, errorMessage: null });
      expect(b.secondWrites).toBe(0);
      const plan = await t.http().post(`/api/v1/devices/${b.device.id}/plan`).expect(200);
      expect(plan.body).toMatchObject({ empty: true });
    });
  });

  describe.each(refused.map((s) => [`${s.vendor} ${s.label}`, s] as const))('%s', (_, spec) => {
    it('is refused before any write, with the reason in the push history', () => {
      const b = box(spec.vendor, spec.label);
      for (const p of [b.first, b.second]) {
        expect(p).toMatchObject({ state: 'failed', errorClass: 'validation', writes: 0, attempts: 1 });
        expect(p.errorMessage).toMatch(spec.refused!);
        expect(p.events.at(-1)!.message).toMatch(spec.refused!);
      }
      expect(b.firstWrites + b.secondWrites).toBe(0);
      expect(liveOf(b.sim).rules.filter((r) => r.owned)).toEqual([]);
    });
  });

  describe('where the connectors adapt to the version', () => {
    it('OPNsense: savepoint and cancelRollback only where the rollback timer restores (before 25.7)', () => {
      for (const version of SIMULATOR_VERSIONS.opnsense) {
        const routes = box('opnsense', version).firstRoutes;
        const timerWorks = /^(24\.|25\.1\b)/.test(version);
        // vendor-conformance O31 (core#10721: inert on 25.7-26.1.x), O27 (no savepoints from 26.7).
        expect({
          version,
          savepoint: routes['POST /api/firewall/filter/savepoint'] ?? 0,
          cancelRollback: Object.keys(routes).filter((r) => r.includes('/cancelRollback/')).length,
        }).toEqual({ version, savepoint: timerWorks ? 1 : 0, cancelRollback: timerWorks ? 1 : 0 });
      }
    });

    it('FortiOS: one transaction per push from 6.4, the UDP-Lite service literal from 7.6, no field the firmware lacks', () => {
      for (const version of SIMULATOR_VERSIONS.fortios) {
        const b = box('fortios', version);
        const forti = b.sim.vendor === 'fortios' ? b.sim.simulator : null;
        const literal = /^v7\.6\./.test(version) ? 'TCP/UDP/UDP-Lite/SCTP' : 'TCP/UDP/SCTP';
        expect({
          version,
          transactions: forti!.openTransactions(),
          protocols: [
            ...new Set(
              forti!
                .table('firewall.service/custom')
                .filter((s) => str(s.comment).includes(MARKER))
                .map((s) => str(s.protocol)),
            ),
          ],
          // vendor-conformance F13/F19: nothing written that this firmware's tables do not have.
          ignored: forti!.ignoredAttributes,
        }).toEqual({ version, transactions: [], protocols: [literal], ignored: [] });
      }
    });

    it('OPNsense 25.7.3+ answers "" to cancelRollback without a timer: a recorded rollback is reported as not armed, never as cancelled (O30)', async () => {
      for (const version of ['25.7.2', '25.7.3', '26.1.10']) {
        const b = box('opnsense', version);
        // What an interrupted push (or one from before an upgrade) left recorded; the device has no timer.
        const armed = {
          rollbackRevision: '1767225600.25',
          rollbackExpiresAt: new Date(Date.now() + WINDOW_MS),
          rollbackReason: 'applied, rollback not yet cancelled',
        };
        await prisma.devicePendingState.upsert({
          where: { deviceId: b.device.id },
          create: { deviceId: b.device.id, ...armed },
          update: armed,
        });
        const done = await push(b.device.id);
        const messages = done.events.map((e) => e.message);
        expect({ version, state: done.state }).toEqual({ version, state: 'succeeded' });
        expect(messages).toContainEqual(
          expect.stringMatching(/^no rollback timer for savepoint 1767225600\.25 was armed any more/),
        );
        expect(messages.filter((m) => /^cancelled the rollback/.test(m))).toEqual([]);
        expect(
          await prisma.devicePendingState.findUnique({ where: { deviceId: b.device.id } }),
        ).toMatchObject({
          rollbackRevision: null,
        });
      }
    });

    /**
     * A managed rule removed by hand is put back by the next push; right after that push's apply an admin deletes
     * another one, so verification fails. The push history must say what is live afterwards.
     */
    async function failVerification(b: Box, applyPath: RegExp, skip = 0): Promise<PushBody> {
      /** Removes the managed rule named `name`, like an admin in the GUI. */
      const removeManagedRule = (name: string): void => {
        const sim = b.sim;
        switch (sim.vendor) {
          case 'pfsense': {
            const s = sim.simulator.state;
            sim.simulator.guiReplace({ ...s, rules: s.rules.filter((r) => firstWord(r.descr) !== name) });
            return;
          }
          case 'fortios': {
            const s = sim.simulator.state;
            s.vdoms.root['firewall/policy'] = s.vdoms.root['firewall/policy'].filter(
              (p) => str(p.name) !== name,
            );
            sim.simulator.guiReplace(s);
            return;
          }
          case 'opnsense': {
            const [uuid] = Object.entries(sim.simulator.state.rules).find(
              ([, r]) => firstWord(r.description ?? '') === name,
            )!;
            sim.simulator.guiDeleteRule(uuid);
            return;
          }
        }
      };
      const [byHand, concurrently] = liveOf(b.sim)
        .rules.filter((r) => r.owned)
        .map((r) => r.name);
      removeManagedRule(byHand);
      const fault = b.sim.faults.add({
        method: 'POST',
        path: applyPath,
        fault: { type: 'concurrent', change: () => removeManagedRule(concurrently) },
        skip,
        times: 1,
      });
      try {
        b.sim.calls.reset();
        const done = await push(b.device.id);
        expect(b.sim.faults.firedCount(fault)).toBe(1);
        // Every write the device saw is in the record: the push's own and its recovery's compensating ones.
        expect(done.writes).toBe(b.sim.calls.writes());
        return done;
      } finally {
        b.sim.faults.clear();
      }
    }

    const restored =
      /^verification .*; recovery restored: the device holds the managed rules and objects it had before this push \(undoing the push with \d+ compensating change\(s\)/;

    it('pfSense: a failed verification is undone by the own recovery, and the push history says what is live', async () => {
      const b = box('pfsense', '2.8.1-RELEASE');
      const before = liveOf(b.sim).rules.filter((r) => r.owned).length;
      const failed = await failVerification(b, /^\/api\/v2\/firewall\/apply$/);
      expect(failed).toMatchObject({ state: 'failed', errorClass: 'conflict' });
      expect(failed.errorMessage).toMatch(restored);
      expect(failed.result!.restore).toMatchObject({ status: 'restored', live: 'previous' });
      expect(failed.events.at(-1)!.message).toBe(`failed (conflict): ${failed.errorMessage}`);
      // Back to what it held before the push: one managed rule short (the one removed by hand before it).
      expect(liveOf(b.sim).rules.filter((r) => r.owned)).toHaveLength(before - 1);
      expect((await push(b.device.id)).state).toBe('succeeded');
    });

    it('FortiOS: a failed verification after the commit is undone by the own recovery, and the history says so', async () => {
      const b = box('fortios', 'v7.2.11');
      const before = liveOf(b.sim).rules.filter((r) => r.owned).length;
      // POST /api/v2/cmdb: transaction-start, then transaction-commit (the device was probed by its first push).
      const failed = await failVerification(b, /^\/api\/v2\/cmdb$/, 1);
      expect(failed).toMatchObject({ state: 'failed', errorClass: 'conflict' });
      expect(failed.errorMessage).toMatch(restored);
      expect(failed.result!.restore).toMatchObject({ status: 'restored', live: 'previous' });
      expect(liveOf(b.sim).rules.filter((r) => r.owned)).toHaveLength(before - 1);
      expect((await push(b.device.id)).state).toBe('succeeded');
    });

    it('OPNsense 25.7.5 (rollback timer restores nothing, core#10721): the own recovery restores and says so', async () => {
      const b = box('opnsense', '25.7.5');
      const before = liveOf(b.sim).rules.filter((r) => r.owned).length;
      const failed = await failVerification(b, /^\/api\/firewall\/filter\/apply/);
      expect(failed).toMatchObject({ state: 'failed', errorClass: 'conflict' });
      expect(failed.errorMessage).toMatch(restored);
      expect(failed.result!.restore).toMatchObject({ status: 'restored', live: 'previous' });
      expect(failed.errorMessage).not.toMatch(/restores the previous filter rules at/);
      // What is live is said once, by the recovery (not also "the written rules are live" before it).
      expect(failed.errorMessage).toMatch(/no rollback timer undoes the applied rules: .*core#10721/);
      expect(failed.errorMessage).not.toMatch(/rules are live/);
      expect(liveOf(b.sim).rules.filter((r) => r.owned)).toHaveLength(before - 1);
      if (b.sim.vendor === 'opnsense') expect(b.sim.simulator.pendingRollback).toBeNull();
      expect((await push(b.device.id)).state).toBe('succeeded');
    });

    it('OPNsense 25.1.12 (rollback timer works): the push defers to the armed timer and says when it restores', async () => {
      const b = box('opnsense', '25.1.12');
      const failed = await failVerification(b, /^\/api\/firewall\/filter\/apply/);
      expect(failed).toMatchObject({ state: 'failed', errorClass: 'conflict' });
      expect(failed.errorMessage).toMatch(
        /recovery deferred: this push's changes are live \(.*rollback timer \(savepoint \S+\) restores the previous filter rules at \d{4}-/,
      );
      expect(failed.result!.restore).toMatchObject({ status: 'deferred', live: 'new', writes: 0 });
      if (b.sim.vendor === 'opnsense') expect(b.sim.simulator.pendingRollback).not.toBeNull();
      // The next push writes under the same savepoint, verifies and cancels the timer.
      const next = await push(b.device.id);
      expect(next.state).toBe('succeeded');
      if (b.sim.vendor === 'opnsense') expect(b.sim.simulator.pendingRollback).toBeNull();
    });

    it('FortiOS 7.0/7.2: an IPv6 address group update sends no exclude (addrgrp6 has it only from 7.4.0, F13)', async () => {
      const gates = await Promise.all(
        ['v7.0.17', 'v7.2.11', 'v7.4.3'].map((version) =>
          startSimulator('fortios', { version, interfaces: ['opt1', 'lan', 'wan'] }),
        ),
      );
      try {
        const site = await seedSite('f13', 2);
        const devices = await Promise.all(gates.map((g, i) => addDevice(g, site, `f13-fw-${i}`)));
        for (const d of devices) expect((await push(d.id)).state).toBe('succeeded');
        for (const g of gates) g.calls.reset();
        await t
          .http()
          .patch(`/api/v1/nodes/${site.agents.id}`)
          .send({ addresses: ['10.2.20.0/24', 'fd00:2:20:1::/64', 'fd00:2:20:5::/64', 'fd00:2:20:9::/64'] })
          .expect(200);
        for (const [i, d] of devices.entries()) {
          const done = await push(d.id);
          expect({ i, state: done.state, error: done.errorMessage }).toEqual({
            i,
            state: 'succeeded',
            error: null,
          });
          // The group was updated in place (not re-created), so the update body was sent.
          expect(
            gates[i].calls.count({ method: 'PUT', path: /^\/api\/v2\/cmdb\/firewall\/addrgrp6\// }),
          ).toBe(1);
          expect(gates[i].simulator.ignoredAttributes).toEqual([]);
          expect(
            gates[i].simulator.table('firewall/addrgrp6').flatMap((g) => g.member as unknown[]),
          ).toHaveLength(3);
        }
      } finally {
        await Promise.all(gates.map((g) => g.stop()));
      }
    });
  });
});
