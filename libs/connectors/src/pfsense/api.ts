import { ConnectorError, type ErrorKind } from '../core/errors';
import {
  HttpClient,
  type ErrorClassification,
  type HttpMethod,
  type HttpResponse,
  type QueryValue,
} from '../core/http';
import { VENDOR_LABELS, type PfSenseCredentials, type ResolvedSettings } from '../core/target';

/** Typed pfSense REST API v2 (pfSense-pkg-RESTAPI) calls used by the connector. */

export interface PfAlias {
  id: number;
  name: string;
  type: string;
  descr: string;
  address: string[];
  detail: string[];
}

export interface PfRule {
  id: number;
  type: string;
  interface: string[];
  ipprotocol: string;
  protocol: string | null;
  source: string;
  source_port: string | null;
  destination: string;
  destination_port: string | null;
  descr: string;
  disabled: boolean;
  floating: boolean;
  tracker: number | null;
}

/**
 * A port forward as `GET /api/v2/firewall/nat/port_forwards` shows it (R/Models/PortForward.inc). `ipprotocol` is
 * null on package v2.0.x, which has no such field (pfSense then uses inet: pfsense/pfsense src/etc/inc/filter.inc
 * RELENG_2_7_2 L2678-2682). `interface` is one string (not an array as on rules).
 */
export interface PfPortForward {
  id: number;
  interface: string;
  ipprotocol: string | null;
  protocol: string;
  source: string;
  source_port: string | null;
  destination: string;
  destination_port: string | null;
  target: string;
  local_port: string | null;
  disabled: boolean;
  nordr: boolean;
  descr: string;
  natreflection: string | null;
  associated_rule_id: string;
}

/**
 * What the connector writes. `associated_rule_id: ""` = no linked filter rule (PortForward.inc L158-171: `new`
 * would create one, `pass` would make pf pass the forward with no filter rule at all); the connector writes the
 * admitting rule itself. `ipprotocol` is ignored by package v2.0.x (unknown fields are dropped by
 * `Model::from_representation`), which forwards IPv4 anyway.
 */
export interface PfPortForwardBody {
  interface: string;
  ipprotocol: 'inet';
  protocol: 'tcp' | 'udp';
  source: 'any';
  source_port: null;
  destination: string;
  destination_port: string;
  target: string;
  local_port: string;
  descr: string;
  disabled: false;
  nordr: false;
  associated_rule_id: '';
}

export interface PfApplyStatus {
  applied: boolean;
  pending_subsystems: string[];
}

export interface PfVersion {
  version: string;
  base: string | null;
  patch: string | null;
}

export type PfAliasBody = Omit<PfAlias, 'id'>;

export interface PfRuleBody {
  type: 'pass';
  interface: string[];
  ipprotocol: 'inet' | 'inet6';
  protocol: string;
  source: string;
  source_port: null;
  destination: string;
  destination_port: string;
  descr: string;
  disabled: boolean;
}

interface Envelope {
  code: number;
  status: string;
  response_id: string;
  message: string;
  data: unknown;
}

function parseEnvelope(text: string): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  if (typeof value.code !== 'number' || typeof value.response_id !== 'string') return null;
  return {
    code: value.code,
    status: typeof value.status === 'string' ? value.status : '',
    response_id: value.response_id,
    message: typeof value.message === 'string' ? value.message : '',
    data: value.data,
  };
}

/** Maps pfSense's error envelope (response_id) to error kinds; keeps the vendor message verbatim. */
export function classifyPfSense(res: HttpResponse): ErrorClassification | undefined {
  const env = parseEnvelope(res.text);
  if (!env) {
    if (res.status === 404) {
      return {
        kind: 'protocol',
        vendorMessage:
          'HTML 404 from the web server: no such endpoint (is pfSense-pkg-RESTAPI v2 installed?)',
      };
    }
    return undefined;
  }
  const id = env.response_id;
  let kind: ErrorKind | undefined;
  if (id === 'MODEL_MANY_MINIMUM_REACHED' || id === 'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND')
    kind = 'validation';
  else if (id === 'MODEL_OBJECT_NOT_FOUND') kind = 'not_found';
  else if (id === 'ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE') kind = 'authentication';
  else if (res.status === 403) kind = 'authentication';
  else if (res.status === 405 || res.status === 406 || res.status === 415) kind = 'protocol';
  return { kind, vendorMessage: env.message, vendorCode: id };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function strOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

function strArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string' && value !== '') return value.split(/[ ,]+/);
  return [];
}

export class PfSenseApi {
  readonly http: HttpClient;

