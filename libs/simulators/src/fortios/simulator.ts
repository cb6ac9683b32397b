import { createHash, randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { PacketTracer, SimPacket, SimVerdict } from '../core/packet-trace';
import type { SimRequest, SimResponse } from '../core/server';
import { VendorSimulator, type SimulatorListenOptions } from '../core/vendor-simulator';
import {
  buildRow,
  CliError,
  danglingReferences,
  emptyStore,
  findRow,
  isObj,
  isTableKey,
  mkeyOf,
  referencesTo,
  SCHEMAS,
  seedBuiltins,
  TABLES,
  text,
  type BuildContext,
  type Json,
  type JsonObject,
  type Row,
  type TableKey,
  type VdomStore,
} from './tables';
import { traceFortiOs } from './trace';

/**
 * Simulator of the FortiOS 7.x REST API (CMDB + monitor/system/status), following
 * /work/shared/reference/fortios-rest-api.md §7: Bearer-token auth with Apache-style HTML 401/403/429 bodies and a
 * failed-auth lockout, per-VDOM stores, the JSON envelope with a 32-hex `revision`, CLI validation errors, policy
 * ids and `move`, batch transactions (staged copies, table locks, timeout, commit/abort) and 429 on write bursts.
 * Destination NAT: `firewall/vip` (tables.ts), `system/settings` NAT mode, and `trace()` over the committed state
 * (trace.ts).
 */

export interface FortiOsSimToken {
  token: string;
  /** VDOMs the api-user may use (default every VDOM). */
  vdoms?: string[];
  /** Access profile with read permission only: every write is 403. */
  readOnly?: boolean;
  /** Trusted hosts (IPv4 CIDRs); a request from elsewhere is 401, like a bad token (default 127.0.0.0/8). */
  trustedHosts?: string[];
}

export interface FortiOsSimulatorOptions extends SimulatorListenOptions {
  /** Firmware, e.g. `v7.4.3` (default). Below 6.4.0 there are no transactions; from 7.6.0 the service protocol literal is `TCP/UDP/UDP-Lite/SCTP`. */
  version?: string;
  build?: number;
  serial?: string;
  /** VDOMs (default `['root']`); the first is the management VDOM used when a request has no `vdom=`. */
  vdoms?: string[];
  /** Interface names present in every VDOM (default port1..port10). */
  interfaces?: string[];
  /**
   * The VDOM each interface belongs to (default: the first VDOM). `system/interface` is one global table whose rows
   * carry their VDOM (`vdom`, required: Fortinet's 7.6.5 schema, hfortix-fortios
   * `dev/schema/7.6.5/cmdb/system.interface.json`), so every VDOM's reads show every interface with its `vdom`. Whether
   * a real `vdom=`-scoped GET answers all VDOMs' interfaces or only that VDOM's is unknown (no source settles it).
   */
  interfaceVdoms?: Record<string, string>;
  /**
   * IPv4 address per interface (`a.b.c.d`, `a.b.c.d/nn` or `a.b.c.d m.m.m.m`), read back in `system/interface` `ip`;
   * a VIP with `extip 0.0.0.0` answers on its `extintf`'s address (see trace.ts). Default: none (0.0.0.0).
   */
  interfaceAddresses?: Record<string, string>;
  /**
   * `system/settings` of every VDOM (a singleton table: GET answers one object). Only the NAT mode is simulated:
   * `central-nat` (default `disable`) and `ngfw-mode` (default `profile-based`); with central NAT, "virtual IPs
   * (VIPs) are not configured in the firewall policy" (docs.fortinet.com/document/fortigate/7.2.4/
   * administration-guide/448790/central-dnat), and NGFW policy-based mode turns central NAT on (Fortinet KB
   * community.fortinet.com/t5/FortiGate/Technical-Tip-How-to-configure-port-forwarding-Virtual-IPs-when/ta-p/251572).
   */
  systemSettings?: { 'central-nat'?: 'enable' | 'disable'; 'ngfw-mode'?: 'profile-based' | 'policy-based' };
  tokens?: FortiOsSimToken[];
  /** `?access_token=` accepted (`rest-api-key-url-query enable`); off by default as on 7.4.5+. */
  allowUrlToken?: boolean;
  /** Failed authentications from one source before it is blocked with 429 (default 5). */
  lockoutThreshold?: number;
  /** How long a blocked source stays blocked (default 60 s). */
  lockoutMs?: number;
  /** Writes in flight at once before further writes get an HTML 429 (default 4). */
  maxConcurrentWrites?: number;
  /** Time a write takes to process (default 0); makes write bursts observable. */
  writeProcessingMs?: number;
  /** Non-empty policy names must be unique per VDOM (default true; -5 otherwise). */
  uniquePolicyNames?: boolean;
  /**
   * Unit of `transaction-start`'s `timeout`. Unknown for REST (vendor-conformance F23); default `minutes` with the
   * range 1-60 of the CLI form of the same command (`execute config-transaction start <integer>`: "Transaction
   * timeout in minutes (1 - 60)", docs.fortinet.com/document/fortigate/7.6.6/cli-reference/148302082), so a value
   * outside 1-60 is refused. `seconds`: 1-3600 accepted.
   */
  transactionTimeoutUnit?: 'minutes' | 'seconds';
  /**
   * Whether a POST inside a transaction answers the new `mkey` (no vendor source says either way, F16). Default
   * true; false omits it, as a device might. `named`: answered for tables keyed by name (the key is in the body),
   * omitted for policies, whose `policyid: 0` is assigned by the device and might only be known at commit (unknown).
   */
  mkeyInTransaction?: boolean | 'named';
  /**
   * Transaction details no vendor source settles (vendor-conformance F24, F26): `stagedReads` (default true) — a GET
   * carrying X-TRANSACTION-ID sees the transaction's staged objects; `commit` (default true) — `transaction-commit`
   * with `{"transaction-id":N}` is understood (false: answered 400, as a device with another syntax would).
   */
  transactionSemantics?: { stagedReads?: boolean; commit?: boolean };
  /**
   * HTTP status of CLI validation failures. Unknown which one real devices use per case: the reference notes 500,
   * Fortinet's Terraform SDK documents 424 "Failed Dependency – duplicate resource, missing required parameter…
   * invalid attribute value" (TF/sdk/sdkcore/forticlient.go L186-187). Default 500; 424 to exercise the other.
   */
  cliErrorStatus?: 500 | 424;
  /**
   * Whether `filter=<field>==<name>` on a member-list field (`srcaddr`, `member`…) matches a row whose list contains
   * that name. Unknown: no vendor source in reach describes filters on multi-value fields (vendor-conformance F9;
   * TF/website/docs/guides/fgt_filter.html.md shows scalar fields only). Default true (members searched); false: a
   * list field never matches, as a device comparing the whole value would.
   */
  filterListMembers?: boolean;
  /**
   * Answer to a write on a table locked by another open transaction (someone else's REST transaction; an admin's
   * GUI/CLI `config-transaction` session is modelled the same way). No vendor source documents it: the default
   * (HTTP 500, error {@link TRANSACTION_LOCKED_ERROR}, CLI text naming the lock) is inferred. `error: null` omits the
   * code, `cliError: null` the text; a string `cliError` is answered verbatim.
   */
  lockedTableAnswer?: { httpStatus: number; error: number | null; cliError?: string | null };
  now?: () => number;
}

export const FORTIOS_SIM_TOKEN = 'Hk3q8x0cGm5Yw1tZr7Nd2Lb9Vp4Js6';
export const FORTIOS_SIM_READONLY_TOKEN = 'R0aD0nLyT0k3nQw8Zx5Cv2Bn7Mm4Kp';

/** Error code the simulator returns for a write to a table locked by another open transaction. Not documented: inferred. */
export const TRANSACTION_LOCKED_ERROR = -580;

/**
 * The whole committed device configuration, JSON-safe: per-VDOM tables (policies in evaluation order, ids and
 * uuids included) and the revision. Open transactions, lockouts, faults and call counters are not part of it.
 */
export interface FortiOsSimState {
  vdoms: Record<string, Record<TableKey, Row[]>>;
  revision: { counter: number; value: string };
}

interface Transaction {
  id: number;
  vdom: string;
  staged: VdomStore;
  touched: Set<TableKey>;
  expiresAt: number;
  lines: string[];
}

interface Ctx {
  req: SimRequest;
  query: URLSearchParams;
  vdom: string;
  token: FortiOsSimToken;
  tx: Transaction | null;
}

const HTML_HEAD = '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n';

export function html401(): SimResponse {
  return htmlPage(
    401,
    '401 Unauthorized',
    'Unauthorized',
    "This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.",
  );
}

export function html403(): SimResponse {
  return htmlPage(403, '403 Forbidden', 'Forbidden', "You don't have permission to access this resource.");
}

export function html429(): SimResponse {
  return htmlPage(
    429,
    '429 Too Many Requests',
    'Too Many Requests',
    'Access temporarily blocked: Maximum failed authentications reached or too many requests.',
  );
}

function htmlPage(status: number, title: string, h1: string, text: string): SimResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=iso-8859-1' },
    body: `${HTML_HEAD}<title>${title}</title>\n</head><body>\n<h1>${h1}</h1>\n<p>${text}</p>\n</body></html>\n`,
  };
}

