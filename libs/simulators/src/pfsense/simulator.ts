import { isIP } from 'node:net';
import type { SimRequest, SimResponse } from '../core/server';
import { VendorSimulator, type SimulatorListenOptions } from '../core/vendor-simulator';
import { decodeRequest } from './content';
import {
  envelope,
  errorResponse,
  nginx404,
  PfApiError,
  pfFaultResponse,
  success,
  type Json,
  type JsonObject,
} from './envelope';
import {
  ALIAS_FIELDS,
  CONTROL_PARAMS,
  buildAlias,
  buildRule,
  isPortOrRange,
  renderAlias,
  renderRule,
  RULE_FIELDS,
  ruleAliasRefs,
  type AliasRecord,
  type ModelContext,
  type PfConfig,
  type RuleRecord,
} from './models';
import { looseEquals, matches, queryTerms } from './query';
import {
  buildPortForward,
  PORT_FORWARD_FIELDS,
  portForwardAliasRefs,
  portForwardFeatures,
  renderPortForward,
  sortByInterface,
  type PortForwardFeatures,
  type PortForwardRecord,
} from './nat';
import { tracePacket, type InterfaceAddress } from './trace';
import type { PacketTracer, SimPacket, SimVerdict } from '../core/packet-trace';

export type PfAuthMethod = 'BasicAuth' | 'KeyAuth' | 'JWTAuth';

export interface PfSimUser {
  username: string;
  password: string;
  /** Only GET privileges (writes get 403 AUTH_AUTHORIZATION_FAILED). */
  readOnly?: boolean;
  disabled?: boolean;
  /**
   * Endpoint paths this user holds no privilege for (403 AUTH_AUTHORIZATION_FAILED on every method), e.g. an API
   * user set up before port forwards were managed. Privileges are per endpoint and method, named from the URL
   * (`api-v2-firewall-nat-port-forwards-get`: R/Core/Endpoint.inc get_method_priv_name L517-530).
   */
  deniedPaths?: string[];
}

export interface PfSimApiKey {
  key: string;
  username: string;
}

export interface PfSenseSeed {
  /** API representation (same bodies as POST /api/v2/firewall/alias). */
  aliases?: JsonObject[];
  /** API representation (same bodies as POST /api/v2/firewall/rule). */
  rules?: JsonObject[];
  /** API representation (same bodies as POST /api/v2/firewall/nat/port_forward). */
  portForwards?: JsonObject[];
}

export interface PfSenseSimulatorOptions extends SimulatorListenOptions {
  users?: PfSimUser[];
  apiKeys?: PfSimApiKey[];
  /**
   * Enabled auth methods, in order. The package's installed default is `['BasicAuth']`; the simulator defaults to
   * `['BasicAuth', 'KeyAuth']` so key-based connectors work out of the box.
   */
  authMethods?: PfAuthMethod[];
  /** Interface ids (default wan, lan, opt1, opt2). */
  interfaces?: string[];
  /** Initial config (default: pfSense's two "Default allow LAN to any" rules, no aliases). */
  seed?: PfSenseSeed;
  /** pfSense version reported by /api/v2/system/version. */
  version?: string;
  /** System > REST API > Settings > Enabled (default true): when false every endpoint answers 503. */
  apiEnabled?: boolean;
  /** Read-only mode: every non-GET answers 405 ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE. */
  readOnlyMode?: boolean;
  /**
   * Time a write spends between reading the config and writing it back (default 0). With a value > 0, concurrent
   * writes reproduce the real package's lost updates: each request works on the config it read at its start.
   */
  writeProcessingMs?: number;
  /** Delay before an `async` (default) apply actually happens (default 0). */
  asyncApplyDelayMs?: number;
  /**
   * REST API package setting `represent_interfaces_as` (vendor-conformance P14): `id` is the installed default
   * (`files/usr/local/share/pfSense-pkg-RESTAPI/info.xml` L29), `descr` the model default
   * (`R/Models/RESTAPISettings.inc` L172-180), `if` the real interface name. Rule `interface` values are accepted
   * and shown in that form; `GET /api/v2/system/restapi/settings` reports it.
   */
  representInterfacesAs?: 'id' | 'descr' | 'if';
  /** Interface descriptions (default the id upper-cased: WAN, LAN, OPT1...). */
  interfaceDescriptions?: Record<string, string>;
  /** Real interface names (default vtnet0, vtnet1... in id order). */
  interfaceDevices?: Record<string, string>;
  /**
   * Interface groups and CARP VIPs, which InterfaceField also offers as rule interfaces under their own names
   * (R/Fields/InterfaceField.inc get_interface_choices; vendor-conformance P14). Default none.
   */
  extraInterfaceChoices?: string[];
  /** REST API package version reported by `GET /api/v2/system/restapi/version` (default v2.4.3). */
  packageVersion?: string;
  /** Clock (ms), for deterministic trackers. */
  now?: () => number;
  /**
   * Interface addresses (`a.b.c.d/nn`) for `trace()`: `wan:ip`, `lan` (the subnet) and `(self)` resolve against
   * them. Default wan 203.0.113.2/24, lan 192.168.1.1/24, opt1 10.10.0.1/24, opt2 10.30.0.1/24, others none.
   */
  interfaceAddresses?: Record<string, string>;
}

