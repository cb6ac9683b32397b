import { ConnectorError } from '../core/errors';
import { HttpClient, type ErrorClassification, type HttpMethod, type HttpResponse } from '../core/http';
import { VENDOR_LABELS, type OpnSenseCredentials, type ResolvedSettings } from '../core/target';

/** Typed OPNsense calls used by the connector (automation filter rules, aliases, savepoint/apply/rollback). */

/** An automation filter rule as stored (every value a string, as in config.xml); option maps already resolved. */
export interface OpnRule {
  uuid: string;
  enabled: string;
  sequence: number;
  action: string;
  quick: string;
  /** Interface ids; empty = floating. */
  interface: string[];
  direction: string;
  ipprotocol: string;
  protocol: string;
  source_net: string;
  source_not: string;
  source_port: string;
  destination_net: string;
  destination_not: string;
  destination_port: string;
  gateway: string;
  log: string;
  description: string;
}

export interface OpnAlias {
  uuid: string;
  name: string;
  type: string;
  enabled: string;
  content: string[];
  description: string;
}

/** Body fields of `addRule`/`setRule` (scalars only: arrays and booleans trip the API, see the reference §2.1). */
export type OpnRuleBody = Record<string, string>;
export type OpnAliasBody = Record<string, string>;

/**
 * A destination NAT (port forward) rule of OPNsense 26.1+ (`OPNsense\Firewall\DNat`, opnsense/core
 * `src/opnsense/mvc/app/models/OPNsense/Firewall/DNat.xml`): every value a string, option maps resolved to keys,
 * the `source`/`destination` containers flattened.
 */
export interface OpnNat {
  uuid: string;
  sequence: number;
  disabled: string;
  /** "No RDR": matches and translates nothing (an exception before later forwards). */
  nordr: string;
  interface: string[];
  /** '' (any), inet, inet6, inet46. */
  ipprotocol: string;
  /** Lower case (ProtocolField ChangeCase lower): '' (any), tcp, udp, tcp/udp, … */
  protocol: string;
  sourceNetwork: string;
  sourcePort: string;
  sourceNot: string;
  /** IP/CIDR, alias, `any`, `<if>` (its network) or `<if>ip` (its address, e.g. `wanip`). */
  destinationNetwork: string;
  /** `443`, `1000-1010`, a well-known name or a port alias; '' = any. */
  destinationPort: string;
  destinationNot: string;
  target: string;
  /** One port (or alias/name); '' = unchanged. Extended over a destination range (ForwardRule.php). */
  localPort: string;
  /** '' (Manual: a filter rule must admit it), `pass` (pf `rdr pass`, no filtering), `rule` (registered rule). */
  pass: string;
  natreflection: string;
  log: string;
  descr: string;
}

/** Body of d_nat `addRule`/`setRule`: scalars, plus the `source`/`destination` containers as nested objects. */
export type OpnNatBody = Record<string, string | Record<string, string>>;

export interface OpnSavepoint {
  revision: string;
  retention: string;
}

