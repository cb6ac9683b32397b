/**
 * What the real devices accept, per request, derived from the vendors' own sources (see
 * /work/shared/reference/vendor-conformance.md for the audit these rows come from; row ids P*, F*, O* refer to it).
 * Path abbreviations:
 *   R/   = pfrest/pfSense-pkg-RESTAPI @ 805c7f0 (v2.10.0), pfSense-pkg-RESTAPI/files/usr/local/pkg/RESTAPI/
 *   ANS/ = fortinet-ansible-dev/ansible-galaxy-fortios-collection @ f3cc322 (2.4.2)
 *   TF/  = fortinetdev/terraform-provider-fortios @ f4e824b (1.25.0)
 *   M/   = opnsense/core, src/opnsense/mvc/app/ (tags 24.7 … 26.7.2)
 * Used by conformance.spec.ts, which captures every request a connector sends and checks it against these rows.
 * `unknown` marks what no vendor source settles; those requests are allowed because the connector probes them on
 * the device first (FortiOS transactions) — say so beside the row.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface CheckContext {
  /** Firmware version numbers of the device the request went to, e.g. [7, 2, 11]. */
  version: number[];
}

/** null when the value is acceptable, else why not. */
export type FieldCheck = (value: Json | undefined, ctx: CheckContext) => string | null;

export interface EndpointRule {
  method: string;
  path: RegExp;
  /** Where this request is defined by the vendor. */
  source: string;
  /** Query parameters allowed (besides the ones every call carries, see `commonQuery`). */
  query?: Record<string, FieldCheck>;
  /** `none`: no body may be sent; otherwise the JSON body's fields (unlisted fields are violations). */
  body: 'none' | Record<string, FieldCheck>;
  /** The body's fields are wrapped in this key (OPNsense `{"rule":{…}}`). */
  wrap?: string;
  /** Fields that must be present. */
  required?: string[];
}

export interface VendorTable {
  commonQuery: Record<string, FieldCheck>;
  endpoints: EndpointRule[];
}

const atLeast = (v: number[], w: number[]): boolean => {
  for (let i = 0; i < w.length; i++) if ((v[i] ?? 0) !== w[i]) return (v[i] ?? 0) > w[i];
  return true;
};

const str =
  (max: number, pattern?: RegExp): FieldCheck =>
  (v) =>
    typeof v !== 'string'
      ? 'not a string'
      : v.length > max
        ? `longer than ${max}`
        : pattern && !pattern.test(v)
          ? `does not match ${String(pattern)}`
          : null;
const bytes =
  (max: number): FieldCheck =>
  (v) =>
    typeof v !== 'string' ? 'not a string' : Buffer.byteLength(v) > max ? `over ${max} bytes` : null;
const oneOf =
  (...values: Json[]): FieldCheck =>
  (v) =>
    values.some((x) => x === v) ? null : `not one of ${JSON.stringify(values)}`;
const int =
  (min: number, max: number): FieldCheck =>
  (v) =>
    typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max
      ? `not an integer ${min}-${max}`
      : null;
const bool: FieldCheck = (v) => (typeof v === 'boolean' ? null : 'not a boolean');
const nullOr =
  (check: FieldCheck): FieldCheck =>
  (v, ctx) =>
    v === null ? null : check(v, ctx);
const arrayOf =
  (check: FieldCheck, min = 0, max = Infinity): FieldCheck =>
  (v, ctx) => {
    if (!Array.isArray(v)) return 'not an array';
    if (v.length < min || v.length > max) return `needs ${min}-${max} items`;
    for (const item of v) {
      const problem = check(item, ctx);
      if (problem) return `item ${JSON.stringify(item)}: ${problem}`;
    }
    return null;
  };
const since =
  (from: number[], check: FieldCheck, why: string): FieldCheck =>
  (v, ctx) =>
    atLeast(ctx.version, from)
      ? check(v, ctx)
      : `the table has this field only from ${from.join('.')} (${why})`;
const names: FieldCheck = arrayOf((v) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  typeof v.name === 'string' &&
  Object.keys(v).length === 1
    ? null
    : 'not {"name": …}',
);
const anyString: FieldCheck = (v) => (typeof v === 'string' ? null : 'not a string');
const ipv4Mask: FieldCheck = str(31, /^\d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+$/);

// ------------------------------------------------------------------------------------------------------ pfSense

