import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  startOpnSenseSimulator,
  type OpnSenseSimulatorOptions,
} from './index';
import { rawRequest, type RawResponse } from '../testing/raw-http';

/** Fidelity of the OPNsense destination NAT API (`/api/firewall/d_nat`, 26.1+) and of `trace()`. */

const basic = (key: string, secret: string): string =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const AUTH = { authorization: basic(OPNSENSE_SIM_KEY, OPNSENSE_SIM_SECRET) };
const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' };

const FORWARD = {
  interface: 'wan',
  ipprotocol: 'inet',
  protocol: 'tcp',
  source: { network: 'any' },
  destination: { network: 'wanip', port: '8443' },
  target: '10.10.0.5',
  'local-port': '443',
  descr: 'console forward',
};

describe('OPNsense simulator: destination NAT (d_nat)', () => {
  const servers: OpnSenseSimulator[] = [];
  const start = async (options: OpnSenseSimulatorOptions = {}): Promise<OpnSenseSimulator> => {
    const s = await startOpnSenseSimulator({ version: '26.1.11', ...options });
    servers.push(s);
    return s;
  };
  const get = (s: OpnSenseSimulator, path: string): Promise<RawResponse> =>
    rawRequest(s.url, { method: 'GET', path, headers: AUTH });
  const post = (s: OpnSenseSimulator, path: string, body?: object): Promise<RawResponse> =>
    rawRequest(s.url, { method: 'POST', path, body, headers: body === undefined ? AUTH : JSON_HEADERS });
  const addNat = (s: OpnSenseSimulator, rule: object): Promise<RawResponse> =>
    post(s, '/api/firewall/d_nat/addRule', { rule });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('has no d_nat routes before 26.1 (dispatch 404) and has them from 26.1', async () => {
    const old = await start({ version: '25.7.5' });
    for (const path of ['/api/firewall/d_nat/get', '/api/firewall/d_nat/searchRule']) {
      const res = await get(old, path);
      expect({ path, status: res.status, body: res.json }).toEqual({
        path,
        status: 404,
        body: { errorMessage: 'Endpoint not found' },
      });
    }
    const sim = await start({ version: '26.1' });
    expect((await get(sim, '/api/firewall/d_nat/get')).json).toEqual({ DNat: { rule: [] } });
    // snake_case controller name reaches DNatController.
    expect((await get(sim, '/api/firewall/d_nat/search_rule')).status).toBe(200);
  });

  it('adds a forward (sequence max+100, protocol lower-cased), reads it nested, sets and deletes it', async () => {
    const sim = await start();
    const added = await addNat(sim, { ...FORWARD, protocol: 'TCP' });
    expect(added.json).toEqual({ result: 'saved', uuid: expect.any(String) as unknown });
    const uuid = (added.json as { uuid: string }).uuid;
    const second = await addNat(sim, { ...FORWARD, destination: { network: 'wanip', port: '9443' } });
    const got = await get(sim, `/api/firewall/d_nat/getRule/${uuid}`);
    const rule = (got.json as { rule: Record<string, unknown> }).rule;
    expect(rule).toMatchObject({
      sequence: '101',
      disabled: '0',
      target: '10.10.0.5',
      'local-port': '443',
      descr: 'console forward',
      destination: { network: 'wanip', port: '8443', not: '0' },
      interface: { wan: { value: 'WAN', selected: 1 }, lan: { value: 'LAN', selected: 0 } },
      protocol: { tcp: { value: 'TCP', selected: 1 } },
      pass: { '': { value: 'Manual', selected: 1 }, pass: { value: 'Pass', selected: 0 } },
    });
    const secondUuid = (second.json as { uuid: string }).uuid;
    expect(sim.natRules().map((r) => [r.uuid, r.sequence])).toEqual([
      [uuid, '101'],
      [secondUuid, '201'],
    ]);
    // Unknown uuid: `[]`, like the filter's getRule.
    expect((await get(sim, '/api/firewall/d_nat/getRule/00000000-0000-4000-8000-000000000000')).json).toEqual(
      [],
    );

    expect(
      (await post(sim, `/api/firewall/d_nat/setRule/${uuid}`, { rule: { 'local-port': '4443' } })).json,
    ).toEqual({
      result: 'saved',
    });
    expect(sim.natRules()[0]['local-port']).toBe('4443');
    // A flat key is not a field of the model: ignored (BaseField::setNodes).
    await post(sim, `/api/firewall/d_nat/setRule/${uuid}`, { rule: { 'destination.port': '1' } });
    expect(sim.natRules()[0]['destination.port']).toBe('8443');

    expect((await post(sim, `/api/firewall/d_nat/toggleRule/${uuid}`)).json).toEqual({ result: 'Disabled' });
    expect((await post(sim, `/api/firewall/d_nat/toggleRule/${uuid}/0`)).json).toEqual({ result: 'Enabled' });
    expect((await post(sim, `/api/firewall/d_nat/delRule/${uuid}`)).json).toEqual({ result: 'deleted' });
    expect((await post(sim, `/api/firewall/d_nat/delRule/${uuid}`)).json).toEqual({ result: 'not found' });
    const model = (await get(sim, '/api/firewall/d_nat/get')).json as {
      DNat: { rule: Record<string, unknown> };
    };
    expect(Object.keys(model.DNat.rule)).toEqual([secondUuid]);
  });

  it('refuses invalid fields with the HTTP-200 validations envelope, messages per version', async () => {
    const sim = await start({ version: '26.1.11' });
    const res = await addNat(sim, {
      ...FORWARD,
      interface: 'wan9',
      protocol: 'icmp',
      destination: { network: 'nowhere', port: '70000' },
      target: '10.0.0.0/33',
      'local-port': '443-444',
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      result: 'failed',
      validations: {
        'rule.interface': 'Option [wan9] not in list.',
        'rule.destination.network': 'nowhere is not a valid source IP address or alias.',
        'rule.target': '10.0.0.0/33 is not a valid source IP address or alias.',
        'rule.destination.port': [
          'Please specify a valid port number, well-known name, alias or range.',
          'Ports are only valid for TCP or UDP type rules.',
        ],
        'rule.local-port': [
          'Please specify a valid port number or alias.',
          'Ports are only valid for TCP or UDP type rules.',
        ],
      },
    });
    expect(sim.natRules()).toEqual([]);

    const nordr = await addNat(sim, { ...FORWARD, nordr: '1' });
    expect((nordr.json as { validations: unknown }).validations).toEqual({
      'rule.target': 'Target must be empty when No RDR is set.',
      'rule.local-port': 'Port must be empty when No RDR is set.',
    });

    // 26.1.0: older messages, no model checks, no well-known local-port.
    const first = await start({ version: '26.1' });
    const old = await addNat(first, { ...FORWARD, protocol: 'icmp', 'local-port': 'https' });
    expect((old.json as { validations: unknown }).validations).toEqual({
      'rule.local-port': 'Please specify a valid portnumber, name, alias or range.',
    });
  });

  it('stages writes until a filter reload: d_nat/apply and filter/apply both make NAT live', async () => {
    const sim = await start();
    await addNat(sim, FORWARD);
    expect(sim.hasUnappliedChanges()).toBe(true);
    const packet = {
      interface: 'wan',
      source: '198.51.100.7',
      destination: '203.0.113.2',
      protocol: 'tcp',
      port: 8443,
    } as const;
    expect(sim.trace(packet)).toEqual({ action: 'block', destination: '203.0.113.2', port: 8443 });
    expect((await post(sim, '/api/firewall/d_nat/apply')).json).toEqual({ status: 'OK\n\n' });
    expect(sim.hasUnappliedChanges()).toBe(false);
    expect(sim.trace(packet)).toMatchObject({
      action: 'block',
      destination: '10.10.0.5',
      port: 443,
      nat: 'console forward',
    });

    const uuid = sim.natRules()[0].uuid;
    await post(sim, `/api/firewall/d_nat/setRule/${uuid}`, { rule: { 'local-port': '4443' } });
    await post(sim, '/api/firewall/filter/apply');
    expect(sim.trace(packet)).toMatchObject({ destination: '10.10.0.5', port: 4443 });
  });

  it('26.1.x inherits savepoint/cancelRollback/revert; the filter rollback never restores NAT; 26.7 has none', async () => {
    const sim = await start({ version: '26.1.11' });
    const sp = await post(sim, '/api/firewall/d_nat/savepoint');
    expect(sp.json).toMatchObject({ status: 'ok', revision: expect.any(String) as unknown });
    await addNat(sim, FORWARD);
    // The savepoint revision names no backup on 26.1.x (core#10721): revert says so.
    expect(
      (await post(sim, `/api/firewall/d_nat/revert/${(sp.json as { revision: string }).revision}`)).json,
    ).toEqual({
      status: 'unknown (or removed) savepoint',
    });
    // A revision that has a backup: DNat has no rollback(), so PHP fails (generic 500), nothing restored.
    const revision = sim.backupRevisions[0];
    const reverted = await post(sim, `/api/firewall/d_nat/revert/${revision}`);
    expect(reverted.status).toBe(500);
    expect(reverted.json).toEqual({ errorMessage: 'Unexpected error, check log for details' });
    expect(sim.natRules()).toHaveLength(1);
    // filter/revert restores the Filter section only: the port forward stays.
    await post(sim, `/api/firewall/filter/revert/${revision}`);
    expect(sim.natRules()).toHaveLength(1);

    const sim267 = await start({ version: '26.7.2' });
    expect((await post(sim267, '/api/firewall/d_nat/savepoint')).status).toBe(404);
    expect((await post(sim267, '/api/firewall/d_nat/apply')).json).toEqual({ status: 'OK\n\n' });
  });

  it('needs the port-forward page privilege', async () => {
    const sim = await start({
      keys: [{ key: 'k', secret: 's', privileges: ['page-filter-api'] }],
    });
    const res = await rawRequest(sim.url, {
      method: 'GET',
      path: '/api/firewall/d_nat/get',
      headers: { authorization: basic('k', 's') },
    });
    expect(res.status).toBe(403);
    expect(res.json).toEqual({ status: 403, message: 'Forbidden' });
  });

  describe('trace() on the applied state', () => {
    it('forwards a range 1:1 onto local-port and filters on the private target (rdr before filter)', async () => {
      const sim = await start({
        seed: {
          aliases: [{ name: 'master', type: 'host', content: '10.10.0.5' }],
          nat: [
            {
              interface: 'wan',
              protocol: 'tcp',
              'source.network': 'any',
              'destination.network': 'wanip',
              'destination.port': '5000-5002',
              target: '10.10.0.5',
              'local-port': '6000',
              descr: 'range',
            },
          ],
          rules: [
            {
              interface: 'wan',
              protocol: 'TCP',
              source_net: 'any',
              destination_net: 'master',
              destination_port: '6001',
              description: 'admit 6001',
            },
          ],
        },
      });
      const p = (port: number, destination = '203.0.113.2') =>
        ({ interface: 'wan', source: '198.51.100.7', destination, protocol: 'tcp', port }) as const;
      expect(sim.trace(p(5001))).toEqual({
        action: 'pass',
        destination: '10.10.0.5',
        port: 6001,
        nat: 'range',
        rule: 'admit 6001',
      });
      expect(sim.trace(p(5000))).toEqual({
        action: 'block',
        destination: '10.10.0.5',
        port: 6000,
        nat: 'range',
      });
      // Not the forwarded address, or UDP, or another interface: no translation.
      expect(sim.trace(p(5001, '203.0.113.9'))).toEqual({
        action: 'block',
        destination: '203.0.113.9',
        port: 5001,
      });
      expect(sim.trace({ ...p(5001), protocol: 'udp' })).toMatchObject({ destination: '203.0.113.2' });
      expect(sim.trace({ ...p(5001), interface: 'lan' })).toMatchObject({ destination: '203.0.113.2' });
    });

    it('honours disabled, No RDR, rdr pass and "register rule"', async () => {
      const base = {
        interface: 'wan',
        protocol: 'tcp',
        'destination.network': '203.0.113.10',
        'destination.port': '443',
        target: '10.10.0.5',
      };
      const sim = await start({
        seed: {
          nat: [
            { ...base, descr: 'off', disabled: '1', sequence: '10' },
            { ...base, 'destination.port': '22', descr: 'keep', target: '', nordr: '1', sequence: '20' },
            { ...base, 'destination.port': '22', descr: 'ssh', target: '10.10.0.6', sequence: '30' },
            { ...base, descr: 'pass it', pass: 'pass', sequence: '40' },
            { ...base, 'destination.port': '80', descr: 'registered', pass: 'rule', sequence: '50' },
          ],
        },
      });
      const p = (port: number) =>
        ({
          interface: 'wan',
          source: '198.51.100.7',
          destination: '203.0.113.10',
          protocol: 'tcp',
          port,
        }) as const;
      expect(sim.trace(p(443))).toEqual({
        action: 'pass',
        destination: '10.10.0.5',
        port: 443,
        nat: 'pass it',
      });
      expect(sim.trace(p(22))).toEqual({ action: 'block', destination: '203.0.113.10', port: 22 });
      expect(sim.trace(p(80))).toEqual({
        action: 'pass',
        destination: '10.10.0.5',
        port: 80,
        nat: 'registered',
        rule: 'NAT registered',
      });
    });
  });
});
