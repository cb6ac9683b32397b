import { startFortiOsSimulator, FORTIOS_SIM_TOKEN } from '@app/simulators/fortios/simulator';
import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  startOpnSenseSimulator,
} from '@app/simulators/opnsense/simulator';
import { PFSENSE_SIM_API_KEY, startPfSenseSimulator } from '@app/simulators/pfsense/simulator';
import { ConnectorError } from './core/errors';
import type { FortiOsTarget, OpnSenseTarget, PfSenseTarget } from './core/target';
import { FortiOsConnector } from './fortios/fortios.connector';
import { OpnSenseConnector } from './opnsense/opnsense.connector';
import { PfSenseConnector } from './pfsense/pfsense.connector';

/** `readInterfaceNames()` of each connector against its simulator over real HTTP: one read, nothing written. */

const COMMON = {
  id: 'fw-hq',
  timeouts: { connectMs: 1_000, requestMs: 2_000, commitMs: 2_000 },
  retry: { retries: 0, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2_000 },
};

describe('pfSense readInterfaceNames', () => {
  const target = (url: string): PfSenseTarget => ({
    ...COMMON,
    vendor: 'pfsense',
    url,
    credentials: { kind: 'pfsense-api-key', apiKey: PFSENSE_SIM_API_KEY },
  });

  it('answers the interface ids (not descriptions or devices) from one GET /api/v2/interfaces', async () => {
    const sim = await startPfSenseSimulator({
      interfaces: ['wan', 'lan', 'opt1'],
      interfaceDescriptions: { opt1: 'DMZ' },
      interfaceDevices: { opt1: 'igb2' },
    });
    const connector = new PfSenseConnector(target(sim.url));
    try {
      expect(await connector.readInterfaceNames()).toEqual(['wan', 'lan', 'opt1']);
      expect(sim.calls.lines()).toEqual(['GET /api/v2/system/restapi/settings', 'GET /api/v2/interfaces']);
      expect(sim.calls.writes()).toBe(0);
    } finally {
      connector.close();
      await sim.stop();
    }
  });

  it('refuses a box whose REST API names interfaces by description (rules would not use the ids)', async () => {
    const sim = await startPfSenseSimulator({ representInterfacesAs: 'descr' });
    const connector = new PfSenseConnector(target(sim.url));
    try {
      await expect(connector.readInterfaceNames()).rejects.toBeInstanceOf(ConnectorError);
      expect(sim.calls.lines()).not.toContain('GET /api/v2/interfaces');
    } finally {
      connector.close();
      await sim.stop();
    }
  });
});

describe('FortiOS readInterfaceNames', () => {
  const target = (url: string, vdom?: string): FortiOsTarget => ({
    ...COMMON,
    vendor: 'fortios',
    url,
    credentials: { kind: 'fortios-token', token: FORTIOS_SIM_TOKEN },
    ...(vdom !== undefined ? { vdom } : {}),
  });

  it("answers only the interfaces of the connector's VDOM, from one vdom-scoped GET", async () => {
    const sim = await startFortiOsSimulator({
      vdoms: ['root', 'cust'],
      interfaces: ['port1', 'port2', 'port3', 'port4'],
      interfaceVdoms: { port3: 'cust', port4: 'cust' },
    });
    const root = new FortiOsConnector(target(sim.url));
    const cust = new FortiOsConnector(target(sim.url, 'cust'));
    try {
      expect(await root.readInterfaceNames()).toEqual(['port1', 'port2']);
      expect(await cust.readInterfaceNames()).toEqual(['port3', 'port4']);
      expect(sim.calls.lines()).toEqual([
        'GET /api/v2/cmdb/system/interface?vdom=root&format=name|vdom',
        'GET /api/v2/cmdb/system/interface?vdom=cust&format=name|vdom',
      ]);
      expect(sim.calls.writes()).toBe(0);
    } finally {
      root.close();
      cust.close();
      await sim.stop();
    }
  });
});

describe('OPNsense readInterfaceNames', () => {
  const target = (url: string, key = OPNSENSE_SIM_KEY, secret = OPNSENSE_SIM_SECRET): OpnSenseTarget => ({
    ...COMMON,
    vendor: 'opnsense',
    url,
    credentials: { kind: 'opnsense-api-key', key, secret },
  });

  it.each(['24.7.12', '25.1.12', '26.7'])(
    'answers the assigned identifiers, not unassigned devices, on %s',
    async (version) => {
      const sim = await startOpnSenseSimulator({
        version,
        interfaces: [
          { id: 'wan', descr: 'WAN' },
          { id: 'lan', descr: 'LAN' },
          { id: 'opt1', descr: 'DMZ' },
        ],
      });
      const connector = new OpnSenseConnector(target(sim.url));
      try {
        expect(await connector.readInterfaceNames()).toEqual(['wan', 'lan', 'opt1']);
        expect(sim.calls.lines()).toEqual(['GET /api/interfaces/overview/interfacesInfo']);
        expect(sim.calls.writes()).toBe(0);
      } finally {
        connector.close();
        await sim.stop();
      }
    },
  );

  it('fails as an authentication error for a key without the Status: Interfaces privilege', async () => {
    const sim = await startOpnSenseSimulator({
      keys: [{ key: 'k-filter-only', secret: 's-filter-only', privileges: ['page-filter-api'] }],
    });
    const connector = new OpnSenseConnector(target(sim.url, 'k-filter-only', 's-filter-only'));
    try {
      const error: unknown = await connector.readInterfaceNames().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorError);
      expect(error).toMatchObject({ kind: 'authentication', status: 403 });
    } finally {
      connector.close();
      await sim.stop();
    }
  });
});
