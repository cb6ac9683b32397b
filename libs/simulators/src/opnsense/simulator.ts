import { createHash, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { PacketTracer, SimPacket, SimVerdict } from '../core/packet-trace';
import type { SimRequest, SimResponse } from '../core/server';
import { VendorSimulator, type SimulatorListenOptions } from '../core/vendor-simulator';
import {
  aliasDefaults,
  aliasUses,
  builtinAliases,
  renderAliasItem,
  renderAliasNode,
  renderRuleNode,
  ruleDefaults,
  ruleLabel,
  rulePriority,
  ruleRefs,
  sortedRuleUuids,
  validateAlias,
  validateRule,
  WELL_KNOWN_PORTS,
  type Fields,
  type InterfaceDef,
  type ModelContext,
  type OpnConfig,
  type Validations,
} from './models';
import {
  NAT_DEFAULTS,
  NatPhpWarning,
  nextNatSequence,
  renderNatNode,
  setNatNodes,
  traceOpnSense,
  validateNat,
} from './nat';
import { featuresOf, parseVersion, type OpnFeatures } from './version';

/** ACL privileges the simulator knows (`page-all` grants everything). */
export type OpnPrivilege =
  | 'page-all'
  | 'page-filter-api'
  | 'page-firewall-alias-edit'
  | 'page-firewall-aliases'
  /** ACL.xml (26.1+): `api/firewall/d_nat/*` belongs to page-firewall-nat-portforward-edit. */
  | 'page-firewall-nat-portforward-edit'
  | 'page-system-firmware'
  | 'page-status-interfaces';

export interface OpnSimKey {
  key: string;
  secret: string;
  username?: string;
  /** The key's user is disabled. */
  disabled?: boolean;
  /** The key's user expired at this time (epoch ms). */
  expiresAt?: number;
  /** Default `['page-all']`. */
  privileges?: OpnPrivilege[];
}

export interface OpnSenseSeed {
  aliases?: Fields[];
  rules?: Fields[];
  /** Port forwards made in the GUI (flat keys as in `searchRule` rows: `destination.port`, `local-port`). 26.1+. */
  nat?: Fields[];
}

/**
 * The whole device as JSON: config.xml's rules and aliases (uuids, sequences), the running filter (`applied`,
 * which may lag behind), rules the last reload disabled, the savepoint/save backups (oldest first) and the revision
 * clock. Transient things (rollback timer, syslog, faults, call counters) are not part of it.
 */
export interface OpnSenseSimState extends OpnConfig {
  applied: OpnConfig;
  inactiveRules: string[];
  backups: { revision: string; rules: Record<string, Fields> }[];
  lastRevision: number;
}

export interface OpnSenseSimulatorOptions extends SimulatorListenOptions {
  /** Firmware version; every version-dependent behaviour follows from it (default 25.7.5). */
  version?: string;
  keys?: OpnSimKey[];
  /** Interface ids and descriptions (default wan/WAN, lan/LAN, opt1/OPT1, opt2/OPT2). */
  interfaces?: InterfaceDef[];
  /** Initial automation rules and aliases (made "in the GUI", already applied). Default: none. */
  seed?: OpnSenseSeed;
  /** Rollback window armed by `apply/{revision}` (real devices: 60 s). Tests use well under a second. */
  rollbackTimerMs?: number;
  /** `system/backupcount`: savepoint backups older than this many saves are gone (default 100). */
  backupCount?: number;
  /**
   * core#10721: the revision returned by `savepoint` does not name a backup file, so the rollback silently never
   * fires. Default: what the firmware does (on for 25.7-26.1.x, see `OpnFeatures.rollbackRestores`); a test may
   * force it either way.
   */
  revisionMismatchBug?: boolean;
  /**
   * Time a write spends between reading config.xml and saving it (default 0). Before 25.1.3 add/set/toggle take no
   * lock, so concurrent writes then lose updates, as on the real box.
   */
  writeProcessingMs?: number;
  now?: () => number;
}

const keyMaterial = (label: string): string =>
  createHash('sha512').update(label).digest().subarray(0, 60).toString('base64');

/** Test-only credentials (80-character base64 like real OPNsense keys). */
export const OPNSENSE_SIM_KEY = keyMaterial('utm-orchestrator opnsense simulator key');
export const OPNSENSE_SIM_SECRET = keyMaterial('utm-orchestrator opnsense simulator secret');

export const DEFAULT_OPNSENSE_INTERFACES: InterfaceDef[] = [
  { id: 'wan', descr: 'WAN', address: '203.0.113.2', network: '203.0.113.0/24' },
  { id: 'lan', descr: 'LAN', address: '10.20.0.1', network: '10.20.0.0/16' },
  { id: 'opt1', descr: 'OPT1', address: '10.10.0.1', network: '10.10.0.0/24' },
  { id: 'opt2', descr: 'OPT2', address: '10.30.0.1', network: '10.30.0.0/24' },
];

const JSON_TYPE = 'application/json; charset=UTF-8';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** PHP json_encode: slashes escaped (valid JSON, but clients must really parse it). */
function json(body: unknown, status = 200): SimResponse {
  return {
    status,
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify(body).replace(/\//g, '\\/'),
  };
}

/**
 * One page of a search grid (rules and aliases): every whitespace-separated token of `phrase` (already
 * lowercased) must occur, case-insensitively, in some string column (AND); `rowCount` -1 is every row.
 * UIModelGrid / searchRecordsetBase (reference/opnsense-api.md §2.3).
 */
function gridPage(
  rows: Record<string, unknown>[],
  phrase: string,
  current: number,
  rowCount: number,
): SimResponse {
  const tokens = phrase === '' ? [] : phrase.split(/\s+/);
  const matching = rows.filter((row) =>
    tokens.every((t) => Object.values(row).some((v) => typeof v === 'string' && v.toLowerCase().includes(t))),
  );
  const page = rowCount < 0 ? matching : matching.slice((current - 1) * rowCount, current * rowCount);
  return json({ total: matching.length, rowCount: page.length, current, rows: page });
}

/** UserException → HTTP 500 `{"errorMessage","errorTitle"}`. */
class UserException extends Error {
  constructor(
    message: string,
    readonly title: string,
  ) {
    super(message);
  }
}

/** A PHP warning (e.g. "Array to string conversion") turned into an exception → 500 "Unexpected error". */
class PhpWarning extends Error {}

interface Ctx {
  req: SimRequest;
  isPost: boolean;
  params: string[];
  get: Record<string, unknown>;
  post: Record<string, unknown>;
  request: Record<string, unknown>;
  username: string;
}

interface Action {
  minParams: number;
  privilege: OpnPrivilege;
  available?: (f: OpnFeatures) => boolean;
  handle: (ctx: Ctx) => SimResponse | Promise<SimResponse>;
}

interface RollbackTimer {
  revision: string;
  deadline: number;
  handle: NodeJS.Timeout;
}

const clone = <T>(value: T): T => structuredClone(value);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Router::parsePath: snake_case and camelCase reach the same (case-insensitive) PHP method. */
function norm(segment: string): string {
  return segment.replace(/_/g, '').toLowerCase();
}

/** PHP-style form decoding, including `rule[field]=value` nesting. */
function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1], ...[...m[2].matchAll(/\[([^\]]*)\]/g)].map((x) => x[1])];
    let node: Record<string, unknown> = out;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      node = isRecord(next) ? next : (node[path[i]] = {});
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

