import { isIPv4 } from 'node:net';
import type { Json, JsonObject } from './envelope';
import {
  badChoice,
  bool,
  CONTROL_PARAMS,
  fail,
  findAlias,
  str,
  validateFilterAddress,
  validatePortField,
  type ModelContext,
  type PfConfig,
} from './models';

/**
 * The PortForward model of pfSense-pkg-RESTAPI v2 (`/api/v2/firewall/nat/port_forward(s)`), per package version.
 * R/ = pfrest/pfSense-pkg-RESTAPI, pfSense-pkg-RESTAPI/files/usr/local/pkg/RESTAPI/ (tags cited per behaviour):
 *
 * - R/Models/PortForward.inc (v2.10.0 L43-48): `config_path` `nat/rule`, many, `subsystem` `natconf` (every write
 *   marks it dirty: R/Core/Model.inc `create()` `mark_subsystem_dirty`), no `many_minimum` (the last one can go).
 * - `ipprotocol` exists from v2.1.0 (absent in v2.0.x, whose responses lack it and whose requests ignore it).
 * - `protocol` gained `any`, and `target` became a SpecialNetworkField accepting `<iface>:ip`, in v2.5.3
 *   (commits f67eaed7, 09dba926, a4109388); before, `target` was a StringField with IPAddressValidator(IPv4, alias).
 * - `associated_rule_id`: v2.0.x a StringField with choices `['', 'pass']`; from v2.1.0 (commit ee742641) a
 *   ForeignModelField on FirewallRule with keywords `''` (no rule: a separate filter rule must pass the traffic),
 *   `new` (create a linked filter rule, PortForward.inc L214-254) and `pass` (pf `rdr pass`, no filter rule at all:
 *   pfsense/pfsense src/etc/inc/filter.inc RELENG_2_7_2 L2717).
 * - Until v2.8.0 the model sorted `nat/rule` by `interface` on every create/update/replace (v2.0.0 Model.inc
 *   `sort()` L1615-1660 with `sort_by_field = 'interface'`; v2.2+ `sort_by = ['interface']`, removed by commit
 *   57a491de "remove sorting presets #835", first in v2.8.0): ids of other forwards move. PHP's `array_multisort`
 *   breaks ties by comparing the objects themselves; the simulator keeps ties in their order (unknown in detail).
 */
export interface PortForwardRecord {
  interface: string;
  /** null where the package has no such field (v2.0.x): pfSense then uses inet (filter.inc RELENG_2_7_2 L2678-2682). */
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
  nosync: boolean;
  descr: string;
  natreflection: string | null;
  associated_rule_id: string;
  created_time: number;
  created_by: string;
  updated_time: number;
  updated_by: string;
}

/** Package-version switches of the model (see above). */
export interface PortForwardFeatures {
  ipprotocol: boolean;
  protocolAny: boolean;
  targetInterfaceIp: boolean;
  associatedRuleNew: boolean;
  sortsByInterface: boolean;
}

export function portForwardFeatures(pkg: number[]): PortForwardFeatures {
  const atLeast = (w: number[]): boolean => {
    for (let i = 0; i < w.length; i++) if ((pkg[i] ?? 0) !== w[i]) return (pkg[i] ?? 0) > w[i];
    return true;
  };
  return {
    ipprotocol: atLeast([2, 1, 0]),
    protocolAny: atLeast([2, 5, 3]),
    targetInterfaceIp: atLeast([2, 5, 3]),
    associatedRuleNew: atLeast([2, 1, 0]),
    sortsByInterface: !atLeast([2, 8, 0]),
  };
}

const PF_IP_PROTOCOLS = ['inet', 'inet6', 'inet46'];
const PF_PROTOCOLS = ['tcp', 'udp', 'tcp/udp', 'icmp', 'esp', 'ah', 'gre', 'ipv6', 'igmp', 'pim', 'ospf'];
const PORT_PROTOCOLS = ['tcp', 'udp', 'tcp/udp'];
const NAT_REFLECTION = ['enable', 'disable', 'purenat'];
const READ_ONLY = ['created_time', 'created_by', 'updated_time', 'updated_by'];

/**
 * Validates and builds a port forward (create, or PATCH overlay onto `existing`), in the model's field order
 * (PortForward.inc L51-171). Returns the record and, for `associated_rule_id: "new"`, the generated id the caller
 * links a new filter rule to (PortForward.inc `_create` L214-221 uses `get_unique_id()`).
 */