/** Fault bodies: HTML for the statuses the web server answers itself, the JSON envelope otherwise. */
export function fortiFaultResponse(status: number, req: SimRequest): SimResponse {
  if (status === 401) return html401();
  if (status === 403) return html403();
  if (status === 429) return html429();
  if (status === 502 || status === 503 || status === 504) {
    return htmlPage(
      status,
      `${status} Service Unavailable`,
      'Service Unavailable',
      'The server is temporarily unable to service your request.',
    );
  }
  return json(status, { http_method: req.method, status: 'error', http_status: status });
}

function json(status: number, body: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body, null, 2) };
}

class HttpFail extends Error {
  constructor(readonly response: SimResponse) {
    super(`HTTP ${response.status}`);
  }
}

export class FortiOsSimulator extends VendorSimulator implements PacketTracer {
  private readonly opts: Required<Omit<FortiOsSimulatorOptions, keyof SimulatorListenOptions>>;
  private readonly versionTuple: [number, number, number];
  private stores = new Map<string, VdomStore>();
  private settings = new Map<string, JsonObject>();
  private transactions = new Map<number, Transaction>();
  private nextTxId = 1;
  private revisionCounter = 0;
  private revisionValue = '';
  private failedAuth = new Map<string, { count: number; blockedUntil: number }>();
  private inFlightWrites = 0;
  /** `table.field` of attributes this firmware does not have, in write order (ignored, see tables.ts FieldSpec). */
  readonly ignoredAttributes: string[] = [];