function intParam(value: unknown, fallback: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return fallback;
}

function strParam(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** BaseField::setNodes: only known keys, null skipped, scalars cast to string, arrays are a PHP warning. */
function setNodes(node: Fields, input: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(input)) {
    if (!(key in node) || value === null || value === undefined) continue;
    if (typeof value === 'boolean') node[key] = value ? '1' : '';
    else if (typeof value === 'string' || typeof value === 'number') node[key] = String(value);
    else throw new PhpWarning('Array to string conversion');
  }
}

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * Simulator of the OPNsense automation filter + alias API (reference/opnsense-api.md §8): routing with
 * snake/camelCase, 404 dispatch errors before auth, key+secret Basic auth with the exact 401/403 bodies, JSON/form
 * body decoding, HTTP-200 `{"result":"failed","validations"}` errors, uuids and upserts, the config (stored) versus
 * the running filter (applied), savepoint + `apply/{rev}` + single-slot rollback timer + cancelRollback/revert,
 * version-dependent features, and the traps (searchRule interface filter and POST-only paging, alias in use,
 * `apply` answering OK while pf kept the old rules, lost updates before 25.1.3).
 */
export class OpnSenseSimulator extends VendorSimulator implements PacketTracer {
  readonly features: OpnFeatures;
  readonly version: string;
  /** Test hook: runs right after every filter `apply` was handled (e.g. a concurrent edit by an admin). */
  afterApply: ((sim: OpnSenseSimulator) => void) | null = null;
  private config: OpnConfig = { rules: {}, aliases: {}, nat: {} };
  private appliedConfig: OpnConfig = { rules: {}, aliases: {}, nat: {} };
  private readonly backups = new Map<string, Record<string, Fields>>();
  private timer: RollbackTimer | null = null;
  private lastRevision = 0;
  private rejectNext = false;
  private readonly syslogLines: string[] = [];
  private inactive: string[] = [];
  private readonly lock = new Mutex();
  private readonly opts: {
    keys: OpnSimKey[];
    interfaces: InterfaceDef[];
    seed: OpnSenseSeed;
    rollbackTimerMs: number;
    backupCount: number;
    revisionMismatchBug: boolean;
    writeProcessingMs: number;
    now: () => number;
  };
  private readonly actions: Map<string, Action>;

  constructor(options: OpnSenseSimulatorOptions = {}) {
    super(options, (status) => faultBody(status));
    this.version = options.version ?? '25.7.5';
    parseVersion(this.version);
    this.features = featuresOf(this.version);
    this.opts = {
      keys: options.keys ?? [{ key: OPNSENSE_SIM_KEY, secret: OPNSENSE_SIM_SECRET, username: 'automation' }],
      interfaces: options.interfaces ?? DEFAULT_OPNSENSE_INTERFACES,
      seed: options.seed ?? {},
      rollbackTimerMs: options.rollbackTimerMs ?? 60_000,
      backupCount: options.backupCount ?? 100,
      revisionMismatchBug: options.revisionMismatchBug ?? !this.features.rollbackRestores,
      writeProcessingMs: options.writeProcessingMs ?? 0,
      now: options.now ?? Date.now,
    };
    this.actions = this.buildActions();
    this.reset();
  }

  // ------------------------------------------------------------------------------------------ lifecycle & test API

  override async stop(): Promise<void> {
    this.clearTimer();
    await super.stop();
  }

  /** Back to the seed: nothing pending, no timer, no backups, no faults, counters cleared. */
  reset(): void {
    this.clearTimer();
    this.config = { rules: {}, aliases: {}, nat: {} };
    this.backups.clear();
    this.syslogLines.length = 0;
    this.rejectNext = false;
    this.afterApply = null;
    for (const a of this.opts.seed.aliases ?? []) this.guiAddAlias(a);
    for (const r of this.opts.seed.rules ?? []) this.guiAddRule(r);
    for (const n of this.opts.seed.nat ?? []) this.guiAddNat(n);
    this.appliedConfig = clone(this.config);
    this.inactive = [];
    this.server.reset();
  }

  /**
   * Deep copy of config.xml's automation rules and aliases (what the API reads and writes). Its JSON form
   * (`JSON.stringify`, via a non-enumerable `toJSON`) is the whole device, {@link OpnSenseSimState}: also the
   * running filter, the savepoint backups and the revision clock, so `guiReplace(JSON.parse(...))` restores it.
   */
  get state(): OpnConfig {
    const snapshot: OpnSenseSimState = {
      ...clone(this.config),
      applied: clone(this.appliedConfig),
      inactiveRules: [...this.inactive],
      backups: [...this.backups].map(([revision, rules]) => ({ revision, rules: clone(rules) })),
      lastRevision: this.lastRevision,
    };
    const out = clone(this.config);
    Object.defineProperty(out, 'toJSON', { value: () => snapshot, enumerable: false });
    return out;
  }

  /**
   * Like an admin restoring a configuration backup: replaces config.xml, the running filter, the backups and the
   * revision clock (no validation). A bare {@link OpnConfig} is taken as saved and applied, with no backups. The
   * rollback timer, syslog, faults and call counters are left out (the timer is disarmed).
   */
  guiReplace(state: OpnConfig | OpnSenseSimState): void {
    const full: Partial<OpnSenseSimState> = state;
    this.clearTimer();
    this.config = { rules: clone(state.rules), aliases: clone(state.aliases), nat: clone(state.nat ?? {}) };
    this.appliedConfig = clone(full.applied ?? this.config);
    this.appliedConfig.nat ??= {};
    this.inactive = [...(full.inactiveRules ?? [])];
    this.backups.clear();
    for (const b of full.backups ?? []) this.backups.set(b.revision, clone(b.rules));
    this.lastRevision = Math.max(this.lastRevision, full.lastRevision ?? 0);
  }

  /** Deep copy of what the running filter uses (rules as of the last filter reload, aliases as of the last refresh). */
  get applied(): OpnConfig {
    return clone(this.appliedConfig);
  }

  hasUnappliedChanges(): boolean {
    return JSON.stringify(this.config) !== JSON.stringify(this.appliedConfig);
  }

  /** The armed rollback timer, if any. */
  get pendingRollback(): { revision: string; deadline: number } | null {
    return this.timer ? { revision: this.timer.revision, deadline: this.timer.deadline } : null;
  }

