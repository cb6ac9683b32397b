import {
  FORTIOS_SIM_READONLY_TOKEN,
  FORTIOS_SIM_TOKEN,
  FortiOsSimulator,
  TRANSACTION_LOCKED_ERROR,
  startFortiOsSimulator,
} from './simulator';
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

const POLICY = {
  name: 'p1',
  srcintf: [{ name: 'port2' }],
  dstintf: [{ name: 'port3' }],
  srcaddr: [{ name: 'all' }],
  dstaddr: [{ name: 'all' }],
  service: [{ name: 'HTTPS' }],
  action: 'accept',
  schedule: 'always',
};

function expectCliError(res: RawResponse, code: number, text: RegExp): void {
  expect(res.status).toBe(500);
  expect(json(res)).toMatchObject({ status: 'error', http_status: 500, error: code });
  expect(String(json(res).cli_error)).toMatch(text);
  expect(String(json(res).cli_error)).toContain(`Return code ${code}`);
}

describe('FortiOS simulator fidelity (reference/fortios-rest-api.md)', () => {
  let sim: FortiOsSimulator;
  beforeEach(async () => {
    sim = await startFortiOsSimulator({ lockoutThreshold: 3 });
  });
  afterEach(async () => {
    await sim.stop();
  });

  describe('authentication (§1.3: HTML, not JSON)', () => {
    it('401 HTML for no token, a token without Bearer, a wrong token, or an untrusted source', async () => {
      const cases: Array<Record<string, string>> = [
        {},
        { authorization: FORTIOS_SIM_TOKEN },
        { authorization: 'Bearer nope' },
      ];
      for (const headers of cases) {
        const res = await rawRequest(sim.url, { path: '/api/v2/monitor/system/status', headers });
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/text\/html/);
        expect(res.text).toContain('<title>401 Unauthorized</title>');
        expect(res.text).toContain('This server could not verify that you');
        expect(res.json).toBeUndefined();
        sim.reset(); // no lockout between the cases
      }
      const strict = await startFortiOsSimulator({
        tokens: [{ token: FORTIOS_SIM_TOKEN, trustedHosts: ['10.0.0.0/8'] }],
      });
      try {
        const res = await call(strict, 'GET', '/api/v2/monitor/system/status');
        expect(res.status).toBe(401);
      } finally {
        await strict.stop();
      }
    });

    it('refuses ?access_token= unless rest-api-key-url-query is enabled', async () => {
      const res = await rawRequest(sim.url, {
        path: `/api/v2/monitor/system/status?access_token=${FORTIOS_SIM_TOKEN}`,
      });
      expect(res.status).toBe(401);
      const open = await startFortiOsSimulator({ allowUrlToken: true });
      try {
        const ok = await rawRequest(open.url, {
          path: `/api/v2/monitor/system/status?access_token=${FORTIOS_SIM_TOKEN}`,
        });
        expect(ok.status).toBe(200);
      } finally {
        await open.stop();
      }
    });

    it('blocks a source with HTML 429 after repeated failures, even with a good token', async () => {
      for (let i = 0; i < 3; i++) {
        expect(
          (await rawRequest(sim.url, { path: '/api/v2/cmdb/firewall/address', headers: {} })).status,
        ).toBe(401);
      }
      const blocked = await call(sim, 'GET', '/api/v2/cmdb/firewall/address');
      expect(blocked.status).toBe(429);
      expect(blocked.text).toContain('429 Too Many Requests');
    });

    it('403 HTML for writes with a read-only profile and for a VDOM outside the token scope', async () => {
      const ro = { authorization: `Bearer ${FORTIOS_SIM_READONLY_TOKEN}` };
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address', undefined, ro)).status).toBe(200);
      const res = await call(
        sim,
        'POST',
        '/api/v2/cmdb/firewall/address',
        { name: 'a', subnet: '10.0.0.1/32' },
        ro,
      );
      expect(res.status).toBe(403);
      expect(res.text).toContain('403 Forbidden');
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address?vdom=nope')).status).toBe(403);
    });
  });

  describe('envelopes and routes (§2, §3)', () => {
    it('monitor/system/status carries version, serial and build at the top level', async () => {
      const body = json(await call(sim, 'GET', '/api/v2/monitor/system/status'));
      expect(body).toMatchObject({
        status: 'success',
        version: 'v7.4.3',
        serial: expect.any(String) as unknown,
      });
      expect(typeof body.build).toBe('number');
      expect(body.results).toMatchObject({ model_name: 'FortiGate' });
    });

    it('POST/GET/DELETE envelopes: 32-hex revision that changes, mkey, q_origin_key, list meta, no mkey in 404 error', async () => {
      const created = await call(sim, 'POST', '/api/v2/cmdb/firewall/address?vdom=root', {
        name: 'h1',
        subnet: '10.0.0.1/32',
      });
      expect(created.status).toBe(200);
      const env = json(created);
      expect(env).toMatchObject({
        http_method: 'POST',
        mkey: 'h1',
        status: 'success',
        http_status: 200,
        revision_changed: true,
        vdom: 'root',
        path: 'firewall',
        name: 'address',
      });
      expect(env.revision).toMatch(/^[0-9a-f]{32}$/);
      expect(env.old_revision).not.toBe(env.revision);
      const item = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/address/h1/'));
      expect(item.results).toEqual([
        expect.objectContaining({ name: 'h1', q_origin_key: 'h1', subnet: '10.0.0.1 255.255.255.255' }),
      ]);
      const list = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/address?filter=name==h1'));
      expect(list).toMatchObject({ size: 2, matched_count: 1 });
      const missing = await call(sim, 'GET', '/api/v2/cmdb/firewall/address/nope');
      expect(missing.status).toBe(404);
      expect(json(missing)).toMatchObject({ status: 'error', http_status: 404, mkey: 'nope' });
      expect(json(missing).error).toBeUndefined();
      expect((await call(sim, 'PUT', '/api/v2/cmdb/firewall/address/nope', { comment: 'x' })).status).toBe(
        404,
      );
      expect((await call(sim, 'DELETE', '/api/v2/cmdb/firewall/address/nope')).status).toBe(404);
      expect(json(await call(sim, 'DELETE', '/api/v2/cmdb/firewall/address/h1'))).toMatchObject({
        http_method: 'DELETE',
        mkey: 'h1',
        status: 'success',
      });
    });

    it('mkeys must be percent-encoded: an unencoded / is a 400', async () => {
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'net/24', subnet: '10.1.0.0/24' });
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address/net/24')).status).toBe(400);
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address/net%2F24')).status).toBe(200);
    });

    it('filter (==, =@, OR, AND), format (unknown field ⇒ all fields) and nested member search', async () => {
      for (const [name, subnet] of [
        ['Web1', '10.0.0.1/32'],
        ['web2', '10.0.0.2/32'],
        ['db', '10.0.0.3/32'],
      ]) {
        await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name, subnet });
      }
      await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'g', member: [{ name: 'db' }] });
      const namesOf = async (q: string): Promise<unknown[]> =>
        (json(await call(sim, 'GET', `/api/v2/cmdb/firewall/address?${q}`)).results as Body[]).map(
          (r) => r.name,
        );
      expect(await namesOf('filter=name==web1')).toEqual([]);
      expect(await namesOf('filter=name=*web1')).toEqual(['Web1']);
      expect(await namesOf('filter=name=@web')).toEqual(['Web1', 'web2']);
      expect(await namesOf('filter=name==db,name==web2')).toEqual(['web2', 'db']);
      expect(await namesOf('filter=name=@web&filter=subnet=@10\\.0\\.0\\.2')).toEqual(['web2']);
      const grp = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/addrgrp?filter=member==db'));
      expect((grp.results as Body[]).map((r) => r.name)).toEqual(['g']);
      const formatted = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/address/db?format=name|subnet'));
      expect(formatted.results).toEqual([
        { q_origin_key: 'db', name: 'db', subnet: '10.0.0.3 255.255.255.255' },
      ]);
      const unknown = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/address/db?format=name|nope'));
      expect(Object.keys((unknown.results as Body[])[0]).length).toBeGreaterThan(5);
    });

    it('filterListMembers: false: a filter on a member list matches nothing (F9 unknown)', async () => {
      const literal = await startFortiOsSimulator({ filterListMembers: false });
      try {
        await call(literal, 'POST', '/api/v2/cmdb/firewall/address', { name: 'db', subnet: '10.0.0.3/32' });
        await call(literal, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'g', member: [{ name: 'db' }] });
        const grp = json(await call(literal, 'GET', '/api/v2/cmdb/firewall/addrgrp?filter=member==db'));
        expect(grp.results).toEqual([]);
        const byName = json(await call(literal, 'GET', '/api/v2/cmdb/firewall/addrgrp?filter=name==g'));
        expect((byName.results as Body[]).map((r) => r.name)).toEqual(['g']);
      } finally {
        await literal.stop();
      }
    });

    it('ignores unknown attributes silently (a policy `comment` is lost: the field is `comments`)', async () => {
      const res = await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, comment: 'mine' });
      expect(res.status).toBe(200);
      expect(sim.policies()[0].comments).toBe('');
      expect(sim.policies()[0].comment).toBeUndefined();
    });

    it('DELETE on the collection purges every unreferenced entry (the documented trap)', async () => {
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'used', subnet: '10.0.0.1/32' });
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'unused', subnet: '10.0.0.2/32' });
      await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'g', member: [{ name: 'used' }] });
      expect((await call(sim, 'DELETE', '/api/v2/cmdb/firewall/address')).status).toBe(200);
      expect(sim.table('firewall/address').map((a) => a.name)).toEqual(['used']);
    });

    it('applies the vdom parameter: separate stores per VDOM, absent ⇒ management VDOM', async () => {
      const multi = await startFortiOsSimulator({ vdoms: ['root', 'b'] });
      try {
        await call(multi, 'POST', '/api/v2/cmdb/firewall/address?vdom=b', {
          name: 'x',
          subnet: '10.0.0.1/32',
        });
        expect((await call(multi, 'GET', '/api/v2/cmdb/firewall/address/x')).status).toBe(404);
        expect((await call(multi, 'GET', '/api/v2/cmdb/firewall/address/x?vdom=b')).status).toBe(200);
        const all = await call(multi, 'GET', '/api/v2/cmdb/firewall/address/x?global=1');
        expect(Array.isArray(all.json)).toBe(true);
        expect((all.json as Body[]).map((e) => e.http_status)).toEqual([404, 200]);
      } finally {
        await multi.stop();
      }
    });
  });

  describe('validation errors (§3.4) → HTTP 500 with the CLI code', () => {
    it('-1 string value is too long (object names 79, policy names 35, comments 255)', async () => {
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/address', {
          name: 'a'.repeat(80),
          subnet: '10.0.0.1/32',
        }),
        -1,
        /the size is 80, the limit is 79/,
      );
      expect(
        (
          await call(sim, 'POST', '/api/v2/cmdb/firewall/address', {
            name: 'a'.repeat(79),
            subnet: '10.0.0.1/32',
          })
        ).status,
      ).toBe(200);
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, name: 'p'.repeat(36) }),
        -1,
        /the limit is 35/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
          name: 's',
          'tcp-portrange': '80',
          comment: 'c'.repeat(256),
        }),
        -1,
        /the limit is 255/,
      );
    });

    it('-5 duplicate create (POST of an existing name or policy id)', async () => {
      const body = { name: 'dup', subnet: '10.0.0.1/32' };
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', body);
      const res = await call(sim, 'POST', '/api/v2/cmdb/firewall/address', body);
      expectCliError(res, -5, /already exists/);
      expect(json(res).revision_changed).toBe(false);
      await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, policyid: 7 });
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, name: 'other', policyid: 7 }),
        -5,
        /already exists/,
      );
    });

    it('-163 address and address group share one namespace', async () => {
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'x', subnet: '10.0.0.1/32' });
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'x', member: [{ name: 'x' }] }),
        -163,
        /Name 'x' conflict: 'address group' and 'address' cannot be the same name/,
      );
    });

    it('-651 unknown references (interface, address, service, schedule) and enum values', async () => {
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', {
          ...POLICY,
          srcintf: [{ name: 'homeNetwork' }],
        }),
        -651,
        /node_check_object fail! for name homeNetwork/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, service: [{ name: 'nope' }] }),
        -651,
        /for name nope/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, schedule: 'weekends' }),
        -651,
        /weekends/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'g', member: [{ name: 'ghost' }] }),
        -651,
        /ghost/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, action: 'allow' }),
        -651,
        /action allow/,
      );
      const noIntf: Body = { ...POLICY };
      delete noIntf.dstintf;
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', noIntf),
        -651,
        /dstintf is required/,
      );
    });

    it('-650 port range low > high; -651 empty TCP/UDP ranges and the wrong protocol literal for the firmware', async () => {
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
          name: 's',
          'tcp-portrange': '100-10',
        }),
        -650,
        /tcp-portrange 100-10/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
          name: 's',
          protocol: 'TCP/UDP/SCTP',
        }),
        -651,
        /portrange cannot all be empty/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
          name: 's',
          protocol: 'TCP/UDP/UDP-Lite/SCTP',
          'tcp-portrange': '80',
        }),
        -651,
        /protocol TCP\/UDP\/UDP-Lite\/SCTP/,
      );
      const ok = await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
        name: 'ok',
        'tcp-portrange': '1514-1516 80:60000 0-65535:0-65535',
      });
      expect(ok.status).toBe(200);
    });

    it('-8 invalid ip address (bad subnet, non-contiguous mask)', async () => {
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'a', subnet: '10.0.0.300/32' }),
        -8,
        /invalid ip address/,
      );
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/address', {
          name: 'a',
          subnet: '10.0.0.0 255.0.255.0',
        }),
        -8,
        /invalid ip address/,
      );
    });

    it('-23 deleting an object that is in use', async () => {
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 'm', subnet: '10.0.0.1/32' });
      await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp', { name: 'g', member: [{ name: 'm' }] });
      await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, srcaddr: [{ name: 'g' }] });
      expectCliError(
        await call(sim, 'DELETE', '/api/v2/cmdb/firewall/addrgrp/g'),
        -23,
        /The entry is used by other 1 entries/,
      );
      const meta = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/address/m?with_meta=1'));
      expect((meta.results as Body[])[0].q_ref).toBe(1);
    });
  });

  describe('policies (§4.5, §4.7)', () => {
    it('policyid 0 ⇒ next free id (a JSON number), appended at the end; move before/after', async () => {
      const ids: unknown[] = [];
      for (const name of ['a', 'b', 'c']) {
        ids.push(
          json(await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, name, policyid: 0 }))
            .mkey,
        );
      }
      expect(ids).toEqual([1, 2, 3]);
      const moved = json(await call(sim, 'PUT', '/api/v2/cmdb/firewall/policy/3?action=move&before=1'));
      expect(moved).toMatchObject({ status: 'success', action: 'move', mkey: 3 });
      await call(sim, 'PUT', '/api/v2/cmdb/firewall/policy/1?action=move&after=2');
      expect(sim.policies().map((p) => p.name)).toEqual(['c', 'b', 'a']);
      expect(
        (await call(sim, 'PUT', '/api/v2/cmdb/firewall/policy/1?action=move&before=2&after=3')).status,
      ).toBe(400);
      expect((await call(sim, 'PUT', '/api/v2/cmdb/firewall/policy/1?action=move&before=99')).status).toBe(
        404,
      );
      const list = json(await call(sim, 'GET', '/api/v2/cmdb/firewall/policy?format=policyid|name'));
      expect(list.results).toEqual([
        { q_origin_key: 3, policyid: 3, name: 'c' },
        { q_origin_key: 2, policyid: 2, name: 'b' },
        { q_origin_key: 1, policyid: 1, name: 'a' },
      ]);
    });

    it('policy names are unique per VDOM (-5)', async () => {
      await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', POLICY);
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', POLICY),
        -5,
        /duplicate policy name/,
      );
    });
  });

  describe('transactions (§5.2)', () => {
    /** The header that puts a write into transaction `id` (§5.2). */
    const inTransaction = (id: number): Record<string, string> => ({ 'x-transaction-id': String(id) });
    const start = async (s: FortiOsSimulator, timeout = 60): Promise<number> => {
      const res = json(await call(s, 'POST', '/api/v2/cmdb?action=transaction-start&vdom=root', { timeout }));
      expect(res).toMatchObject({ status: 'success', action: 'transaction-start', revision_changed: false });
      return (res.results as Body)['transaction-id'] as number;
    };

    it('timeout is read in minutes 1-60 like the CLI (F23): 300 is refused; the seconds variant accepts it', async () => {
      const res = await call(sim, 'POST', '/api/v2/cmdb?action=transaction-start&vdom=root', {
        timeout: 300,
      });
      expect(res.status).toBe(500);
      expect(json(res)).toMatchObject({ status: 'error', error: -651 });
      expect(sim.openTransactions()).toEqual([]);
      const secs = await startFortiOsSimulator({ transactionTimeoutUnit: 'seconds' });
      try {
        expect(await start(secs, 300)).toBeGreaterThan(0);
      } finally {
        await secs.stop();
      }
    });

    it('mkeyInTransaction: false answers a transactional POST without mkey (F16 unknown)', async () => {
      const quiet = await startFortiOsSimulator({ mkeyInTransaction: false });
      try {
        const id = await start(quiet);
        const body = { ...POLICY, policyid: 0 };
        const w = json(await call(quiet, 'POST', '/api/v2/cmdb/firewall/policy', body, inTransaction(id)));
        expect(w).toMatchObject({ status: 'success' });
        expect(w.mkey).toBeUndefined();
      } finally {
        await quiet.stop();
      }
    });

    it("mkeyInTransaction: 'named' answers the mkey of named objects but not of policies (F16 unknown)", async () => {
      const named = await startFortiOsSimulator({ mkeyInTransaction: 'named' });
      try {
        const id = await start(named);
        const addr = { name: 'n1', subnet: '10.0.0.1/32' };
        const a = json(await call(named, 'POST', '/api/v2/cmdb/firewall/address', addr, inTransaction(id)));
        expect(a).toMatchObject({ status: 'success', mkey: 'n1' });
        const body = { ...POLICY, policyid: 0 };
        const w = json(await call(named, 'POST', '/api/v2/cmdb/firewall/policy', body, inTransaction(id)));
        expect(w).toMatchObject({ status: 'success' });
        expect(w.mkey).toBeUndefined();
      } finally {
        await named.stop();
      }
    });

    it('lockedTableAnswer replaces the inferred -580 answer to a write on a locked table', async () => {
      for (const [answer, status, expected] of [
        [
          { httpStatus: 500, error: -7777 },
          500,
          { error: -7777, cli_error: expect.stringContaining('locked') },
        ],
        [{ httpStatus: 500, error: null, cliError: null }, 500, {}],
        [
          { httpStatus: 424, error: null, cliError: 'entry is in use\n' },
          424,
          { cli_error: 'entry is in use\n' },
        ],
      ] as const) {
        const locking = await startFortiOsSimulator({ lockedTableAnswer: answer });
        try {
          const a = await start(locking);
          const addr = { name: 'x', subnet: '10.0.0.1/32' };
          await call(locking, 'POST', '/api/v2/cmdb/firewall/address', addr, inTransaction(a));
          const res = await call(locking, 'POST', '/api/v2/cmdb/firewall/address', { ...addr, name: 'y' });
          expect(res.status).toBe(status);
          expect(json(res)).toMatchObject({ status: 'error', http_status: status, ...expected });
          if (answer.error === null) expect(json(res).error).toBeUndefined();
          if (answer.cliError === null) expect(json(res).cli_error).toBeUndefined();
        } finally {
          await locking.stop();
        }
      }
    });

    it('staged writes are invisible until commit; write responses say revision_changed false; commit applies', async () => {
      const id = await start(sim);
      const tx = inTransaction(id);
      const w = json(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 't', subnet: '10.0.0.1/32' }, tx),
      );
      expect(w).toMatchObject({ status: 'success', revision_changed: false });
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address/t')).status).toBe(404);
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address/t', undefined, tx)).status).toBe(200);
      const shown = json(await call(sim, 'GET', `/api/v2/cmdb?action=transaction-show&transaction-id=${id}`));
      expect(shown.results).toEqual(expect.arrayContaining(['config firewall address', 'edit "t"']));
      const before = sim.revision;
      const committed = json(
        await call(sim, 'POST', '/api/v2/cmdb?action=transaction-commit&vdom=root', { 'transaction-id': id }),
      );
      expect(committed).toMatchObject({ status: 'success', revision_changed: true });
      expect(sim.revision).not.toBe(before);
      expect((await call(sim, 'GET', '/api/v2/cmdb/firewall/address/t')).status).toBe(200);
      expect(sim.openTransactions()).toEqual([]);
    });

    it('validation still happens per request inside a transaction; abort discards everything', async () => {
      const id = await start(sim);
      const tx = inTransaction(id);
      await call(sim, 'POST', '/api/v2/cmdb/firewall/address', { name: 't', subnet: '10.0.0.1/32' }, tx);
      expectCliError(
        await call(sim, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, srcintf: [{ name: 'x' }] }, tx),
        -651,
        /for name x/,
      );
      await call(sim, 'POST', '/api/v2/cmdb?action=transaction-abort&vdom=root', { 'transaction-id': id });
      expect(sim.table('firewall/address').map((a) => a.name)).toEqual(['all']);
      const again = await call(
        sim,
        'POST',
        '/api/v2/cmdb/firewall/address',
        { name: 'z', subnet: '10.0.0.9/32' },
        tx,
      );
      expect(json(again)).toMatchObject({ status: 'error', error: -3 });
    });

    it('tables touched by an open transaction are locked for other writers', async () => {
      const a = await start(sim);
      await call(
        sim,
        'POST',
        '/api/v2/cmdb/firewall/address',
        { name: 'x', subnet: '10.0.0.1/32' },
        inTransaction(a),
      );
      const b = await start(sim);
      const locked = await call(
        sim,
        'POST',
        '/api/v2/cmdb/firewall/address',
        { name: 'y', subnet: '10.0.0.2/32' },
        inTransaction(b),
      );
      expect(json(locked)).toMatchObject({ status: 'error', error: TRANSACTION_LOCKED_ERROR });
      const direct = await call(sim, 'POST', '/api/v2/cmdb/firewall/address', {
        name: 'y',
        subnet: '10.0.0.2/32',
      });
      expect(json(direct)).toMatchObject({ status: 'error', error: TRANSACTION_LOCKED_ERROR });
      // Another table is free.
      const other = await call(sim, 'POST', '/api/v2/cmdb/firewall.service/custom', {
        name: 's',
        'tcp-portrange': '80',
      });
      expect(other.status).toBe(200);
      const list = json(await call(sim, 'GET', '/api/v2/cmdb?action=transaction-list'));
      expect((list.results as Body[]).map((t) => t['transaction-id'])).toEqual([a, b]);
    });

    it('a transaction expires after its timeout (discarded)', async () => {
      let now = 1_000_000;
      const timed = await startFortiOsSimulator({ now: () => now });
      try {
        const id = await start(timed, 5);
        await call(
          timed,
          'POST',
          '/api/v2/cmdb/firewall/address',
          { name: 'x', subnet: '10.0.0.1/32' },
          inTransaction(id),
        );
        now += 6 * 60_000; // minutes, like the CLI (F23)
        const commit = await call(timed, 'POST', '/api/v2/cmdb?action=transaction-commit', {
          'transaction-id': id,
        });
        expect(json(commit)).toMatchObject({ status: 'error', error: -3 });
        expect(timed.table('firewall/address').map((a) => a.name)).toEqual(['all']);
      } finally {
        await timed.stop();
      }
    });

    it('firmware before 6.4 has no transactions', async () => {
      const old = await startFortiOsSimulator({ version: 'v6.2.9' });
      try {
        const res = await call(old, 'POST', '/api/v2/cmdb?action=transaction-start', { timeout: 60 });
        expect(res.status).toBe(400);
      } finally {
        await old.stop();
      }
    });
  });

  it('answers a burst of parallel writes with HTML 429', async () => {
    const slow = await startFortiOsSimulator({ maxConcurrentWrites: 1, writeProcessingMs: 30 });
    try {
      const results = await Promise.all(
        ['a', 'b', 'c'].map((name) =>
          call(slow, 'POST', '/api/v2/cmdb/firewall/address', { name, subnet: '10.0.0.1/32' }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 429, 429]);
      expect(results.find((r) => r.status === 429)!.text).toContain('429 Too Many Requests');
    } finally {
      await slow.stop();
    }
  });

  // Fortinet's Ansible schemas: addrgrp6 `exclude` v7.4.0+ (F13), policy srcaddr6/dstaddr6 v6.4.0+ (F19).
  it('fields a firmware does not have are unknown attributes there: ignored and recorded', async () => {
    const v72 = await startFortiOsSimulator({ version: 'v7.2.0' });
    const v62 = await startFortiOsSimulator({ version: 'v6.2.9' });
    try {
      await call(v72, 'POST', '/api/v2/cmdb/firewall/addrgrp6', {
        name: 'g6',
        member: [{ name: 'all' }],
        exclude: 'disable',
      });
      expect(v72.ignoredAttributes).toEqual(['firewall/addrgrp6.exclude']);
      expect(v72.table('firewall/addrgrp6')[0]).not.toHaveProperty('exclude');
      await call(v62, 'POST', '/api/v2/cmdb/firewall/policy', { ...POLICY, srcaddr6: [], dstaddr6: [] });
      expect(v62.ignoredAttributes).toEqual(['firewall/policy.srcaddr6', 'firewall/policy.dstaddr6']);
      await call(sim, 'POST', '/api/v2/cmdb/firewall/addrgrp6', {
        name: 'g6',
        member: [{ name: 'all' }],
        exclude: 'disable',
      });
      expect(sim.ignoredAttributes).toEqual([]);
    } finally {
      await v72.stop();
      await v62.stop();
    }
  });

  it('cliErrorStatus 424 answers CLI validation failures with HTTP 424 (TF forticlient.go L186-187)', async () => {
    const s424 = await startFortiOsSimulator({ cliErrorStatus: 424 });
    try {
      await call(s424, 'POST', '/api/v2/cmdb/firewall/address', { name: 'a', subnet: '10.0.0.1/32' });
      const dup = await call(s424, 'POST', '/api/v2/cmdb/firewall/address', {
        name: 'a',
        subnet: '10.0.0.1/32',
      });
      expect(dup.status).toBe(424);
      expect(json(dup)).toMatchObject({ status: 'error', http_status: 424, error: -5 });
    } finally {
      await s424.stop();
    }
  });
});