const API = {
  firmwareInfo: '/api/core/firmware/info',
  filterGet: '/api/firewall/filter/get',
  getRule: '/api/firewall/filter/getRule',
  addRule: '/api/firewall/filter/addRule',
  setRule: '/api/firewall/filter/setRule',
  delRule: '/api/firewall/filter/delRule',
  savepoint: '/api/firewall/filter/savepoint',
  apply: '/api/firewall/filter/apply',
  cancelRollback: '/api/firewall/filter/cancelRollback',
  revert: '/api/firewall/filter/revert',
  aliasGet: '/api/firewall/alias/get',
  aliasUuid: '/api/firewall/alias/getAliasUUID',
  getItem: '/api/firewall/alias/getItem',
  addItem: '/api/firewall/alias/addItem',
  setItem: '/api/firewall/alias/setItem',
  delItem: '/api/firewall/alias/delItem',
  reconfigure: '/api/firewall/alias/reconfigure',
  // DNatController (26.1+): opnsense/core src/opnsense/mvc/app/controllers/OPNsense/Firewall/Api/DNatController.php
  natGet: '/api/firewall/d_nat/get',
  natGetRule: '/api/firewall/d_nat/getRule',
  natAddRule: '/api/firewall/d_nat/addRule',
  natSetRule: '/api/firewall/d_nat/setRule',
  natDelRule: '/api/firewall/d_nat/delRule',
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Maps OPNsense's error shapes to kinds, keeping the vendor text: `{"status":401|403,"message"}` (auth/ACL),
 * `{"errorMessage","errorTitle"}` (UserException 500, dispatch 404), `{"status":400,"message":"Invalid JSON syntax"}`.
 */
export function classifyOpnSense(res: HttpResponse): ErrorClassification | undefined {
  const body = parseJson(res.text);
  if (res.status === 401 || res.status === 403) {
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : undefined;
    return {
      kind: 'authentication',
      vendorMessage:
        message ??
        (res.text === '' ? 'HTTP 401 with an empty body: no API credentials reached the device' : undefined),
    };
  }
  if (!isRecord(body)) return undefined;
  if (typeof body.errorMessage === 'string') {
    const title = typeof body.errorTitle === 'string' ? body.errorTitle : undefined;
    if (res.status === 404 || body.errorMessage === 'Endpoint not found') {
      return { kind: 'not_found', vendorMessage: body.errorMessage };
    }
    if (title === 'Alias in use')
      return { kind: 'conflict', vendorMessage: body.errorMessage, vendorCode: title };
    if (/denied for write access/i.test(body.errorMessage)) {
      return { kind: 'authentication', vendorMessage: body.errorMessage, vendorCode: title };
    }
    return {
      kind: res.status >= 500 ? 'protocol' : undefined,
      vendorMessage: body.errorMessage,
      vendorCode: title,
    };
  }
  if (res.status === 400 && typeof body.message === 'string') {
    // "Invalid JSON syntax": the client sent a JSON content type without a body, a client bug.
    return { kind: 'protocol', vendorMessage: body.message };
  }
  return undefined;
}

/** `{"rule.field": "msg" | ["msg", ...]}` → `["rule.field: msg", ...]`. */
export function validationMessages(validations: unknown): string[] {
  if (!isRecord(validations)) return [];
  const out: string[] = [];
  for (const [field, value] of Object.entries(validations)) {
    const list = Array.isArray(value) ? value : [value];
    for (const m of list) if (typeof m === 'string') out.push(`${field}: ${m}`);
  }
  return out;
}

/** Keys of an option map whose `selected` is set (or the comma list, when the value is a plain string). */
export function selectedKeys(value: unknown, separator = ','): string[] {
  if (typeof value === 'string') return value === '' ? [] : value.split(separator);
  if (!isRecord(value)) return [];
  return Object.entries(value)
    .filter(([key, opt]) => key !== '' && isRecord(opt) && Number(opt.selected) === 1)
    .map(([key]) => key);
}

function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}

function one(value: unknown, fallback: string): string {
  return selectedKeys(value)[0] ?? fallback;
}

export function parseRule(uuid: string, node: unknown): OpnRule {
  if (!isRecord(node)) {
    throw new ConnectorError({ kind: 'protocol', message: `OPNsense rule ${uuid} is not an object` });
  }
  const sequence = Number(str(node.sequence, '0'));
  return {
    uuid,
    enabled: str(node.enabled, '1'),
    sequence: Number.isFinite(sequence) ? sequence : 0,
    action: one(node.action, 'pass'),
    quick: str(node.quick, '1'),
    interface: selectedKeys(node.interface),
    direction: one(node.direction, 'in'),
    ipprotocol: one(node.ipprotocol, 'inet'),
    protocol: one(node.protocol, 'any'),
    source_net: str(node.source_net, 'any'),
    source_not: str(node.source_not, '0'),
    source_port: str(node.source_port),
    destination_net: str(node.destination_net, 'any'),
    destination_not: str(node.destination_not, '0'),
    destination_port: str(node.destination_port),
    gateway: selectedKeys(node.gateway).join(','),
    log: str(node.log, '0'),
    description: str(node.description),
  };
}

export function parseNat(uuid: string, node: unknown): OpnNat {
  if (!isRecord(node)) {
    throw new ConnectorError({ kind: 'protocol', message: `OPNsense NAT rule ${uuid} is not an object` });
  }
  const side = (name: string): Record<string, unknown> => (isRecord(node[name]) ? node[name] : {});
  const source = side('source');
  const destination = side('destination');
  const sequence = Number(str(node.sequence, '0'));
  return {
    uuid,
    sequence: Number.isFinite(sequence) ? sequence : 0,
    disabled: str(node.disabled, '0'),
    nordr: str(node.nordr, '0'),
    interface: selectedKeys(node.interface),
    ipprotocol: one(node.ipprotocol, ''),
    protocol: one(node.protocol, '').toLowerCase(),
    sourceNetwork: str(source.network),
    sourcePort: str(source.port),
    sourceNot: str(source.not, '0'),
    destinationNetwork: str(destination.network),
    destinationPort: str(destination.port),
    destinationNot: str(destination.not, '0'),
    target: str(node.target),
    localPort: str(node['local-port']),
    pass: one(node.pass, ''),
    natreflection: one(node.natreflection, ''),
    log: str(node.log, '0'),
    descr: str(node.descr),
  };
}