export const PFSENSE_SIM_API_KEY = '5f3c1a9e7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c';
export const PFSENSE_SIM_USER = { username: 'admin', password: 'pfsense' };

export const DEFAULT_PFSENSE_SEED: PfSenseSeed = {
  aliases: [],
  rules: [
    {
      type: 'pass',
      interface: ['lan'],
      ipprotocol: 'inet',
      protocol: null,
      source: 'lan',
      destination: 'any',
      descr: 'Default allow LAN to any rule',
    },
    {
      type: 'pass',
      interface: ['lan'],
      ipprotocol: 'inet6',
      protocol: null,
      source: 'lan',
      destination: 'any',
      descr: 'Default allow LAN IPv6 to any rule',
    },
  ],
};

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface Controls {
  apply: boolean;
  async: boolean;
  limit: number;
  offset: number;
  placement: number | null;
  append: boolean;
  remove: boolean;
  reverse: boolean;
  dryRun: boolean;
  all: boolean;
  sortBy: string[];
  sortOrder: 'SORT_ASC' | 'SORT_DESC';
}

interface Ctx {
  req: SimRequest;
  method: Method;
  data: Json;
  params: JsonObject;
  controls: Controls;
  actor: string;
}

interface ModelAdapter<R> {
  list(config: PfConfig): R[];
  /**
   * After a create/update/replace/delete in `working`: side effects (PortForward's linked rule, pre-v2.8 sort).
   * Returns the record's new index when it moved.
   */
  afterWrite?(
    working: PfConfig,
    record: R | null,
    op: 'create' | 'update' | 'delete',
    before?: R,
  ): number | null;
  build(input: JsonObject, ctx: ModelContext, existing?: R, index?: number): R;
  render(record: R, id: number): JsonObject;
  fields: Set<string>;
  /** many_minimum */
  minimum: number;
  /** Subsystem marked dirty by writes (FirewallRule sets none: a faithful trap; PortForward sets natconf). */
  subsystem: 'aliases' | 'natconf' | null;
}

const ALIAS_MODEL: ModelAdapter<AliasRecord> = {
  list: (c) => c.aliases,
  build: (input, ctx, existing, index) => buildAlias(input, ctx, existing, index),
  render: renderAlias,
  fields: ALIAS_FIELDS,
  minimum: 0,
  subsystem: 'aliases',
};

const RULE_MODEL: ModelAdapter<RuleRecord> = {
  list: (c) => c.rules,
  build: (input, ctx, existing) => buildRule(input, ctx, existing),
  render: renderRule,
  fields: RULE_FIELDS,
  minimum: 1,
  subsystem: null,
};

interface Route {
  methods: Method[];
  handle: (ctx: Ctx) => Promise<SimResponse> | SimResponse;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Simulator of the pfSense REST API package v2 (pfSense-pkg-RESTAPI) for the firewall alias/rule/apply endpoints,
 * following /work/shared/reference/pfsense-rest-api.md §8: same routes, auth, envelopes, validation errors, id =
 * array index (ids shift), pending vs applied state, and the concurrency trap (last writer wins).
 */
export class PfSenseSimulator extends VendorSimulator implements PacketTracer {
  private config: PfConfig = { aliases: [], rules: [], nat: [] };
  private appliedConfig: PfConfig = { aliases: [], rules: [], nat: [] };
  private skippedNat: string[] = [];
  private uniqueCounter = 0;
  private readonly pending = new Set<string>();
  private readonly filterErrorLog: string[] = [];
  private skipped: string[] = [];
  private rejectNext = false;
  private readonly opts: Required<Omit<PfSenseSimulatorOptions, keyof SimulatorListenOptions | 'seed'>> & {
    seed: PfSenseSeed;
  };
  private readonly routes: Record<string, Route>;