const PF_ALIAS_FIELDS: Record<string, FieldCheck> = {
  // R/Models/FirewallAlias.inc L29-37 (maximum_length 31, FilterNameValidator [A-Za-z0-9_]); P5
  name: str(31, /^[A-Za-z0-9_]+$/),
  // FirewallAlias.inc L38-44; P6
  type: oneOf('host', 'network', 'port'),
  // R/Fields/StringField.inc L89-90 (default maximum_length 1024); P9
  descr: str(1024),
  // FirewallAlias.inc validate_address L103-136 (is_ipaddr / is_subnet / is_port_or_range, ranges with ':'); P7
  address: arrayOf(str(64, /^([0-9a-fA-F.:]+(\/\d+)?|\d+(:\d+)?)$/), 1),
  // FirewallAlias.inc L63-73, validate_detail L144-159 (no more details than addresses); P8
  detail: arrayOf(str(1024)),
};

const PF_RULE_FIELDS: Record<string, FieldCheck> = {
  // R/Models/FirewallRule.inc L68-73; P12
  type: oneOf('pass', 'block', 'reject'),
  // FirewallRule.inc L74-83 (many), validate_interface L398-408 (one unless floating); values per
  // represent_interfaces_as = id (info.xml L29), which the connector checks first: P13, P14
  interface: arrayOf(str(32, /^(wan|lan|opt\d+)$/), 1, 1),
  // FirewallRule.inc L84-89; P12
  ipprotocol: oneOf('inet', 'inet6', 'inet46'),
  // FirewallRule.inc L90-110 (lower-case choices); P12
  protocol: nullOr(oneOf('tcp', 'udp', 'tcp/udp', 'icmp')),
  // R/Fields/FilterAddressField.inc validate_extra (existing non-port alias); P15
  source: anyString,
  destination: anyString,
  // FirewallRule.inc L152-178 (allow_null, allow_alias), R/Fields/PortField.inc; P16
  source_port: nullOr(anyString),
  destination_port: nullOr(anyString),
  // StringField 1024; FirewallRule.inc L185-189; P17
  descr: str(1024),
  disabled: bool,
  // R/Core/Endpoint.inc L1241 / L1265, R/Core/Model.inc set_placement L1935-1970; P18
  placement: int(0, 1_000_000),
};

// pfSense NAT (port forwards). R/Models/PortForward.inc (line numbers at v2.10.0) and its endpoints
// R/Endpoints/FirewallNATPortForwardEndpoint.inc (GET/POST/PATCH/DELETE), FirewallNATPortForwardsEndpoint.inc (GET,
// PUT, DELETE). Every supported package (v2.0.0+) has both; the connector writes only these values.
const PF_NAT_FIELDS: Record<string, FieldCheck> = {
  // InterfaceField, not many (L51-59); ids as on rules (represent_interfaces_as checked first, P14)
  interface: str(32, /^(wan|lan|opt\d+)$/),
  // L60-65 (v2.1.0+; v2.0.x has no such field and drops it, R/Core/Model.inc from_representation reads model fields
  // only; pfSense then uses inet: pfsense/pfsense src/etc/inc/filter.inc RELENG_2_7_2 L2678-2682)
  ipprotocol: oneOf('inet'),
  // L66-71 (required; lower-case choices)
  protocol: oneOf('tcp', 'udp'),
  // FilterAddressField (L72-76, R/Fields/FilterAddressField.inc validate_extra: `any`)
  source: oneOf('any'),
  // PortField allow_null (L77-87)
  source_port: oneOf(null),
  // FilterAddressField: an IPv4 address (is_ipaddrv4) or `<iface>:ip` (the `:ip` modifier, present in v2.0.0)
  destination: str(40, /^((wan|lan|opt\d+):ip|\d+\.\d+\.\d+\.\d+)$/),
  // PortField allow_range, ranges with ':' (L93-103; R/Fields/PortField.inc REPR_RANGE_CHAR L18)
  destination_port: str(11, /^\d{1,5}(:\d{1,5})?$/),
  // v2.5.3+ SpecialNetworkField allow_ipaddr (L104-117); before, StringField + IPAddressValidator(allow_ipv4)
  target: str(15, /^\d+\.\d+\.\d+\.\d+$/),
  // PortField required, allow_range false (L118-128)
  local_port: str(5, /^\d{1,5}$/),
  // StringField default maximum_length 1024 (L144-149)
  descr: str(1024),
  disabled: oneOf(false),
  nordr: oneOf(false),
  // L158-171: '' = no linked filter rule (v2.0.x StringField choices ['', 'pass'] accept it too)
  associated_rule_id: oneOf(''),
};