export function buildPortForward(
  input: JsonObject,
  ctx: ModelContext,
  features: PortForwardFeatures,
  existing?: PortForwardRecord,
): PortForwardRecord {
  if (existing && input.created_time !== undefined && input.created_time !== existing.created_time) {
    fail(
      400,
      'FIELD_VALUE_CHANGED_WHEN_NOT_EDITABLE',
      'Field `created_time` cannot be changed once it has been set.',
    );
  }
  const m: JsonObject = existing ? { ...(existing as unknown as JsonObject) } : {};
  for (const [k, v] of Object.entries(input)) {
    if (CONTROL_PARAMS.has(k) || READ_ONLY.includes(k)) continue;
    if (k === 'ipprotocol' && !features.ipprotocol) continue; // unknown fields are ignored (Model::from_representation)
    m[k] = v;
  }

  // InterfaceField (allow_interface_groups, ipsec, openvpn; PortForward.inc L51-59): one interface, not an array.
  const repr = ctx.representInterface ?? ((id: string) => id);
  const byRepr = new Map(ctx.interfaces.map((id) => [repr(id), id]));
  for (const builtin of ['enc0', 'openvpn', ...(ctx.extraInterfaceChoices ?? [])])
    byRepr.set(builtin, builtin);
  const givenIf = str('interface', m.interface, { required: true })!;
  if (!byRepr.has(givenIf)) badChoice('interface', [...byRepr.keys()]);
  const iface = byRepr.get(givenIf)!;

  let ipprotocol: string | null = null;
  if (features.ipprotocol) {
    ipprotocol = str('ipprotocol', m.ipprotocol) ?? 'inet';
    if (!PF_IP_PROTOCOLS.includes(ipprotocol)) badChoice('ipprotocol', PF_IP_PROTOCOLS);
  }
  const protocols = features.protocolAny ? ['any', ...PF_PROTOCOLS] : PF_PROTOCOLS;
  const protocol = str('protocol', m.protocol, { required: true })!;
  if (!protocols.includes(protocol)) badChoice('protocol', protocols);
  const ports = PORT_PROTOCOLS.includes(protocol);

  const source = str('source', m.source, { required: true })!;
  validateFilterAddress('source', source, ctx);
  const source_port = ports ? validatePortField('source_port', m.source_port, ctx) : null;
  const destination = str('destination', m.destination, { required: true })!;
  validateFilterAddress('destination', destination, ctx);
  const destination_port = ports ? validatePortField('destination_port', m.destination_port, ctx) : null;

  const target = str('target', m.target, { required: true })!;
  validateTarget(target, ctx, features);

  // PortField `local_port`: required, allow_range false, condition tcp/udp (PortForward.inc L118-128).
  let local_port: string | null = null;
  if (ports) {
    if (m.local_port === undefined || m.local_port === null) {
      fail(400, 'FIELD_IS_REQUIRED', 'Field `local_port` is required.');
    }
    local_port = validatePortField('local_port', m.local_port, ctx);
    if (local_port !== null && local_port.includes(':')) {
      fail(
        400,
        'PORT_FIELD_INVALID',
        `Field \`local_port\` contains invalid port value \`${local_port}\`. Valid options are: port, port alias.`,
      );
    }
  }

  const disabled = bool('disabled', m.disabled, false);
  const nordr = bool('nordr', m.nordr, false);
  const nosync = bool('nosync', m.nosync, false);
  const descr = str('descr', m.descr) ?? '';
  if (descr.length > 1024) {
    fail(400, 'LENGTH_VALIDATOR_MAXIMUM_CONSTRAINT', 'Field `descr` exceeds the maximum length of 1024.');
  }
  const natreflection = str('natreflection', m.natreflection);
  if (natreflection !== null && !NAT_REFLECTION.includes(natreflection))
    badChoice('natreflection', NAT_REFLECTION);

  const assoc = str('associated_rule_id', m.associated_rule_id) ?? '';
  if (!features.associatedRuleNew) {
    if (assoc !== '' && assoc !== 'pass') badChoice('associated_rule_id', ['', 'pass']);
  } else if (!['', 'new', 'pass'].includes(assoc) && assoc !== existing?.associated_rule_id) {
    // ForeignModelField::validate_extra (R/Fields/ForeignModelField.inc L314-334).
    if (!ctx.config.rules.some((r) => r.associated_rule_id === assoc)) {
      fail(
        404,
        'FOREIGN_MODEL_FIELD_VALUE_NOT_FOUND',
        `Field \`associated_rule_id\` could not locate \`Firewall Rule\` object with \`associated_rule_id\` set to \`${assoc}\``,
      );
    }
  }

  const now = Math.floor(ctx.now() / 1000);
  return {
    interface: iface,
    ipprotocol,
    protocol,
    source,
    source_port,
    destination,
    destination_port,
    target,
    local_port,
    disabled,
    nordr,
    nosync,
    descr,
    natreflection,
    associated_rule_id: assoc,
    created_time: existing?.created_time ?? now,
    created_by: existing?.created_by ?? ctx.actor,
    updated_time: now,
    updated_by: ctx.actor,
  };
}