  constructor(options: PfSenseSimulatorOptions = {}) {
    super(options, (status, req) => pfFaultResponse(status, req.method));
    this.opts = {
      users: options.users ?? [{ ...PFSENSE_SIM_USER }],
      apiKeys: options.apiKeys ?? [{ key: PFSENSE_SIM_API_KEY, username: PFSENSE_SIM_USER.username }],
      authMethods: options.authMethods ?? ['BasicAuth', 'KeyAuth'],
      interfaces: options.interfaces ?? ['wan', 'lan', 'opt1', 'opt2'],
      seed: options.seed ?? DEFAULT_PFSENSE_SEED,
      version: options.version ?? '2.8.1-RELEASE',
      apiEnabled: options.apiEnabled ?? true,
      readOnlyMode: options.readOnlyMode ?? false,
      writeProcessingMs: options.writeProcessingMs ?? 0,
      asyncApplyDelayMs: options.asyncApplyDelayMs ?? 0,
      representInterfacesAs: options.representInterfacesAs ?? 'id',
      interfaceDescriptions: options.interfaceDescriptions ?? {},
      interfaceDevices: options.interfaceDevices ?? {},
      packageVersion: options.packageVersion ?? 'v2.4.3',
      extraInterfaceChoices: options.extraInterfaceChoices ?? [],
      now: options.now ?? Date.now,
      interfaceAddresses: options.interfaceAddresses ?? {
        wan: '203.0.113.2/24',
        lan: '192.168.1.1/24',
        opt1: '10.10.0.1/24',
        opt2: '10.30.0.1/24',
      },
    };
    const ruleModel: ModelAdapter<RuleRecord> = {
      ...RULE_MODEL,
      render: (record, id) => renderRule(record, id, (i) => this.representInterface(i)),
    };
    this.routes = {
      '/api/v2/firewall/alias': this.singular(ALIAS_MODEL),
      '/api/v2/firewall/aliases': this.plural(ALIAS_MODEL),
      '/api/v2/firewall/rule': this.singular(ruleModel),
      '/api/v2/firewall/rules': this.plural(ruleModel),
      // R/Endpoints/FirewallNATPortForwardEndpoint.inc (GET, POST, PATCH, DELETE) and
      // FirewallNATPortForwardsEndpoint.inc (GET, PUT, DELETE), model R/Models/PortForward.inc (see nat.ts).
      '/api/v2/firewall/nat/port_forward': this.singular(this.natModel()),
      '/api/v2/firewall/nat/port_forwards': this.plural(this.natModel()),
      // R/Endpoints/SystemRESTAPISettingsEndpoint.inc (GET, PATCH); only the field the connectors read is modelled.
      '/api/v2/system/restapi/settings': {
        methods: ['GET'],
        handle: () =>
          success({
            enabled: true,
            represent_interfaces_as: this.opts.representInterfacesAs,
            read_only: false,
          }),
      },
      // R/Endpoints/SystemRESTAPIVersionEndpoint.inc, R/Models/RESTAPIVersion.inc L17-22 (`current_version`).
      '/api/v2/system/restapi/version': {
        methods: ['GET'],
        handle: () =>
          success({
            current_version: this.opts.packageVersion,
            latest_version: this.opts.packageVersion,
            latest_version_release_date: '',
            update_available: false,
          }),
      },
      // R/Endpoints/NetworkInterfacesEndpoint.inc (GET, DELETE; only GET is modelled): the `interfaces` config
      // section, `id` = config key (R/Models/NetworkInterface.inc L71-76, R/Core/Model.inc L1138-1141) then the fields
      // (only `if`, `enable`, `descr` of NetworkInterface.inc L26-28 are modelled). `id` is not an InterfaceField, so
      // represent_interfaces_as does not change it.
      '/api/v2/interfaces': {
        methods: ['GET'],
        handle: () =>
          success(
            this.opts.interfaces.map((id, i) => ({
              id,
              if: this.opts.interfaceDevices[id] ?? `vtnet${i}`,
              enable: true,
              descr: this.opts.interfaceDescriptions[id] ?? id.toUpperCase(),
            })),
          ),
      },
      '/api/v2/firewall/apply': {
        methods: ['GET', 'POST'],
        handle: (ctx) => (ctx.method === 'GET' ? success(this.applyStatus()) : this.postApply(ctx)),
      },
      '/api/v2/system/version': {
        methods: ['GET'],
        handle: () => {
          const [base, patch] = this.opts.version.replace(/-.*$/, '').split(/\.(?=\d+$)/);
          return success({
            version: this.opts.version,
            base,
            patch: patch ?? '0',
            buildtime: 'Mon Jun 2 12:00:00 UTC 2025',
          });
        },
      },
    };
    this.reset();
  }

  // ------------------------------------------------------------------------------------------ lifecycle & test API

  /** Back to the seed, nothing pending, no faults, counters cleared. */
  reset(): void {
    this.config = { aliases: [], rules: [], nat: [] };
    for (const a of this.opts.seed.aliases ?? []) this.guiAddAlias(a);
    for (const r of this.opts.seed.rules ?? []) this.guiAddRule(r);
    for (const f of this.opts.seed.portForwards ?? []) this.guiAddPortForward(f);
    this.skippedNat = [];
    this.appliedConfig = clone(this.config);
    this.pending.clear();
    this.filterErrorLog.length = 0;
    this.skipped = [];
    this.rejectNext = false;
    this.server.reset();
  }

  /** Deep copy of the stored (config.xml) state. */
  get state(): PfConfig {
    return clone(this.config);
  }

  /** Deep copy of what the running filter uses (the config as of the last successful apply). */
  get applied(): PfConfig {
    return clone(this.appliedConfig);
  }

  get pendingSubsystems(): string[] {
    return [...this.pending].sort();
  }

  /** Config differs from the running filter (including rule edits, which the API does not flag). */
  hasUnappliedChanges(): boolean {
    return JSON.stringify(this.config) !== JSON.stringify(this.appliedConfig);
  }

  /** Filter reload messages: refused reloads and "Rule skipped" notices (a rule referencing a missing alias). */
  get filterErrors(): string[] {
    return [...this.filterErrorLog];
  }

  /** Rules (by descr) the last successful reload left out because they reference a missing alias. */
  get skippedRules(): string[] {
    return [...this.skipped];
  }