  constructor(options: FortiOsSimulatorOptions = {}) {
    super(options, fortiFaultResponse);
    this.opts = {
      version: options.version ?? 'v7.4.3',
      build: options.build ?? 2573,
      serial: options.serial ?? 'FGVM02TM24000001',
      vdoms: options.vdoms ?? ['root'],
      interfaces: options.interfaces ?? Array.from({ length: 10 }, (_, i) => `port${i + 1}`),
      interfaceVdoms: options.interfaceVdoms ?? {},
      interfaceAddresses: options.interfaceAddresses ?? {},
      systemSettings: options.systemSettings ?? {},
      tokens: options.tokens ?? [
        { token: FORTIOS_SIM_TOKEN },
        { token: FORTIOS_SIM_READONLY_TOKEN, readOnly: true },
      ],
      allowUrlToken: options.allowUrlToken ?? false,
      lockoutThreshold: options.lockoutThreshold ?? 5,
      lockoutMs: options.lockoutMs ?? 60_000,
      maxConcurrentWrites: options.maxConcurrentWrites ?? 4,
      writeProcessingMs: options.writeProcessingMs ?? 0,
      uniquePolicyNames: options.uniquePolicyNames ?? true,
      transactionTimeoutUnit: options.transactionTimeoutUnit ?? 'minutes',
      mkeyInTransaction: options.mkeyInTransaction ?? true,
      transactionSemantics: { stagedReads: true, commit: true, ...options.transactionSemantics },
      cliErrorStatus: options.cliErrorStatus ?? 500,
      filterListMembers: options.filterListMembers ?? true,
      lockedTableAnswer: options.lockedTableAnswer ?? { httpStatus: 500, error: TRANSACTION_LOCKED_ERROR },
      now: options.now ?? Date.now,
    };
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(this.opts.version);
    this.versionTuple = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [7, 4, 3];
    this.reset();
  }

  // ------------------------------------------------------------------------------------------ lifecycle & test API

  get supportsTransactions(): boolean {
    const [a, b] = this.versionTuple;
    return a > 6 || (a === 6 && b >= 4);
  }

  /** Back to the factory state (built-ins only), no transactions, no lockouts, no faults, counters cleared. */
  reset(): void {
    this.stores = new Map();
    this.settings = new Map(
      this.opts.vdoms.map((v) => [
        v,
        { 'central-nat': 'disable', 'ngfw-mode': 'profile-based', ...this.opts.systemSettings },
      ]),
    );
    this.ignoredAttributes.length = 0;
    for (const vdom of this.opts.vdoms) {
      const store = emptyStore();
      seedBuiltins(
        store,
        this.opts.interfaces,
        this.versionTuple,
        randomUUID,
        (i) => this.interfaceVdom(i),
        (i) => this.opts.interfaceAddresses[i],
      );
      this.stores.set(vdom, store);
    }
    this.transactions.clear();
    this.failedAuth.clear();
    this.inFlightWrites = 0;
    this.bumpRevision();
    this.server.reset();
  }

  private interfaceVdom(name: string): string {
    return this.opts.interfaceVdoms[name] ?? this.opts.vdoms[0];
  }

  /** Deep copy of a committed table. */
  table(table: TableKey, vdom = this.opts.vdoms[0]): Row[] {
    return structuredClone(this.store(vdom)[table]);
  }

  /** Committed policies in evaluation order. */
  policies(vdom = this.opts.vdoms[0]): Row[] {
    return this.table('firewall/policy', vdom);
  }

  get revision(): string {
    return this.revisionValue;
  }

  /** Deep copy of the committed configuration of every VDOM plus the revision (see {@link FortiOsSimState}). */
  get state(): FortiOsSimState {
    const vdoms: Record<string, VdomStore> = {};
    for (const [vdom, store] of this.stores) vdoms[vdom] = structuredClone(store);
    return { vdoms, revision: { counter: this.revisionCounter, value: this.revisionValue } };
  }

  /**
   * Like an admin restoring a configuration backup: replaces every VDOM's committed tables and the revision (no
   * validation). VDOMs absent from the snapshot go back to the factory state, tables absent from a VDOM are empty;
   * open transactions are dropped.
   */
  guiReplace(state: FortiOsSimState): void {
    const stores = new Map<string, VdomStore>();
    for (const vdom of new Set([...this.opts.vdoms, ...Object.keys(state.vdoms)])) {
      const saved = state.vdoms[vdom] as Partial<VdomStore> | undefined;
      const store = emptyStore();
      if (saved) {
        for (const table of TABLES) store[table] = structuredClone(saved[table] ?? []);
      } else {
        seedBuiltins(
          store,
          this.opts.interfaces,
          this.versionTuple,
          randomUUID,
          (i) => this.interfaceVdom(i),
          (i) => this.opts.interfaceAddresses[i],
        );
      }
      stores.set(vdom, store);
    }
    this.stores = stores;
    this.transactions.clear();
    this.revisionCounter = state.revision.counter;
    this.revisionValue = state.revision.value;
  }

  /**
   * What the committed (live) configuration of `vdom` does with one new connection: VIP destination NAT, then
   * policies top-down (vendor order and citations in trace.ts). Open transactions are not live and not consulted.
   */
  trace(packet: SimPacket, vdom = this.opts.vdoms[0]): SimVerdict {
    const settings = this.settings.get(vdom) ?? {};
    const central = settings['central-nat'] === 'enable' || settings['ngfw-mode'] === 'policy-based';
    return traceFortiOs(this.store(vdom), packet, central);
  }

  /** Like an admin changing `config system settings` (only the NAT mode fields are simulated). */
  guiSettings(
    patch: NonNullable<FortiOsSimulatorOptions['systemSettings']>,
    vdom = this.opts.vdoms[0],
  ): void {
    this.settings.set(vdom, { ...this.settings.get(vdom), ...patch });
    this.bumpRevision();
  }

  /** Ids of transactions still open (not committed, aborted or expired). */
  openTransactions(): number[] {
    this.expireTransactions();
    return [...this.transactions.keys()];
  }

  /** Like an admin in the GUI/CLI: validated, committed at once (policies appended; ids auto-assigned). */
  guiAdd(table: TableKey, body: JsonObject, vdom = this.opts.vdoms[0]): Row {
    const store = this.store(vdom);
    const row = this.create(store, table, body);
    this.bumpRevision();
    return structuredClone(row);
  }

