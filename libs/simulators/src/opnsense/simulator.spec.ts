import {
  OPNSENSE_SIM_KEY,
  OPNSENSE_SIM_SECRET,
  OpnSenseSimulator,
  startOpnSenseSimulator,
  type OpnSenseSimulatorOptions,
} from './index';
import { rawRequest, type RawResponse } from '../testing/raw-http';

/**
 * Fidelity of the OPNsense simulator to /work/shared/reference/opnsense-api.md: it must answer what the real API
 * answers (status, body, HTTP-200 validation envelopes, version switches, rollback timer, traps).
 */

const basic = (key: string, secret: string): string =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
const AUTH = { authorization: basic(OPNSENSE_SIM_KEY, OPNSENSE_SIM_SECRET) };
const JSON_HEADERS = { ...AUTH, 'content-type': 'application/json' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const RULE = {
  interface: 'lan',
  protocol: 'TCP',
  source_net: 'any',
  destination_net: 'any',
  destination_port: '443',
  description: 'test rule',
};

describe('OPNsense simulator fidelity', () => {
  let sim: OpnSenseSimulator;
  const servers: OpnSenseSimulator[] = [];

  const start = async (options: OpnSenseSimulatorOptions = {}): Promise<OpnSenseSimulator> => {
    const s = await startOpnSenseSimulator({ rollbackTimerMs: 150, ...options });
    servers.push(s);
    return s;
  };
  const call = (
    method: string,
    path: string,
    body?: object | string,
    headers: Record<string, string> = body === undefined ? AUTH : JSON_HEADERS,
    s: OpnSenseSimulator = sim,
  ): Promise<RawResponse> => rawRequest(s.url, { method, path, body, headers });
  const post = (path: string, body?: object, s: OpnSenseSimulator = sim): Promise<RawResponse> =>
    call('POST', path, body, body === undefined ? AUTH : JSON_HEADERS, s);
  const addRule = (rule: Record<string, string>, s: OpnSenseSimulator = sim): Promise<RawResponse> =>
    post('/api/firewall/filter/addRule', { rule }, s);
  const addAlias = (alias: Record<string, string>, s: OpnSenseSimulator = sim): Promise<RawResponse> =>
    post('/api/firewall/alias/addItem', { alias }, s);
  const validations = (res: RawResponse): unknown => {
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ result: 'failed' });
    return (res.json as { validations?: unknown }).validations;
  };

  beforeEach(async () => {
    sim = await start();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  describe('routing and transport', () => {
    it('reaches the same action with snake_case and camelCase; JSON escapes slashes like PHP', async () => {
      await addAlias({ name: 'net1', type: 'network', content: '10.0.0.0/8' });
      const camel = await call('GET', '/api/firewall/alias/get');
      const snake = await call('GET', '/api/firewall/alias/get_alias_u_u_i_d/net1');
      expect(camel.status).toBe(200);
      expect(camel.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect(camel.text).toContain('10.0.0.0\\/8');
      expect(snake.json).toMatchObject({ uuid: expect.any(String) as unknown });
      expect((await call('GET', '/api/firewall/filter/search_rule')).status).toBe(200);
    });

    it('answers 404 Endpoint not found for unknown actions and missing params, before authentication', async () => {
      for (const path of ['/api/firewall/filter/nope', '/api/firewall/filter/setRule', '/api/nothing']) {
        const res = await call('GET', path, undefined, {});
        expect({ path, status: res.status, body: res.json }).toEqual({
          path,
          status: 404,
          body: { errorMessage: 'Endpoint not found' },
        });
      }
    });

    it('24.1 (Phalcon) answers 500 for unknown routes and 400 for missing parameters', async () => {
      const old = await start({ version: '24.1.10' });
      expect((await call('GET', '/api/firewall/filter/nope', undefined, AUTH, old)).status).toBe(500);
      const missing = await call('POST', '/api/firewall/filter/setRule', undefined, AUTH, old);
      expect(missing.status).toBe(400);
      expect(missing.json).toEqual({
        message: 'action setRule expects at least 1 parameter(s)',
        status: 400,
      });
    });

    it('answers 400 Invalid JSON syntax to a JSON content type without a body; invalid JSON becomes an empty POST', async () => {
      const empty = await call('POST', '/api/firewall/filter/apply', '', JSON_HEADERS);
      expect(empty.status).toBe(400);
      expect(empty.json).toEqual({ status: 400, message: 'Invalid JSON syntax' });
      const broken = await call('POST', '/api/firewall/filter/addRule', '{"rule":', JSON_HEADERS);
      expect(broken.json).toEqual({ result: 'failed' });
      // A body-less POST without a content type is fine.
      expect((await post('/api/firewall/filter/apply')).json).toEqual({ status: 'OK\n\n' });
    });

    it('decodes form-urlencoded bodies with PHP nesting', async () => {
      const form = new URLSearchParams({
        'rule[interface]': 'lan',
        'rule[description]': 'from a form',
      }).toString();
      const res = await call('POST', '/api/firewall/filter/addRule', form, {
        ...AUTH,
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.json).toMatchObject({ result: 'saved' });
    });
  });

  describe('authentication and ACL', () => {
    it('no Authorization header: 401 with an empty body (the session path)', async () => {
      const res = await call('GET', '/api/firewall/filter/get', undefined, {});
      expect(res.status).toBe(401);
      expect(res.text).toBe('');
    });

    it('wrong key or secret, disabled or expired user: 401 {"status":401,"message":"Authentication Failed"}', async () => {
      const s = await start({
        keys: [
          { key: 'off', secret: 's', disabled: true },
          { key: 'old', secret: 's', expiresAt: Date.now() - 1000 },
        ],
      });
      for (const authorization of [
        basic(OPNSENSE_SIM_KEY, 'wrong'),
        basic('off', 's'),
        basic('old', 's'),
        'Basic !!!',
      ]) {
        const res = await call('GET', '/api/firewall/filter/get', undefined, { authorization }, s);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toBe('application/json; charset=UTF-8');
        expect(res.json).toEqual({ status: 401, message: 'Authentication Failed' });
      }
    });

    it('does not check the scheme word (only the second token is used)', async () => {
      const token = Buffer.from(`${OPNSENSE_SIM_KEY}:${OPNSENSE_SIM_SECRET}`).toString('base64');
      expect(
        (await call('GET', '/api/firewall/filter/get', undefined, { authorization: `Whatever ${token}` }))
          .status,
      ).toBe(200);
    });

    it('a valid key outside its ACL gets 403 {"status":403,"message":"Forbidden"}; alias read privilege reads only', async () => {
      const s = await start({ keys: [{ key: 'ro', secret: 's', privileges: ['page-firewall-aliases'] }] });
      const headers = { authorization: basic('ro', 's') };
      expect((await call('GET', '/api/firewall/alias/searchItem', undefined, headers, s)).status).toBe(200);
      const write = await call(
        'POST',
        '/api/firewall/alias/addItem',
        { alias: { name: 'x' } },
        { ...headers, 'content-type': 'application/json' },
        s,
      );
      expect(write.status).toBe(403);
      expect(write.json).toEqual({ status: 403, message: 'Forbidden' });
      expect((await call('GET', '/api/firewall/filter/get', undefined, headers, s)).status).toBe(403);
    });
  });

  describe('mutator envelopes', () => {
    it('non-POST mutators and a missing root key answer HTTP 200 {"result":"failed"}', async () => {
      expect((await call('GET', '/api/firewall/filter/addRule')).json).toEqual({ result: 'failed' });
      expect((await post('/api/firewall/filter/addRule', { alias: {} })).json).toEqual({ result: 'failed' });
      expect((await call('GET', '/api/firewall/filter/apply')).json).toEqual({ status: 'error' });
      expect((await call('GET', '/api/firewall/filter/savepoint')).json).toEqual({ status: 'error' });
      expect((await call('GET', '/api/firewall/alias/reconfigure')).json).toEqual({ status: 'failed' });
    });

    it('a JSON array as a field value is a PHP warning: 500 Unexpected error', async () => {
      const res = await addRule({ ...RULE, interface: ['lan'] as unknown as string });
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ errorMessage: 'Unexpected error, check log for details' });
    });

    it('ignores unknown keys and nulls, casts JSON false to "" (which fails required booleans)', async () => {
      const ok = await post('/api/firewall/filter/addRule', { rule: { ...RULE, bogus: 'x', log: null } });
      expect(ok.json).toMatchObject({ result: 'saved' });
      const bad = await post('/api/firewall/filter/addRule', { rule: { ...RULE, enabled: false } });
      expect(validations(bad)).toEqual({ 'rule.enabled': 'A value is required.' });
    });

    it('addRule returns a v4 uuid; getRule renders option maps; an unknown uuid gives []', async () => {
      const res = await addRule(RULE);
      const uuid = (res.json as { uuid: string }).uuid;
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const got = await call('GET', `/api/firewall/filter/getRule/${uuid}`);
      expect(got.json).toMatchObject({
        rule: {
          action: { pass: { value: 'Pass', selected: 1 }, block: { value: 'Block', selected: 0 } },
          interface: { lan: { value: 'LAN', selected: 1 }, wan: { value: 'WAN', selected: 0 } },
          protocol: { TCP: { selected: 1 } },
          destination_port: '443',
          enabled: '1',
          // 25.7: new rules default to max(existing)+100, the first one 101.
          sequence: '101',
        },
      });
      expect(
        (await call('GET', '/api/firewall/filter/getRule/00000000-0000-4000-8000-000000000000')).json,
      ).toEqual([]);
    });

    it('setRule upserts an unknown valid v4 uuid (creates!) and fails on an invalid uuid', async () => {
      const uuid = '11111111-2222-4333-8444-555555555555';
      expect((await post(`/api/firewall/filter/setRule/${uuid}`, { rule: { sequence: '7' } })).json).toEqual({
        result: 'saved',
      });
      // A default rule: pass any to any, which is why the connector re-reads a uuid before every setRule.
      expect(sim.state.rules[uuid]).toMatchObject({
        action: 'pass',
        source_net: 'any',
        destination_net: 'any',
      });
      expect(
        (await post('/api/firewall/filter/setRule/not-a-uuid', { rule: { sequence: '7' } })).json,
      ).toEqual({
        result: 'failed',
      });
    });

    it('delRule: deleted / not found; toggleRule: Enabled/Disabled + changed, invalid value failed', async () => {
      const uuid = ((await addRule(RULE)).json as { uuid: string }).uuid;
      expect((await post(`/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({
        result: 'Disabled',
        changed: true,
      });
      expect((await post(`/api/firewall/filter/toggleRule/${uuid}/0`)).json).toEqual({
        result: 'Disabled',
        changed: false,
      });
      expect((await post(`/api/firewall/filter/toggleRule/${uuid}/2`)).json).toEqual({
        result: 'failed',
        changed: false,
      });
      expect((await post(`/api/firewall/filter/delRule/${uuid}`)).json).toEqual({ result: 'deleted' });
      expect((await post(`/api/firewall/filter/delRule/${uuid}`)).json).toEqual({ result: 'not found' });
    });
  });

  describe('rule validation (HTTP 200 {"result":"failed","validations":{"rule.<field>":…}})', () => {
    const cases: Array<[string, Record<string, string>, Record<string, unknown>]> = [
      [
        'protocol is case-sensitive before 26.1',
        { protocol: 'tcp', destination_port: '' },
        { 'rule.protocol': 'Option not in list.' },
      ],
      ['unknown interface', { interface: 'opt9' }, { 'rule.interface': 'Option not in list.' }],
      ['invalid action', { action: 'allow' }, { 'rule.action': 'Option not in list.' }],
      ['enabled not boolean', { enabled: 'yes' }, { 'rule.enabled': 'Value should be a boolean (0,1).' }],
      [
        'sequence out of range (25.1.5+)',
        { sequence: '0' },
        { 'rule.sequence': 'Sequence shall be between 1 and 999999.' },
      ],
      [
        'rule ports use a dash: a colon range is refused',
        { destination_port: '1514:1516' },
        { 'rule.destination_port': 'Please specify a valid portnumber, name, alias or range' },
      ],
      [
        'a dash range needs a < b',
        { destination_port: '1516-1514' },
        { 'rule.destination_port': 'Please specify a valid portnumber, name, alias or range' },
      ],
      [
        'a port list is refused (single value only)',
        { destination_port: '80,443' },
        { 'rule.destination_port': 'Please specify a valid portnumber, name, alias or range' },
      ],
      [
        'ports need TCP or UDP',
        { protocol: 'any' },
        { 'rule.destination_port': 'Destination ports are only valid for tcp or udp type rules.' },
      ],
      [
        'source ports need TCP or UDP',
        { protocol: 'ICMP', destination_port: '', source_port: '53' },
        { 'rule.source_port': 'Source ports are only valid for tcp or udp type rules.' },
      ],
      [
        'unknown alias reference',
        { source_net: 'no_such_alias' },
        { 'rule.source_net': 'no_such_alias is not a valid source IP address or alias.' },
      ],
      [
        'literal address family must match ipprotocol',
        { destination_net: 'fd00::1' },
        { 'rule.destination_net': 'Destination address type should match selected TCP/IP protocol version.' },
      ],
      [
        'a literal address with inet46 always fails',
        { ipprotocol: 'inet46', source_net: '10.0.0.0/8' },
        { 'rule.source_net': 'Source address type should match selected TCP/IP protocol version.' },
      ],
      [
        'several literal IPs are refused (only the whole value is checked as IP)',
        { source_net: '10.0.0.1,10.0.0.2' },
        { 'rule.source_net': '10.0.0.1 is not a valid source IP address or alias.' },
      ],
      [
        'any combined with other items',
        { source_net: 'any,lan' },
        { 'rule.source_net': 'Any can not be combined with other aliases' },
      ],
      [
        'inverting a multi-value source',
        { source_net: 'lan,opt1', source_not: '1' },
        {
          'rule.source_not':
            'Inverting sources is only allowed for single targets to avoid mis-interpretations',
        },
      ],
      [
        'interfacenot needs exactly one interface',
        { interface: '', interfacenot: '1' },
        {
          'rule.interfacenot':
            'Inverting interfaces is only allowed for single targets to avoid mis-interpretations',
        },
      ],
      [
        'description over 255 bytes',
        { description: 'x'.repeat(256) },
        { 'rule.description': 'Description should be a string between 1 and 255 characters.' },
      ],
      [
        'icmptype only with ICMP',
        { protocol: 'UDP', icmptype: 'echoreq' },
        { 'rule.icmptype': 'Option only applies to ICMP packets' },
      ],
      ['unknown category', { categories: 'c1' }, { 'rule.categories': 'Related category not found.' }],
    ];
    for (const [name, patch, expected] of cases) {
      it(name, async () => {
        expect(validations(await addRule({ ...RULE, ...patch }))).toEqual(expected);
        expect(sim.state.rules).toEqual({});
      });
    }

    it('26.1+ upper-cases the protocol on input (ProtocolField::setValue, core 33e296120f)', async () => {
      const s = await start({ version: '26.1.11' });
      const res = await addRule({ ...RULE, protocol: 'tcp' }, s);
      expect(res.json).toMatchObject({ result: 'saved' });
      expect(Object.values(s.state.rules)[0].protocol).toBe('TCP');
    });

    it('a port alias is not an address; a host alias is not a port', async () => {
      await addAlias({ name: 'p1', type: 'port', content: '443' });
      await addAlias({ name: 'h1', type: 'host', content: '10.0.0.1' });
      expect(validations(await addRule({ ...RULE, source_net: 'p1' }))).toEqual({
        'rule.source_net': 'p1 is not a valid source IP address or alias.',
      });
      expect(validations(await addRule({ ...RULE, destination_port: 'h1' }))).toEqual({
        'rule.destination_port': 'Please specify a valid portnumber, name, alias or range',
      });
      expect((await addRule({ ...RULE, source_net: 'h1', destination_port: 'p1' })).json).toMatchObject({
        result: 'saved',
      });
    });

    it('reports several messages of one field as an array', async () => {
      const res = await addRule({ ...RULE, protocol: 'any', destination_port: '1:2:3' });
      expect(validations(res)).toEqual({
        'rule.destination_port': [
          'Please specify a valid portnumber, name, alias or range',
          'Destination ports are only valid for tcp or udp type rules.',
        ],
      });
    });

    it('older firmware: no TCP/UDP or inet46 before 25.1, sequence 1..99999 with the old message before 25.1.5', async () => {
      const old = await start({ version: '24.7.12' });
      expect(validations(await addRule({ ...RULE, protocol: 'TCP/UDP' }, old))).toEqual({
        'rule.protocol': 'Option not in list.',
        'rule.destination_port': 'Destination ports are only valid for tcp or udp type rules.',
      });
      expect(validations(await addRule({ ...RULE, ipprotocol: 'inet46' }, old))).toEqual({
        'rule.ipprotocol': 'Option not in list.',
      });
      expect(validations(await addRule({ ...RULE, sequence: '100000' }, old))).toEqual({
        'rule.sequence': 'provide a valid sequence for sorting',
      });
      const saved = (await addRule(RULE, old)).json as { uuid: string };
      // Before 25.1.5 new rules default to sequence 1.
      expect(old.state.rules[saved.uuid].sequence).toBe('1');
      expect((await addRule({ ...RULE, protocol: 'TCP/UDP' })).json).toMatchObject({ result: 'saved' });
    });
  });

  describe('alias validation (HTTP 200 {"result":"failed","validations":{"alias.<field>":…}})', () => {
    const cases: Array<[string, Record<string, string>, Record<string, unknown>]> = [
      [
        'name pattern',
        { name: '__double', type: 'host', content: '10.0.0.1' },
        {
          'alias.name':
            'The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.',
        },
      ],
      [
        'name longer than 31 characters',
        { name: 'a'.repeat(32), type: 'host', content: '10.0.0.1' },
        {
          'alias.name':
            'The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.',
        },
      ],
      [
        'reserved keyword (with the literal %s)',
        { name: 'table', type: 'host', content: '10.0.0.1' },
        { 'alias.name': 'The name cannot be the internally reserved keyword "%s".' },
      ],
      [
        'service name',
        { name: 'https', type: 'port', content: '443' },
        { 'alias.name': 'Reserved protocol or service names may not be used' },
      ],
      [
        'type omitted (XML default "alert")',
        { name: 'a1', content: '10.0.0.1' },
        { 'alias.type': 'Option not in list.' },
      ],
      ['type empty', { name: 'a1', type: '', content: '10.0.0.1' }, { 'alias.type': 'A value is required.' }],
      [
        'host content',
        { name: 'a1', type: 'host', content: '10.0.0.0/8' },
        { 'alias.content': 'Entry "10.0.0.0/8" is not a valid hostname, IP address or range.' },
      ],
      [
        'network content',
        { name: 'a1', type: 'network', content: 'example.com' },
        { 'alias.content': 'Entry "example.com" is not a network.' },
      ],
      [
        'port aliases use a colon: a dash range is refused',
        { name: 'a1', type: 'port', content: '1514-1516' },
        { 'alias.content': 'Entry "1514-1516" is not a valid port number.' },
      ],
      [
        'content is newline-separated: a comma list is one (invalid) entry',
        { name: 'a1', type: 'host', content: '10.0.0.1,10.0.0.2' },
        { 'alias.content': 'Entry "10.0.0.1,10.0.0.2" is not a valid hostname, IP address or range.' },
      ],
      [
        'one message per invalid entry',
        { name: 'a1', type: 'port', content: '0\n70000\n443' },
        {
          'alias.content': [
            'Entry "0" is not a valid port number.',
            'Entry "70000" is not a valid port number.',
          ],
        },
      ],
    ];
    for (const [name, alias, expected] of cases) {
      it(name, async () => {
        expect(validations(await addAlias(alias))).toEqual(expected);
        expect(sim.state.aliases).toEqual({});
      });
    }

    it('unique names, also against built-ins', async () => {
      expect((await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' })).json).toMatchObject({
        result: 'saved',
      });
      for (const name of ['a1', 'bogons']) {
        expect(validations(await addAlias({ name, type: 'host', content: '10.0.0.2' }))).toEqual({
          'alias.name': 'An alias with this name already exists.',
        });
      }
    });

    it('accepts valid content per type: ranges, negation, FQDNs, colon port ranges, nested aliases', async () => {
      const ok = async (alias: Record<string, string>): Promise<void> =>
        expect((await addAlias(alias)).json).toMatchObject({ result: 'saved' });
      await ok({
        name: 'h',
        type: 'host',
        content: '10.0.0.1\n10.0.0.5-10.0.0.9\n!10.0.0.7\nfw.example.com\nfd00::1',
      });
      await ok({ name: 'n', type: 'network', content: '10.0.0.0/8\nfd00::/64\nh' });
      await ok({ name: 'p', type: 'port', content: '1514:1516\n443\nhttps' });
    });
  });

  describe('alias reads, rename and in-use deletes', () => {
    it('getItem lists every other alias name (selected 0); get lists only the selected entries; unknown getItem is a 500', async () => {
      const uuid = (
        (await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1\n10.0.0.2' })).json as { uuid: string }
      ).uuid;
      await addAlias({ name: 'a2', type: 'port', content: '443' });
      const item = (await call('GET', `/api/firewall/alias/getItem/${uuid}`)).json as {
        alias: { content: object };
      };
      expect(item.alias.content).toMatchObject({
        '10.0.0.1': { selected: 1 },
        '10.0.0.2': { selected: 1 },
        a2: { selected: 0, value: 'a2' },
        bogons: { selected: 0 },
      });
      const all = (await call('GET', '/api/firewall/alias/get')).json as {
        alias: { aliases: { alias: Record<string, { content: object; type: object }> } };
      };
      expect(Object.keys(all.alias.aliases.alias[uuid].content)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(all.alias.aliases.alias[uuid].type).toMatchObject({
        host: { selected: 1 },
        network: { selected: 0 },
      });
      // Built-ins are there with uuid = name.
      expect(all.alias.aliases.alias.bogons).toBeDefined();
      expect(all.alias.aliases.alias.__lan_network).toBeDefined();
      const unknown = await call('GET', '/api/firewall/alias/getItem/00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(500);
      expect((await call('GET', '/api/firewall/alias/getAliasUUID/nope')).json).toEqual([]);
      expect((await call('GET', '/api/firewall/alias/getAliasUUID/bogons')).json).toEqual({ uuid: 'bogons' });
    });

    it('deleting an alias in use is a 500 UserException "Alias in use" naming the rule field', async () => {
      const uuid = (
        (await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' })).json as { uuid: string }
      ).uuid;
      await addAlias({ name: 'grp', type: 'network', content: 'a1', description: 'group' });
      await addRule({ ...RULE, destination_net: 'a1' });
      const res = await post(`/api/firewall/alias/delItem/${uuid}`);
      expect(res.status).toBe(500);
      expect(res.json).toEqual({
        errorMessage:
          'Cannot delete alias. Currently in use by \n[OPNsense.Firewall.Filter.rules.rule.0/destination_net] \n' +
          '[OPNsense.Firewall.Alias.aliases.alias.1/content] group',
        errorTitle: 'Alias in use',
      });
      expect((await post('/api/firewall/alias/delItem/00000000-0000-4000-8000-000000000000')).json).toEqual({
        result: 'not found',
      });
    });

    it('renaming an alias rewrites the references in rules and nested aliases', async () => {
      const uuid = (
        (await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' })).json as { uuid: string }
      ).uuid;
      await addAlias({ name: 'grp', type: 'network', content: 'a1' });
      const rule = ((await addRule({ ...RULE, source_net: 'a1' })).json as { uuid: string }).uuid;
      expect((await post(`/api/firewall/alias/setItem/${uuid}`, { alias: { name: 'a9' } })).json).toEqual({
        result: 'saved',
      });
      expect(sim.state.rules[rule].source_net).toBe('a9');
      expect(Object.values(sim.state.aliases).find((a) => a.name === 'grp')?.content).toBe('a9');
    });
  });

  describe('searchRule (version-dependent: the listing trap)', () => {
    const seed = async (s: OpnSenseSimulator): Promise<void> => {
      for (const name of ['alpha', 'beta', 'gamma'])
        await addRule({ ...RULE, description: `lan rule ${name}` }, s);
      await addRule({ ...RULE, interface: '', description: 'floating rule' }, s);
      await addRule({ ...RULE, interface: 'lan,opt1', description: 'two interfaces' }, s);
    };
    type Page = { total: number; rowCount: number; rows: Array<Record<string, string>> };

    it('25.7: without `interface` only floating rules are listed; rows are raw values plus %labels', async () => {
      await seed(sim);
      const all = (await post('/api/firewall/filter/searchRule', { current: 1, rowCount: -1 })).json as Page;
      expect(all.rows.map((r) => r.description)).toEqual(['floating rule', 'two interfaces']);
      const lan = (await post('/api/firewall/filter/searchRule', { interface: 'lan', rowCount: -1 }))
        .json as Page;
      expect(lan.rows.map((r) => r.description)).toEqual([
        'lan rule alpha',
        'lan rule beta',
        'lan rule gamma',
      ]);
      expect(lan.rows[0]).toMatchObject({ action: 'pass', '%action': 'Pass', sort_order: '400000.0000101' });
    });

    it('25.7: paging comes from the POST body only (query parameters are ignored)', async () => {
      await seed(sim);
      const viaQuery = (await call('GET', '/api/firewall/filter/searchRule?interface=lan&rowCount=1'))
        .json as Page;
      expect(viaQuery.rows).toHaveLength(3);
      const viaBody = (
        await post('/api/firewall/filter/searchRule', { interface: 'lan', rowCount: 2, current: 2 })
      ).json as Page;
      expect(viaBody).toMatchObject({ total: 3, rowCount: 1 });
      const search = (
        await post('/api/firewall/filter/searchRule', { interface: 'lan', searchPhrase: 'RULE beta' })
      ).json as Page;
      expect(search.rows.map((r) => r.description)).toEqual(['lan rule beta']);
    });

    it('24.7: every rule, four label fields, parameters from the query too', async () => {
      const old = await start({ version: '24.7.12' });
      await seed(old);
      const res = (await call('GET', '/api/firewall/filter/searchRule?rowCount=2', undefined, AUTH, old))
        .json as Page;
      expect(res.total).toBe(5);
      expect(res.rows).toHaveLength(2);
      expect(Object.keys(res.rows[0]).sort()).toEqual([
        'action',
        'description',
        'enabled',
        'sequence',
        'uuid',
      ]);
      expect(res.rows[0].action).toBe('Pass');
    });

    it('26.7: no `interface` means every rule again', async () => {
      const newer = await start({ version: '26.7.1' });
      await seed(newer);
      const res = (await post('/api/firewall/filter/searchRule', {}, newer)).json as Page;
      expect(res.total).toBe(5);
    });
  });

  describe('apply, savepoint and the rollback timer', () => {
    // 25.1.x: the last line whose rollback timer restores (25.7-26.1.x: core#10721, tested below).
    const TIMER_WORKS = '25.1.12';
    beforeEach(async () => {
      sim = await start({ version: TIMER_WORKS });
    });

    it('writes are stored at once but only applied by apply (or by alias reconfigure)', async () => {
      await addRule(RULE);
      expect(sim.hasUnappliedChanges()).toBe(true);
      expect((await post('/api/firewall/filter/apply')).json).toEqual({ status: 'OK\n\n' });
      expect(sim.hasUnappliedChanges()).toBe(false);
      await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' });
      await addRule({ ...RULE, description: 'second' });
      expect((await post('/api/firewall/alias/reconfigure')).json).toEqual({ status: 'ok' });
      // Reconfigure runs `filter reload skip_alias`: the staged rule went live too.
      expect(sim.hasUnappliedChanges()).toBe(false);
    });

    // vendor-conformance O29: `filter reload skip_alias` from 26.1.11 (core a3091013d7); 26.1.10 still loads them.
    for (const [version, loads] of [
      ['26.1.10', true],
      ['26.1.11', false],
    ] as const) {
      it(`apply ${loads ? 'also loads' : 'does not load'} alias tables on ${version}`, async () => {
        const s = await start({ version });
        await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' }, s);
        await post('/api/firewall/filter/apply', undefined, s);
        expect(Object.values(s.applied.aliases).map((a) => a.name)).toEqual(loads ? ['a1'] : []);
      });
    }

    it('apply answers OK even when pf refused the new ruleset (the old one stays)', async () => {
      await addRule(RULE);
      sim.rejectNextReload();
      expect((await post('/api/firewall/filter/apply')).json).toEqual({ status: 'OK\n\n' });
      expect(sim.applied.rules).toEqual({});
      expect(sim.syslog.join('\n')).toMatch(/error\(s\) loading the rules/);
    });

    it('savepoint → changes → apply/{rev}: without cancelRollback the previous rules come back; aliases do not', async () => {
      const kept = ((await addRule({ ...RULE, description: 'kept' })).json as { uuid: string }).uuid;
      await post('/api/firewall/filter/apply');
      const sp = (await post('/api/firewall/filter/savepoint')).json as {
        status: string;
        revision: string;
        retention: string;
      };
      expect(sp).toMatchObject({ status: 'ok', retention: '100' });
      expect(sp.revision).toMatch(/^\d+\.\d{4}$/);
      await post(`/api/firewall/filter/delRule/${kept}`);
      await addRule({ ...RULE, description: 'new' });
      await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' });
      expect((await post(`/api/firewall/filter/apply/${sp.revision}`)).json).toEqual({ status: 'OK\n\n' });
      expect(sim.pendingRollback).toMatchObject({ revision: sp.revision });
      expect(Object.values(sim.applied.rules).map((r) => r.description)).toEqual(['new']);
      await sleep(220);
      expect(sim.pendingRollback).toBeNull();
      expect(Object.keys(sim.state.rules)).toEqual([kept]);
      expect(Object.keys(sim.applied.rules)).toEqual([kept]);
      expect(Object.values(sim.state.aliases).map((a) => a.name)).toEqual(['a1']);
    });

    it('cancelRollback/{rev} stops the timer ("\\n\\n"); an unknown revision answers null', async () => {
      const sp = (await post('/api/firewall/filter/savepoint')).json as { revision: string };
      await addRule(RULE);
      await post(`/api/firewall/filter/apply/${sp.revision}`);
      expect((await post('/api/firewall/filter/cancelRollback/123.4567')).json).toEqual({ status: null });
      expect((await post(`/api/firewall/filter/cancelRollback/${sp.revision}`)).json).toEqual({
        status: '\n\n',
      });
      expect((await post(`/api/firewall/filter/cancelRollback/${sp.revision}`)).json).toEqual({
        status: null,
      });
      await sleep(220);
      expect(Object.values(sim.state.rules)).toHaveLength(1);
    });

    it('one timer at a time: a second apply/{rev2} arms none, cancel rev2 fails and rev1 rolls back', async () => {
      const sp1 = (await post('/api/firewall/filter/savepoint')).json as { revision: string };
      await addRule({ ...RULE, description: 'one' });
      await post(`/api/firewall/filter/apply/${sp1.revision}`);
      const sp2 = (await post('/api/firewall/filter/savepoint')).json as { revision: string };
      await addRule({ ...RULE, description: 'two' });
      expect((await post(`/api/firewall/filter/apply/${sp2.revision}`)).json).toEqual({ status: 'OK\n\n' });
      expect((await post(`/api/firewall/filter/cancelRollback/${sp2.revision}`)).json).toEqual({
        status: null,
      });
      await sleep(220);
      expect(sim.state.rules).toEqual({});
    });

    it('revert/{rev} rolls back at once; an unknown or rotated savepoint is reported', async () => {
      const s = await start({ backupCount: 3, version: TIMER_WORKS });
      const sp = (await post('/api/firewall/filter/savepoint', undefined, s)).json as { revision: string };
      await addRule(RULE, s);
      expect((await post(`/api/firewall/filter/revert/${sp.revision}`, undefined, s)).json).toEqual({
        status: 'ok',
      });
      expect(s.state.rules).toEqual({});
      // Three more saves rotate the savepoint's backup out (backupcount 3).
      for (let i = 0; i < 3; i++) await addRule({ ...RULE, description: `r${i}` }, s);
      expect((await post(`/api/firewall/filter/revert/${sp.revision}`, undefined, s)).json).toEqual({
        status: 'unknown (or removed) savepoint',
      });
    });

    // vendor-conformance O31: by default 25.7-26.1.x behave like the real boxes (the timer restores nothing).
    for (const version of ['25.7', '25.7.5', '26.1.11']) {
      it(`core#10721 on ${version} (by default): the rollback silently never fires`, async () => {
        const s = await start({ version });
        const sp = (await post('/api/firewall/filter/savepoint', undefined, s)).json as { revision: string };
        expect(sp.revision).toMatch(/^\d+\.\d{2}$/);
        await addRule(RULE, s);
        await post(`/api/firewall/filter/apply/${sp.revision}`, undefined, s);
        await sleep(220);
        expect(Object.values(s.state.rules)).toHaveLength(1);
        expect(s.syslog.join('\n')).toContain(`unable to revert to unexisting revision ${sp.revision}`);
      });
    }

    // vendor-conformance O30: Backend::configdRun returns null up to 25.7.2 and '' from 25.7.3.
    for (const [version, status] of [
      ['25.1.12', null],
      ['25.7.2', null],
      ['25.7.3', ''],
      ['26.1.11', ''],
    ] as const) {
      it(`cancelRollback without a pending timer answers ${JSON.stringify(status)} on ${version}`, async () => {
        const s = await start({ version });
        expect((await post('/api/firewall/filter/cancelRollback/123.4567', undefined, s)).json).toEqual({
          status,
        });
      });
    }

    it('a rollback that restores a rule using a since-deleted alias silently disables it at reload', async () => {
      await addAlias({ name: 'a1', type: 'host', content: '10.0.0.1' });
      const rule = ((await addRule({ ...RULE, source_net: 'a1' })).json as { uuid: string }).uuid;
      await post('/api/firewall/filter/apply');
      const sp = (await post('/api/firewall/filter/savepoint')).json as { revision: string };
      await post(`/api/firewall/filter/delRule/${rule}`);
      const alias = ((await call('GET', '/api/firewall/alias/getAliasUUID/a1')).json as { uuid: string })
        .uuid;
      expect((await post(`/api/firewall/alias/delItem/${alias}`)).json).toEqual({ result: 'deleted' });
      await post(`/api/firewall/filter/apply/${sp.revision}`);
      await sleep(220);
      expect(Object.keys(sim.state.rules)).toEqual([rule]);
      expect(sim.inactiveRules).toEqual([rule]);
    });

    it('26.7: savepoint, cancelRollback and revert are gone (404); apply/{rev} arms no timer', async () => {
      const newer = await start({ version: '26.7.1' });
      for (const path of ['savepoint', 'cancelRollback/1.0', 'revert/1.0']) {
        expect((await post(`/api/firewall/filter/${path}`, undefined, newer)).status).toBe(404);
      }
      expect((await post('/api/firewall/filter/apply/1.0', undefined, newer)).json).toEqual({
        status: 'OK\n\n',
      });
      expect(newer.pendingRollback).toBeNull();
    });
  });

  describe('moves, concurrency and firmware', () => {
    it('moveRuleBefore (25.1.5+) places a rule into the gap before its target; 404 before 25.1.5', async () => {
      const a = ((await addRule({ ...RULE, description: 'a' })).json as { uuid: string }).uuid;
      const b = ((await addRule({ ...RULE, description: 'b' })).json as { uuid: string }).uuid;
      const c = ((await addRule({ ...RULE, description: 'c' })).json as { uuid: string }).uuid;
      expect((await post(`/api/firewall/filter/moveRuleBefore/${c}/${b}`)).json).toEqual({ status: 'ok' });
      expect(sim.orderedRules('lan').map((r) => r.description)).toEqual(['a', 'c', 'b']);
      const floating = (
        (await addRule({ ...RULE, interface: '', description: 'f' })).json as { uuid: string }
      ).uuid;
      const mixed = await post(`/api/firewall/filter/moveRuleBefore/${floating}/${a}`);
      expect(mixed.status).toBe(500);
      expect(mixed.json).toMatchObject({
        errorMessage: "Cannot move 'Floating Rule' before 'Interface Rule'.",
      });
      const old = await start({ version: '25.1.4' });
      expect((await post(`/api/firewall/filter/moveRuleBefore/${c}/${b}`, undefined, old)).status).toBe(404);
    });

    it('before 25.1.3 concurrent add/set calls lose updates; from 25.1.3 they are serialised', async () => {
      for (const [version, survivors] of [
        ['25.1.2', 1],
        ['25.1.3', 4],
      ] as const) {
        const s = await start({ version, writeProcessingMs: 20 });
        await Promise.all([0, 1, 2, 3].map((i) => addRule({ ...RULE, description: `r${i}` }, s)));
        expect({ version, rules: Object.keys(s.state.rules).length }).toEqual({ version, rules: survivors });
      }
    });

    it('reports the firmware version', async () => {
      expect((await call('GET', '/api/core/firmware/info')).json).toMatchObject({
        product_version: '25.7.5',
      });
    });
  });
});