  constructor(settings: ResolvedSettings, credentials: PfSenseCredentials) {
    this.http = new HttpClient({
      settings,
      vendorLabel: VENDOR_LABELS.pfsense,
      authHeaders: (): Record<string, string> =>
        credentials.kind === 'pfsense-api-key'
          ? { 'x-api-key': credentials.apiKey }
          : {
              authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
            },
      classify: classifyPfSense,
    });
  }

  close(): void {
    this.http.close();
  }

  async version(): Promise<PfVersion> {
    const data = await this.call('GET', '/api/v2/system/version');
    const d = isRecord(data) ? data : {};
    return { version: strOr(d.version, 'unknown'), base: strOrNull(d.base), patch: strOrNull(d.patch) };
  }

  /** The REST API package's own version (`current_version`, e.g. `v2.4.3`; R/Models/RESTAPIVersion.inc L17). */
  async packageVersion(): Promise<string | null> {
    const data = await this.call('GET', '/api/v2/system/restapi/version');
    return isRecord(data) && typeof data.current_version === 'string' ? data.current_version : null;
  }

  /**
   * The package setting `represent_interfaces_as` (`id`, `descr` or `if`): how rule `interface` values are accepted
   * and shown (R/Fields/InterfaceField.inc L112; R/Endpoints/SystemRESTAPISettingsEndpoint.inc).
   */
  async interfaceRepresentation(): Promise<string | null> {
    const data = await this.call('GET', '/api/v2/system/restapi/settings');
    return isRecord(data) && typeof data.represent_interfaces_as === 'string'
      ? data.represent_interfaces_as
      : null;
  }

  /**
   * Interface ids (`wan`, `lan`, `opt1`): `GET /api/v2/interfaces` (R/Endpoints/NetworkInterfacesEndpoint.inc, GET
   * and DELETE, many) lists the `interfaces` config section (R/Models/NetworkInterface.inc L71-76: `config_path`
   * `interfaces`, `id_type` `string`), each object's `id` being its config key (R/Core/Model.inc L1138-1141). The
   * `id` is not an InterfaceField, so `represent_interfaces_as` does not rename it.
   */
  async listInterfaceIds(): Promise<string[]> {
    const data = await this.call('GET', '/api/v2/interfaces');
    return this.array(data, '/api/v2/interfaces').flatMap((row) =>
      isRecord(row) && typeof row.id === 'string' ? [row.id] : [],
    );
  }

  /** GET with urlencoded query parameters and NO JSON content type (a JSON content type drops the filters). */
  async listAliases(query: Record<string, QueryValue> = {}): Promise<PfAlias[]> {
    const data = await this.call('GET', '/api/v2/firewall/aliases', { query });
    return this.array(data, '/api/v2/firewall/aliases').map((row) => parseAlias(row));
  }

  async createAlias(body: PfAliasBody): Promise<PfAlias> {
    return parseAlias(await this.call('POST', '/api/v2/firewall/alias', { json: body }));
  }

  async updateAlias(id: number, body: PfAliasBody): Promise<PfAlias> {
    return parseAlias(await this.call('PATCH', '/api/v2/firewall/alias', { json: { id, ...body } }));
  }

  async deleteAlias(id: number): Promise<PfAlias> {
    return parseAlias(await this.call('DELETE', '/api/v2/firewall/alias', { query: { id } }));
  }

  async listRules(query: Record<string, QueryValue> = {}): Promise<PfRule[]> {
    const data = await this.call('GET', '/api/v2/firewall/rules', { query });
    return this.array(data, '/api/v2/firewall/rules').map((row) => parseRule(row));
  }

  async createRule(body: PfRuleBody, placement?: number): Promise<PfRule> {
    const json = placement === undefined ? body : { ...body, placement };
    return parseRule(await this.call('POST', '/api/v2/firewall/rule', { json }));
  }

  async updateRule(id: number, body: PfRuleBody): Promise<PfRule> {
    return parseRule(await this.call('PATCH', '/api/v2/firewall/rule', { json: { id, ...body } }));
  }

  /** Moves a rule to a global array index (PATCH `placement`). */
  async moveRule(id: number, placement: number): Promise<PfRule> {
    return parseRule(await this.call('PATCH', '/api/v2/firewall/rule', { json: { id, placement } }));
  }

  async deleteRule(id: number): Promise<PfRule> {
    return parseRule(await this.call('DELETE', '/api/v2/firewall/rule', { query: { id } }));
  }

  /** R/Endpoints/FirewallNATPortForwardsEndpoint.inc (GET, many; query filters as on rules). */
  async listPortForwards(query: Record<string, QueryValue> = {}): Promise<PfPortForward[]> {
    const data = await this.call('GET', '/api/v2/firewall/nat/port_forwards', { query });
    return this.array(data, '/api/v2/firewall/nat/port_forwards').map((row) => parsePortForward(row));
  }