  /** Like an admin editing an object (partial update, validated). */
  guiEdit(table: TableKey, mkey: string, body: JsonObject, vdom = this.opts.vdoms[0]): Row {
    const store = this.store(vdom);
    const existing = findRow(store, table, mkey);
    if (!existing) throw new Error(`${table} ${mkey} not found`);
    const row = buildRow(table, body, this.buildContext(store), existing);
    store[table][store[table].indexOf(existing)] = row;
    this.bumpRevision();
    return structuredClone(row);
  }

  /** Moves a policy like the GUI drag and drop (`before`/`after` another policy id). */
  guiMovePolicy(id: number, where: 'before' | 'after', target: number, vdom = this.opts.vdoms[0]): void {
    this.movePolicy(this.store(vdom), text(id), where, text(target));
    this.bumpRevision();
  }

  // --------------------------------------------------------------------------------------------------- pipeline

  async handle(req: SimRequest): Promise<SimResponse> {
    try {
      if (!req.path.startsWith('/api/v2/')) {
        return htmlPage(404, '404 Not Found', 'Not Found', 'The requested URL was not found on this server.');
      }
      const query = new URLSearchParams(req.rawQuery);
      const token = this.authenticate(req, query);
      const path = req.path.replace(/\/+$/, '');
      if (path === '/api/v2/monitor/system/status') {
        if (req.method !== 'GET') return this.methodNotAllowed(req);
        const vdom = this.resolveVdom(query, token);
        return json(200, {
          http_method: 'GET',
          results: {
            model_name: 'FortiGate',
            model_number: 'VM64',
            model: 'FGVM64',
            hostname: 'FGVM-SIM',
            log_disk_status: 'available',
          },
          vdom,
          path: 'system',
          name: 'status',
          action: '',
          status: 'success',
          serial: this.opts.serial,
          version: this.opts.version,
          build: this.opts.build,
        });
      }
      if (path === '/api/v2/cmdb') return this.transactionRoute(req, query, token);
      if (path === '/api/v2/cmdb/system/settings') {
        if (req.method !== 'GET') return this.methodNotAllowed(req);
        const vdom = this.resolveVdom(query, token);
        return json(200, {
          http_method: 'GET',
          revision: this.revisionValue,
          results: formatRow({ ...this.settings.get(vdom)! }, query.get('format')),
          vdom,
          path: 'system',
          name: 'settings',
          status: 'success',
          http_status: 200,
          ...this.tail(),
        });
      }
      const m = /^\/api\/v2\/cmdb\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(path);
      if (!m) {
        // An unencoded `/` in an mkey adds path segments: 400 (reference pitfall 5).
        if (path.startsWith('/api/v2/cmdb/')) return this.envelopeError(req, 400, {});
        return json(404, { http_method: req.method, status: 'error', http_status: 404 });
      }
      const table = `${m[1]}/${m[2]}`;
      if (!isTableKey(table)) {
        return json(404, {
          http_method: req.method,
          status: 'error',
          http_status: 404,
          path: m[1],
          name: m[2],
        });
      }
      const vdomParam = query.get('vdom');
      if (
        req.method === 'GET' &&
        (query.get('global') === '1' || vdomParam === '*' || vdomParam?.includes(','))
      ) {
        const vdoms =
          query.get('global') === '1' || vdomParam === '*' ? this.opts.vdoms : (vdomParam ?? '').split(',');
        const answers = vdoms.map((v) => {
          const q = new URLSearchParams(query);
          q.set('vdom', v);
          q.delete('global');
          const res = this.dispatchTable(req, q, token, table, m[3]);
          return JSON.parse(res.body ?? '{}') as Json;
        });
        return json(200, answers);
      }
      const ctx = this.context(req, query, token);
      return await this.tableRoute(ctx, table, m[3] === undefined ? undefined : decodeURIComponent(m[3]));
    } catch (err) {
      if (err instanceof HttpFail) return err.response;
      throw err;
    }
  }

  private dispatchTable(
    req: SimRequest,
    query: URLSearchParams,
    token: FortiOsSimToken,
    table: TableKey,
    rawMkey: string | undefined,
  ): SimResponse {
    try {
      const ctx = this.context(req, query, token);
      return this.getRoute(ctx, table, rawMkey === undefined ? undefined : decodeURIComponent(rawMkey));
    } catch (err) {
      if (err instanceof HttpFail) return err.response;
      throw err;
    }
  }

  private methodNotAllowed(req: SimRequest): SimResponse {
    return json(405, { http_method: req.method, status: 'error', http_status: 405 });
  }

  private authenticate(req: SimRequest, query: URLSearchParams): FortiOsSimToken {
    const source = req.remoteAddress.replace(/^::ffff:/, '');
    const now = this.opts.now();
    const record = this.failedAuth.get(source);
    if (record && record.blockedUntil > now) throw new HttpFail(html429());
    const fail = (): HttpFail => {
      const r = this.failedAuth.get(source) ?? { count: 0, blockedUntil: 0 };
      r.count += 1;
      if (r.count >= this.opts.lockoutThreshold) {
        r.blockedUntil = now + this.opts.lockoutMs;
        r.count = 0;
      }
      this.failedAuth.set(source, r);
      return new HttpFail(html401());
    };
    const header = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    let presented: string | null = null;
    const bearer = /^Bearer\s+(\S+)$/.exec(header);
    if (bearer) presented = bearer[1];
    else if (header !== '') throw fail();
    const urlToken = query.get('access_token');
    if (presented === null && urlToken !== null) {
      if (!this.opts.allowUrlToken) throw fail(); // "REST API key in URL parameters is disabled."
      presented = urlToken;
    }
    const token = this.opts.tokens.find((t) => t.token === presented);
    if (!token) throw fail();
    const trusted = token.trustedHosts ?? ['127.0.0.0/8'];
    if (!isIPv4(source) || !trusted.some((cidr) => inCidr(source, cidr))) throw fail();
    this.failedAuth.delete(source);
    return token;
  }