  /** The next filter reload fails (pf refuses the ruleset): filter.inc returns before clearing the dirty flags. */
  rejectNextReload(): void {
    this.rejectNext = true;
  }

  /** An interface id as `represent_interfaces_as` names it (P14). */
  representInterface(id: string): string {
    const i = this.opts.interfaces.indexOf(id);
    if (i < 0) return id;
    if (this.opts.representInterfacesAs === 'descr')
      return this.opts.interfaceDescriptions[id] ?? id.toUpperCase();
    if (this.opts.representInterfacesAs === 'if') return this.opts.interfaceDevices[id] ?? `vtnet${i}`;
    return id;
  }

  /** Like an admin editing and applying the config by hand: replaces stored and applied state (no validation). */
  guiReplace(config: Omit<PfConfig, 'nat'> & { nat?: PfConfig['nat'] }): void {
    const full: PfConfig = { ...config, nat: config.nat ?? [] };
    this.config = clone(full);
    this.appliedConfig = clone(full);
  }

  /** Like an admin in the GUI: validated, appended (or placed), and applied immediately. */
  guiAddAlias(input: JsonObject): AliasRecord {
    const alias = buildAlias(input, this.modelContext(this.config, 'admin@192.0.2.10 (GUI)'));
    this.config.aliases.push(alias);
    this.appliedConfig = clone(this.config);
    return clone(alias);
  }

  /**
   * Like an admin adding a port forward in Firewall > NAT > Port Forward and applying (validated as the API
   * would, appended). The GUI's "Filter rule association" is not modelled: pass `associated_rule_id: "pass"` for a
   * forward pf passes by itself, or add the filter rule with `guiAddRule`.
   */
  guiAddPortForward(input: JsonObject): PortForwardRecord {
    const record = buildPortForward(
      input,
      this.modelContext(this.config, 'admin@192.0.2.10 (GUI)'),
      this.natFeatures(),
    );
    this.config.nat.push(record);
    this.appliedConfig = clone(this.config);
    return clone(record);
  }

  /** Port forwards (by descr) the last reload left out: an alias they name does not exist (filter.inc RELENG_2_7_2 L2702). */
  get skippedPortForwards(): string[] {
    return [...this.skippedNat];
  }

  /**
   * What the running pf does with one new inbound connection, from the APPLIED config only: rdr first (pf
   * translates before filtering), then the filter rules of the arrival interface. See trace.ts.
   */
  trace(packet: SimPacket): SimVerdict {
    const addresses: Record<string, InterfaceAddress> = {};
    for (const [iface, cidr] of Object.entries(this.opts.interfaceAddresses)) {
      const [ip, bits] = cidr.split('/');
      addresses[iface] = { ip, prefix: Number(bits ?? 32) };
    }
    return tracePacket(packet, {
      config: this.appliedConfig,
      skippedRules: new Set(this.skipped),
      skippedNat: new Set(this.skippedNat),
      interfaces: this.opts.interfaces,
      addresses,
    });
  }

  guiAddRule(input: JsonObject, placement?: number): RuleRecord {
    const rule = buildRule(input, this.modelContext(this.config, 'admin@192.0.2.10 (GUI)'));
    const at =
      placement === undefined ? this.config.rules.length : Math.min(placement, this.config.rules.length);
    this.config.rules.splice(at, 0, rule);
    this.appliedConfig = clone(this.config);
    return clone(rule);
  }

  private natFeatures(): PortForwardFeatures {
    const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(this.opts.packageVersion);
    return portForwardFeatures(m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : [2, 10, 0]);
  }

  /**
   * PortForward adapter: `natconf` dirty on every write; `associated_rule_id: "new"` creates the linked filter
   * rule after the write and an update/delete carries over to it (PortForward.inc `pre_apply_create` L226-254,
   * `pre_apply_update` L259-293, `pre_apply_delete` L298-307); pre-v2.8.0 re-sorts by interface (nat.ts).
   */
  private natModel(): ModelAdapter<PortForwardRecord> {
    const features = this.natFeatures();
    return {
      list: (c) => c.nat,
      build: (input, ctx, existing) => buildPortForward(input, ctx, features, existing),
      render: (record, id) => renderPortForward(record, id, features, (i) => this.representInterface(i)),
      fields: PORT_FORWARD_FIELDS,
      minimum: 0,
      subsystem: 'natconf',
      afterWrite: (working, record, op, before) => {
        const actor = record?.updated_by ?? 'admin@127.0.0.1 (API)';
        if (op === 'create' && record !== null && record.associated_rule_id === 'new') {
          // get_unique_id(): uniqid("nat_", true) (pfsense/pfsense src/etc/inc/itemid.inc L116-119).
          this.uniqueCounter += 1;
          record.associated_rule_id = `nat_${(this.opts.now() * 1000 + this.uniqueCounter).toString(16)}.${this.uniqueCounter}`;
          const rule = buildRule(this.linkedRuleInput(record), this.modelContext(working, actor));
          rule.associated_rule_id = record.associated_rule_id;
          working.rules.push(rule);
        } else if (op === 'update' && record !== null && !['', 'pass'].includes(record.associated_rule_id)) {
          const i = working.rules.findIndex((r) => r.associated_rule_id === record.associated_rule_id);
          if (i !== -1) {
            const { descr: _descr, ...input } = this.linkedRuleInput(record);
            working.rules[i] = buildRule(input, this.modelContext(working, actor), working.rules[i]);
          }
        } else if (
          op === 'delete' &&
          before !== undefined &&
          !['', 'pass'].includes(before.associated_rule_id)
        ) {
          working.rules = working.rules.filter((r) => r.associated_rule_id !== before.associated_rule_id);
        }
        if (op !== 'delete' && features.sortsByInterface) return sortByInterface(working, record);
        return null;
      },
    };
  }

