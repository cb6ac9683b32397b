import { PFSENSE_SIM_API_KEY, startPfSenseSimulator, type PfSenseSimulator } from './simulator';
import { rawRequest, type RawResponse } from '../testing/raw-http';

/**
 * Port forwards (`/api/v2/firewall/nat/port_forward(s)`, R/Models/PortForward.inc) per package version, the
 * `natconf` pending subsystem and `trace()` (rdr before filter) on the applied state.
 */

const HEADERS = { 'x-api-key': PFSENSE_SIM_API_KEY, 'content-type': 'application/json' };

const FORWARD = {
  interface: 'wan',
  ipprotocol: 'inet',
  protocol: 'tcp',
  source: 'any',
  destination: 'wan:ip',
  destination_port: '8443:8444',
  target: '10.10.0.5',
  local_port: '443',
  descr: 'utm_nat_console [managed]',
  associated_rule_id: '',
};

describe('pfSense simulator: port forwards', () => {
  let sim: PfSenseSimulator;
  // Query-string requests go without a JSON content type (with one the package reads the body, not the query).
  const call = (method: string, path: string, body?: object): Promise<RawResponse> =>
    rawRequest(sim.url, {
      method,
      path,
      body,
      headers: body === undefined ? { 'x-api-key': PFSENSE_SIM_API_KEY } : HEADERS,
    });
  const data = (res: RawResponse): Record<string, unknown> =>
    (res.json as { data: Record<string, unknown> }).data;
  const responseId = (res: RawResponse): string | undefined =>
    (res.json as { response_id?: string } | undefined)?.response_id;

  afterEach(async () => {
    await sim.stop();
  });

  it('creates, lists, updates and deletes a forward; every write marks natconf pending until an apply', async () => {
    sim = await startPfSenseSimulator({ packageVersion: 'v2.10.0' });
    const created = await call('POST', '/api/v2/firewall/nat/port_forward', FORWARD);
    expect(created.status).toBe(200);
    expect(data(created)).toMatchObject({ id: 0, ...FORWARD, disabled: false, nordr: false });
    expect(sim.pendingSubsystems).toEqual(['natconf']);
    expect((await call('GET', '/api/v2/firewall/apply')).json).toMatchObject({
      data: { applied: false, pending_subsystems: ['natconf'] },
    });
    expect(sim.applied.nat).toEqual([]);

    const listed = await call('GET', '/api/v2/firewall/nat/port_forwards?descr__startswith=utm_nat_');
    expect((listed.json as { data: unknown[] }).data).toHaveLength(1);

    await call('POST', '/api/v2/firewall/apply', { async: false });
    expect(sim.pendingSubsystems).toEqual([]);
    expect(sim.applied.nat).toHaveLength(1);

    const patched = await call('PATCH', '/api/v2/firewall/nat/port_forward', {
      id: 0,
      destination_port: '9443:9444',
    });
    expect(data(patched)).toMatchObject({ id: 0, destination_port: '9443:9444', local_port: '443' });
    expect(sim.pendingSubsystems).toEqual(['natconf']);

    const deleted = await call('DELETE', '/api/v2/firewall/nat/port_forward?id=0');
    expect(data(deleted)).toMatchObject({ descr: FORWARD.descr });
    expect(sim.state.nat).toEqual([]);
    // No many_minimum: the last forward can go.
    expect(responseId(await call('DELETE', '/api/v2/firewall/nat/port_forward?id=0'))).toBe(
      'MODEL_OBJECT_NOT_FOUND',
    );
  });

  it('validates like PortForward.inc: required fields, choices, local_port without range, target', async () => {
    sim = await startPfSenseSimulator({ packageVersion: 'v2.10.0' });
    const post = (body: object): Promise<RawResponse> =>
      call('POST', '/api/v2/firewall/nat/port_forward', { ...FORWARD, ...body });
    const { target: _t, ...noTarget } = FORWARD;
    const missing = await call('POST', '/api/v2/firewall/nat/port_forward', noTarget);
    expect([missing.status, responseId(missing)]).toEqual([400, 'FIELD_IS_REQUIRED']);
    expect(responseId(await post({ interface: 'dmz' }))).toBe('FIELD_INVALID_CHOICE');
    expect(responseId(await post({ protocol: 'sctp' }))).toBe('FIELD_INVALID_CHOICE');
    expect(responseId(await post({ local_port: '443:444' }))).toBe('PORT_FIELD_INVALID');
    expect(responseId(await post({ local_port: null }))).toBe('FIELD_IS_REQUIRED');
    expect(responseId(await post({ destination: 'nowhere' }))).toBe('FILTER_ADDRESS_FIELD_INVALID');
    expect(responseId(await post({ target: '10.0.0.0/24' }))).toBe('SPECIAL_NETWORK_FIELD_INVALID');
    expect(responseId(await post({ associated_rule_id: 'nat_missing' }))).toBe(
      'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND',
    );
    expect(responseId(await post({ descr: 'x'.repeat(1025) }))).toBe('LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT');
    // Ports do not apply to non-port protocols (field conditions): local_port is then not required.
    const gre = await post({ protocol: 'gre', local_port: null, destination_port: null });
    expect(data(gre)).toMatchObject({ protocol: 'gre', local_port: null, destination_port: null });
    expect(sim.state.nat).toHaveLength(1);
  });

  it('v2.0.x: no ipprotocol field, associated_rule_id only "" or "pass", target IPv4 or alias only', async () => {
    sim = await startPfSenseSimulator({ version: '2.7.0-RELEASE', packageVersion: 'v2.0.0' });
    const created = await call('POST', '/api/v2/firewall/nat/port_forward', FORWARD);
    expect(created.status).toBe(200);
    expect(data(created)).not.toHaveProperty('ipprotocol');
    expect(sim.state.nat[0].ipprotocol).toBeNull();
    const post = (body: object): Promise<RawResponse> =>
      call('POST', '/api/v2/firewall/nat/port_forward', { ...FORWARD, ...body });
    expect(responseId(await post({ associated_rule_id: 'new' }))).toBe('FIELD_INVALID_CHOICE');
    expect(responseId(await post({ target: 'wan:ip' }))).toBe('IP_ADDRESS_VALIDATOR_FAILED');
    expect(responseId(await post({ protocol: 'any' }))).toBe('FIELD_INVALID_CHOICE');
  });

  it('before v2.8.0 every write re-sorts nat/rule by interface (ids move); from v2.8.0 it does not', async () => {
    for (const [pkg, expected] of [
      ['v2.5.0', ['lan-a', 'wan-b']],
      ['v2.8.0', ['wan-b', 'lan-a']],
    ] as const) {
      sim = await startPfSenseSimulator({ packageVersion: pkg });
      await call('POST', '/api/v2/firewall/nat/port_forward', { ...FORWARD, descr: 'wan-b' });
      const second = await call('POST', '/api/v2/firewall/nat/port_forward', {
        ...FORWARD,
        interface: 'lan',
        destination: 'lan:ip',
        descr: 'lan-a',
      });
      expect({ pkg, order: sim.state.nat.map((n) => n.descr) }).toEqual({ pkg, order: expected });
      expect(data(second).id).toBe(expected.indexOf('lan-a'));
      await sim.stop();
    }
    sim = await startPfSenseSimulator();
  });

  it('plural endpoint: query filters, PUT replaces all (ignores apply), DELETE by query marks natconf', async () => {
    sim = await startPfSenseSimulator();
    await call('POST', '/api/v2/firewall/nat/port_forward', { ...FORWARD, descr: 'a one' });
    await call('POST', '/api/v2/firewall/nat/port_forward', { ...FORWARD, descr: 'b two' });
    await call('POST', '/api/v2/firewall/apply', { async: false });
    const filtered = await call('GET', '/api/v2/firewall/nat/port_forwards?descr__startswith=b');
    expect((filtered.json as { data: Array<{ id: number }> }).data.map((r) => r.id)).toEqual([1]);
    const deleted = await call('DELETE', '/api/v2/firewall/nat/port_forwards?descr__startswith=a');
    expect((deleted.json as { data: unknown[] }).data).toHaveLength(1);
    expect(sim.state.nat.map((n) => n.descr)).toEqual(['b two']);
    expect(sim.pendingSubsystems).toEqual(['natconf']);
    const put = await rawRequest(sim.url, {
      method: 'PUT',
      path: '/api/v2/firewall/nat/port_forwards',
      body: [{ ...FORWARD, descr: 'c three' }],
      headers: HEADERS,
    });
    expect(put.status).toBe(200);
    expect(sim.state.nat.map((n) => n.descr)).toEqual(['c three']);
  });

  it('associated_rule_id "new" creates the linked filter rule; deleting the forward deletes it', async () => {
    sim = await startPfSenseSimulator({ packageVersion: 'v2.10.0' });
    const rulesBefore = sim.state.rules.length;
    const created = await call('POST', '/api/v2/firewall/nat/port_forward', {
      ...FORWARD,
      associated_rule_id: 'new',
    });
    const link = data(created).associated_rule_id as string;
    expect(link).toMatch(/^nat_/);
    const linked = sim.state.rules.find((r) => r.associated_rule_id === link)!;
    expect(linked).toMatchObject({
      interface: ['wan'],
      destination: '10.10.0.5',
      destination_port: '443',
      descr: `Associated rule for port forward rule ${link}`,
    });
    await call('DELETE', '/api/v2/firewall/nat/port_forward?id=0');
    expect(sim.state.rules).toHaveLength(rulesBefore);
  });

  describe('trace(): rdr first, then the filter on the translated destination (applied state only)', () => {
    const ADMIT = {
      type: 'pass',
      interface: ['wan'],
      ipprotocol: 'inet',
      protocol: 'tcp',
      source: 'any',
      destination: '10.10.0.5',
      destination_port: '443',
      descr: 'admit console',
    };
    const packet = (port: number, destination = '203.0.113.2') => ({
      interface: 'wan',
      source: '198.51.100.7',
      destination,
      protocol: 'tcp' as const,
      port,
    });

    it('translates the external range onto local_port.. and passes only what a rule names', async () => {
      sim = await startPfSenseSimulator();
      await call('POST', '/api/v2/firewall/nat/port_forward', FORWARD);
      await call('POST', '/api/v2/firewall/rule', ADMIT);
      // Nothing applied yet: pf still runs the old ruleset.
      expect(sim.trace(packet(8443))).toEqual({ action: 'block', destination: '203.0.113.2', port: 8443 });
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(sim.trace(packet(8443))).toEqual({
        action: 'pass',
        destination: '10.10.0.5',
        port: 443,
        nat: FORWARD.descr,
        rule: 'admit console',
      });
      // 8444 → 444: translated, but no rule admits 444 (default deny).
      expect(sim.trace(packet(8444))).toEqual({
        action: 'block',
        destination: '10.10.0.5',
        port: 444,
        nat: FORWARD.descr,
      });
      // Another public address, another port, another interface, udp: no translation.
      expect(sim.trace(packet(8443, '203.0.113.9'))).toMatchObject({ action: 'block', port: 8443 });
      expect(sim.trace(packet(8445))).toMatchObject({ action: 'block', destination: '203.0.113.2' });
      expect(sim.trace({ ...packet(8443), protocol: 'udp' })).toMatchObject({ action: 'block' });
      expect(sim.trace({ ...packet(8443), interface: 'lan' })).not.toHaveProperty('nat');
    });

    it('a rule naming the public address does not admit forwarded traffic (pf filters after rdr)', async () => {
      sim = await startPfSenseSimulator();
      await call('POST', '/api/v2/firewall/nat/port_forward', FORWARD);
      await call('POST', '/api/v2/firewall/rule', {
        ...ADMIT,
        destination: 'wan:ip',
        destination_port: '8443',
        descr: 'wrong rule',
      });
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(sim.trace(packet(8443))).toMatchObject({ action: 'block', destination: '10.10.0.5', port: 443 });
    });

    it('rdr pass needs no rule; nordr and disabled forwards translate nothing', async () => {
      sim = await startPfSenseSimulator();
      sim.guiAddPortForward({ ...FORWARD, associated_rule_id: 'pass', descr: 'rdr pass' });
      expect(sim.trace(packet(8443))).toMatchObject({ action: 'pass', nat: 'rdr pass', port: 443 });
      await sim.stop();
      sim = await startPfSenseSimulator();
      sim.guiAddPortForward({ ...FORWARD, nordr: true, descr: 'no rdr' });
      sim.guiAddPortForward({ ...FORWARD, descr: 'second' });
      expect(sim.trace(packet(8443))).toEqual({ action: 'block', destination: '203.0.113.2', port: 8443 });
      await sim.stop();
      sim = await startPfSenseSimulator();
      sim.guiAddPortForward({ ...FORWARD, disabled: true, descr: 'off' });
      expect(sim.trace(packet(8443))).not.toHaveProperty('nat');
    });

    it('interface rules are first match; a missing alias skips the forward at reload', async () => {
      sim = await startPfSenseSimulator();
      sim.guiAddAlias({ name: 'pub_web', type: 'host', address: ['10.10.0.5'] });
      sim.guiAddPortForward({ ...FORWARD, target: 'pub_web', descr: 'via alias' });
      sim.guiAddRule({ ...ADMIT, type: 'block', descr: 'block first' });
      sim.guiAddRule({ ...ADMIT, descr: 'pass later' });
      expect(sim.trace(packet(8443))).toMatchObject({
        action: 'block',
        rule: 'block first',
        nat: 'via alias',
      });
      await call('DELETE', '/api/v2/firewall/alias?id=0');
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(sim.skippedPortForwards).toEqual(['via alias']);
      expect(sim.trace(packet(8443))).not.toHaveProperty('nat');
    });
  });
});