  private resolveVdom(query: URLSearchParams, token: FortiOsSimToken): string {
    const vdom = query.get('vdom') ?? this.opts.vdoms[0];
    if (!this.stores.has(vdom) || (token.vdoms && !token.vdoms.includes(vdom))) throw new HttpFail(html403());
    return vdom;
  }

  private context(req: SimRequest, query: URLSearchParams, token: FortiOsSimToken): Ctx {
    const vdom = this.resolveVdom(query, token);
    const header = req.headers['x-transaction-id'];
    const raw = Array.isArray(header) ? header[0] : header;
    let tx: Transaction | null = null;
    if (raw !== undefined && raw !== '') {
      this.expireTransactions();
      tx = this.transactions.get(Number(raw)) ?? null;
      if (!tx || tx.vdom !== vdom) {
        throw new HttpFail(
          this.envelopeError(req, 500, { vdom, error: -3, cli_error: `transaction ${raw} not found\n` }),
        );
      }
    }
    return { req, query, vdom, token, tx };
  }

  private store(vdom: string): VdomStore {
    const s = this.stores.get(vdom);
    if (!s) throw new Error(`unknown vdom ${vdom}`);
    return s;
  }

  private buildContext(store: VdomStore): BuildContext {
    return { version: this.versionTuple, store, newUuid: randomUUID, ignored: this.ignoredAttributes };
  }

  private bumpRevision(): void {
    this.revisionCounter += 1;
    this.revisionValue = createHash('md5')
      .update(`fortios-sim-${this.revisionCounter}-${randomUUID()}`)
      .digest('hex');
  }

  private base(ctx: Ctx, table: TableKey): JsonObject {
    const [path, name] = table.split('/');
    return { http_method: ctx.req.method, revision: this.revisionValue, vdom: ctx.vdom, path, name };
  }

  private tail(): JsonObject {
    return { serial: this.opts.serial, version: this.opts.version, build: this.opts.build };
  }

  private envelopeError(req: SimRequest, status: number, extra: JsonObject): SimResponse {
    return json(status, {
      http_method: req.method,
      revision: this.revisionValue,
      ...extra,
      status: 'error',
      http_status: status,
      ...this.tail(),
    });
  }

  // --------------------------------------------------------------------------------------------------- CMDB tables

  private async tableRoute(ctx: Ctx, table: TableKey, mkey: string | undefined): Promise<SimResponse> {
    const method = ctx.req.method;
    if (method === 'GET') return this.getRoute(ctx, table, mkey);
    const allowed = mkey === undefined ? ['POST', 'DELETE'] : ['PUT', 'DELETE'];
    if (!allowed.includes(method)) return this.methodNotAllowed(ctx.req);
    if (ctx.token.readOnly || SCHEMAS[table].readOnly) return html403();
    const action = ctx.query.get('action');
    if (method === 'PUT' && action === 'move')
      return this.write(ctx, table, (s) => this.moveRoute(ctx, s, table, mkey!));
    if (action !== null && action !== 'move') return this.envelopeError(ctx.req, 400, this.base(ctx, table));
    let body: JsonObject = {};
    if (method === 'POST' || method === 'PUT') {
      let parsed: unknown;
      try {
        parsed = ctx.req.text.trim() === '' ? {} : JSON.parse(ctx.req.text);
      } catch {
        return this.envelopeError(ctx.req, 400, this.base(ctx, table));
      }
      if (!isObj(parsed)) return this.envelopeError(ctx.req, 400, this.base(ctx, table));
      body = parsed;
    }
    if (method === 'POST') {
      return this.write(ctx, table, (s): JsonObject => {
        const mkey = mkeyJson(table, mkeyOf(table, this.create(s, table, body)));
        // Unknown whether a transactional POST answers the mkey (F16): switchable, see the option.
        const answered =
          this.opts.mkeyInTransaction === 'named' ? table !== 'firewall/policy' : this.opts.mkeyInTransaction;
        return ctx.tx && !answered ? {} : { mkey };
      });
    }
    if (method === 'PUT') {
      return this.write(ctx, table, (s) => {
        const existing = findRow(s, table, mkey!);
        if (!existing) throw new HttpFail(this.notFound(ctx, table, mkey!));
        if (table === 'firewall/policy') this.checkPolicyName(s, body, existing);
        const row = buildRow(table, body, this.buildContext(s), existing);
        s[table][s[table].indexOf(existing)] = row;
        return { mkey: mkeyJson(table, mkey!) };
      });
    }
    if (mkey === undefined) {
      // DELETE on the collection purges every unreferenced entry (reference pitfall 6): emulated to catch bugs.
      return this.write(ctx, table, (s) => {
        s[table] = s[table].filter((r) => referencesTo(s, table, mkeyOf(table, r)) > 0);
        return {};
      });
    }
    return this.write(ctx, table, (s) => {
      const existing = findRow(s, table, mkey);
      if (!existing) throw new HttpFail(this.notFound(ctx, table, mkey));
      const refs = referencesTo(s, table, mkey);
      if (refs > 0) {
        throw new CliError(
          -23,
          `The entry is used by other ${refs} entries\nCommand fail. Return code -23\n`,
        );
      }
      s[table].splice(s[table].indexOf(existing), 1);
      return { mkey: mkeyJson(table, mkey) };
    });
  }

  private notFound(ctx: Ctx, table: TableKey, mkey: string): SimResponse {
    return this.envelopeError(ctx.req, 404, { ...this.base(ctx, table), mkey: mkeyJson(table, mkey) });
  }

