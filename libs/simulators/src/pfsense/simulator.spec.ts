import {
  PFSENSE_SIM_API_KEY,
  PfSenseSimulator,
  startPfSenseSimulator,
  type PfSenseSimulatorOptions,
} from './simulator';
import { rawRequest, type RawResponse } from '../testing/raw-http';

/**
 * Fidelity of the pfSense simulator to /work/shared/reference/pfsense-rest-api.md: the simulator must reject what
 * the real package rejects, with the same status, envelope and response_id.
 */

const KEY = { 'x-api-key': PFSENSE_SIM_API_KEY };
const JSON_HEADERS = { ...KEY, 'content-type': 'application/json', accept: 'application/json' };
const basic = (user: string, pass: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

const RULE = {
  type: 'pass',
  interface: ['lan'],
  ipprotocol: 'inet',
  protocol: 'tcp',
  source: 'any',
  destination: 'any',
  destination_port: '443',
  descr: 'test rule',
};

describe('pfSense simulator fidelity', () => {
  let sim: PfSenseSimulator;
  let simOptions: PfSenseSimulatorOptions = {};

  const call = (
    method: string,
    path: string,
    body?: object | string,
    headers: Record<string, string> = JSON_HEADERS,
  ) => rawRequest(sim.url, { method, path, body, headers });
  const post = (path: string, body: object) => call('POST', path, body);
  const expectError = (res: RawResponse, code: number, responseId: string): void => {
    expect({
      status: res.status,
      id: (res.json as { response_id?: string } | undefined)?.response_id,
    }).toEqual({
      status: code,
      id: responseId,
    });
    expect(res.json).toMatchObject({ code, response_id: responseId, data: [] });
  };

  beforeEach(async () => {
    sim = await startPfSenseSimulator(simOptions);
  });
  afterEach(async () => {
    await sim.stop();
    simOptions = {};
  });

  describe('authentication (pipeline order: enabled, auth, accept, method, body, controls)', () => {
    const AUTH_FAILED = {
      code: 401,
      status: 'unauthorized',
      response_id: 'AUTH_AUTHENTICATION_FAILED',
      message: 'Authentication failed.',
      data: [],
    };

    it('answers the exact 401 body when credentials are missing', async () => {
      const res = await call('GET', '/api/v2/firewall/rules', undefined, {});
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.text)).toEqual(AUTH_FAILED);
      expect(res.headers['www-authenticate']).toBeUndefined();
    });

    it('adds WWW-Authenticate when a Basic attempt fails; a wrong key gets the same body without it', async () => {
      const wrongBasic = await call('GET', '/api/v2/firewall/rules', undefined, basic('admin', 'wrong'));
      expect(wrongBasic.json).toEqual(AUTH_FAILED);
      expect(wrongBasic.headers['www-authenticate']).toBe('Basic realm="Login for pfSense REST API"');
      const wrongKey = await call('GET', '/api/v2/firewall/rules', undefined, { 'x-api-key': 'deadbeef' });
      expect(wrongKey.json).toEqual(AUTH_FAILED);
      expect(wrongKey.headers['www-authenticate']).toBeUndefined();
    });

    it('accepts valid Basic credentials and valid keys', async () => {
      expect((await call('GET', '/api/v2/firewall/rules', undefined, basic('admin', 'pfsense'))).status).toBe(
        200,
      );
      expect((await call('GET', '/api/v2/firewall/rules', undefined, KEY)).status).toBe(200);
    });

    it('Basic with an empty password is not "requested" (v2.10): 401', async () => {
      expectError(
        await call('GET', '/api/v2/firewall/rules', undefined, basic('admin', '')),
        401,
        'AUTH_AUTHENTICATION_FAILED',
      );
    });

    it('rejects a valid key when KeyAuth is not enabled (installed default is BasicAuth only)', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ authMethods: ['BasicAuth'] });
      expectError(
        await call('GET', '/api/v2/firewall/rules', undefined, KEY),
        401,
        'AUTH_AUTHENTICATION_FAILED',
      );
    });

    it('answers 401, not 405, to an unauthenticated request with a wrong method', async () => {
      expectError(await call('POST', '/api/v2/firewall/rules', {}, {}), 401, 'AUTH_AUTHENTICATION_FAILED');
    });

    it('answers 403 AUTH_AUTHORIZATION_FAILED to writes by a read-only user', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ users: [{ username: 'ro', password: 'ro', readOnly: true }] });
      expect((await call('GET', '/api/v2/firewall/rules', undefined, basic('ro', 'ro'))).status).toBe(200);
      const res = await call('POST', '/api/v2/firewall/rule', RULE, {
        ...basic('ro', 'ro'),
        'content-type': 'application/json',
      });
      expectError(res, 403, 'AUTH_AUTHORIZATION_FAILED');
      expect(res.json).toMatchObject({
        message: 'Authorization failed. You do not have sufficient privileges to access this resource.',
      });
    });
  });

  describe('transport and envelope', () => {
    it('answers nginx HTML 404 (not the envelope) for an unknown path', async () => {
      const res = await call('GET', '/api/v2/firewall/nope', undefined, KEY);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('text/html');
      expect(res.text).toContain('<center>nginx</center>');
    });

    it('answers 405 ENDPOINT_METHOD_NOT_ALLOWED with the backtick-quoted method', async () => {
      const res = await call('POST', '/api/v2/firewall/rules', {});
      expectError(res, 405, 'ENDPOINT_METHOD_NOT_ALLOWED');
      expect(res.json).toMatchObject({
        status: 'method not allowed',
        message: 'Resource at /api/v2/firewall/rules does not support the requested HTTP method `POST`',
      });
    });

    it('answers 406 to an unsupported Accept type', async () => {
      expectError(
        await call('GET', '/api/v2/firewall/rules', undefined, { ...KEY, accept: 'text/html' }),
        406,
        'CONTENT_HANDLER_ENCODE_NOT_FOUND',
      );
    });

    it('answers 415 to an unknown Content-Type and 400 to invalid JSON', async () => {
      expectError(
        await call('POST', '/api/v2/firewall/rule', 'x', { ...KEY, 'content-type': 'text/plain' }),
        415,
        'CONTENT_HANDLER_DECODE_NOT_FOUND',
      );
      expectError(
        await call('POST', '/api/v2/firewall/rule', '{oops', JSON_HEADERS),
        400,
        'JSON_CONTENT_HANDLER_COULD_NOT_DECODE_JSON',
      );
    });

    it('answers every success with HTTP 200 and the SUCCESS envelope (POST too, with the new id)', async () => {
      const res = await post('/api/v2/firewall/rule', RULE);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        code: 200,
        status: 'ok',
        response_id: 'SUCCESS',
        message: '',
        data: { id: 2 },
      });
      const data = (res.json as { data: Record<string, unknown> }).data;
      // every field is present, conditional ones null
      for (const f of [
        'tracker',
        'created_by',
        'updated_time',
        'icmptype',
        'gateway',
        'quick',
        'direction',
        'floating',
      ]) {
        expect(data).toHaveProperty(f);
      }
      expect(data).toMatchObject({ icmptype: null, quick: null, direction: null, source_port: null });
      expect(data.created_by).toMatch(/^admin@127\.0\.0\.1 \(API\)$/);
    });

    it('ignores query-string filters when Content-Type is JSON, even on GET', async () => {
      const filtered = await call('GET', '/api/v2/firewall/rules?ipprotocol=inet6', undefined, KEY);
      expect((filtered.json as { data: unknown[] }).data).toHaveLength(1);
      const dropped = await call('GET', '/api/v2/firewall/rules?ipprotocol=inet6', undefined, JSON_HEADERS);
      expect((dropped.json as { data: unknown[] }).data).toHaveLength(2);
    });

    it('infers types in urlencoded bodies: destination_port=443 becomes an int and fails FIELD_INVALID_TYPE', async () => {
      const form =
        'type=pass&interface[]=lan&ipprotocol=inet&protocol=tcp&source=any&destination=any&destination_port=443';
      const res = await call('POST', '/api/v2/firewall/rule', form, {
        ...KEY,
        'content-type': 'application/x-www-form-urlencoded',
      });
      expectError(res, 400, 'FIELD_INVALID_TYPE');
    });

    it('type-checks control parameters strictly: "apply":"true" is a 400', async () => {
      expectError(
        await post('/api/v2/firewall/rule', { ...RULE, apply: 'true' }),
        400,
        'ENDPOINT_APPLY_FIELD_INVALID_TYPE',
      );
      expectError(
        await post('/api/v2/firewall/rule', { ...RULE, placement: '0' }),
        400,
        'ENDPOINT_PLACEMENT_FIELD_INVALID_TYPE',
      );
    });

    it('supports dry_run on writes (no write) and refuses it on GET', async () => {
      const dry = await post('/api/v2/firewall/rule', { ...RULE, dry_run: true });
      expect(dry.status).toBe(200);
      expect(sim.state.rules).toHaveLength(2);
      expectError(
        await call('GET', '/api/v2/firewall/rules?dry_run=true', undefined, KEY),
        400,
        'ENDPOINT_DRY_RUN_NOT_SUPPORTED_ON_GET',
      );
    });

    it('answers 503 with Retry-After when the API is disabled, and 405 in read-only mode', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ apiEnabled: false });
      const res = await call('GET', '/api/v2/firewall/rules', undefined, KEY);
      expectError(res, 503, 'ENDPOINT_REST_API_IS_NOT_ENABLED');
      expect(res.headers['retry-after']).toBe('5');
      await sim.stop();
      sim = await startPfSenseSimulator({ readOnlyMode: true });
      expectError(
        await post('/api/v2/firewall/rule', RULE),
        405,
        'ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE',
      );
    });

    it('reports the version', async () => {
      const res = await call('GET', '/api/v2/system/version', undefined, KEY);
      expect(res.json).toMatchObject({ data: { version: '2.8.1-RELEASE', base: '2.8', patch: '1' } });
    });
  });

  describe('FirewallAlias validation', () => {
    const alias = (over: object) =>
      post('/api/v2/firewall/alias', { name: 'utm_x', type: 'host', address: ['10.0.0.1'], ...over });

    it.each([
      ['bad-name', 'FILTER_NAME_VALIDATOR_INVALID_CHARACTERS'],
      ['sshguard', 'FILTER_NAME_VALIDATOR_RESERVED_NAME_USED'],
      ['12345', 'FILTER_NAME_VALIDATOR_CANNOT_BE_NUMERICAL'],
      ['a'.repeat(32), 'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT'],
      ['pkg_x', 'FILTER_NAME_VALIDATOR_CANNOT_START_WITH_PKG'],
      ['http', 'INVALID_FIREWALL_ALIAS_NAME'],
      ['tcp', 'INVALID_FIREWALL_ALIAS_NAME'],
      ['___', 'INVALID_FIREWALL_ALIAS_NAME'],
      ['lan', 'FILTER_NAME_VALIDATOR_NAME_IN_USE_BY_INTERFACE'],
    ])('rejects the alias name %s with %s', async (name, id) => {
      expectError(await alias({ name }), 400, id);
    });

    it('accepts a 31-character name', async () => {
      expect((await alias({ name: 'a'.repeat(31) })).status).toBe(200);
    });

    it('compares reserved words and interface ids case-sensitively (in_array, ModelSet id query)', async () => {
      expect((await alias({ name: 'SSHGUARD' })).status).toBe(200);
      expect((await alias({ name: 'LAN' })).status).toBe(200);
    });

    it('rejects a duplicate name with FIELD_MUST_BE_UNIQUE naming the other object', async () => {
      await alias({});
      const res = await alias({});
      expectError(res, 400, 'FIELD_MUST_BE_UNIQUE');
      expect((res.json as { message: string }).message).toContain('object with ID `0`');
    });

    it.each([
      [{ type: undefined }, 'FIELD_IS_REQUIRED'],
      [{ type: 'url' }, 'FIELD_INVALID_CHOICE'],
      [{ address: '10.0.0.1' }, 'FIELD_INVALID_MANY_VALUE'],
      [{ address: ['10.0.0.0/24'] }, 'INVALID_HOST_ALIAS_ADDRESS'],
      [{ type: 'network', address: ['10.0.0.1'] }, 'INVALID_NETWORK_ALIAS_ADDRESS'],
      [{ type: 'port', address: ['1514-1516'] }, 'INVALID_PORT_ALIAS_ADDRESS'],
      [{ type: 'port', address: ['70000'] }, 'INVALID_PORT_ALIAS_ADDRESS'],
      [{ address: ['10.0.0.1'], detail: ['a', 'b'] }, 'TOO_MANY_ALIAS_DETAILS'],
      [{ descr: 5 }, 'FIELD_INVALID_TYPE'],
    ])('rejects %j with %s', async (over, id) => {
      expectError(await alias(over), 400, id);
    });

    it('accepts port ranges a:b, network CIDRs, host IPs/FQDNs, and fills missing details', async () => {
      expect(
        (await alias({ name: 'utm_p', type: 'port', address: ['1514:1516', '443', 'https'] })).status,
      ).toBe(200);
      expect(
        (await alias({ name: 'utm_n', type: 'network', address: ['10.0.0.1/32', 'fd00::/64'] })).status,
      ).toBe(200);
      const res = await alias({
        name: 'utm_h',
        address: ['10.0.0.1', 'fd00::1', 'fw.example.org'],
        detail: ['one'],
      });
      expect(res.status).toBe(200);
      const detail = (res.json as { data: { detail: string[] } }).data.detail;
      expect(detail[0]).toBe('one');
      expect(detail[1]).toMatch(/^Entry added /);
      expect(detail).toHaveLength(3);
    });

    it('does not allow renaming, and trips TOO_MANY_ALIAS_DETAILS when a PATCH shrinks the list without details', async () => {
      await alias({ address: ['10.0.0.1', '10.0.0.2'] });
      expectError(
        await call('PATCH', '/api/v2/firewall/alias', { id: 0, name: 'utm_y' }),
        400,
        'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
      );
      expectError(
        await call('PATCH', '/api/v2/firewall/alias', { id: 0, address: ['10.0.0.9'] }),
        400,
        'TOO_MANY_ALIAS_DETAILS',
      );
      expect(
        (await call('PATCH', '/api/v2/firewall/alias', { id: 0, address: ['10.0.0.9'], detail: ['x'] }))
          .status,
      ).toBe(200);
    });

    it('PATCH append/remove edit array fields; remove cannot empty the last entry', async () => {
      await alias({ address: ['10.0.0.1'], detail: ['d1'] });
      await call('PATCH', '/api/v2/firewall/alias', {
        id: 0,
        address: ['10.0.0.2'],
        detail: ['d2'],
        append: true,
      });
      expect(sim.state.aliases[0]).toMatchObject({ address: ['10.0.0.1', '10.0.0.2'], detail: ['d1', 'd2'] });
      const removed = await call('PATCH', '/api/v2/firewall/alias', {
        id: 0,
        address: ['10.0.0.1'],
        detail: ['d1'],
        remove: true,
      });
      expect(removed.status).toBe(200);
      expect(sim.state.aliases[0]).toMatchObject({ address: ['10.0.0.2'], detail: ['d2'] });
      await call('PATCH', '/api/v2/firewall/alias', {
        id: 0,
        address: ['10.0.0.2'],
        detail: ['d2'],
        remove: true,
      });
      expect(sim.state.aliases[0]).toMatchObject({ address: ['10.0.0.2'], detail: ['d2'] });
    });

    it('does not block deleting an alias that rules use; the reload then skips only that rule (filter.inc)', async () => {
      await alias({});
      await post('/api/v2/firewall/rule', { ...RULE, source: 'utm_x' });
      await post('/api/v2/firewall/rule', { ...RULE, descr: 'other rule' });
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(sim.skippedRules).toEqual([]);
      expect((await call('DELETE', '/api/v2/firewall/alias?id=0', undefined, KEY)).status).toBe(200);
      await post('/api/v2/firewall/rule', { ...RULE, descr: 'added later' });
      await call('POST', '/api/v2/firewall/apply', { async: false });
      // Everything else went live; only the rule with the dangling reference is left out, with a notice.
      expect(sim.skippedRules).toEqual(['test rule']);
      expect(sim.filterErrors.join()).toContain(
        "Rule skipped: Unresolvable alias 'utm_x' for rule 'test rule'",
      );
      expect(sim.applied.rules.map((r) => r.descr)).toContain('added later');
      expect(sim.applied.aliases).toEqual([]);
      expect(((await call('GET', '/api/v2/firewall/apply')).json as { data: object }).data).toMatchObject({
        applied: true,
      });
    });

    it('a failed reload leaves the pending flags set (filter.inc returns before clearing them)', async () => {
      await alias({});
      sim.rejectNextReload();
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(((await call('GET', '/api/v2/firewall/apply')).json as { data: object }).data).toMatchObject({
        applied: false,
      });
      expect(sim.applied.aliases).toEqual([]);
      await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(((await call('GET', '/api/v2/firewall/apply')).json as { data: object }).data).toMatchObject({
        applied: true,
      });
    });
  });

  describe('represent_interfaces_as (vendor-conformance P14)', () => {
    it('descr: rules take and show interface descriptions; ids are invalid choices; settings report it', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ representInterfacesAs: 'descr' });
      const settings = await call('GET', '/api/v2/system/restapi/settings');
      expect((settings.json as { data: object }).data).toMatchObject({ represent_interfaces_as: 'descr' });
      expectError(await post('/api/v2/firewall/rule', RULE), 400, 'FIELD_INVALID_CHOICE');
      const ok = await post('/api/v2/firewall/rule', { ...RULE, interface: ['LAN'] });
      expect((ok.json as { data: { interface: string[] } }).data.interface).toEqual(['LAN']);
      const seeded = await call('GET', '/api/v2/firewall/rules');
      expect((seeded.json as { data: Array<{ interface: string[] }> }).data[0].interface).toEqual(['LAN']);
      expect(sim.state.rules.at(-1)!.interface).toEqual(['lan']);
    });

    it('interface groups and CARP VIPs are choices too', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ extraInterfaceChoices: ['SERVERS'] });
      const ok = await post('/api/v2/firewall/rule', { ...RULE, interface: ['SERVERS'] });
      expect(ok.status).toBe(200);
      expectError(
        await post('/api/v2/firewall/rule', { ...RULE, interface: ['OTHERS'] }),
        400,
        'FIELD_INVALID_CHOICE',
      );
    });

    it('id (the installed default) and if', async () => {
      const settings = await call('GET', '/api/v2/system/restapi/settings');
      expect((settings.json as { data: object }).data).toMatchObject({ represent_interfaces_as: 'id' });
      await sim.stop();
      sim = await startPfSenseSimulator({ representInterfacesAs: 'if' });
      const ok = await post('/api/v2/firewall/rule', { ...RULE, interface: ['vtnet1'] });
      expect((ok.json as { data: { interface: string[] } }).data.interface).toEqual(['vtnet1']);
    });
  });

  describe('FirewallRule validation', () => {
    const rule = (over: object) => post('/api/v2/firewall/rule', { ...RULE, ...over });

    beforeEach(() => {
      sim.guiAddAlias({ name: 'utm_hosts', type: 'host', address: ['10.0.0.1'] });
      sim.guiAddAlias({ name: 'utm_ports', type: 'port', address: ['443'] });
    });

    it.each([
      [{ type: undefined }, 400, 'FIELD_IS_REQUIRED'],
      [{ type: 'allow' }, 400, 'FIELD_INVALID_CHOICE'],
      [{ interface: 'lan' }, 400, 'FIELD_INVALID_MANY_VALUE'],
      [{ interface: [] }, 400, 'FIELD_EMPTY_NOT_ALLOWED'],
      [{ interface: ['port3'] }, 400, 'FIELD_INVALID_CHOICE'],
      [{ interface: ['lan', 'wan'] }, 400, 'FIREWALL_RULE_MULTIPLE_INTERFACE_WITHOUT_FLOATING'],
      [{ ipprotocol: 'ipv4' }, 400, 'FIELD_INVALID_CHOICE'],
      [{ protocol: 'any' }, 400, 'FIELD_INVALID_CHOICE'],
      [{ destination_port: '1514-1516' }, 400, 'PORT_FIELD_INVALID'],
      [{ destination_port: 443 }, 400, 'FIELD_INVALID_TYPE'],
      [{ destination_port: 'utm_hosts' }, 400, 'PORT_FIELD_INVALID'],
      [{ destination_port: 'utm_nope' }, 400, 'PORT_FIELD_INVALID'],
      [{ source: 'utm_nope' }, 400, 'FILTER_ADDRESS_FIELD_INVALID'],
      [{ source: 'utm_ports' }, 400, 'FILTER_ADDRESS_FIELD_INVALID'],
      [{ destination: '10.0.0.0/33' }, 400, 'FILTER_ADDRESS_FIELD_INVALID'],
      [{ source: '!any' }, 400, 'FILTER_RULE_ADDRESS_FIELD_WITH_INVERT_ANY'],
      [{ source: undefined }, 400, 'FIELD_IS_REQUIRED'],
      [{ descr: 'x'.repeat(1025) }, 400, 'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT'],
      [{ disabled: 'no' }, 400, 'FIELD_INVALID_TYPE'],
      [
        { statetype: 'synproxy state', protocol: 'udp' },
        400,
        'FIREWALL_RULE_SYNPROXY_STATE_TYPE_WITH_NON_TCP_PROTOCOL',
      ],
      [{ gateway: 'WAN_DHCP' }, 404, 'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND'],
      [{ sched: 'office_hours' }, 404, 'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND'],
    ])('rejects %j with %s %s', async (over, code, id) => {
      expectError(await rule(over), code, id);
    });

    it.each([
      [{ source: 'utm_hosts', destination: 'wan:ip', destination_port: 'utm_ports' }],
      [{ source: '!10.0.0.0/8', destination: '(self)', destination_port: '1514:1516' }],
      [{ source: 'lan', destination: 'fd00::1', ipprotocol: 'inet6' }],
      [{ interface: ['lan', 'wan'], floating: true }],
      [{ protocol: null, destination_port: null }],
    ])('accepts %j', async (over) => {
      expect((await rule(over)).status).toBe(200);
    });

    it('returns ranges as a:b and nulls port fields when the protocol has no ports', async () => {
      const ranged = await rule({ destination_port: '1514:1516' });
      expect((ranged.json as { data: { destination_port: string } }).data.destination_port).toBe('1514:1516');
      const icmp = await rule({ protocol: 'icmp', destination_port: '443' });
      expect((icmp.json as { data: object }).data).toMatchObject({
        destination_port: null,
        icmptype: ['any'],
      });
    });

    it('refuses changing read-only or non-editable fields in a PATCH', async () => {
      const created = await rule({});
      const { id, tracker } = (created.json as { data: { id: number; tracker: number } }).data;
      expectError(
        await call('PATCH', '/api/v2/firewall/rule', { id, tracker: tracker + 1 }),
        400,
        'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
      );
      expectError(
        await call('PATCH', '/api/v2/firewall/rule', { id, floating: true }),
        400,
        'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
      );
      expect((await call('PATCH', '/api/v2/firewall/rule', { id, tracker, disabled: true })).status).toBe(
        200,
      );
    });

    it('gives rules created in the same second the same tracker (not unique)', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ now: () => 1_700_000_000_000 });
      const a = await rule({ descr: 'a' });
      const b = await rule({ descr: 'b' });
      expect((a.json as { data: { tracker: number } }).data.tracker).toBe(
        (b.json as { data: { tracker: number } }).data.tracker,
      );
    });
  });

  describe('ids, placement, plural endpoints', () => {
    it('needs an id on singular GET/PATCH/DELETE and reports a missing object with backticks', async () => {
      expectError(await call('GET', '/api/v2/firewall/rule', undefined, KEY), 400, 'MODEL_REQUIRES_ID');
      const res = await call('GET', '/api/v2/firewall/rule?id=99', undefined, KEY);
      expectError(res, 404, 'MODEL_OBJECT_NOT_FOUND');
      expect((res.json as { message: string }).message).toBe('Object with ID `99` does not exist.');
      expectError(
        await call('PATCH', '/api/v2/firewall/rule', { id: 99, descr: 'x' }),
        404,
        'MODEL_OBJECT_NOT_FOUND',
      );
      expectError(await call('DELETE', '/api/v2/firewall/rule', undefined, KEY), 400, 'MODEL_REQUIRES_ID');
    });

    it('ids are array positions: deleting one shifts the following ids', async () => {
      await post('/api/v2/firewall/rule', { ...RULE, descr: 'third' });
      expect((await call('GET', '/api/v2/firewall/rule?id=2', undefined, KEY)).json).toMatchObject({
        data: { descr: 'third' },
      });
      await call('DELETE', '/api/v2/firewall/rule?id=0', undefined, KEY);
      expect((await call('GET', '/api/v2/firewall/rule?id=1', undefined, KEY)).json).toMatchObject({
        data: { descr: 'third' },
      });
    });

    it('places at an index with placement (clamped to the end) and moves with PATCH placement', async () => {
      const top = await post('/api/v2/firewall/rule', { ...RULE, descr: 'top', placement: 0 });
      expect((top.json as { data: { id: number } }).data.id).toBe(0);
      const end = await post('/api/v2/firewall/rule', { ...RULE, descr: 'end', placement: 999 });
      expect((end.json as { data: { id: number } }).data.id).toBe(3);
      await call('PATCH', '/api/v2/firewall/rule', { id: 3, placement: 0 });
      expect(sim.state.rules.map((r) => r.descr)).toEqual([
        'end',
        'top',
        'Default allow LAN to any rule',
        'Default allow LAN IPv6 to any rule',
      ]);
    });

    it('refuses to delete the last rule (MODEL_MANY_MINIMUM_REACHED) and plural DELETE all=true fails partway', async () => {
      await call('DELETE', '/api/v2/firewall/rule?id=0', undefined, KEY);
      expectError(
        await call('DELETE', '/api/v2/firewall/rule?id=0', undefined, KEY),
        403,
        'MODEL_MANY_MINIMUM_REACHED',
      );
      await post('/api/v2/firewall/rule', RULE);
      await post('/api/v2/firewall/rule', RULE);
      expectError(
        await call('DELETE', '/api/v2/firewall/rules?all=true', undefined, KEY),
        403,
        'MODEL_MANY_MINIMUM_REACHED',
      );
      expect(sim.state.rules).toHaveLength(1); // non-atomic: the others stayed deleted
    });

    it('plural DELETE needs a query; an unknown filter field matches everything', async () => {
      expectError(
        await call('DELETE', '/api/v2/firewall/aliases', undefined, KEY),
        400,
        'MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS',
      );
      sim.guiAddAlias({ name: 'keep_me', type: 'host', address: ['10.0.0.1'] });
      sim.guiAddAlias({ name: 'and_me', type: 'host', address: ['10.0.0.2'] });
      const res = await call('DELETE', '/api/v2/firewall/aliases?nmae=nothing', undefined, KEY);
      expect(res.status).toBe(200);
      expect(sim.state.aliases).toEqual([]);
    });

    it('filters: interface=lan never matches an array, interface__contains does; limit/offset/reverse', async () => {
      await post('/api/v2/firewall/rule', { ...RULE, interface: ['wan'], descr: 'w' });
      const list = async (q: string) =>
        (
          (await call('GET', `/api/v2/firewall/rules?${q}`, undefined, KEY)).json as {
            data: Array<{ id: number; descr: string }>;
          }
        ).data;
      expect(await list('interface=lan')).toEqual([]);
      expect((await list('interface__contains=lan')).map((r) => r.id)).toEqual([0, 1]);
      expect((await list('descr__startswith=Default&limit=1&offset=1')).map((r) => r.id)).toEqual([1]);
      expect((await list('reverse=true')).map((r) => r.id)).toEqual([2, 1, 0]);
      expect((await list('descr__regex=/^w$/')).map((r) => r.descr)).toEqual(['w']);
      expect((await list('bogus_field=1')).length).toBe(3);
    });

    it('PUT replaces all (array body, at least one rule, nothing written when an item is invalid)', async () => {
      expectError(
        await call('PUT', '/api/v2/firewall/rules', RULE),
        400,
        'ENDPOINT_REQUEST_DATA_MUST_BE_INDEXED_ARRAY',
      );
      expectError(await call('PUT', '/api/v2/firewall/rules', []), 400, 'MODEL_REPLACE_ALL_MINIMUM_NOT_MET');
      const before = sim.state;
      expectError(
        await call('PUT', '/api/v2/firewall/rules', [RULE, { ...RULE, type: 'nope' }]),
        400,
        'FIELD_INVALID_CHOICE',
      );
      expect(sim.state).toEqual(before);
      const ok = await call('PUT', '/api/v2/firewall/rules', [{ ...RULE, id: 7 }]);
      expect((ok.json as { data: Array<{ id: number }> }).data.map((r) => r.id)).toEqual([0]);
    });
  });

  describe('pending vs applied', () => {
    it('alias writes mark `aliases` pending; rule writes mark nothing (but are not live until applied)', async () => {
      await post('/api/v2/firewall/rule', RULE);
      expect((await call('GET', '/api/v2/firewall/apply', undefined, KEY)).json).toMatchObject({
        data: { applied: true, pending_subsystems: [] },
      });
      expect(sim.hasUnappliedChanges()).toBe(true);
      await post('/api/v2/firewall/alias', { name: 'utm_x', type: 'host', address: ['10.0.0.1'] });
      expect((await call('GET', '/api/v2/firewall/apply', undefined, KEY)).json).toMatchObject({
        data: { applied: false, pending_subsystems: ['aliases'] },
      });
      const applied = await call('POST', '/api/v2/firewall/apply', { async: false });
      expect(applied.json).toMatchObject({ data: { applied: true, pending_subsystems: [] } });
      expect(sim.hasUnappliedChanges()).toBe(false);
    });

    it('an async apply (the default) answers while still pending, then applies', async () => {
      await sim.stop();
      sim = await startPfSenseSimulator({ asyncApplyDelayMs: 30 });
      await post('/api/v2/firewall/alias', { name: 'utm_x', type: 'host', address: ['10.0.0.1'] });
      const res = await call('POST', '/api/v2/firewall/apply', {});
      expect(res.json).toMatchObject({ data: { applied: false, pending_subsystems: ['aliases'] } });
      await new Promise((r) => setTimeout(r, 80));
      expect(sim.pendingSubsystems).toEqual([]);
      expect(sim.hasUnappliedChanges()).toBe(false);
    });

    it('apply:true in a JSON body applies; ?apply=true in the query of a JSON request is ignored', async () => {
      await call('POST', '/api/v2/firewall/alias?apply=true', {
        name: 'utm_a',
        type: 'host',
        address: ['10.0.0.1'],
      });
      expect(sim.pendingSubsystems).toEqual(['aliases']);
      await post('/api/v2/firewall/alias', {
        name: 'utm_b',
        type: 'host',
        address: ['10.0.0.2'],
        apply: true,
      });
      expect(sim.pendingSubsystems).toEqual([]);
      expect(sim.hasUnappliedChanges()).toBe(false);
    });
  });

  it('loses concurrent writes like the real package (each request writes back the config it read)', async () => {
    await sim.stop();
    sim = await startPfSenseSimulator({ writeProcessingMs: 20 });
    const results = await Promise.all(
      [1, 2, 3].map((i) => post('/api/v2/firewall/rule', { ...RULE, descr: `parallel ${i}` })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sim.state.rules.filter((r) => r.descr.startsWith('parallel'))).toHaveLength(1);
  });
});