  private linkedRuleInput(pf: PortForwardRecord): JsonObject {
    return {
      type: 'pass',
      disabled: pf.disabled,
      interface: [this.representInterface(pf.interface)],
      ipprotocol: pf.ipprotocol ?? 'inet',
      protocol: pf.protocol,
      source: pf.source,
      source_port: pf.source_port,
      destination: pf.target,
      destination_port: pf.local_port,
      descr: `Associated rule for port forward rule ${pf.associated_rule_id}`,
    };
  }

  // --------------------------------------------------------------------------------------------------- pipeline

  async handle(req: SimRequest): Promise<SimResponse> {
    const route = this.routes[req.path];
    if (!route) return nginx404();
    try {
      // Endpoint::process_request order: enabled → interface → auth → ACL → Accept → method → body → controls.
      if (!this.opts.apiEnabled) {
        throw new PfApiError(
          503,
          'ENDPOINT_REST_API_IS_NOT_ENABLED',
          'The REST API is not enabled on this system.',
        );
      }
      const user = this.authenticate(req);
      this.checkAccept(req);
      const method = req.method as Method;
      if (!(route.methods as string[]).includes(req.method)) {
        throw new PfApiError(
          405,
          'ENDPOINT_METHOD_NOT_ALLOWED',
          `Resource at ${req.path} does not support the requested HTTP method '${req.method}'`,
        );
      }
      if (this.opts.readOnlyMode && method !== 'GET') {
        throw new PfApiError(
          405,
          'ENDPOINT_METHOD_NOT_ALLOWED_IN_READ_ONLY_MODE',
          'The REST API is currently in read-only mode.',
        );
      }
      if ((user.readOnly && method !== 'GET') || user.deniedPaths.includes(req.path)) {
        throw new PfApiError(
          403,
          'AUTH_AUTHORIZATION_FAILED',
          'Authorization failed. You do not have sufficient privileges to access this resource.',
        );
      }
      const data = decodeRequest(req);
      const params: JsonObject =
        data !== null && typeof data === 'object' && !Array.isArray(data) ? data : {};
      const controls = this.parseControls(params, method, req);
      return await route.handle({
        req,
        method,
        data,
        params,
        controls,
        actor: `${user.username}@${req.remoteAddress.replace(/^::ffff:/, '')} (API)`,
      });
    } catch (err) {
      if (err instanceof PfApiError) return errorResponse(err);
      const message = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
      return envelope(500, 'ENDPOINT_RECEIVED_UNEXPECTED_ERROR', message, []);
    }
  }

  private authenticate(req: SimRequest): { username: string; readOnly: boolean; deniedPaths: string[] } {
    const authz = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    const apiKey = req.headers['x-api-key'];
    const failed = (basic: boolean): PfApiError =>
      new PfApiError(
        401,
        'AUTH_AUTHENTICATION_FAILED',
        'Authentication failed.',
        [],
        basic ? { 'www-authenticate': 'Basic realm="Login for pfSense REST API"' } : {},
      );
    for (const method of this.opts.authMethods) {
      if (method === 'BasicAuth') {
        const m = /^Basic\s+(.+)$/i.exec(authz);
        if (!m) continue;
        const decoded = Buffer.from(m[1], 'base64').toString('utf8');
        const sep = decoded.indexOf(':');
        const username = sep === -1 ? decoded : decoded.slice(0, sep);
        const password = sep === -1 ? '' : decoded.slice(sep + 1);
        if (!username || !password) continue; // v2.10.0: both must be present for Basic to be "requested"
        const user = this.opts.users.find((u) => u.username === username);
        if (!user || user.password !== password || user.disabled) throw failed(true);
        return { username, readOnly: user.readOnly ?? false, deniedPaths: user.deniedPaths ?? [] };
      }
      if (method === 'KeyAuth') {
        if (apiKey === undefined) continue;
        const key = Array.isArray(apiKey) ? apiKey[0] : apiKey;
        const found = this.opts.apiKeys.find((k) => k.key === key);
        const user = found && this.opts.users.find((u) => u.username === found.username);
        if (!found || !user || user.disabled || !user.username) throw failed(false);
        return {
          username: user.username,
          readOnly: user.readOnly ?? false,
          deniedPaths: user.deniedPaths ?? [],
        };
      }
      if (method === 'JWTAuth') {
        if (!/^Bearer\s+/i.test(authz)) continue;
        throw failed(false); // JWT issuing is not simulated: every token is unknown.
      }
    }
    throw failed(false);
  }