/**
 * v2.5.3+: SpecialNetworkField (allow_ipaddr, allow_alias, allow_interface_ip; no subnet, no bare interface, no
 * (self); R/Fields/SpecialNetworkField.inc validate_extra L160-238, SPECIAL_NETWORK_FIELD_INVALID). Before: a
 * StringField with IPAddressValidator(allow_ipv4, allow_alias) (v2.0.0 PortForward.inc, IP_ADDRESS_VALIDATOR_FAILED).
 */
function validateTarget(value: string, ctx: ModelContext, features: PortForwardFeatures): void {
  const alias = findAlias(ctx.config, value);
  const isAlias = alias !== undefined && alias.type !== 'port';
  if (features.targetInterfaceIp) {
    const ifIp = value.endsWith(':ip') && ctx.interfaces.includes(value.slice(0, -3));
    if (isIPv4(value) || value.includes(':') || isAlias || ifIp) {
      if (value.includes(':') && !ifIp && !/^[0-9a-fA-F:]+$/.test(value)) {
        fail(400, 'SPECIAL_NETWORK_FIELD_INVALID', `Field \`target\` value \`${value}\` is invalid.`);
      }
      return;
    }
    fail(
      400,
      'SPECIAL_NETWORK_FIELD_INVALID',
      `Field \`target\` value \`${value}\` is invalid. Valid options are: IP address, alias, interface IP`,
    );
  }
  if (isIPv4(value) || isAlias) return;
  fail(
    400,
    'IP_ADDRESS_VALIDATOR_FAILED',
    `Field \`target\` must be a valid IPv4 address or alias, received \`${value}\`.`,
  );
}

/** Every field present, plus `id`; `interface` as represent_interfaces_as names it; no `ipprotocol` before v2.1. */
export function renderPortForward(
  record: PortForwardRecord,
  id: number,
  features: PortForwardFeatures,
  representInterface?: (id: string) => string,
): JsonObject {
  const out: JsonObject = { id, ...(record as unknown as JsonObject) };
  if (!features.ipprotocol) delete out.ipprotocol;
  if (representInterface) out.interface = representInterface(record.interface);
  return out;
}

export const PORT_FORWARD_FIELDS = new Set([
  'id',
  'interface',
  'ipprotocol',
  'protocol',
  'source',
  'source_port',
  'destination',
  'destination_port',
  'target',
  'local_port',
  'disabled',
  'nordr',
  'nosync',
  'descr',
  'natreflection',
  'associated_rule_id',
  'created_time',
  'created_by',
  'updated_time',
  'updated_by',
]);

/** Pre-v2.8.0 write-time sort of `nat/rule` by interface (stable; see the header). Returns the new index of `moved`. */
export function sortByInterface(config: PfConfig, moved: PortForwardRecord | null): number {
  const indexed = config.nat.map((r, i) => ({ r, i }));
  indexed.sort((a, b) =>
    a.r.interface < b.r.interface ? -1 : a.r.interface > b.r.interface ? 1 : a.i - b.i,
  );
  config.nat = indexed.map((x) => x.r);
  return moved === null ? -1 : config.nat.indexOf(moved);
}

/** Alias names a forward references (an unresolvable one makes filter.inc skip the forward, RELENG_2_7_2 L2702). */
export function portForwardAliasRefs(pf: PortForwardRecord): string[] {
  return [pf.source, pf.destination, pf.source_port, pf.destination_port, pf.target, pf.local_port]
    .filter((v): v is string => typeof v === 'string')
    .map((v) => (v.startsWith('!') ? v.slice(1) : v));
}

export type { Json };