  /** Revisions that still have a backup (savepoints and every save; rotated at `backupCount`). */
  get backupRevisions(): string[] {
    return [...this.backups.keys()];
  }

  /** What the box wrote to syslog (rollback results, rules disabled at reload, pf refusing a ruleset). */
  get syslog(): string[] {
    return [...this.syslogLines];
  }

  /** Rules the last reload generated as disabled because an alias they use is missing (a silent disable). */
  get inactiveRules(): string[] {
    return [...this.inactive];
  }

  /** Rules (with uuid) in evaluation order; optionally only the single-interface rules of `iface`. */
  orderedRules(iface?: string): Array<Fields & { uuid: string }> {
    return sortedRuleUuids(this.config, this.features)
      .map((uuid): Fields & { uuid: string } => ({ ...this.config.rules[uuid], uuid }))
      .filter((r) => iface === undefined || r.interface === iface);
  }

  /** The next filter reload is refused by pf: `apply` still answers OK and the old ruleset stays (trap #3). */
  rejectNextReload(): void {
    this.rejectNext = true;
  }

  /** Like an admin in the GUI: validated, saved and applied at once. Returns the uuid. */
  guiAddRule(input: Fields): string {
    const node = { ...ruleDefaults(this.features), sequence: this.defaultSequence(this.config) };
    setNodes(node, input);
    this.assertValid(validateRule(node, this.modelContext(this.config)));
    const uuid = randomUUID();
    this.config.rules[uuid] = node;
    this.save();
    this.filterReload(true);
    return uuid;
  }

  guiEditRule(uuid: string, input: Fields): void {
    const node = this.config.rules[uuid];
    if (!node) throw new Error(`no rule ${uuid}`);
    setNodes(node, input);
    this.save();
    this.filterReload(true);
  }

  guiDeleteRule(uuid: string): void {
    delete this.config.rules[uuid];
    this.save();
    this.filterReload(true);
  }

  guiAddAlias(input: Fields): string {
    const node = aliasDefaults();
    setNodes(node, input);
    const uuid = randomUUID();
    this.assertValid(validateAlias(uuid, node, this.modelContext(this.config)));
    this.config.aliases[uuid] = node;
    this.save();
    this.appliedConfig.aliases = clone(this.config.aliases);
    return uuid;
  }

  guiEditAlias(name: string, input: Fields): void {
    const entry = Object.entries(this.config.aliases).find(([, a]) => a.name === name);
    if (!entry) throw new Error(`no alias ${name}`);
    setNodes(entry[1], input);
    this.save();
    this.appliedConfig.aliases = clone(this.config.aliases);
  }

  /** Like an admin adding a port forward in the GUI (26.1+): validated, saved and applied. Returns the uuid. */
  guiAddNat(input: Fields): string {
    if (!this.features.natApi) throw new Error(`OPNsense ${this.version} has no destination NAT model`);
    const node: Fields = { ...NAT_DEFAULTS, ...input };
    node.protocol = node.protocol.toLowerCase();
    if (node.sequence === '') node.sequence = nextNatSequence(this.natOf(this.config));
    this.assertValid(validateNat(node, this.modelContext(this.config)));
    const uuid = randomUUID();
    this.natOf(this.config)[uuid] = node;
    this.save();
    this.filterReload(true);
    return uuid;
  }

  guiEditNat(uuid: string, input: Fields): void {
    const node = this.natOf(this.config)[uuid];
    if (!node) throw new Error(`no NAT rule ${uuid}`);
    Object.assign(node, input);
    this.save();
    this.filterReload(true);
  }

  guiDeleteNat(uuid: string): void {
    delete this.natOf(this.config)[uuid];
    this.save();
    this.filterReload(true);
  }

  /** Destination NAT rules (flat fields, with uuid) in `sequence` order, as stored (not necessarily applied). */
  natRules(): Array<Fields & { uuid: string }> {
    return Object.entries(this.natOf(this.config))
      .map(([uuid, n]): Fields & { uuid: string } => ({ ...n, uuid }))
      .sort((a, b) => Number(a.sequence) - Number(b.sequence) || a.uuid.localeCompare(b.uuid));
  }

  /**
   * What the RUNNING configuration (as of the last filter reload) does with one new connection: NAT, then the
   * filter (nat.ts `traceOpnSense`, pf rdr-before-filter semantics).
   */
  trace(packet: SimPacket): SimVerdict {
    return traceOpnSense(packet, {
      applied: { ...this.appliedConfig, nat: this.natOf(this.appliedConfig) },
      interfaces: this.opts.interfaces,
      features: this.features,
      inactiveRules: this.inactive,
    });
  }

  private natOf(config: OpnConfig): Record<string, Fields> {
    return (config.nat ??= {});
  }

  private assertValid(v: Validations): void {
    if (Object.keys(v).length > 0) throw new Error(`invalid GUI input: ${JSON.stringify(v)}`);
  }

  // --------------------------------------------------------------------------------------------------- pipeline

  async handle(req: SimRequest): Promise<SimResponse> {
    const m = /^\/api\/([^/]+)\/([^/]+)\/([^/]+)((?:\/[^/]*)*)$/.exec(req.path);
    const action = m ? this.actions.get(`${norm(m[1])}/${norm(m[2])}/${norm(m[3])}`) : undefined;
    // Dispatch errors are resolved before authentication.
    if (!m || !action || (action.available && !action.available(this.features)))
      return this.endpointNotFound();
    const params = m[4] ? m[4].slice(1).split('/') : [];
    if (params.length < action.minParams) {
      if (this.features.unknownRouteStatus === 500) {
        return json(
          { message: `action ${m[3]} expects at least ${action.minParams} parameter(s)`, status: 400 },
          400,
        );
      }
      return this.endpointNotFound();
    }

    const header = req.headers.authorization;
    if (header === undefined) {
      // No Authorization header: the session (GUI) path, which answers an empty 401.
      return { status: 401, headers: { 'content-type': 'text/html; charset=UTF-8' }, body: '' };
    }
    const key = this.authenticate(header);
    if (!key) return json({ status: 401, message: 'Authentication Failed' }, 401);
    if (!this.allowed(key, action.privilege)) return json({ status: 403, message: 'Forbidden' }, 403);

    const ctype = String(req.headers['content-type'] ?? '')
      .replace(/\s+/g, '')
      .toLowerCase();
    let post: Record<string, unknown> = {};
    if (ctype.startsWith('application/json')) {
      if (req.text === '') return json({ status: 400, message: 'Invalid JSON syntax' }, 400);
      try {
        const parsed: unknown = JSON.parse(req.text);
        post = isRecord(parsed) ? parsed : {};
      } catch {
        // Non-empty invalid JSON silently becomes an empty POST.
        post = {};
      }
    } else if (ctype.startsWith('application/x-www-form-urlencoded')) {
      post = parseForm(req.text);
    }
    const get = parseForm(req.rawQuery);
    const ctx: Ctx = {
      req,
      isPost: req.method === 'POST',
      params,
      get,
      post,
      request: { ...get, ...post },
      username: key.username ?? 'automation',
    };
    try {
      return await action.handle(ctx);
    } catch (err) {
      if (err instanceof UserException)
        return json({ errorMessage: err.message, errorTitle: err.title }, 500);
      return json({ errorMessage: 'Unexpected error, check log for details' }, 500);
    }
  }