  private create(store: VdomStore, table: TableKey, body: JsonObject): Row {
    const spec = SCHEMAS[table];
    const input = { ...body };
    if (table === 'firewall/policy') {
      const requested = input.policyid;
      if (requested === undefined || requested === 0 || requested === '0') {
        // policyid 0 = next free id.
        const max = store[table].reduce((acc, r) => Math.max(acc, Number(r.policyid)), 0);
        input.policyid = max + 1;
      } else if (findRow(store, table, text(requested)) !== undefined) {
        throw new CliError(
          -5,
          `object already exists (mkey='${text(requested)}')\nCommand fail. Return code -5\n`,
        );
      }
      this.checkPolicyName(store, input, undefined);
    } else {
      const name = input.name;
      if (typeof name === 'string' && findRow(store, table, name) !== undefined) {
        throw new CliError(-5, `object already exists (mkey='${name}')\nCommand fail. Return code -5\n`);
      }
      if (spec.namespace && typeof name === 'string' && findRow(store, spec.namespace, name) !== undefined) {
        const label = (t: TableKey): string => (t.includes('grp') ? 'address group' : 'address');
        throw new CliError(
          -163,
          `Name '${name}' conflict: '${label(table)}' and '${label(spec.namespace)}' cannot be the same name.\nCommand fail. Return code -163\n`,
        );
      }
    }
    const row = buildRow(table, input, this.buildContext(store));
    store[table].push(row);
    return row;
  }

  private checkPolicyName(store: VdomStore, body: JsonObject, existing: Row | undefined): void {
    const name = body.name;
    if (!this.opts.uniquePolicyNames || typeof name !== 'string' || name === '') return;
    const clash = store['firewall/policy'].find((r) => r.name === name && r !== existing);
    if (clash) {
      throw new CliError(
        -5,
        `duplicate policy name '${name}' (policy ${text(clash.policyid)})\nCommand fail. Return code -5\n`,
      );
    }
  }

  private moveRoute(ctx: Ctx, store: VdomStore, table: TableKey, mkey: string): JsonObject {
    if (table !== 'firewall/policy')
      throw new HttpFail(this.envelopeError(ctx.req, 400, this.base(ctx, table)));
    const before = ctx.query.get('before');
    const after = ctx.query.get('after');
    if ((before === null) === (after === null)) {
      throw new HttpFail(this.envelopeError(ctx.req, 400, { ...this.base(ctx, table), action: 'move' }));
    }
    const where = before !== null ? 'before' : 'after';
    const target = (before ?? after)!;
    if (!findRow(store, table, mkey) || !findRow(store, table, target)) {
      throw new HttpFail(
        this.envelopeError(ctx.req, 404, { ...this.base(ctx, table), mkey: Number(mkey), action: 'move' }),
      );
    }
    this.movePolicy(store, mkey, where, target);
    return { mkey: Number(mkey), action: 'move' };
  }

  private movePolicy(store: VdomStore, mkey: string, where: 'before' | 'after', target: string): void {
    const list = store['firewall/policy'];
    const row = findRow(store, 'firewall/policy', mkey);
    if (!row || mkey === target) return;
    list.splice(list.indexOf(row), 1);
    const at = list.findIndex((r) => text(r.policyid) === target);
    if (at === -1) throw new Error(`policy ${target} not found`);
    list.splice(where === 'before' ? at : at + 1, 0, row);
  }

  /**
   * Runs a write on the committed store (or a transaction's staged copy) with the envelope, revision bookkeeping,
   * transaction table locks and the write-burst 429.
   */
  private async write(ctx: Ctx, table: TableKey, fn: (store: VdomStore) => JsonObject): Promise<SimResponse> {
    if (this.inFlightWrites >= this.opts.maxConcurrentWrites) return html429();
    this.inFlightWrites += 1;
    try {
      if (this.opts.writeProcessingMs > 0) await this.server.delay(this.opts.writeProcessingMs);
      this.expireTransactions();
      const locker = [...this.transactions.values()].find(
        (t) => t !== ctx.tx && t.vdom === ctx.vdom && t.touched.has(table),
      );
      if (locker) {
        // Inferred answer (see the option): no vendor source shows what a locked table answers.
        const { httpStatus, error, cliError } = this.opts.lockedTableAnswer;
        const text =
          cliError === undefined
            ? `table ${table.replace('/', ' ')} is locked by transaction ${locker.id}\nCommand fail.${error === null ? '' : ` Return code ${error}`}\n`
            : cliError;
        return this.envelopeError(ctx.req, httpStatus, {
          ...this.base(ctx, table),
          revision_changed: false,
          ...(error === null ? {} : { error }),
          ...(text === null ? {} : { cli_error: text }),
        });
      }
      const store = ctx.tx ? ctx.tx.staged : this.store(ctx.vdom);
      const oldRevision = this.revisionValue;
      let extra: JsonObject;
      try {
        extra = fn(store);
      } catch (err) {
        if (err instanceof CliError) {
          const status = err.httpStatus === 500 ? this.opts.cliErrorStatus : err.httpStatus;
          return this.envelopeError(ctx.req, status, {
            ...this.base(ctx, table),
            revision_changed: false,
            cli_error: err.cliText,
            error: err.code,
          });
        }
        throw err;
      }
      if (ctx.tx) {
        ctx.tx.touched.add(table);
        ctx.tx.lines.push(...cliLines(ctx.req.method, table, extra.mkey ?? null, ctx.req.text));
      } else {
        this.bumpRevision();
      }
      return json(200, {
        ...this.base(ctx, table),
        revision: this.revisionValue,
        revision_changed: ctx.tx === null,
        old_revision: oldRevision,
        ...extra,
        status: 'success',
        http_status: 200,
        ...this.tail(),
      });
    } finally {
      this.inFlightWrites -= 1;
    }
  }