const PF_NAT_ENDPOINTS: EndpointRule[] = [
  {
    method: 'GET',
    path: /^\/api\/v2\/firewall\/nat\/port_forwards$/,
    source: 'R/Endpoints/FirewallNATPortForwardsEndpoint.inc; R/QueryFilters/StartsWithQueryFilter.inc',
    query: { descr__startswith: anyString },
    body: 'none',
  },
  {
    method: 'POST',
    path: /^\/api\/v2\/firewall\/nat\/port_forward$/,
    source: 'R/Endpoints/FirewallNATPortForwardEndpoint.inc; R/Models/PortForward.inc',
    body: PF_NAT_FIELDS,
    required: ['interface', 'protocol', 'source', 'destination', 'target', 'local_port'],
  },
  {
    method: 'PATCH',
    path: /^\/api\/v2\/firewall\/nat\/port_forward$/,
    source: 'R/Endpoints/FirewallNATPortForwardEndpoint.inc; R/Models/PortForward.inc',
    body: { id: int(0, 1_000_000), ...PF_NAT_FIELDS },
    required: ['id'],
  },
  {
    method: 'DELETE',
    path: /^\/api\/v2\/firewall\/nat\/port_forward$/,
    // R/Core/Endpoint.inc L1283-1303 (id from the query); no many_minimum on PortForward
    source: 'R/Core/Endpoint.inc L1283-1303; R/Models/PortForward.inc',
    query: { id: (v) => (typeof v === 'string' && /^\d+$/.test(v) ? null : 'not an integer id') },
    body: 'none',
  },
];

export const PFSENSE_TABLE: VendorTable = {
  commonQuery: {},
  endpoints: [
    // R/Endpoints/SystemVersionEndpoint.inc; P2
    {
      method: 'GET',
      path: /^\/api\/v2\/system\/version$/,
      source: 'R/Endpoints/SystemVersionEndpoint.inc',
      body: 'none',
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/system\/restapi\/(version|settings)$/,
      source: 'R/Endpoints/SystemRESTAPIVersionEndpoint.inc, SystemRESTAPISettingsEndpoint.inc',
      body: 'none',
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/firewall\/aliases$/,
      // R/Core/ModelSet.inc L295-314 (field__filter), R/QueryFilters/StartsWithQueryFilter.inc; P4
      source: 'R/Endpoints/FirewallAliasesEndpoint.inc; R/Core/ModelSet.inc L295-314',
      query: { name__startswith: anyString, name: anyString },
      body: 'none',
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/firewall\/rules$/,
      source: 'R/Endpoints/FirewallRulesEndpoint.inc; R/QueryFilters/ContainsQueryFilter.inc',
      query: { interface__contains: anyString, descr__startswith: anyString },
      body: 'none',
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/firewall\/apply$/,
      source: 'R/Endpoints/FirewallApplyEndpoint.inc',
      body: 'none',
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/firewall\/apply$/,
      // R/Core/Endpoint.inc validate_async L796-811; R/Dispatchers/FirewallApplyDispatcher.inc; P22
      source: 'R/Endpoints/FirewallApplyEndpoint.inc; R/Core/Endpoint.inc L796-811',
      body: { async: oneOf(false) },
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/firewall\/alias$/,
      source: 'R/Endpoints/FirewallAliasEndpoint.inc; R/Models/FirewallAlias.inc',
      body: PF_ALIAS_FIELDS,
      required: ['name', 'type'],
    },
    {
      method: 'PATCH',
      path: /^\/api\/v2\/firewall\/alias$/,
      // name is editable: false but an unchanged value passes (R/Core/Field.inc L517-531); P10
      source: 'R/Models/FirewallAlias.inc; R/Core/Field.inc L517-531',
      body: { id: int(0, 1_000_000), ...PF_ALIAS_FIELDS },
      required: ['id'],
    },
    {
      method: 'DELETE',
      path: /^\/api\/v2\/firewall\/(alias|rule)$/,
      // R/Core/Endpoint.inc L1283-1303 (id from the query, URLContentHandler infer_type); P11
      source: 'R/Core/Endpoint.inc L1283-1303',
      query: { id: (v) => (typeof v === 'string' && /^\d+$/.test(v) ? null : 'not an integer id') },
      body: 'none',
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/firewall\/rule$/,
      source: 'R/Endpoints/FirewallRuleEndpoint.inc; R/Models/FirewallRule.inc',
      body: PF_RULE_FIELDS,
      required: ['type', 'interface', 'ipprotocol'],
    },
    {
      method: 'PATCH',
      path: /^\/api\/v2\/firewall\/rule$/,
      source: 'R/Models/FirewallRule.inc; R/Core/Model.inc set_placement',
      body: { id: int(0, 1_000_000), ...PF_RULE_FIELDS },
      required: ['id'],
    },
    ...PF_NAT_ENDPOINTS,
  ],
};

// ------------------------------------------------------------------------------------------------------ FortiOS