export function parseAlias(uuid: string, node: unknown): OpnAlias {
  if (!isRecord(node) || typeof node.name !== 'string') {
    throw new ConnectorError({ kind: 'protocol', message: `OPNsense alias ${uuid} has no name` });
  }
  return {
    uuid,
    name: node.name,
    type: one(node.type, ''),
    enabled: str(node.enabled, '1'),
    // `get` lists the selected entries as a map; getItem adds every other alias name with selected 0.
    content: selectedKeys(node.content, '\n'),
    description: str(node.description),
  };
}

/** A PHP array that is empty serialises as `[]`: treat it as an empty keyed record. */
function keyed(value: unknown): Record<string, unknown> {
  if (isRecord(value)) return value;
  if (Array.isArray(value) && value.length === 0) return {};
  throw new ConnectorError({
    kind: 'protocol',
    message: 'OPNsense model section is neither an object nor []',
  });
}

function dig(value: unknown, path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

export class OpnSenseApi {
  readonly http: HttpClient;

  constructor(settings: ResolvedSettings, credentials: OpnSenseCredentials) {
    const basic = `Basic ${Buffer.from(`${credentials.key}:${credentials.secret}`).toString('base64')}`;
    this.http = new HttpClient({
      settings,
      vendorLabel: VENDOR_LABELS.opnsense,
      authHeaders: (): Record<string, string> => ({ authorization: basic }),
      classify: classifyOpnSense,
    });
  }

  close(): void {
    this.http.close();
  }

  async firmwareVersion(): Promise<string | null> {
    const data = await this.call('GET', API.firmwareInfo);
    return isRecord(data) && typeof data.product_version === 'string' ? data.product_version : null;
  }

  /**
   * Identifiers of the assigned interfaces that exist live (`lan`, `opt1`: what a filter rule's `interface` holds).
   * `GET /api/interfaces/overview/interfacesInfo` (ACL `page-status-interfaces`, `models/OPNsense/Core/ACL/ACL.xml`
   * L370-376 at tag 26.7), present on every supported release (opnsense/core
   * `controllers/OPNsense/Interfaces/Api/OverviewController.php` `interfacesInfoAction` L248 at tags 25.1-26.7, L242
   * at 24.7): one row per live device, `identifier` = the assigned config key (L140-147, L180 at 26.7) or `''` for
   * an unassigned device (L172); without `rowCount` every row is answered (`Base/ApiControllerBase.php`
   * `searchRecordsetBase` L94 at 26.7, L62 at 24.7-25.1: default 9999) as `{total,rowCount,current,rows}`.
   * `/api/diagnostics/interface/getInterfaceNames` maps devices to descriptions, not identifiers.
   */
  async listInterfaceIdentifiers(): Promise<string[]> {
    const data = await this.call('GET', '/api/interfaces/overview/interfacesInfo');
    const rows = isRecord(data) && Array.isArray(data.rows) ? data.rows : null;
    if (rows === null) {
      throw new ConnectorError({
        kind: 'protocol',
        message: 'OPNsense GET /api/interfaces/overview/interfacesInfo: no rows',
      });
    }
    return rows.flatMap((row) =>
      isRecord(row) && typeof row.identifier === 'string' && row.identifier !== '' ? [row.identifier] : [],
    );
  }

  /** Every automation rule via the model dump (searchRule hides interface rules on 25.1.5..26.1 and pages). */
  async listRules(): Promise<OpnRule[]> {
    const data = await this.call('GET', API.filterGet);
    const rules = keyed(dig(data, ['filter', 'rules', 'rule']) ?? []);
    return Object.entries(rules).map(([uuid, node]) => parseRule(uuid, node));
  }

  /** One rule, or null (`[]` answers an unknown uuid). */
  async getRule(uuid: string): Promise<OpnRule | null> {
    const data = await this.call('GET', `${API.getRule}/${uuid}`);
    if (Array.isArray(data) || !isRecord(data) || !isRecord(data.rule)) return null;
    return parseRule(uuid, data.rule);
  }

  async addRule(body: OpnRuleBody): Promise<string> {
    const data = await this.mutate(API.addRule, { rule: body }, 'saved');
    if (!isRecord(data) || typeof data.uuid !== 'string') {
      throw new ConnectorError({ kind: 'protocol', message: 'OPNsense addRule answered without a uuid' });
    }
    return data.uuid;
  }

  /** Partial update. Only ever call it with a uuid that was just read: an unknown v4 uuid CREATES a rule. */
  async setRule(uuid: string, body: OpnRuleBody): Promise<void> {
    await this.mutate(`${API.setRule}/${uuid}`, { rule: body }, 'saved');
  }

  /** false when the rule was already gone. */
  async delRule(uuid: string): Promise<boolean> {
    return (await this.mutate(`${API.delRule}/${uuid}`, undefined, 'deleted', ['not found'])) !== 'not found';
  }

  /**
   * Every destination NAT rule via the model dump, `GET d_nat/get` → `{"DNat":{"rule":{uuid:{…}}}}`
   * (ApiMutableModelControllerBase::getAction keys it by `$internalModelName` = `DNat`, DNatController.php L36).
   * `searchRule` is not used: it pages, and prepends anti-lockout (26.1) or automatic rules (26.7) that are not
   * model entries. null: the firmware has no d_nat API (before 26.1 every d_nat route is a dispatch 404).
   */
  async listNat(): Promise<OpnNat[] | null> {
    let data: unknown;
    try {
      data = await this.call('GET', API.natGet);
    } catch (err) {
      if (err instanceof ConnectorError && err.kind === 'not_found' && err.status === 404) return null;
      throw err;
    }
    const rules = keyed(dig(data, ['DNat', 'rule']) ?? []);
    return Object.entries(rules).map(([uuid, node]) => parseNat(uuid, node));
  }

  /** One NAT rule, or null (getBase answers `[]` for an unknown uuid). */
  async getNat(uuid: string): Promise<OpnNat | null> {
    const data = await this.call('GET', `${API.natGetRule}/${uuid}`);
    if (Array.isArray(data) || !isRecord(data) || !isRecord(data.rule)) return null;
    return parseNat(uuid, data.rule);
  }

  async addNat(body: OpnNatBody): Promise<string> {
    const data = await this.mutate(API.natAddRule, { rule: body }, 'saved');
    if (!isRecord(data) || typeof data.uuid !== 'string') {
      throw new ConnectorError({
        kind: 'protocol',
        message: 'OPNsense d_nat addRule answered without a uuid',
      });
    }
    return data.uuid;
  }

  /** Partial update; like the filter's setRule an unknown v4 uuid would CREATE a rule: call it on a uuid just read. */
  async setNat(uuid: string, body: OpnNatBody): Promise<void> {
    await this.mutate(`${API.natSetRule}/${uuid}`, { rule: body }, 'saved');
  }

  async delNat(uuid: string): Promise<boolean> {
    return (
      (await this.mutate(`${API.natDelRule}/${uuid}`, undefined, 'deleted', ['not found'])) !== 'not found'
    );
  }

  /** Every alias, built-ins included (their uuid is their name). */
  async listAliases(): Promise<OpnAlias[]> {
    const data = await this.call('GET', API.aliasGet);
    const aliases = keyed(dig(data, ['alias', 'aliases', 'alias']) ?? []);
    return Object.entries(aliases).map(([uuid, node]) => parseAlias(uuid, node));
  }

  /** The alias currently holding `name`, or null. */
  async findAlias(name: string): Promise<OpnAlias | null> {
    const data = await this.call('GET', `${API.aliasUuid}/${name}`);
    if (!isRecord(data) || typeof data.uuid !== 'string') return null;
    const item = await this.call('GET', `${API.getItem}/${data.uuid}`);
    if (!isRecord(item) || !isRecord(item.alias)) return null;
    return parseAlias(data.uuid, item.alias);
  }

  async addAlias(body: OpnAliasBody): Promise<string> {
    const data = await this.mutate(API.addItem, { alias: body }, 'saved');
    if (!isRecord(data) || typeof data.uuid !== 'string') {
      throw new ConnectorError({ kind: 'protocol', message: 'OPNsense addItem answered without a uuid' });
    }
    return data.uuid;
  }

  async setAlias(uuid: string, body: OpnAliasBody): Promise<void> {
    await this.mutate(`${API.setItem}/${uuid}`, { alias: body }, 'saved');
  }

  async delAlias(uuid: string): Promise<boolean> {
    return (await this.mutate(`${API.delItem}/${uuid}`, undefined, 'deleted', ['not found'])) !== 'not found';
  }

  async reconfigureAliases(timeoutMs: number): Promise<void> {
    const data = await this.call('POST', API.reconfigure, { timeoutMs });
    this.expectStatus(data, API.reconfigure, (s) => s.trim().toLowerCase() === 'ok');
  }

  /** null when the firmware has no savepoints (26.7+ answers 404): the caller falls back to a plain apply. */
  async savepoint(): Promise<OpnSavepoint | null> {
    let data: unknown;
    try {
      data = await this.call('POST', API.savepoint);
    } catch (err) {
      if (err instanceof ConnectorError && err.kind === 'not_found' && err.status === 404) return null;
      throw err;
    }
    if (
      !isRecord(data) ||
      data.status !== 'ok' ||
      typeof data.revision !== 'string' ||
      data.revision === ''
    ) {
      throw this.unexpected('POST', API.savepoint, data);
    }
    return { revision: data.revision, retention: str(data.retention) };
  }

  /** `apply` (or `apply/{revision}`, which arms the 60 s rollback timer before reloading the filter). */
  async apply(revision: string | null, timeoutMs: number): Promise<void> {
    const path = revision === null ? API.apply : `${API.apply}/${revision}`;
    const data = await this.call('POST', path, { timeoutMs });
    // configd answers raw text ("OK\n\n"); a configd failure is `null`. OK does NOT mean pf accepted the rules.
    this.expectStatus(data, path, (s) => s.trim().toLowerCase() === 'ok');
  }

  /** true when the timer for `revision` was pending and is now cancelled; false when there was none. */
  async cancelRollback(revision: string): Promise<boolean> {
    const path = `${API.cancelRollback}/${revision}`;
    const data = await this.call('POST', path);
    if (!isRecord(data)) throw this.unexpected('POST', path, data);
    // Cancelled: rollback_cancel.php exits 0 silently, configd answers "\n\n". No timer: it exits 1 and configd's
    // error reaches us as null (≤25.7.2) or '' (25.7.3-26.1.x, `Backend::configdRun`, core commit 32d24c1358;
    // vendor-conformance O30). So only a non-empty, all-whitespace answer means "cancelled".
    if (data.status === null || data.status === '') return false;
    if (typeof data.status === 'string' && data.status.trim() === '') return true;
    throw this.unexpected('POST', path, data);
  }

  async revert(revision: string): Promise<boolean> {
    const path = `${API.revert}/${revision}`;
    const data = await this.call('POST', path);
    return isRecord(data) && data.status === 'ok';
  }

  private expectStatus(data: unknown, path: string, ok: (status: string) => boolean): void {
    if (isRecord(data) && typeof data.status === 'string' && ok(data.status)) return;
    const status = isRecord(data) ? data.status : undefined;
    throw new ConnectorError({
      kind: status === null ? 'unavailable' : 'protocol',
      message: `OPNsense POST ${path} did not succeed: ${JSON.stringify(data)}`,
      vendorMessage: typeof status === 'string' ? status.trim() : JSON.stringify(data),
      method: 'POST',
      path,
    });
  }

  /**
   * A mutator (add/set/del). OPNsense answers HTTP 200 for failures too: `{"result":"failed","validations":{…}}`
   * is a `validation` error carrying the vendor's messages; a bare `failed` means the request itself was refused.
   */
  private async mutate(
    path: string,
    json: unknown,
    success: string,
    alsoOk: string[] = [],
  ): Promise<unknown> {
    const data = await this.call('POST', path, json === undefined ? {} : { json });
    const result = isRecord(data) ? data.result : undefined;
    if (result === success) return data;
    if (typeof result === 'string' && alsoOk.includes(result)) return result;
    if (result === 'failed' && isRecord(data) && data.validations !== undefined) {
      const messages = validationMessages(data.validations);
      throw new ConnectorError({
        kind: 'validation',
        message: `OPNsense POST ${path} was refused: ${messages.join('; ')}`,
        status: 200,
        vendorMessage: messages.join('; '),
        method: 'POST',
        path,
        details: { validations: data.validations },
      });
    }
    if (result === 'not found') {
      throw new ConnectorError({
        kind: 'not_found',
        message: `OPNsense POST ${path}: not found`,
        status: 200,
        vendorMessage: 'not found',
        method: 'POST',
        path,
      });
    }
    throw this.unexpected('POST', path, data);
  }

  private unexpected(method: HttpMethod, path: string, data: unknown): ConnectorError {
    return new ConnectorError({
      kind: 'protocol',
      message: `OPNsense ${method} ${path} answered ${JSON.stringify(data)}`,
      vendorMessage: JSON.stringify(data),
      status: 200,
      method,
      path,
    });
  }

  private async call(
    method: HttpMethod,
    path: string,
    options: { json?: unknown; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const res = await this.http.request({ method, path, ...options });
    return this.http.parseJson(res, { method, path });
  }
}
