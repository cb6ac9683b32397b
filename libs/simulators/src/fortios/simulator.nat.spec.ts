import { FORTIOS_SIM_TOKEN, FortiOsSimulator, startFortiOsSimulator } from './simulator';
import { rawRequest, type RawResponse } from '../testing/raw-http';

const AUTH = { authorization: `Bearer ${FORTIOS_SIM_TOKEN}` };
type Body = Record<string, unknown>;

function call(
  sim: FortiOsSimulator,
  method: string,
  path: string,
  body?: object,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(sim.url, {
    method,
    path,
    body,
    headers: { ...AUTH, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
  });
}

const json = (res: RawResponse): Body => res.json as Body;

/** Port forward 198.51.100.10:8443/tcp on port1 → 10.10.10.5:443. */
const VIP = {
  name: 'vip-web',
  type: 'static-nat',
  extintf: 'port1',
  extip: '198.51.100.10',
  mappedip: [{ range: '10.10.10.5' }],
  portforward: 'enable',
  protocol: 'tcp',
  extport: '8443',
  mappedport: '443',
  comment: 'web',
};

const VIP_POLICY = {
  name: 'to-web',
  srcintf: [{ name: 'port1' }],
  dstintf: [{ name: 'port2' }],
  srcaddr: [{ name: 'all' }],
  dstaddr: [{ name: 'vip-web' }],
  service: [{ name: 'HTTPS' }],
  action: 'accept',
  schedule: 'always',
};

const packet = (
  over: Partial<Parameters<FortiOsSimulator['trace']>[0]> = {},
): Parameters<FortiOsSimulator['trace']>[0] => ({
  interface: 'port1',
  source: '203.0.113.7',
  destination: '198.51.100.10',
  protocol: 'tcp',
  port: 8443,
  ...over,
});

describe('FortiOS simulator: firewall/vip (destination NAT) and trace()', () => {
  let sim: FortiOsSimulator;
  beforeEach(async () => {
    sim = await startFortiOsSimulator({ interfaceAddresses: { port1: '192.0.2.1/24' } });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('creates a VIP with the schema defaults and reads it back (mappedip as [{range}])', async () => {
    const res = await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', VIP);
    expect(res.status).toBe(200);
    expect(json(res)).toMatchObject({ status: 'success', mkey: 'vip-web', path: 'firewall', name: 'vip' });
    const got = await call(sim, 'GET', '/api/v2/cmdb/firewall/vip/vip-web?vdom=root');
    const row = (json(got).results as Body[])[0];
    expect(row).toMatchObject({
      name: 'vip-web',
      type: 'static-nat',
      extip: '198.51.100.10',
      extintf: 'port1',
      mappedip: [{ range: '10.10.10.5', q_origin_key: '10.10.10.5' }],
      portforward: 'enable',
      protocol: 'tcp',
      extport: '8443',
      mappedport: '443',
      'arp-reply': 'enable',
      status: 'enable',
    });
  });

  it('validation: mappedip required for static-nat, extport for a port forward, bad addresses, unknown interface', async () => {
    const cases: Array<[Body, number]> = [
      [{ ...VIP, mappedip: [] }, -651],
      [{ ...VIP, extport: '' }, -651],
      [{ ...VIP, extip: '198.51.100.300' }, -8],
      [{ ...VIP, mappedip: [{ range: '10.0.0.9-10.0.0.1' }] }, -8],
      [{ ...VIP, extintf: 'port99' }, -651],
      [{ ...VIP, protocol: 'gre' }, -651],
      [{ ...VIP, extport: '70000' }, -651],
      [{ ...VIP, extport: '9000-8000' }, -650],
    ];
    for (const [body, code] of cases) {
      const res = await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', body);
      expect({ body, status: res.status, error: json(res).error }).toEqual({
        body,
        status: 500,
        error: code,
      });
    }
    expect(sim.table('firewall/vip')).toEqual([]);
    const dup = await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', VIP);
    expect(dup.status).toBe(200);
    const again = await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', VIP);
    expect(json(again).error).toBe(-5);
  });

  it('status exists from 7.0.0 only (ANS v_range): ignored as an unknown attribute on 6.4', async () => {
    const old = await startFortiOsSimulator({ version: 'v6.4.15' });
    try {
      const res = await call(old, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', {
        ...VIP,
        status: 'enable',
      });
      expect(res.status).toBe(200);
      expect(old.table('firewall/vip')[0].status).toBeUndefined();
      expect(old.ignoredAttributes).toEqual(['firewall/vip.status']);
    } finally {
      await old.stop();
    }
  });

  it('a policy accepts a VIP as dstaddr; the VIP cannot be deleted while used (-23), and can after', async () => {
    await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', VIP);
    const p = await call(sim, 'POST', '/api/v2/cmdb/firewall/policy?vdom=root', VIP_POLICY);
    expect(p.status).toBe(200);
    const del = await call(sim, 'DELETE', '/api/v2/cmdb/firewall/vip/vip-web?vdom=root');
    expect(json(del)).toMatchObject({ status: 'error', error: -23 });
    await call(sim, 'DELETE', `/api/v2/cmdb/firewall/policy/${String(json(p).mkey)}?vdom=root`);
    const ok = await call(sim, 'DELETE', '/api/v2/cmdb/firewall/vip/vip-web?vdom=root');
    expect(ok.status).toBe(200);
  });

  it('a policy naming a VIP that does not exist is refused (-651)', async () => {
    const res = await call(sim, 'POST', '/api/v2/cmdb/firewall/policy?vdom=root', VIP_POLICY);
    expect(json(res)).toMatchObject({ status: 'error', error: -651 });
  });

  it('VIP writes inside a transaction stay staged until commit; the commit re-checks references', async () => {
    const start = await call(sim, 'POST', '/api/v2/cmdb?action=transaction-start&vdom=root', { timeout: 5 });
    const id = String((json(start).results as Body)['transaction-id']);
    const tx = { 'x-transaction-id': id };
    expect((await call(sim, 'POST', '/api/v2/cmdb/firewall/vip?vdom=root', VIP, tx)).status).toBe(200);
    expect((await call(sim, 'POST', '/api/v2/cmdb/firewall/policy?vdom=root', VIP_POLICY, tx)).status).toBe(
      200,
    );
    expect(sim.table('firewall/vip')).toEqual([]);
    expect(sim.trace(packet()).action).toBe('block');
    const commit = await call(sim, 'POST', '/api/v2/cmdb?action=transaction-commit&vdom=root', {
      'transaction-id': Number(id),
    });
    expect(commit.status).toBe(200);
    expect(sim.table('firewall/vip').map((r) => r.name)).toEqual(['vip-web']);
    expect(sim.trace(packet())).toMatchObject({ action: 'pass', nat: 'vip-web', rule: 'to-web' });
  });

  it('system/settings answers the NAT mode as one object (format honoured); central NAT changes trace()', async () => {
    const res = await call(sim, 'GET', '/api/v2/cmdb/system/settings?vdom=root&format=central-nat|ngfw-mode');
    expect(json(res)).toMatchObject({
      status: 'success',
      results: { 'central-nat': 'disable', 'ngfw-mode': 'profile-based' },
    });
    expect((await call(sim, 'PUT', '/api/v2/cmdb/system/settings?vdom=root', {})).status).toBe(405);
    sim.guiAdd('firewall/address', { name: 'web-private', subnet: '10.10.10.5/32' });
    sim.guiAdd('firewall/vip', VIP);
    sim.guiAdd('firewall/policy', { ...VIP_POLICY, name: 'by-address', dstaddr: [{ name: 'web-private' }] });
    expect(sim.trace(packet()).action).toBe('block');
    sim.guiSettings({ 'central-nat': 'enable' });
    expect(json(await call(sim, 'GET', '/api/v2/cmdb/system/settings?vdom=root')).results).toMatchObject({
      'central-nat': 'enable',
    });
    // Central NAT: the VIP translates on its own and the policy matches the real address.
    expect(sim.trace(packet())).toEqual({
      action: 'pass',
      destination: '10.10.10.5',
      port: 443,
      nat: 'vip-web',
      rule: 'by-address',
    });
  });

  describe('trace(): DNAT first, then policies naming the VIP, service on the mapped port', () => {
    it('forwards the external port to the mapped address and port and admits it by the VIP policy', () => {
      sim.guiAdd('firewall/vip', VIP);
      sim.guiAdd('firewall/policy', VIP_POLICY);
      expect(sim.trace(packet())).toEqual({
        action: 'pass',
        destination: '10.10.10.5',
        port: 443,
        nat: 'vip-web',
        rule: 'to-web',
      });
      // Other port, other protocol, other interface, other address: no DNAT, default deny.
      expect(sim.trace(packet({ port: 443 }))).toMatchObject({
        action: 'block',
        destination: '198.51.100.10',
      });
      expect(sim.trace(packet({ protocol: 'udp' })).action).toBe('block');
      expect(sim.trace(packet({ interface: 'port3' })).action).toBe('block');
      expect(sim.trace(packet({ destination: '198.51.100.11' })).action).toBe('block');
    });

    it('a policy whose service is the EXTERNAL port does not admit the forward (KB 355966)', () => {
      sim.guiAdd('firewall.service/custom', { name: 'ext-8443', 'tcp-portrange': '8443' });
      sim.guiAdd('firewall/vip', VIP);
      sim.guiAdd('firewall/policy', { ...VIP_POLICY, service: [{ name: 'ext-8443' }] });
      expect(sim.trace(packet())).toEqual({
        action: 'block',
        destination: '10.10.10.5',
        port: 443,
        nat: 'vip-web',
      });
    });

    it('a policy to the mapped address object does not match translated traffic; it does match direct traffic', () => {
      sim.guiAdd('firewall/address', { name: 'web-private', subnet: '10.10.10.5/32' });
      sim.guiAdd('firewall/vip', VIP);
      sim.guiAdd('firewall/policy', {
        ...VIP_POLICY,
        name: 'by-address',
        dstaddr: [{ name: 'web-private' }],
      });
      // No policy references the VIP: no DNAT at all (KB 261055).
      expect(sim.trace(packet())).toEqual({ action: 'block', destination: '198.51.100.10', port: 8443 });
      sim.guiAdd('firewall/policy', { ...VIP_POLICY, status: 'disable' });
      expect(sim.trace(packet()).nat).toBeUndefined();
      sim.guiAdd('firewall/policy', { ...VIP_POLICY, name: 'deny-vip', action: 'deny' });
      expect(sim.trace(packet())).toMatchObject({ action: 'block', nat: 'vip-web', rule: 'deny-vip' });
      expect(sim.trace(packet({ destination: '10.10.10.5', port: 443 }))).toMatchObject({
        action: 'pass',
        rule: 'by-address',
      });
    });

    it('extip 0.0.0.0 answers on the external interface own address', () => {
      sim.guiAdd('firewall/vip', { ...VIP, extip: '0.0.0.0' });
      sim.guiAdd('firewall/policy', VIP_POLICY);
      expect(sim.trace(packet({ destination: '192.0.2.1' }))).toMatchObject({
        action: 'pass',
        destination: '10.10.10.5',
        port: 443,
      });
      expect(sim.trace(packet({ destination: '198.51.100.10' })).action).toBe('block');
    });

    it('port ranges map at the same offset; the source address must match srcaddr', () => {
      sim.guiAdd('firewall.service/custom', { name: 'svc-1514', 'tcp-portrange': '1514-1516' });
      sim.guiAdd('firewall/address', { name: 'partner', subnet: '203.0.113.0/24' });
      sim.guiAdd('firewall/vip', { ...VIP, extport: '11514-11516', mappedport: '1514-1516' });
      sim.guiAdd('firewall/policy', {
        ...VIP_POLICY,
        srcaddr: [{ name: 'partner' }],
        service: [{ name: 'svc-1514' }],
      });
      expect(sim.trace(packet({ port: 11515 }))).toMatchObject({ action: 'pass', port: 1515 });
      expect(sim.trace(packet({ port: 11515, source: '198.18.0.1' })).action).toBe('block');
    });
  });
});