  private checkAccept(req: SimRequest): void {
    const raw = req.headers.accept;
    const accept = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim();
    if (accept === '') return;
    const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
    if (types.some((t) => t === 'application/json' || t === '*/*')) return;
    throw new PfApiError(
      406,
      'CONTENT_HANDLER_ENCODE_NOT_FOUND',
      `Accept type "${accept}" is not supported.`,
    );
  }

  private parseControls(p: JsonObject, method: Method, req: SimRequest): Controls {
    const bool = (name: string, fallback: boolean): boolean => {
      const v = p[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') {
        throw new PfApiError(
          400,
          `ENDPOINT_${name.toUpperCase()}_FIELD_INVALID_TYPE`,
          `Field \`${name}\` must be of type \`bool\`.`,
        );
      }
      return v;
    };
    const int = (name: string): number | null => {
      const v = p[name];
      if (v === undefined) return null;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new PfApiError(
          400,
          `ENDPOINT_${name.toUpperCase()}_FIELD_INVALID_TYPE`,
          `Field \`${name}\` must be of type \`integer\`.`,
        );
      }
      return v;
    };
    const prefer = String(req.headers.prefer ?? '').toLowerCase();
    const dryRun = bool('dry_run', false) || prefer.includes('dry-run');
    if (dryRun && method === 'GET') {
      throw new PfApiError(
        400,
        'ENDPOINT_DRY_RUN_NOT_SUPPORTED_ON_GET',
        'The `dry_run` parameter is not supported for GET requests.',
      );
    }
    let sortBy: string[] = [];
    const sb = p.sort_by;
    if (sb !== undefined) {
      if (typeof sb === 'string') sortBy = [sb];
      else if (Array.isArray(sb) && sb.every((x) => typeof x === 'string')) sortBy = sb;
      else
        throw new PfApiError(
          400,
          'ENDPOINT_SORT_BY_FIELD_INVALID_TYPE',
          'Field `sort_by` must be of type `string` or `array`.',
        );
    }
    const so = p.sort_order ?? 'SORT_ASC';
    if (so !== 'SORT_ASC' && so !== 'SORT_DESC') {
      throw new PfApiError(
        400,
        'ENDPOINT_SORT_ORDER_FIELD_INVALID_CHOICE',
        'Field `sort_order` must be one of [SORT_ASC, SORT_DESC].',
      );
    }
    return {
      apply: bool('apply', false),
      async: bool('async', true),
      limit: int('limit') ?? 0,
      offset: int('offset') ?? 0,
      placement: int('placement'),
      append: bool('append', false),
      remove: bool('remove', false),
      reverse: bool('reverse', false),
      dryRun,
      all: bool('all', false),
      sortBy,
      sortOrder: so,
    };
  }

  private modelContext(config: PfConfig, actor: string): ModelContext {
    // The GUI works with interface ids; API requests with what represent_interfaces_as says.
    const api = !actor.endsWith('(GUI)');
    return {
      config,
      interfaces: this.opts.interfaces,
      actor,
      now: this.opts.now,
      extraInterfaceChoices: this.opts.extraInterfaceChoices,
      ...(api ? { representInterface: (id: string) => this.representInterface(id) } : {}),
    };
  }

  /** The config this request works on, read at its start; written back whole at the end (last writer wins). */
  private async beginWrite(): Promise<PfConfig> {
    const working = clone(this.config);
    if (this.opts.writeProcessingMs > 0) await this.server.delay(this.opts.writeProcessingMs);
    return working;
  }

  private commitWrite(working: PfConfig, subsystem: 'aliases' | 'natconf' | null, ctx: Ctx): void {
    this.config = working;
    if (subsystem) this.pending.add(subsystem);
    if (ctx.controls.apply) this.applyNow();
  }

  // ---------------------------------------------------------------------------------------------- model routes

  private requireId(ctx: Ctx): number {
    const id = ctx.params.id;
    if (id === undefined || id === null)
      throw new PfApiError(400, 'MODEL_REQUIRES_ID', 'Field `id` is required.');
    if (typeof id !== 'number' || !Number.isInteger(id)) {
      throw new PfApiError(400, 'FIELD_INVALID_TYPE', 'Field `id` must be of type `integer`.');
    }
    return id;
  }

  private notFound(id: number): PfApiError {
    return new PfApiError(404, 'MODEL_OBJECT_NOT_FOUND', `Object with ID '${id}' does not exist.`);
  }