const FOS_POLICY_FIELDS: Record<string, FieldCheck> = {
  // ANS/plugins/modules/fortios_firewall_policy.py notes L37-39 (0 = next free id); F16
  policyid: oneOf(0),
  // TF/fortios/resource_firewall_policy.go L53 (35), L1331 comments (1023); F17
  name: str(35),
  comments: str(1023),
  // fortios_firewall_policy.py versioned_schema L2472+; F18, F19 (srcaddr6/dstaddr6 v6.4.0+, L2557/L2569)
  srcintf: names,
  dstintf: names,
  srcaddr: names,
  dstaddr: names,
  srcaddr6: since([6, 4, 0], names, 'fortios_firewall_policy.py L2557'),
  dstaddr6: since([6, 4, 0], names, 'fortios_firewall_policy.py L2569'),
  service: names,
  action: oneOf('accept', 'deny'),
  schedule: oneOf('always'),
  status: oneOf('enable', 'disable'),
  logtraffic: oneOf('all', 'utm', 'disable'),
  nat: oneOf('enable', 'disable'),
  'srcaddr-negate': oneOf('enable', 'disable'),
  'dstaddr-negate': oneOf('enable', 'disable'),
  'service-negate': oneOf('enable', 'disable'),
};

const FOS_ADDRESS_FIELDS: Record<string, FieldCheck> = {
  // ANS/…/fortios_firewall_address.py schema; TF/fortios/resource_firewall_address.go L46 (79), L292 (255); F10
  name: str(79),
  type: oneOf('ipmask', 'iprange'),
  subnet: ipv4Mask,
  'start-ip': str(15, /^\d+\.\d+\.\d+\.\d+$/),
  'end-ip': str(15, /^\d+\.\d+\.\d+\.\d+$/),
  comment: str(255),
};

const FOS_ADDRESS6_FIELDS: Record<string, FieldCheck> = {
  // ANS/…/fortios_firewall_address6.py L147-150 (type options, ip6 prefix); F11
  name: str(79),
  type: oneOf('ipprefix', 'iprange'),
  ip6: str(43, /^[0-9a-fA-F:]+\/\d+$/),
  'start-ip': str(39, /^[0-9a-fA-F:]+$/),
  'end-ip': str(39, /^[0-9a-fA-F:]+$/),
  comment: str(255),
};

const FOS_GROUP_FIELDS = (exclude: FieldCheck): Record<string, FieldCheck> => ({
  // ANS/…/fortios_firewall_addrgrp.py, fortios_firewall_addrgrp6.py; TF/fortios/resource_firewall_addrgrp.go L46/L79; F12
  name: str(79),
  member: names,
  comment: str(255),
  exclude,
});

// ---------------------------------------------------------------------------------------------- FortiOS NAT (VIPs)

const FOS_VIP_PORT = str(11, /^\d{1,5}(-\d{1,5})?$/);
const FOS_VIP_FIELDS: Record<string, FieldCheck> = {
  // ANS/plugins/modules/fortios_firewall_vip.py versioned_schema (v6.0.0+ unless said): name L1664, comment L1667,
  // type L1668, extip L1739, mappedip [{range}] L1808, extintf L1821, portforward L1846, protocol L1856, extport
  // L1866, mappedport L1867; lengths TF/fortios/resource_firewall_vip.go name L46 (79), comment L62 (255), mappedip
  // range L216 (79), extintf L229 (35)
  name: str(79),
  comment: str(255),
  type: oneOf('static-nat'),
  // one IPv4 host; 0.0.0.0 = the extintf's own address (docs.fortinet.com/document/fortigate/7.2.10/
  // administration-guide/443514/configuring-vips)
  extip: str(15, /^\d+\.\d+\.\d+\.\d+$/),
  extintf: (v, ctx) => (v === 'any' ? 'a port forward names its interface' : str(35)(v, ctx)),
  mappedip: (v) =>
    Array.isArray(v) &&
    v.length === 1 &&
    v.every(
      (m) =>
        m !== null &&
        typeof m === 'object' &&
        !Array.isArray(m) &&
        Object.keys(m).join() === 'range' &&
        typeof m.range === 'string' &&
        /^\d+\.\d+\.\d+\.\d+$/.test(m.range),
    )
      ? null
      : 'not one [{range: <IPv4>}]',
  portforward: oneOf('enable'),
  protocol: oneOf('tcp', 'udp'),
  extport: FOS_VIP_PORT,
  mappedport: FOS_VIP_PORT,
  // fortios_firewall_vip.py L1851: v_range v7.0.0+
  status: since([7, 0, 0], oneOf('enable'), 'fortios_firewall_vip.py L1851'),
};