  private getRoute(ctx: Ctx, table: TableKey, mkey: string | undefined): SimResponse {
    const staged = ctx.tx && this.opts.transactionSemantics.stagedReads !== false;
    const store = staged ? ctx.tx!.staged : this.store(ctx.vdom);
    const withMeta = ctx.query.get('with_meta') === '1';
    const render = (r: Row): JsonObject =>
      renderRow(table, r, withMeta ? referencesTo(store, table, mkeyOf(table, r)) : null);
    if (mkey !== undefined) {
      const row = findRow(store, table, mkey);
      if (!row) return this.notFound(ctx, table, mkey);
      return json(200, {
        ...this.base(ctx, table),
        results: [formatRow(render(row), ctx.query.get('format'))],
        mkey: mkeyJson(table, mkey),
        status: 'success',
        http_status: 200,
        ...this.tail(),
      });
    }
    // filter → sort → page → format, regardless of their order in the URL.
    const size = store[table].length;
    let rows = store[table].map(render);
    const filters = ctx.query.getAll('filter');
    for (const f of filters) rows = rows.filter((r) => matchesFilter(r, f, this.opts.filterListMembers));
    const matched = rows.length;
    const sort = ctx.query.get('sort');
    if (sort) {
      const [key, dir] = sort.split(',');
      rows = [...rows].sort((a, b) => compareJson(a[key] ?? null, b[key] ?? null) * (dir === 'dsc' ? -1 : 1));
    }
    const start = Number(ctx.query.get('start') ?? 0);
    const count = Number(ctx.query.get('count') ?? 0);
    if (ctx.query.has('start') || ctx.query.has('count')) {
      if (start > matched || count > size) return this.envelopeError(ctx.req, 400, this.base(ctx, table));
      if (!(start < 0 || count < 0 || (start === 0 && count === 0) || start + count > matched)) {
        rows = rows.slice(start, start + count);
      }
    }
    const format = ctx.query.get('format');
    return json(200, {
      ...this.base(ctx, table),
      results: rows.map((r) => formatRow(r, format)),
      size,
      matched_count: matched,
      next_idx: rows.length > 0 ? start + rows.length - 1 : -1,
      status: 'success',
      http_status: 200,
      ...this.tail(),
    });
  }

  // --------------------------------------------------------------------------------------------------- transactions

  private expireTransactions(): void {
    const now = this.opts.now();
    for (const [id, tx] of this.transactions) if (tx.expiresAt <= now) this.transactions.delete(id);
  }

  private transactionRoute(req: SimRequest, query: URLSearchParams, token: FortiOsSimToken): SimResponse {
    const action = query.get('action') ?? '';
    const vdom = this.resolveVdom(query, token);
    const base = { http_method: req.method, revision: this.revisionValue, vdom, action };
    if (!this.supportsTransactions || !action.startsWith('transaction-')) {
      return this.envelopeError(req, 400, { vdom, action });
    }
    this.expireTransactions();
    if (req.method === 'GET' && action === 'transaction-list') {
      const results = [...this.transactions.values()].map((t) => ({
        'transaction-id': t.id,
        vdom: t.vdom,
        'remaining-time': Math.max(0, Math.round((t.expiresAt - this.opts.now()) / 1000)),
      }));
      return json(200, { ...base, results, status: 'success', http_status: 200, ...this.tail() });
    }
    if (req.method === 'GET' && action === 'transaction-show') {
      const tx = this.transactions.get(Number(query.get('transaction-id')));
      if (!tx) return this.envelopeError(req, 404, base);
      return json(200, { ...base, results: tx.lines, status: 'success', http_status: 200, ...this.tail() });
    }
    if (req.method !== 'POST') return this.methodNotAllowed(req);
    if (token.readOnly) return html403();
    let body: JsonObject = {};
    try {
      const parsed: unknown = req.text.trim() === '' ? {} : JSON.parse(req.text);
      if (isObj(parsed)) body = parsed;
    } catch {
      return this.envelopeError(req, 400, base);
    }
    if (action === 'transaction-start') {
      const minutes = this.opts.transactionTimeoutUnit === 'minutes';
      const raw = typeof body.timeout === 'number' ? body.timeout : minutes ? 1 : 60;
      if (minutes && (raw < 1 || raw > 60 || !Number.isInteger(raw))) {
        // Unknown how a device words this (no source); a CLI-style input error as for other bad values.
        return this.envelopeError(req, 500, {
          ...base,
          error: -651,
          cli_error: `timeout ${raw} out of range (1-60 minutes)\nCommand fail. Return code -651\n`,
        });
      }
      const timeout = minutes ? raw * 60 : Math.min(Math.max(raw, 1), 3600);
      const tx: Transaction = {
        id: this.nextTxId++,
        vdom,
        staged: structuredClone(this.store(vdom)),
        touched: new Set(),
        expiresAt: this.opts.now() + timeout * 1000,
        lines: [],
      };
      this.transactions.set(tx.id, tx);
      return json(200, {
        ...base,
        revision_changed: false,
        results: { 'transaction-id': tx.id },
        status: 'success',
        http_status: 200,
        ...this.tail(),
      });
    }
    const id = Number(body['transaction-id']);
    const tx = this.transactions.get(id);
    if (!tx || tx.vdom !== vdom) {
      return this.envelopeError(req, 500, { ...base, error: -3, cli_error: `transaction ${id} not found\n` });
    }
    if (action === 'transaction-abort') {
      this.transactions.delete(id);
      return json(200, {
        ...base,
        revision_changed: false,
        status: 'success',
        http_status: 200,
        ...this.tail(),
      });
    }
    if (action !== 'transaction-commit' || this.opts.transactionSemantics.commit === false) {
      return this.envelopeError(req, 400, base);
    }
    this.transactions.delete(id);
    const live = this.store(vdom);
    const merged: VdomStore = { ...live };
    for (const table of tx.touched) merged[table] = tx.staged[table];
    const dangling = danglingReferences(merged);
    if (dangling.length > 0) {
      return this.envelopeError(req, 500, {
        ...base,
        error: -651,
        cli_error: `node_check_object fail! for name ${dangling[0]}\nCommand fail. Return code -651\n`,
      });
    }
    const oldRevision = this.revisionValue;
    for (const table of tx.touched) live[table] = tx.staged[table];
    if (tx.touched.size > 0) this.bumpRevision();
    return json(200, {
      ...base,
      revision: this.revisionValue,
      revision_changed: tx.touched.size > 0,
      old_revision: oldRevision,
      status: 'success',
      http_status: 200,
      ...this.tail(),
    });
  }
}