  private singular<R>(model: ModelAdapter<R>): Route {
    return {
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      handle: async (ctx) => {
        if (ctx.method === 'GET') {
          const id = this.requireId(ctx);
          const obj = model.list(this.config)[id];
          if (obj === undefined) throw this.notFound(id);
          return success(model.render(obj, id));
        }
        if (ctx.method === 'POST') {
          const working = await this.beginWrite();
          const list = model.list(working);
          const record = model.build(ctx.params, this.modelContext(working, ctx.actor));
          const at =
            ctx.controls.placement === null ? list.length : clamp(ctx.controls.placement, list.length);
          if (ctx.controls.dryRun) return success(model.render(record, at));
          list.splice(at, 0, record);
          const moved = model.afterWrite?.(working, record, 'create') ?? null;
          this.commitWrite(working, model.subsystem, ctx);
          return success(model.render(record, moved ?? at));
        }
        if (ctx.method === 'PATCH') {
          const id = this.requireId(ctx);
          const working = await this.beginWrite();
          const list = model.list(working);
          const existing = list[id];
          if (existing === undefined) throw this.notFound(id);
          const input = this.overlayArrays(ctx, existing as unknown as JsonObject);
          const record = model.build(input, this.modelContext(working, ctx.actor), existing, id);
          if (ctx.controls.dryRun) return success(model.render(record, id));
          list[id] = record;
          let at = id;
          if (ctx.controls.placement !== null) {
            list.splice(id, 1);
            at = clamp(ctx.controls.placement, list.length);
            list.splice(at, 0, record);
          }
          const moved = model.afterWrite?.(working, record, 'update', existing) ?? null;
          this.commitWrite(working, model.subsystem, ctx);
          return success(model.render(record, moved ?? at));
        }
        // DELETE
        const id = this.requireId(ctx);
        const working = await this.beginWrite();
        const list = model.list(working);
        const existing = list[id];
        if (existing === undefined) throw this.notFound(id);
        if (list.length - 1 < model.minimum) throw this.minimumReached(model.minimum);
        if (ctx.controls.dryRun) return success(model.render(existing, id));
        list.splice(id, 1);
        model.afterWrite?.(working, null, 'delete', existing);
        this.commitWrite(working, model.subsystem, ctx);
        return success(model.render(existing, id));
      },
    };
  }

  private minimumReached(minimum: number): PfApiError {
    return new PfApiError(
      403,
      'MODEL_MANY_MINIMUM_REACHED',
      `Deleting this object would go below the minimum of ${minimum} object(s) required for this model.`,
    );
  }

  /** PATCH `append`/`remove`: applied to every array field sent; a no-op when the sent array equals the stored one. */
  private overlayArrays(ctx: Ctx, stored: JsonObject): JsonObject {
    const input: JsonObject = { ...ctx.params };
    if (!ctx.controls.append && !ctx.controls.remove) return input;
    for (const [key, value] of Object.entries(ctx.params)) {
      const current = stored[key];
      if (!Array.isArray(value) || !Array.isArray(current)) continue;
      if (JSON.stringify(value) === JSON.stringify(current)) {
        input[key] = current;
      } else if (ctx.controls.append) {
        input[key] = [...current, ...value];
      } else {
        input[key] = current.filter((c) => !value.some((v) => looseEquals(c, v)));
      }
    }
    return input;
  }

  private plural<R>(model: ModelAdapter<R>): Route {
    return {
      methods: ['GET', 'PUT', 'DELETE'],
      handle: async (ctx) => {
        const aliasNames = this.config.aliases.map((a) => a.name);
        if (ctx.method === 'GET') {
          const terms = queryTerms(ctx.params, model.fields);
          let rows = model
            .list(this.config)
            .map((r, i) => model.render(r, i))
            .filter((row) => matches(row, terms, aliasNames));
          for (const field of ctx.controls.sortBy) {
            if (!model.fields.has(field)) {
              throw new PfApiError(
                400,
                'ENDPOINT_SORT_BY_FIELD_NON_EXISTENT_FIELD',
                `Field \`${field}\` does not exist.`,
              );
            }
          }
          if (ctx.controls.sortBy.length > 0) {
            const dir = ctx.controls.sortOrder === 'SORT_DESC' ? -1 : 1;
            rows = [...rows].sort((a, b) => {
              for (const f of ctx.controls.sortBy) {
                const c = compareJson(a[f] ?? null, b[f] ?? null);
                if (c !== 0) return c * dir;
              }
              return 0;
            });
          }
          const page = (list: JsonObject[]): JsonObject[] => {
            const { offset, limit } = ctx.controls;
            return list.slice(offset, limit > 0 ? offset + limit : undefined);
          };
          if (terms.length === 0) {
            if (ctx.controls.reverse) rows = [...rows].reverse();
            rows = page(rows);
          } else {
            rows = page(rows);
            if (ctx.controls.reverse) rows = [...rows].reverse();
          }
          return success(rows);
        }
        if (ctx.method === 'PUT') {
          if (!Array.isArray(ctx.data)) {
            throw new PfApiError(
              400,
              'ENDPOINT_REQUEST_DATA_MUST_BE_INDEXED_ARRAY',
              'Request data must be an indexed array.',
            );
          }
          if (ctx.data.length < model.minimum) {
            throw new PfApiError(
              400,
              'MODEL_REPLACE_ALL_MINIMUM_NOT_MET',
              `At least ${model.minimum} object(s) are required to replace all objects.`,
            );
          }
          const working = await this.beginWrite();
          const list = model.list(working);
          list.length = 0; // wiped before validation; nothing is written if one item fails
          for (const item of ctx.data) {
            const input = item !== null && typeof item === 'object' && !Array.isArray(item) ? item : {};
            list.push(model.build(input, this.modelContext(working, ctx.actor), undefined, list.length));
          }
          model.afterWrite?.(working, null, 'update');
          if (ctx.controls.dryRun) return success(list.map((r, i) => model.render(r, i)));
          // PUT ignores `apply`.
          this.config = working;
          if (model.subsystem) this.pending.add(model.subsystem);
          return success(list.map((r, i) => model.render(r, i)));
        }
        // DELETE (plural): needs a query or all=true; reverse index order; non-atomic; ignores `apply`.
        // Any non-control parameter counts as "a query", even an unknown field, which then matches everything.
        const terms = queryTerms(ctx.params, model.fields);
        const hasQuery = Object.keys(ctx.params).some((k) => !CONTROL_PARAMS.has(k) || k === 'id');
        if (!hasQuery && !ctx.controls.all) {
          throw new PfApiError(
            400,
            'MODEL_DELETE_MANY_REQUIRES_QUERY_PARAMS',
            'At least one query parameter is required to delete many objects. Use `all=true` to delete all objects.',
          );
        }
        const working = await this.beginWrite();
        const list = model.list(working);
        const targets = list
          .map((r, i) => ({ row: model.render(r, i), i }))
          .filter(({ row }) => ctx.controls.all || matches(row, terms, aliasNames))
          .map(({ i }) => i)
          .sort((a, b) => b - a);
        const deleted: JsonObject[] = [];
        for (const i of targets) {
          if (list.length - 1 < model.minimum) {
            if (!ctx.controls.dryRun) {
              this.config = working;
              if (model.subsystem && deleted.length > 0) this.pending.add(model.subsystem);
            }
            throw this.minimumReached(model.minimum);
          }
          deleted.push(model.render(list[i], i));
          const [gone] = list.splice(i, 1);
          model.afterWrite?.(working, null, 'delete', gone);
        }
        if (!ctx.controls.dryRun) {
          this.config = working;
          if (model.subsystem && deleted.length > 0) this.pending.add(model.subsystem);
        }
        return success(deleted);
      },
    };
  }