const FOS_NAT_ENDPOINTS: EndpointRule[] = [
  {
    method: 'GET',
    path: /^\/api\/v2\/cmdb\/system\/settings$/,
    // ANS/plugins/modules/fortios_system_settings.py versioned_schema ngfw_mode L1823, central_nat L1938 (v6.0.0+)
    source: 'ANS fortios_system_settings.py',
    query: { format: oneOf('central-nat|ngfw-mode') },
    body: 'none',
  },
  {
    method: 'GET',
    path: /^\/api\/v2\/cmdb\/firewall\/vip(\/[^/]+)?$/,
    source:
      'ANS fortios_firewall_vip.py; TF fgt_filter.html.md (filter), firewall_localinpolicy6_sort.go L22 (format)',
    query: { filter: anyString, format: anyString },
    body: 'none',
  },
  {
    method: 'POST',
    path: /^\/api\/v2\/cmdb\/firewall\/vip$/,
    source: 'ANS fortios_firewall_vip.py versioned_schema L1660+',
    body: FOS_VIP_FIELDS,
    required: [
      'name',
      'type',
      'extintf',
      'extip',
      'mappedip',
      'portforward',
      'protocol',
      'extport',
      'mappedport',
    ],
  },
  {
    method: 'PUT',
    path: /^\/api\/v2\/cmdb\/firewall\/vip\/[^/]+$/,
    source: 'ANS fortios_firewall_vip.py; fortios.py set() L760-790',
    body: FOS_VIP_FIELDS,
  },
  {
    method: 'DELETE',
    path: /^\/api\/v2\/cmdb\/firewall\/vip\/[^/]+$/,
    source:
      'ANS fortios_firewall_vip.py (DELETE by mkey, 404 = success as fortios_firewall_policy.py L2421-2430)',
    body: 'none',
  },
];