  private endpointNotFound(): SimResponse {
    if (this.features.unknownRouteStatus === 500) {
      return json({ errorMessage: 'Endpoint not found', errorTrace: '#0 {main}' }, 500);
    }
    return json({ errorMessage: 'Endpoint not found' }, 404);
  }

  /** Only the second space-separated token is used; the scheme word is not checked. */
  private authenticate(header: string): OpnSimKey | null {
    const token = header.split(' ')[1] ?? '';
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep === -1) return null;
    const key = this.opts.keys.find((k) => k.key === decoded.slice(0, sep));
    if (!key || key.secret !== decoded.slice(sep + 1) || key.disabled) return null;
    if (key.expiresAt !== undefined && key.expiresAt <= this.opts.now()) return null;
    return key;
  }

  private allowed(key: OpnSimKey, privilege: OpnPrivilege): boolean {
    const privileges = key.privileges ?? ['page-all'];
    if (privileges.includes('page-all') || privileges.includes(privilege)) return true;
    return privilege === 'page-firewall-aliases' && privileges.includes('page-firewall-alias-edit');
  }

  private buildActions(): Map<string, Action> {
    const filter = (
      name: string,
      handle: Action['handle'],
      minParams = 0,
      available?: Action['available'],
    ): [string, Action] => [
      `firewall/filter/${name}`,
      { minParams, handle, available, privilege: 'page-filter-api' },
    ];
    const alias = (name: string, handle: Action['handle'], minParams = 0, read = false): [string, Action] => [
      `firewall/alias/${name}`,
      { minParams, handle, privilege: read ? 'page-firewall-aliases' : 'page-firewall-alias-edit' },
    ];
    const savepoints = (f: OpnFeatures): boolean => f.savepoint;
    // DNatController extends FilterBaseController (DNC L34): apply, and up to 26.1.x savepoint/cancelRollback/revert.
    const dnat = (
      name: string,
      handle: Action['handle'],
      minParams = 0,
      available: Action['available'] = (f) => f.natApi,
    ): [string, Action] => [
      `firewall/dnat/${name}`,
      { minParams, handle, available, privilege: 'page-firewall-nat-portforward-edit' },
    ];
    const natSavepoints = (f: OpnFeatures): boolean => f.natApi && f.savepoint;
    const moves = (f: OpnFeatures): boolean => f.moveRule;
    return new Map<string, Action>([
      filter('searchrule', (c) => this.searchRule(c)),
      filter('getrule', (c) => this.getRule(c)),
      filter('addrule', (c) => this.addRule(c)),
      filter('setrule', (c) => this.setRule(c), 1),
      filter('delrule', (c) => this.delRule(c), 1),
      filter('togglerule', (c) => this.toggleRule(c), 1),
      filter('get', (c) => this.getFilter(c)),
      filter('apply', (c) => this.apply(c)),
      filter('savepoint', (c) => this.savepoint(c), 0, savepoints),
      filter('cancelrollback', (c) => this.cancelRollback(c), 1, savepoints),
      filter('revert', (c) => this.revert(c), 1, savepoints),
      filter('moverulebefore', (c) => this.moveRuleBefore(c), 2, moves),
      filter('togglerulelog', (c) => this.toggleRuleLog(c), 2, moves),
      dnat('searchrule', (c) => this.searchNat(c)),
      dnat('getrule', (c) => this.getNat(c)),
      dnat('addrule', (c) => this.addNat(c)),
      dnat('setrule', (c) => this.setNat(c), 1),
      dnat('delrule', (c) => this.delNat(c), 1),
      dnat('togglerule', (c) => this.toggleNat(c), 1),
      dnat('get', (c) => this.getNatModel(c)),
      dnat('apply', (c) => this.apply(c)),
      dnat('savepoint', (c) => this.savepoint(c), 0, natSavepoints),
      dnat('cancelrollback', (c) => this.cancelRollback(c), 1, natSavepoints),
      dnat('revert', (c) => this.revertNat(c), 1, natSavepoints),
      alias('searchitem', (c) => this.searchItem(c), 0, true),
      alias('getitem', (c) => this.getItem(c), 0, true),
      alias('getaliasuuid', (c) => this.getAliasUuid(c), 1, true),
      alias('get', (c) => this.getAliases(c), 0, true),
      alias('additem', (c) => this.addItem(c)),
      alias('setitem', (c) => this.setItem(c), 1),
      alias('delitem', (c) => this.delItem(c), 1),
      alias('toggleitem', (c) => this.toggleItem(c), 1),
      alias('reconfigure', (c) => this.reconfigure(c)),
      [
        'core/firmware/info',
        { minParams: 0, privilege: 'page-system-firmware', handle: () => this.firmwareInfo() },
      ],
      // ACL.xml page-status-interfaces: `api/interfaces/overview/*` (L370-376 at tag 26.7).
      [
        'interfaces/overview/interfacesinfo',
        { minParams: 0, privilege: 'page-status-interfaces', handle: () => this.interfacesInfo() },
      ],
    ]);
  }

  // ------------------------------------------------------------------------------------------------ config store

  private modelContext(config: OpnConfig): ModelContext {
    return { config, features: this.features, interfaces: this.opts.interfaces };
  }

  private renderContext(): { features: OpnFeatures; interfaces: InterfaceDef[] } {
    return { features: this.features, interfaces: this.opts.interfaces };
  }

  /** 25.1.5+: max(existing)+100 (first rule 101); before: 1. */
  private defaultSequence(config: OpnConfig): string {
    if (!this.features.sequenceDefaultMaxPlus100) return '1';
    const max = Math.max(1, ...Object.values(config.rules).map((r) => Number(r.sequence) || 0));
    return String(Math.min(max + 100, this.features.sequenceMax));
  }

  /** `<epoch>.<4 digits>`, strictly increasing. */
  private nextRevision(): string {
    const tenThousandths = Math.max(Math.floor(this.opts.now() * 10), this.lastRevision + 1);
    this.lastRevision = tenThousandths;
    return (tenThousandths / 10_000).toFixed(4);
  }

  /** Config::save: writes config.xml with a new revision and keeps a backup (rotated at backupCount). */
  private save(): string {
    const revision = this.nextRevision();
    this.backups.set(revision, clone(this.config.rules));
    while (this.backups.size > this.opts.backupCount) {
      const oldest = this.backups.keys().next().value;
      if (oldest === undefined) break;
      this.backups.delete(oldest);
    }
    return revision;
  }

  /**
   * A config write as the real controllers do it: read config.xml, work, save. Before 25.1.3 only deletes took
   * the lock, so with `writeProcessingMs` concurrent add/set/toggle calls overwrite each other's changes.
   */
  private async write(
    kind: 'del' | 'other',
    fn: (working: OpnConfig) => { response: SimResponse; save: boolean },
  ) {
    const run = async (): Promise<SimResponse> => {
      const working = clone(this.config);
      if (this.opts.writeProcessingMs > 0) await this.server.delay(this.opts.writeProcessingMs);
      const { response, save } = fn(working);
      if (save) {
        this.config = working;
        this.save();
      }
      return response;
    };
    return kind === 'del' || this.features.configLockAll ? this.lock.run(run) : run();
  }

  /** rc.filter_configure: regenerates pf from config; ≤26.1 also reloads alias tables. */
  private filterReload(loadAliases: boolean): void {
    if (loadAliases) this.appliedConfig.aliases = clone(this.config.aliases);
    if (this.rejectNext) {
      this.rejectNext = false;
      // pf refused the new ruleset: /tmp/rules.debug.old stays loaded and the script still exits 0.
      this.syslogLines.push('filter: There were error(s) loading the rules: /tmp/rules.debug: syntax error');
      return;
    }
    this.appliedConfig.rules = clone(this.config.rules);
    // filter.inc (26.1 L256-258, 26.7.2 L258): the reload regenerates the rdr rules from the DNat model too, so `filter/apply`
    // and `d_nat/apply` (the same FilterBaseController::applyAction) both make NAT changes live.
    this.appliedConfig.nat = clone(this.natOf(this.config));
    const known = new Set([
      ...Object.values(this.config.aliases).map((a) => a.name),
      ...builtinAliases(this.opts.interfaces).map((a) => a.name),
    ]);
    this.inactive = [];
    for (const [uuid, rule] of Object.entries(this.config.rules)) {
      const missing = ruleRefs(rule).filter((r) => this.looksLikeAlias(r.value) && !known.has(r.value));
      if (missing.length > 0) {
        // Rule.php: an address or port alias that resolves to nothing disables the generated rule (no error).
        this.inactive.push(uuid);
        this.syslogLines.push(`filter: rule ${uuid} disabled, unknown alias ${missing[0].value}`);
      }
    }
  }

  private looksLikeAlias(value: string): boolean {
    if (value === 'any' || value === '(self)' || isIP(value.split('/')[0]) !== 0) return false;
    if (/^\d+(-\d+)?$/.test(value) || value in WELL_KNOWN_PORTS) return false;
    return !this.opts.interfaces.some((i) => i.id === value || `${i.id}ip` === value);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer.handle);
    this.timer = null;
  }

  /** rollback_timer.php: `flock -n`, so only the first of overlapping timers runs. */
  private armTimer(revision: string): void {
    if (this.timer) return;
    const ms = this.opts.rollbackTimerMs;
    const handle = setTimeout(() => this.fireRollback(), ms);
    handle.unref();
    this.timer = { revision, deadline: this.opts.now() + ms, handle };
  }

  private fireRollback(): void {
    const timer = this.timer;
    this.timer = null;
    if (!timer) return;
    const backup = this.backups.get(timer.revision);
    if (!backup) {
      this.syslogLines.push(`filter: unable to revert to unexisting revision ${timer.revision}`);
      return;
    }
    this.restore(backup);
    this.syslogLines.push(`filter: rollback to revision ${timer.revision}`);
  }

  /** Filter::rollback: the whole Filter section comes back; aliases and everything else are NOT reverted. */
  private restore(rules: Record<string, Fields>): void {
    this.config.rules = clone(rules);
    this.save();
    this.filterReload(this.features.applyLoadsAliases);
  }

  // ---------------------------------------------------------------------------------------------- filter routes

  private searchRule(ctx: Ctx): SimResponse {
    const f = this.features;
    const src = f.searchRulePostOnly ? ctx.post : ctx.request;
    const rowCount = intParam(src.rowCount, f.searchRulePostOnly ? 9999 : -1);
    const current = Math.max(1, intParam(src.current, 1));
    const phrase = strParam(src.searchPhrase).trim().toLowerCase();
    let uuids = sortedRuleUuids(this.config, f);
    if (f.searchRulePostOnly) {
      const iface = strParam(ctx.request.interface);
      const ifaces = (r: Fields): string[] => (r.interface === '' ? [] : r.interface.split(','));
      if (iface === '') {
        if (f.searchRuleNoInterface === 'floating')
          uuids = uuids.filter((u) => ifaces(this.config.rules[u]).length !== 1);
      } else if (f.searchRuleRows === 'all-labels') {
        // 25.1.5..25.1.x: also rules intersecting the interface and rules with an empty interface.
        uuids = uuids.filter((u) => {
          const list = ifaces(this.config.rules[u]);
          return list.length === 0 || list.includes(iface);
        });
      } else {
        uuids = uuids.filter((u) => this.config.rules[u].interface === iface);
      }
    }
    const rows = uuids.map((uuid) => this.searchRow(uuid));
    return gridPage(rows, phrase, current, rowCount);
  }

  private searchRow(uuid: string): Record<string, unknown> {
    const rule = this.config.rules[uuid];
    const rctx = this.renderContext();
    if (this.features.searchRuleRows === 'four-labels') {
      return {
        uuid,
        enabled: rule.enabled,
        sequence: rule.sequence,
        action: ruleLabel('action', rule, rctx),
        description: rule.description,
      };
    }
    if (this.features.searchRuleRows === 'all-labels') {
      return { uuid, ...Object.fromEntries(Object.keys(rule).map((k) => [k, ruleLabel(k, rule, rctx)])) };
    }
    const row: Record<string, unknown> = { uuid, ...rule };
    for (const k of Object.keys(rule)) {
      const label = ruleLabel(k, rule, rctx);
      if (label !== rule[k]) row[`%${k}`] = label;
    }
    const prio = rulePriority(rule, this.features);
    row.sort_order = `${prio}.0${rule.sequence.padStart(6, '0')}`;
    row.prio_group = String(prio);
    return row;
  }

  private getRule(ctx: Ctx): SimResponse {
    const uuid = ctx.params[0];
    if (uuid === undefined || uuid === '') {
      const node = { ...ruleDefaults(this.features), sequence: this.defaultSequence(this.config) };
      return json({ rule: renderRuleNode(node, this.renderContext()) });
    }
    const rule = this.config.rules[uuid];
    return rule ? json({ rule: renderRuleNode(rule, this.renderContext()) }) : json([]);
  }

  private getFilter(ctx: Ctx): SimResponse {
    if (ctx.req.method !== 'GET') return json([]);
    const rules: Record<string, unknown> = {};
    for (const [uuid, rule] of Object.entries(this.config.rules)) {
      rules[uuid] = renderRuleNode(rule, this.renderContext());
    }
    // An empty PHP array serialises as `[]`, not `{}`.
    const section = (value: Record<string, unknown>): unknown =>
      Object.keys(value).length === 0 ? [] : value;
    return json({
      filter: {
        rules: { rule: section(rules) },
        snatrules: { rule: [] },
        npt: { rule: [] },
        onetoone: { rule: [] },
      },
    });
  }

  private mutatorInput(ctx: Ctx, root: 'rule' | 'alias'): Record<string, unknown> | null {
    if (!ctx.isPost) return null;
    const input = ctx.post[root];
    return isRecord(input) ? input : null;
  }

  private addRule(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'rule');
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      const node = { ...ruleDefaults(this.features), sequence: this.defaultSequence(working) };
      setNodes(node, input);
      this.foldProtocol(node);
      const v = validateRule(node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      const uuid = randomUUID();
      working.rules[uuid] = node;
      return { response: json({ result: 'saved', uuid }), save: true };
    });
  }

  /** ProtocolField::setValue upper-cases input from 26.1 (see `OpnFeatures.protocolCaseFold`). */
  private foldProtocol(node: Fields): void {
    if (this.features.protocolCaseFold && typeof node.protocol === 'string')
      node.protocol = node.protocol.toUpperCase();
  }

  private setRule(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'rule');
    const uuid = ctx.params[0];
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      let node = working.rules[uuid];
      if (!node) {
        // Upsert (24.7+): an unknown but valid v4 uuid CREATES a rule with that uuid (trap #13).
        if (!UUID_V4.test(uuid) || this.features.legacyPriorities) {
          return { response: json({ result: 'failed' }), save: false };
        }
        node = { ...ruleDefaults(this.features), sequence: this.defaultSequence(working) };
      } else {
        node = { ...node };
      }
      setNodes(node, input);
      this.foldProtocol(node);
      const v = validateRule(node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      working.rules[uuid] = node;
      return { response: json({ result: 'saved' }), save: true };
    });
  }

  private delRule(ctx: Ctx): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ result: 'failed' });
    const uuid = ctx.params[0];
    return this.write('del', (working) => {
      if (!working.rules[uuid]) return { response: json({ result: 'not found' }), save: false };
      delete working.rules[uuid];
      return { response: json({ result: 'deleted' }), save: true };
    });
  }

  private toggleRule(ctx: Ctx): Promise<SimResponse> | SimResponse {
    return this.toggle(ctx, 'rules');
  }

  /** `toggleRule`/`toggleItem[/{uuid}[/{0|1}]]`: flips `enabled`, or sets it when the value is given. */
  private toggle(ctx: Ctx, collection: 'rules' | 'aliases'): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ result: 'failed' });
    const [uuid, wanted] = ctx.params;
    return this.write('other', (working) => {
      const node = working[collection][uuid];
      if (!node) return { response: json({ result: 'failed' }), save: false };
      if (wanted !== undefined && wanted !== '0' && wanted !== '1') {
        return { response: json({ result: 'failed', changed: false }), save: false };
      }
      const next = wanted ?? (node.enabled === '1' ? '0' : '1');
      const changed = next !== node.enabled;
      node.enabled = next;
      return { response: json({ result: next === '1' ? 'Enabled' : 'Disabled', changed }), save: changed };
    });
  }

  /** `apply[/{revision}]`: arms the rollback timer first (detached), then reloads the filter synchronously. */
  private apply(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    const revision = ctx.params[0];
    // 26.7: applyAction() takes no argument; an extra path segment is ignored and no timer is armed.
    if (revision !== undefined && revision !== '' && this.features.savepoint) this.armTimer(revision);
    this.filterReload(this.features.applyLoadsAliases);
    this.afterApply?.(this);
    return json({ status: 'OK\n\n' });
  }

  private savepoint(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    const revision = this.save();
    // core#10721: the revision answered is rounded, the backup keeps 4 decimals, so they never match.
    const answered = this.opts.revisionMismatchBug ? Number(revision).toFixed(2) : revision;
    return json({ status: 'ok', retention: String(this.opts.backupCount), revision: answered });
  }

  private cancelRollback(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    if (this.timer && this.timer.revision === ctx.params[0]) {
      this.clearTimer();
      return json({ status: '\n\n' });
    }
    // rollback_cancel.php exits 1 when /tmp/filter_<rev>.lock does not exist: configd reports an error, which
    // Backend::configdRun turns into null (≤25.7.2) or '' (25.7.3+) (see OpnFeatures.noTimerStatus).
    return json({ status: this.features.noTimerStatus });
  }

  private revert(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    const backup = this.backups.get(ctx.params[0]);
    if (!backup) return json({ status: 'unknown (or removed) savepoint' });
    this.restore(backup);
    return json({ status: 'ok' });
  }

  private moveRuleBefore(ctx: Ctx): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    const [selected, target] = ctx.params;
    return this.write('other', (working) => {
      const sel = working.rules[selected];
      const tgt = working.rules[target];
      if (!sel || !tgt) {
        throw new UserException(
          'Either source or destination is not a rule managed with this component',
          'Filter',
        );
      }
      const kind = (r: Fields): string =>
        rulePriority(r, this.features) === 400_000 ? 'Interface Rule' : 'Floating Rule';
      if (rulePriority(sel, this.features) !== rulePriority(tgt, this.features)) {
        throw new UserException(`Cannot move '${kind(sel)}' before '${kind(tgt)}'.`, 'Filter');
      }
      if (selected === target) throw new UserException('Cannot move to the same spot.', 'Filter');
      const group = sortedRuleUuids(working, this.features).filter(
        (u) =>
          u !== selected &&
          rulePriority(working.rules[u], this.features) === rulePriority(tgt, this.features),
      );
      const at = group.indexOf(target);
      const prev = at > 0 ? Number(working.rules[group[at - 1]].sequence) : 1;
      const gap = Number(tgt.sequence) - prev;
      if (gap > 2) {
        sel.sequence = String(prev + Math.floor(gap / 2));
      } else {
        sel.sequence = String(prev + 1);
        let last = prev + 1;
        for (const u of group.slice(at)) {
          const r = working.rules[u];
          if (Number(r.sequence) <= last) r.sequence = String(last + 50);
          last = Number(r.sequence);
        }
      }
      return { response: json({ status: 'ok' }), save: true };
    });
  }

  private toggleRuleLog(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    const [uuid, value] = ctx.params;
    const rule = this.config.rules[uuid];
    if (!rule) throw new UserException('Rule not found', 'Filter');
    // Takes no config lock (a known race on the real box).
    rule.log = value === '1' ? '1' : '0';
    this.save();
    return json({ status: 'ok' });
  }

  // ------------------------------------------------------------------------------------------ destination NAT

  /**
   * `d_nat/searchRule`: 26.1 `searchBase("rule", …, "sequence")` (paged by rowCount/current from the request,
   * DNC@26.1); 26.7 merges automatic rules and sorts by `sort_order` (DNC@26.7 L166-202). Rows are flat
   * (`destination.port`) with `%field` labels. Anti-lockout and automatic rows are not modelled.
   */
  private searchNat(ctx: Ctx): SimResponse {
    const rowCount = intParam(ctx.request.rowCount, -1);
    const current = Math.max(1, intParam(ctx.request.current, 1));
    const phrase = strParam(ctx.request.searchPhrase).trim().toLowerCase();
    const rows = this.natRules().map(({ uuid, ...rule }) => ({
      uuid,
      ...rule,
      ...(rule.interface !== ''
        ? {
            '%interface': rule.interface
              .split(',')
              .map((id) => this.opts.interfaces.find((i) => i.id === id)?.descr ?? id)
              .join(', '),
          }
        : {}),
      sort_order: `400000.0${rule.sequence.padStart(6, '0')}`,
      prio_group: '400000',
    }));
    return gridPage(rows, phrase, current, rowCount);
  }

  /** `getRule/{uuid}`: `{"rule":{…}}`; no uuid: the template (sequence max+100); unknown uuid: `[]` (getBase). */
  private getNat(ctx: Ctx): SimResponse {
    const uuid = ctx.params[0];
    const nat = this.natOf(this.config);
    if (uuid === undefined || uuid === '') {
      const node = { ...NAT_DEFAULTS, sequence: nextNatSequence(nat) };
      return json({ rule: renderNatNode(node, this.opts.interfaces) });
    }
    const rule = nat[uuid];
    return rule ? json({ rule: renderNatNode(rule, this.opts.interfaces) }) : json([]);
  }

  /** `get` (ApiMutableModelControllerBase::getAction, GET only): `{"DNat":{"rule":{uuid:{…}}}}`, empty `[]`. */
  private getNatModel(ctx: Ctx): SimResponse {
    if (ctx.req.method !== 'GET') return json([]);
    const rules: Record<string, unknown> = {};
    for (const [uuid, rule] of Object.entries(this.natOf(this.config)))
      rules[uuid] = renderNatNode(rule, this.opts.interfaces);
    return json({ DNat: { rule: Object.keys(rules).length === 0 ? [] : rules } });
  }

  /** DNC setBaseHook: `updated` (and `created` on first save) stamped by the controller. */
  private stamp(node: Fields, username: string): void {
    const time = (this.opts.now() / 1000).toFixed(2);
    node['updated.time'] = time;
    node['updated.username'] = username;
    node['updated.description'] = '/api/firewall/d_nat made changes';
    if (node['created.time'] === '') {
      node['created.time'] = time;
      node['created.username'] = username;
      node['created.description'] = node['updated.description'];
    }
  }

  private addNat(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'rule');
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      const nat = this.natOf(working);
      const node: Fields = { ...NAT_DEFAULTS };
      setNatNodes(node, input);
      if (node.sequence === '') node.sequence = nextNatSequence(nat);
      const v = validateNat(node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      this.stamp(node, ctx.username);
      const uuid = randomUUID();
      nat[uuid] = node;
      return { response: json({ result: 'saved', uuid }), save: true };
    });
  }

  /** setBase: partial update; an unknown but valid v4 uuid creates a rule with that uuid (upsert, as for filter). */
  private setNat(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'rule');
    const uuid = ctx.params[0];
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      const nat = this.natOf(working);
      const existing = nat[uuid];
      if (!existing && !UUID_V4.test(uuid)) return { response: json({ result: 'failed' }), save: false };
      const node: Fields = existing ? { ...existing } : { ...NAT_DEFAULTS };
      setNatNodes(node, input);
      if (node.sequence === '') node.sequence = nextNatSequence(nat);
      const v = validateNat(node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      this.stamp(node, ctx.username);
      nat[uuid] = node;
      return { response: json({ result: 'saved' }), save: true };
    });
  }

  private delNat(ctx: Ctx): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ result: 'failed' });
    const uuid = ctx.params[0];
    return this.write('del', (working) => {
      const nat = this.natOf(working);
      if (!nat[uuid]) return { response: json({ result: 'not found' }), save: false };
      delete nat[uuid];
      return { response: json({ result: 'deleted' }), save: true };
    });
  }

  /**
   * `toggleRule/{uuid}[/{disabled}]` (DNC L238-255): the opposite of the filter's toggle, the value is `disabled`;
   * answers `Enabled`/`Disabled` without `changed`; anything but 0/1 flips.
   */
  private toggleNat(ctx: Ctx): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ result: 'failed' });
    const [uuid, wanted] = ctx.params;
    return this.write('other', (working) => {
      const node = this.natOf(working)[uuid];
      if (!node) return { response: json({ result: 'failed' }), save: false };
      node.disabled = wanted === '0' || wanted === '1' ? wanted : node.disabled === '1' ? '0' : '1';
      return { response: json({ result: node.disabled === '1' ? 'Disabled' : 'Enabled' }), save: true };
    });
  }

  /**
   * `d_nat/revert/{rev}` (26.1.x, inherited from FilterBaseController): an unknown revision answers like the
   * filter's; a known one calls `$this->getModel()->rollback()`, which the DNat model does not define (DNat.php at
   * 26.1 is an empty class), so PHP stops with an error: the generic 500 (derived; nothing is restored).
   */
  private revertNat(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'error' });
    if (!this.backups.has(ctx.params[0])) return json({ status: 'unknown (or removed) savepoint' });
    throw new NatPhpWarning('Call to undefined method OPNsense\\Firewall\\DNat::rollback()');
  }

  // ----------------------------------------------------------------------------------------------- alias routes

  private allAliases(): Array<[string, Fields]> {
    return [
      ...Object.entries(this.config.aliases),
      ...builtinAliases(this.opts.interfaces).map((a): [string, Fields] => [a.name, a]),
    ];
  }

  private searchItem(ctx: Ctx): SimResponse {
    const rowCount = intParam(ctx.request.rowCount, -1);
    const current = Math.max(1, intParam(ctx.request.current, 1));
    const phrase = strParam(ctx.request.searchPhrase).trim().toLowerCase();
    const raw = this.features.searchRuleRows === 'raw';
    const rows = this.allAliases()
      .sort(([, a], [, b]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(([uuid, a]) => {
        const typeLabel = renderAliasNode(a, this.renderContext()).type as Record<string, { value: string }>;
        const label = typeLabel[a.type]?.value ?? a.type;
        const base = {
          uuid,
          enabled: a.enabled,
          name: a.name,
          description: a.description,
          content: a.content.split('\n').join(','),
          current_items: '',
          last_updated: '',
        };
        return raw ? { ...base, type: a.type, '%type': label } : { ...base, type: label };
      });
    return gridPage(rows, phrase, current, rowCount);
  }

  private getItem(ctx: Ctx): SimResponse {
    const uuid = ctx.params[0];
    if (uuid === undefined || uuid === '')
      return json({ alias: renderAliasNode(aliasDefaults(), this.renderContext()) });
    const found = this.allAliases().find(([u]) => u === uuid);
    // Unknown uuid: a PHP warning in the controller, so a generic 500.
    if (!found) throw new PhpWarning('Trying to access array offset on value of type null');
    const names = this.allAliases().map(([, a]) => a.name);
    return json({ alias: renderAliasItem(found[1], names, this.renderContext()) });
  }

  private getAliasUuid(ctx: Ctx): SimResponse {
    const found = this.allAliases().find(([, a]) => a.name === ctx.params[0]);
    return found ? json({ uuid: found[0] }) : json([]);
  }

  private getAliases(ctx: Ctx): SimResponse {
    if (ctx.req.method !== 'GET') return json([]);
    const aliases: Record<string, unknown> = {};
    for (const [uuid, a] of this.allAliases()) aliases[uuid] = renderAliasNode(a, this.renderContext());
    return json({ alias: { geoip: { url: '' }, aliases: { alias: aliases } } });
  }

  private addItem(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'alias');
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      const node = aliasDefaults();
      setNodes(node, input);
      const uuid = randomUUID();
      const v = validateAlias(uuid, node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      working.aliases[uuid] = node;
      return { response: json({ result: 'saved', uuid }), save: true };
    });
  }

  private setItem(ctx: Ctx): Promise<SimResponse> | SimResponse {
    const input = this.mutatorInput(ctx, 'alias');
    const uuid = ctx.params[0];
    if (!input) return json({ result: 'failed' });
    return this.write('other', (working) => {
      const existing = working.aliases[uuid];
      if (!existing && (!UUID_V4.test(uuid) || this.features.legacyPriorities)) {
        return { response: json({ result: 'failed' }), save: false };
      }
      const node = existing ? { ...existing } : aliasDefaults();
      setNodes(node, input);
      const v = validateAlias(uuid, node, this.modelContext(working));
      if (Object.keys(v).length > 0)
        return { response: json({ result: 'failed', validations: v }), save: false };
      if (existing && existing.name !== node.name) this.refactor(working, existing.name, node.name);
      working.aliases[uuid] = node;
      return { response: json({ result: 'saved' }), save: true };
    });
  }

  /** Alias::refactor: a rename rewrites references in MVC rules and nested aliases. */
  private refactor(working: OpnConfig, from: string, to: string): void {
    for (const rule of Object.values(working.rules)) {
      for (const field of ['source_net', 'source_port', 'destination_net', 'destination_port']) {
        rule[field] = rule[field]
          .split(',')
          .map((v) => (v === from ? to : v))
          .join(',');
      }
    }
    for (const alias of Object.values(working.aliases)) {
      alias.content = alias.content
        .split('\n')
        .map((v) => (v === from ? to : v))
        .join('\n');
    }
  }

  private delItem(ctx: Ctx): Promise<SimResponse> | SimResponse {
    if (!ctx.isPost) return json({ result: 'failed' });
    const uuid = ctx.params[0];
    return this.write('del', (working) => {
      const alias = working.aliases[uuid];
      if (!alias) return { response: json({ result: 'not found' }), save: false };
      const uses = aliasUses(working, alias.name);
      if (uses.length > 0) {
        throw new UserException(
          `Cannot delete alias. Currently in use by \n${uses.join('\n')}`,
          'Alias in use',
        );
      }
      delete working.aliases[uuid];
      return { response: json({ result: 'deleted' }), save: true };
    });
  }

  private toggleItem(ctx: Ctx): Promise<SimResponse> | SimResponse {
    return this.toggle(ctx, 'aliases');
  }

  /** Reloads alias templates and tables, then `filter reload skip_alias`: staged rule edits go live too. */
  private reconfigure(ctx: Ctx): SimResponse {
    if (!ctx.isPost) return json({ status: 'failed' });
    this.appliedConfig.aliases = clone(this.config.aliases);
    this.filterReload(false);
    return json({ status: 'ok' });
  }

  /**
   * `GET /api/interfaces/overview/interfacesInfo` (Interfaces/Api/OverviewController.php `interfacesInfoAction`, L248
   * at tags 25.1-26.7, L242 at 24.7): one row per live device. Assigned ones carry `identifier` (the config key,
   * L140-147/L180 at 26.7) and `description` (`descr`, else the identifier upper-cased, L181); unassigned ones
   * `identifier: ''` and "Unassigned Interface" (L172-174; one such device, `enc0`, is included). Only these fields
   * plus `device`/`status`/`enabled` are modelled; device names (`vtnet<i>`) are the simulator's own. Envelope of
   * `searchRecordsetBase` without `rowCount`: every row (Base/ApiControllerBase.php L94, L176-180 at 26.7).
   */
  private interfacesInfo(): SimResponse {
    const assigned = this.opts.interfaces.map((i, n) => ({
      device: `vtnet${n}`,
      status: 'up',
      identifier: i.id,
      description: i.descr !== '' ? i.descr : i.id.toUpperCase(),
      enabled: true,
    }));
    const rows = [
      ...assigned,
      { device: 'enc0', status: 'up', identifier: '', description: 'Unassigned Interface' },
    ];
    return json({ total: rows.length, rowCount: rows.length, current: 1, rows });
  }

  private firmwareInfo(): SimResponse {
    return json({
      product_id: 'opnsense',
      product_name: 'OPNsense',
      product_version: this.version,
      product_version_string: `${this.version}`,
      product_abi: this.version.split('.').slice(0, 2).join('.'),
      package: [],
      plugin: [],
      changelog: [],
    });
  }
}

/** Bodies of injected `status` faults, as the box (PHP) or its web server (lighttpd) would send them. */
function faultBody(status: number): SimResponse {
  if (status === 401) return json({ status: 401, message: 'Authentication Failed' }, 401);
  if (status === 403) return json({ status: 403, message: 'Forbidden' }, 403);
  if (status === 404) return json({ errorMessage: 'Endpoint not found' }, 404);
  if (status === 500) return json({ errorMessage: 'Unexpected error, check log for details' }, 500);
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<?xml version="1.0" encoding="iso-8859-1"?>\n<html><head><title>${status}</title></head><body><h1>${status}</h1></body></html>\n`,
  };
}

/** Starts an OPNsense simulator on 127.0.0.1 (ephemeral port unless given). */
export async function startOpnSenseSimulator(
  options: OpnSenseSimulatorOptions = {},
): Promise<OpnSenseSimulator> {
  const sim = new OpnSenseSimulator(options);
  await sim.start();
  return sim;
}