  // ------------------------------------------------------------------------------------------------------ apply

  private applyStatus(): JsonObject {
    return { applied: this.pending.size === 0, pending_subsystems: [...this.pending].sort() };
  }

  private postApply(ctx: Ctx): SimResponse {
    if (!ctx.controls.async) {
      this.applyNow();
      return success(this.applyStatus());
    }
    // Dispatcher spawned in the background; the answer is read right after spawning (usually still pending).
    const delay = this.opts.asyncApplyDelayMs;
    void this.server.delay(delay).then(() => this.applyNow());
    return success(this.applyStatus());
  }

  /**
   * filter_configure_sync(): reload pf from config (pfsense/pfsense `src/etc/inc/filter.inc`, vendor-conformance
   * §7). A rule referencing a missing alias is skipped with a "Rule skipped" notice and everything else loads
   * (filter.inc L4351-4365). A failed reload returns early and leaves the dirty flags set (L1086-1090); they are
   * cleared only after success (L1133 `clear_filter_subsystems_dirty()`).
   */
  private applyNow(): void {
    if (this.rejectNext) {
      this.rejectNext = false;
      this.filterErrorLog.push('There were error(s) loading the rules: /tmp/rules.debug: syntax error');
      return;
    }
    const names = new Set(this.config.aliases.map((a) => a.name));
    const skipped: string[] = [];
    for (const rule of this.config.rules) {
      const missing = ruleAliasRefs(rule).find((ref) => !this.isLiteralAddressOrPort(ref) && !names.has(ref));
      if (missing === undefined) continue;
      skipped.push(rule.descr);
      this.filterErrorLog.push(`Rule skipped: Unresolvable alias '${missing}' for rule '${rule.descr}'`);
    }
    this.skipped = skipped;
    // filter.inc RELENG_2_7_2 L2690-2704: a forward whose target alias does not resolve is left out ("# Unresolvable alias").
    this.skippedNat = this.config.nat
      .filter((pf) =>
        portForwardAliasRefs(pf).some((ref) => !this.isLiteralAddressOrPort(ref) && !names.has(ref)),
      )
      .map((pf) => pf.descr);
    this.appliedConfig = clone(this.config);
    this.pending.clear();
  }

  private isLiteralAddressOrPort(value: string): boolean {
    return (
      value === 'any' ||
      value === '(self)' ||
      value === 'l2tp' ||
      value === 'pppoe' ||
      isIP(value.split('/')[0]) !== 0 ||
      isPortOrRange(value) ||
      this.opts.interfaces.includes(value) ||
      (value.endsWith(':ip') && this.opts.interfaces.includes(value.slice(0, -3)))
    );
  }
}

function clamp(placement: number, length: number): number {
  return Math.max(0, Math.min(placement, length));
}

function compareJson(a: Json, b: Json): number {
  const sa = typeof a === 'number' ? a : JSON.stringify(a);
  const sb = typeof b === 'number' ? b : JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Starts a pfSense simulator on 127.0.0.1 (ephemeral port unless given). */
export async function startPfSenseSimulator(
  options: PfSenseSimulatorOptions = {},
): Promise<PfSenseSimulator> {
  const sim = new PfSenseSimulator(options);
  await sim.start();
  return sim;
}