function mkeyJson(table: TableKey, mkey: string): Json {
  return SCHEMAS[table].mkey === 'policyid' ? Number(mkey) : mkey;
}

/** Every item and nested member carries `q_origin_key`. */
function renderRow(table: TableKey, row: Row, refs: number | null): JsonObject {
  const out: JsonObject = { q_origin_key: mkeyJson(table, mkeyOf(table, row)) };
  for (const [k, v] of Object.entries(row)) {
    out[k] = Array.isArray(v)
      ? v.map((m) => (isObj(m) ? { ...m, q_origin_key: m.name ?? m.range ?? null } : m))
      : v;
  }
  if (refs !== null) {
    out.q_ref = refs;
    out.q_static = false;
    out.q_no_rename = false;
    out.q_global_entry = false;
    out.q_type = 0;
    out.q_path = table.split('/')[0];
    out.q_name = table.split('/')[1];
    out.q_mkey_type = SCHEMAS[table].mkey === 'policyid' ? 'integer' : 'string';
    out.q_no_edit = false;
  }
  return out;
}

/** `format=a|b|c`: only these fields (+ `q_origin_key`); an unknown field ⇒ every field. */
function formatRow(row: JsonObject, format: string | null): JsonObject {
  if (!format) return row;
  const fields = format.split('|').filter((f) => f !== '');
  if (fields.some((f) => !(f in row))) return row;
  const out: JsonObject = { q_origin_key: row.q_origin_key };
  for (const f of fields) out[f] = row[f];
  return out;
}

const FILTER = /^([A-Za-z0-9_-]+)(==|=\*|!=|!\*|=@|!@|<=|>=|<|>)(.*)$/s;

/**
 * One `filter=` value: comma = OR; `==`/`!=` case-sensitive, the others case-insensitive; nested members searched
 * unless `listMembers` is false (then a list field matches nothing, see `filterListMembers`).
 */
export function matchesFilter(row: JsonObject, filter: string, listMembers = true): boolean {
  return splitUnescaped(filter, ',').some((term) => {
    const m = FILTER.exec(term);
    if (!m) return false;
    const [, key, op, rawPattern] = m;
    const pattern = rawPattern.replace(/\\(.)/g, '$1');
    const value = row[key];
    const candidates: string[] = Array.isArray(value)
      ? listMembers
        ? value.map((v) => (isObj(v) ? text(v.name ?? '') : text(v)))
        : []
      : value === undefined || value === null
        ? []
        : [text(value)];
    const test = (c: string): boolean => {
      const ci = c.toLowerCase();
      const pi = pattern.toLowerCase();
      switch (op) {
        case '==':
          return c === pattern;
        case '=*':
          return ci === pi;
        case '!=':
          return c !== pattern;
        case '!*':
          return ci !== pi;
        case '=@':
          return ci.includes(pi);
        case '!@':
          return !ci.includes(pi);
        default: {
          const a = Number(c);
          const b = Number(pattern);
          const [x, y]: [number | string, number | string] =
            Number.isNaN(a) || Number.isNaN(b) ? [c, pattern] : [a, b];
          return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
        }
      }
    };
    if (op === '!=' || op === '!*' || op === '!@') return candidates.every(test);
    return candidates.some(test);
  });
}

function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      cur += text[i] + text[i + 1];
      i++;
    } else if (text[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += text[i];
  }
  out.push(cur);
  return out;
}

function compareJson(a: Json, b: Json): number {
  const x = typeof a === 'number' ? a : JSON.stringify(a);
  const y = typeof b === 'number' ? b : JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const len = Number(lenText ?? 32);
  const toInt = (s: string): number => s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - len);
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(net) / size);
}

/** Cached CLI lines shown by `transaction-show` (approximation of the real `config … edit … set … next end`). */
function cliLines(method: string, table: TableKey, mkey: Json, requestText: string): string[] {
  const section = `config ${table.replace('/', ' ').replace('.', ' ')}`;
  if (method === 'DELETE') return [section, `delete "${text(mkey)}"`, 'end'];
  const lines = [section, `edit ${typeof mkey === 'number' ? mkey : `"${text(mkey)}"`}`];
  try {
    const body: unknown = requestText ? JSON.parse(requestText) : {};
    if (isObj(body)) {
      for (const [k, v] of Object.entries(body)) {
        if (k === 'name' || k === 'policyid') continue;
        const value = Array.isArray(v)
          ? v.map((m) => `"${isObj(m) ? text(m.name ?? m.range) : text(m)}"`).join(' ')
          : `"${text(v)}"`;
        lines.push(`set ${k} ${value}`);
      }
    }
  } catch {
    // move has no body
  }
  lines.push('next', 'end');
  return lines;
}

/** Every table key the simulator serves (for docs/tests). */
export const FORTIOS_SIM_TABLES: readonly TableKey[] = TABLES;

/** Starts a FortiOS simulator on 127.0.0.1 (ephemeral port unless given). */
export async function startFortiOsSimulator(
  options: FortiOsSimulatorOptions = {},
): Promise<FortiOsSimulator> {
  const sim = new FortiOsSimulator(options);
  await sim.start();
  return sim;
}