export const FORTIOS_TABLE: VendorTable = {
  // ANS/plugins/module_utils/fortios/fortios.py cmdb_url/mon_url L645-672 (`?vdom=` on every call); F2
  commonQuery: { vdom: anyString },
  endpoints: [
    // ANS/plugins/modules/fortios_monitor_fact.py L1478; F3
    {
      method: 'GET',
      path: /^\/api\/v2\/monitor\/system\/status$/,
      source: 'ANS fortios_monitor_fact.py L1478',
      body: 'none',
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb$/,
      // docs.fortinet.com 7.4.0 new-features/174532 (transaction-start, timeout); CLI 7.6.6 cli-reference/148302082
      // (minutes 1-60); F22, F23. Commit/abort syntax: unknown (F24), probed on the device before use.
      source: 'FortiOS 7.4.0 new-features/174532; 7.6.6 cli-reference/148302082; F24 unknown (probed)',
      query: { action: oneOf('transaction-start', 'transaction-commit', 'transaction-abort') },
      body: { timeout: int(1, 60), 'transaction-id': int(1, 2 ** 31) },
    },
    {
      method: 'GET',
      path: /^\/api\/v2\/cmdb\/(firewall\/(address6?|addrgrp6?|policy)|firewall\.service\/(custom|group))(\/[^/]+)?$/,
      // TF/website/docs/guides/fgt_filter.html.md (filter), TF/sdk/sdkcore/firewall_localinpolicy6_sort.go L22
      // (format); F5-F7, F9
      source: 'TF fgt_filter.html.md; TF firewall_localinpolicy6_sort.go L22; TF forticlient.go L151-161',
      query: { filter: anyString, format: anyString },
      body: 'none',
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\/address$/,
      source: 'ANS fortios_firewall_address.py',
      body: FOS_ADDRESS_FIELDS,
      required: ['name', 'type'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\/address\/[^/]+$/,
      source: 'ANS fortios_firewall_address.py; fortios.py set() L760-790',
      body: FOS_ADDRESS_FIELDS,
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\/address6$/,
      source: 'ANS fortios_firewall_address6.py',
      body: FOS_ADDRESS6_FIELDS,
      required: ['name', 'type'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\/address6\/[^/]+$/,
      source: 'ANS fortios_firewall_address6.py',
      body: FOS_ADDRESS6_FIELDS,
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\/addrgrp$/,
      source: 'ANS fortios_firewall_addrgrp.py (exclude v6.2.0+, L546)',
      body: FOS_GROUP_FIELDS(since([6, 2, 0], oneOf('disable'), 'fortios_firewall_addrgrp.py L546')),
      required: ['name', 'member'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\/addrgrp\/[^/]+$/,
      source: 'ANS fortios_firewall_addrgrp.py (exclude v6.2.0+, L546)',
      body: FOS_GROUP_FIELDS(since([6, 2, 0], oneOf('disable'), 'fortios_firewall_addrgrp.py L546')),
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\/addrgrp6$/,
      source: 'ANS fortios_firewall_addrgrp6.py (exclude v7.4.0+, L500); F13',
      body: FOS_GROUP_FIELDS(since([7, 4, 0], oneOf('disable'), 'fortios_firewall_addrgrp6.py L500')),
      required: ['name', 'member'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\/addrgrp6\/[^/]+$/,
      source: 'ANS fortios_firewall_addrgrp6.py (exclude v7.4.0+, L500); F13',
      body: FOS_GROUP_FIELDS(since([7, 4, 0], oneOf('disable'), 'fortios_firewall_addrgrp6.py L500')),
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\.service\/custom$/,
      source:
        'ANS fortios_firewall_service_custom.py L624/L634; TF fortios_firewallservice_custom.html.markdown L28',
      body: {
        name: str(79),
        // L624: TCP/UDP/UDP-Lite/SCTP from v7.6.0; L634: TCP/UDP/SCTP v6.0.0-v7.4.4; F14
        protocol: (v, ctx) =>
          oneOf(atLeast(ctx.version, [7, 6, 0]) ? 'TCP/UDP/UDP-Lite/SCTP' : 'TCP/UDP/SCTP')(v, ctx),
        // dash ranges (TF …custom.html.markdown L28); separator between ranges: unknown (F15)
        'tcp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        'udp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        'sctp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        comment: str(255),
      },
      required: ['name', 'protocol'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\.service\/custom\/[^/]+$/,
      source: 'ANS fortios_firewall_service_custom.py',
      body: {
        name: str(79),
        protocol: (v, ctx) =>
          oneOf(atLeast(ctx.version, [7, 6, 0]) ? 'TCP/UDP/UDP-Lite/SCTP' : 'TCP/UDP/SCTP')(v, ctx),
        'tcp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        'udp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        'sctp-portrange': str(1023, /^(\d+(-\d+)?( \d+(-\d+)?)*)?$/),
        comment: str(255),
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v2\/cmdb\/firewall\/policy$/,
      source: 'ANS fortios_firewall_policy.py; TF resource_firewall_policy.go',
      body: FOS_POLICY_FIELDS,
      required: ['policyid', 'srcintf', 'dstintf', 'schedule'],
    },
    {
      method: 'PUT',
      path: /^\/api\/v2\/cmdb\/firewall\/policy\/\d+$/,
      // partial PUT (fortios.py set() L760-790; F20); move: fortios_firewall_policy.py move_fortios_firewall
      // L2433-2450, TF firewall_policy_move.go (no body); F21
      source: 'ANS fortios.py L760-790; fortios_firewall_policy.py L2433-2450',
      query: { action: oneOf('move'), before: anyString, after: anyString },
      body: FOS_POLICY_FIELDS,
    },
    {
      method: 'DELETE',
      path: /^\/api\/v2\/cmdb\/(firewall\/(address6?|addrgrp6?|policy)|firewall\.service\/custom)\/[^/]+$/,
      // ANS fortios_firewall_policy.py is_successful_status L2421-2430 (DELETE 404 = success); F5
      source: 'ANS fortios_firewall_policy.py L2421-2430',
      body: 'none',
    },
    ...FOS_NAT_ENDPOINTS,
  ],
};

// ----------------------------------------------------------------------------------------------------- OPNsense

const flag = oneOf('0', '1');

const OPN_RULE_FIELDS: Record<string, FieldCheck> = {
  // M/models/OPNsense/Firewall/Filter.xml BooleanFields (enabled L21, quick L61, source_not L165, log L207); O7
  enabled: flag,
  quick: flag,
  log: flag,
  source_not: flag,
  destination_not: flag,
  // Filter.xml L52-60, L76-84, L85-93; O8
  action: oneOf('pass', 'block', 'reject'),
  direction: oneOf('in', 'out'),
  ipprotocol: oneOf('inet', 'inet6'),
  // Filter.xml L69-75 InterfaceField; O10
  interface: str(32, /^[a-z0-9_]+$/),
  // Filter.xml L94 ProtocolField: upper-case keys valid on every version (case folding only from 26.1); O9
  protocol: oneOf('TCP', 'UDP', 'any'),
  // NetworkAliasField.php, PortField.php (alias names, empty allowed); O11, O12
  source_net: anyString,
  destination_net: anyString,
  source_port: anyString,
  destination_port: anyString,
  // Filter.xml L195-198 (not Required); O13
  gateway: oneOf(''),
  // DescriptionField.php L64 (1..255 bytes, no newline); O14
  description: bytes(255),
  // Integer 1-99999 in 24.1…25.1.4, FilterSequenceField 1-999999 from 25.1.5 (Filter.xml L43-49); O15
  sequence: (v, ctx) => {
    const max = atLeast(ctx.version, [25, 1, 5]) ? 999_999 : 99_999;
    return typeof v === 'string' && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max
      ? null
      : `not 1-${max}`;
  },
};

const OPN_ALIAS_FIELDS: Record<string, FieldCheck> = {
  enabled: flag,
  // M/models/OPNsense/Firewall/FieldTypes/AliasNameField.php L78-85; O19
  name: str(32, /^[a-zA-Z0-9_]{1,32}$/),
  // M/models/OPNsense/Firewall/Alias.xml L24-48; O20
  type: oneOf('host', 'network', 'port'),
  // AliasContentField.php L62 (newline separator), validatePort → Util::isPort (a:b); O20
  content: (v) => (typeof v === 'string' && !v.includes(',') ? null : 'not newline-separated entries'),
  // Alias.xml L108 DescriptionField; O21
  description: bytes(255),
};

const NO_BODY = 'none' as const;

// ------------------------------------------------------------------------------- OPNsense destination NAT (26.1+)
// DNX = M/models/OPNsense/Firewall/DNat.xml, DNC = M/controllers/OPNsense/Firewall/Api/DNatController.php (tag 26.1;
// the API first appears there, core PR #9473 / commit da976d77fb). The body is BaseField::setNodes input: containers
// (`source`, `destination`) nested, leaves strings.

const natSince =
  (check: FieldCheck): FieldCheck =>
  (v, ctx) =>
    atLeast(ctx.version, [26, 1]) ? check(v, ctx) : 'd_nat exists only from OPNsense 26.1 (core PR #9473)';
const natObject =
  (fields: Record<string, FieldCheck>): FieldCheck =>
  (v, ctx) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
    for (const [key, value] of Object.entries(v)) {
      const check = fields[key];
      if (!check) return `field ${key} is not defined`;
      const problem = check(value, ctx);
      if (problem) return `${key}: ${problem}`;
    }
    return null;
  };
// PortField with EnableRanges (DNX L48-53, L60-65): one port 1-65535 or `a-b` with a < b (PortField.php L205-230).
const natPort: FieldCheck = (v) => {
  if (typeof v !== 'string') return 'not a string';
  if (v === '') return null;
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v);
  if (!m) return 'not a port or a-b range';
  const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
  return a >= 1 && b <= 65535 && (m[2] === undefined || a < b) ? null : 'out of 1-65535 or a >= b';
};
const ipv4Host: FieldCheck = str(15, /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);

const OPN_NAT_FIELDS: Record<string, FieldCheck> = {
  // DNX L14-15, L85 BooleanField ("0"/"1")
  disabled: natSince(flag),
  nordr: natSince(flag),
  log: natSince(flag),
  // DNX L16-22 InterfaceField (Multiple; the connector writes one id)
  interface: natSince(str(32, /^[a-z0-9_]+$/)),
  // DNX L23-33 OptionField
  ipprotocol: natSince(oneOf('inet')),
  // DNX L34-43 ProtocolField, ChangeCase lower (ForwardRule.php L120-121 compares lower-case tcp/udp)
  protocol: natSince(oneOf('tcp', 'udp')),
  // DNX L44-55: NetworkMappedField network, PortMappedField port, BooleanField not
  source: natSince(natObject({ network: oneOf('any'), port: oneOf(''), not: flag })),
  // DNX L56-67; network: an IPv4 host or `<if>ip` (NetworkAliasField.php option list at 26.1)
  destination: natSince(
    natObject({
      network: (v) =>
        typeof v === 'string' && (/^[a-z0-9_]+ip$/.test(v) || ipv4Host(v, { version: [] }) === null)
          ? null
          : 'not an IPv4 host or <if>ip',
      port: natPort,
      not: flag,
    }),
  ),
  // DNX L68 NetworkAliasField (one value)
  target: natSince(ipv4Host),
  // DNX L69-72 PortField WITHOUT EnableRanges: one port (ForwardRule.php L137-142 extends it over a range)
  'local-port': natSince((v) =>
    typeof v === 'string' && /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535
      ? null
      : 'not one port',
  ),
  // DNX L102-108: '' = Manual (the rule set carries the admitting filter rule)
  pass: natSince(oneOf('')),
  // DNX L95-101: '' = system default
  natreflection: natSince(oneOf('')),
  // DNX L91 DescriptionField (1..255 bytes, no newline)
  descr: natSince(bytes(255)),
};

const OPN_NAT_ENDPOINTS: EndpointRule[] = [
  {
    method: 'GET',
    // ApiMutableModelControllerBase.php getAction L201-209 (`{"DNat":{…}}`); DNC getRuleAction L125-128
    path: /^\/api\/firewall\/d_nat\/(get|getRule\/[^/]+)$/,
    source:
      'M/…/Base/ApiMutableModelControllerBase.php getAction L201-209; DNatController.php L125-128 (26.1+)',
    body: NO_BODY,
  },
  {
    method: 'POST',
    // DNC delRuleAction L130-133 → delBase L519 (body-less POST, like the filter's)
    path: /^\/api\/firewall\/d_nat\/delRule\/[^/]+$/,
    source: 'M/…/Firewall/Api/DNatController.php L130-133 (26.1+)',
    body: NO_BODY,
  },
  {
    method: 'POST',
    // DNC addRuleAction L116-123 → addBase L478-517
    path: /^\/api\/firewall\/d_nat\/addRule$/,
    source: 'M/…/Firewall/Api/DNatController.php L116-123; DNat.xml (26.1+)',
    wrap: 'rule',
    body: OPN_NAT_FIELDS,
    required: ['interface', 'protocol', 'destination', 'target', 'local-port', 'descr', 'pass'],
  },
  {
    method: 'POST',
    // DNC setRuleAction L107-114 → setBase L554 (upsert on an unknown v4 uuid: only after re-reading it)
    path: /^\/api\/firewall\/d_nat\/setRule\/[^/]+$/,
    source: 'M/…/Firewall/Api/DNatController.php L107-114; DNat.xml (26.1+)',
    wrap: 'rule',
    body: OPN_NAT_FIELDS,
  },
];

export const OPNSENSE_TABLE: VendorTable = {
  commonQuery: {},
  endpoints: [
    // M/controllers/OPNsense/Core/Api/FirmwareController.php infoAction; O3
    {
      method: 'GET',
      path: /^\/api\/core\/firmware\/info$/,
      source: 'M/…/Core/Api/FirmwareController.php',
      body: NO_BODY,
    },
    {
      method: 'GET',
      path: /^\/api\/firewall\/(filter|alias)\/get$/,
      // ApiMutableModelControllerBase.php getAction L203-211; O4
      source: 'M/controllers/OPNsense/Base/ApiMutableModelControllerBase.php L203-211',
      body: NO_BODY,
    },
    {
      method: 'GET',
      path: /^\/api\/firewall\/(filter\/getRule|alias\/getAliasUUID|alias\/getItem)\/[^/]+$/,
      // FilterController.php L229-235; AliasController.php L168-199; O5, O22
      source: 'M/…/Firewall/Api/FilterController.php L229-235; AliasController.php L168-199',
      body: NO_BODY,
    },
    {
      method: 'POST',
      // POSTs without body must carry no JSON content type (ApiControllerBase.php parseJsonBodyData L242-262); O2.
      // savepoint/cancelRollback exist ≤26.1.x only (core 17b84612eb); O26-O28
      path: /^\/api\/firewall\/(filter\/(savepoint|apply|apply\/[\d.]+|cancelRollback\/[\d.]+|delRule\/[^/]+)|alias\/(reconfigure|delItem\/[^/]+))$/,
      source: 'M/…/Firewall/Api/FilterBaseController.php L303-348; AliasController.php L209-223, L328-342',
      body: NO_BODY,
    },
    {
      method: 'POST',
      path: /^\/api\/firewall\/filter\/addRule$/,
      // addBase L482-513; O6
      source: 'M/controllers/OPNsense/Base/ApiMutableModelControllerBase.php addBase L482-513; Filter.xml',
      wrap: 'rule',
      body: OPN_RULE_FIELDS,
      required: ['interface', 'protocol', 'description'],
    },
    {
      method: 'POST',
      path: /^\/api\/firewall\/filter\/setRule\/[^/]+$/,
      // setBase L569-607 (upsert: only after re-reading the uuid); O17
      source: 'ApiMutableModelControllerBase.php setBase L569-607',
      wrap: 'rule',
      body: OPN_RULE_FIELDS,
    },
    {
      method: 'POST',
      path: /^\/api\/firewall\/alias\/(addItem|setItem\/[^/]+)$/,
      // AliasController.php L133-148; O19-O23
      source: 'M/controllers/OPNsense/Firewall/Api/AliasController.php L133-148; Alias.xml',
      wrap: 'alias',
      body: OPN_ALIAS_FIELDS,
    },
    ...OPN_NAT_ENDPOINTS,
  ],
};