  /** R/Endpoints/FirewallNATPortForwardEndpoint.inc (POST); appended, or re-sorted by interface before v2.8.0. */
  async createPortForward(body: PfPortForwardBody): Promise<PfPortForward> {
    return parsePortForward(await this.call('POST', '/api/v2/firewall/nat/port_forward', { json: body }));
  }

  async updatePortForward(id: number, body: PfPortForwardBody): Promise<PfPortForward> {
    return parsePortForward(
      await this.call('PATCH', '/api/v2/firewall/nat/port_forward', { json: { id, ...body } }),
    );
  }

  async deletePortForward(id: number): Promise<PfPortForward> {
    return parsePortForward(
      await this.call('DELETE', '/api/v2/firewall/nat/port_forward', { query: { id } }),
    );
  }

  async applyStatus(): Promise<PfApplyStatus> {
    return parseApply(await this.call('GET', '/api/v2/firewall/apply'));
  }

  /** POST /firewall/apply with `async: false`: waits for the filter reload. */
  async apply(timeoutMs: number): Promise<PfApplyStatus> {
    return parseApply(
      await this.call('POST', '/api/v2/firewall/apply', { json: { async: false }, timeoutMs }),
    );
  }

  private async call(
    method: HttpMethod,
    path: string,
    options: { query?: Record<string, QueryValue>; json?: unknown; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const res = await this.http.request({ method, path, ...options });
    const env = parseEnvelope(res.text);
    if (!env) {
      throw new ConnectorError({
        kind: 'protocol',
        message: `pfSense ${method} ${path}: HTTP ${res.status} without the API envelope`,
        status: res.status,
        method,
        path,
      });
    }
    return env.data;
  }

  private array(data: unknown, path: string): unknown[] {
    if (!Array.isArray(data)) {
      throw new ConnectorError({
        kind: 'protocol',
        message: `pfSense GET ${path}: data is not an array`,
        path,
      });
    }
    return data;
  }
}

function parseAlias(row: unknown): PfAlias {
  if (!isRecord(row) || typeof row.id !== 'number' || typeof row.name !== 'string') {
    throw new ConnectorError({ kind: 'protocol', message: 'pfSense returned an alias without id/name' });
  }
  return {
    id: row.id,
    name: row.name,
    type: strOr(row.type, ''),
    descr: strOr(row.descr, ''),
    address: strArray(row.address),
    detail: Array.isArray(row.detail) ? row.detail.filter((v): v is string => typeof v === 'string') : [],
  };
}

function parseRule(row: unknown): PfRule {
  if (!isRecord(row) || typeof row.id !== 'number') {
    throw new ConnectorError({ kind: 'protocol', message: 'pfSense returned a rule without id' });
  }
  return {
    id: row.id,
    type: strOr(row.type, ''),
    interface: strArray(row.interface),
    ipprotocol: strOr(row.ipprotocol, ''),
    protocol: strOrNull(row.protocol),
    source: strOr(row.source, ''),
    source_port: strOrNull(row.source_port),
    destination: strOr(row.destination, ''),
    destination_port: strOrNull(row.destination_port),
    descr: strOr(row.descr, ''),
    disabled: row.disabled === true,
    floating: row.floating === true,
    tracker: typeof row.tracker === 'number' ? row.tracker : null,
  };
}

function parsePortForward(row: unknown): PfPortForward {
  if (!isRecord(row) || typeof row.id !== 'number') {
    throw new ConnectorError({ kind: 'protocol', message: 'pfSense returned a port forward without id' });
  }
  return {
    id: row.id,
    interface: Array.isArray(row.interface) ? strArray(row.interface).join(',') : strOr(row.interface, ''),
    ipprotocol: strOrNull(row.ipprotocol),
    protocol: strOr(row.protocol, ''),
    source: strOr(row.source, ''),
    source_port: strOrNull(row.source_port),
    destination: strOr(row.destination, ''),
    destination_port: strOrNull(row.destination_port),
    target: strOr(row.target, ''),
    local_port: strOrNull(row.local_port),
    disabled: row.disabled === true,
    nordr: row.nordr === true,
    descr: strOr(row.descr, ''),
    natreflection: strOrNull(row.natreflection),
    associated_rule_id: strOr(row.associated_rule_id, ''),
  };
}

function parseApply(data: unknown): PfApplyStatus {
  if (!isRecord(data))
    throw new ConnectorError({ kind: 'protocol', message: 'pfSense apply status is not an object' });
  return { applied: data.applied === true, pending_subsystems: strArray(data.pending_subsystems) };
}
