/** Human-readable descriptions and name labels of node groups (used for objects, rules and explanations). */
import { compareText } from './compare';
import {
  flowsOfSource,
  type FlowTable,
  type IndexedFlow,
  type IndexedNode,
  type InventoryIndex,
} from './inventory-index';
import { AddressFamily, FlowTarget, ROLES, Role } from './model';
import { sanitizeLabel } from './naming';

const PLURAL: Record<Role, string> = {
  master: 'masters',
  probe: 'probes',
  agent: 'agents',
  agentless: 'agentless sources',
  console: 'consoles',
};

function siteName(node: IndexedNode): string {
  return node.site?.name ?? node.node.siteId;
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compareText);
}

function listSites(names: readonly string[]): string {
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} more sites`;
}

/** The nodes of one role in a group: the first, how many, their sites' names. */
interface RoleGroup {
  first: IndexedNode;
  count: number;
  sites: Set<string>;
}

/**
 * Nodes grouped by deployment (by name, then id; the implicit deployment first), each group's text
 * prefixed with "<deployment>: ". Used when a rule set serves several deployments, so its descriptions
 * and explanations say whose traffic each rule carries; with one deployment the text stays unqualified.
 */
function byDeployment(nodes: readonly IndexedNode[], describe: (group: IndexedNode[]) => string): string {
  const groups = new Map<string, IndexedNode[]>();
  for (const n of nodes) {
    const key = n.deployment?.id ?? '';
    const list = groups.get(key);
    if (list) list.push(n);
    else groups.set(key, [n]);
  }
  return [...groups.values()]
    .map((group) => ({ deployment: group[0].deployment, group }))
    .sort(
      (a, b) =>
        compareText(a.deployment?.name ?? '', b.deployment?.name ?? '') ||
        compareText(a.deployment?.id ?? '', b.deployment?.id ?? ''),
    )
    .map(({ deployment, group }) => (deployment ? `${deployment.name}: ` : '') + describe(group))
    .join('; ');
}

/**
 * "master hq-master", "agents of HQ", "agents of Branch-1, Branch-2, Branch-3 and 7 more sites";
 * several roles are joined with "; ". With `qualify`, each deployment's nodes are prefixed with its name.
 */
export function describeNodes(nodes: readonly IndexedNode[], qualify = false): string {
  if (qualify) return byDeployment(nodes, (group) => describeNodes(group));
  // one pass, no list per role: a hub object holds every agent
  const byRole = new Map<Role, RoleGroup>();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const role = byRole.get(n.node.role);
    if (role) {
      role.count++;
      role.sites.add(siteName(n));
    } else {
      byRole.set(n.node.role, { first: n, count: 1, sites: new Set([siteName(n)]) });
    }
  }
  return ROLES.filter((role) => byRole.has(role))
    .map((role) => {
      const { first, count, sites } = byRole.get(role) as RoleGroup;
      if (count === 1) return `${role} ${first.node.name}`;
      return `${PLURAL[role]} of ${listSites(sortedUnique(sites))}`;
    })
    .join('; ');
}

/** Like {@link describeNodes}, but destinations reached as "the source's collector" read "collector X". */
export function describeTarget(nodes: readonly IndexedNode[], target: FlowTarget, qualify = false): string {
  if (qualify) return byDeployment(nodes, (group) => describeTarget(group, target));
  if (target !== 'collector') return describeNodes(nodes);
  if (nodes.length === 1) return `collector ${nodes[0].node.name}`;
  if (nodes.length <= 3) return `collectors ${sortedUnique(nodes.map((n) => n.node.name)).join(', ')}`;
  return `collectors of ${listSites(sortedUnique(nodes.map(siteName)))}`;
}

/** The roles of a group of nodes, in role order, joined with `_` (`agent`, `agent_agentless`). */
export function roleLabel(nodes: readonly IndexedNode[]): string {
  const present = new Set<Role>();
  for (let i = 0; i < nodes.length; i++) present.add(nodes[i].node.role);
  return ROLES.filter((role) => present.has(role)).join('_');
}

/**
 * Readable part of an address object's name: the roles of its nodes and the interface the addresses sit
 * behind, `_v6` for IPv6 (`agent_wan`, `master_opt1_v6`, `agent_agentless_lan`): what the object stands for
 * on this device, never how many nodes it holds or how many sites they come from. compute.ts appends the
 * hash of its members' signatures ({@link memberSignature}). With `qualify` (a rule set serving several
 * deployments), an object whose nodes are all in one named deployment starts with `<deployment>_`, so two
 * customers' objects do not read alike. `roles` is {@link roleLabel} of the nodes, when the caller has it.
 */
export function objectLabel(
  nodes: readonly IndexedNode[],
  family: AddressFamily,
  interfaces: readonly string[],
  qualify = false,
  roles = roleLabel(nodes),
): string {
  const deployment = nodes[0]?.deployment;
  const label = [roles, ...interfaces.map(sanitizeLabel)].join('_');
  const qualified =
    qualify && deployment && nodes.every((n) => n.deployment === deployment)
      ? `${sanitizeLabel(deployment.name)}_${label}`
      : label;
  return family === 6 ? `${qualified}_v6` : qualified;
}

/**
 * What a node stands for in an address object, without its name, address or site, so that members that
 * stand for the same thing are interchangeable (another agent reporting to the same collector) and an
 * object's set of member signatures stays the same when such members come and go:
 * - in an object that is some rule's destination (a master, a collector, the probes a master reaches):
 *   the role and the name of a probe's master (`masterId`). Not the flows that reach it nor whether it is someone's
 *   collector: those change with sources elsewhere;
 * - in an object that is only ever a source: also what the node asks of the network, i.e. the flows that
 *   apply to it (consoles with other selectors, agentless sources of other log types differ) and its
 *   collector when one of them goes to the collector (agents reporting elsewhere differ). All of them,
 *   not only those of the object's rules, so the signature does not depend on how rules were merged.
 * Not the deployment: objects of several deployments on one device are labelled with it already, and a
 * single named deployment names things exactly as the implicit one does. Other nodes (a collector, a
 * probe's master) by name, not id: the ids are the database's, and the same inventory loaded elsewhere
 * must get the same names.
 */
export function memberSignature(
  index: InventoryIndex,
  table: FlowTable,
  node: IndexedNode,
  target: boolean,
): string {
  const master =
    node.node.role === 'probe' && node.node.masterId ? index.nodeWithId(node.node.masterId) : null;
  const kind = `${node.node.role}|${master?.node.name ?? ''}`;
  if (target) return `target|${kind}`;
  const flows = flowsOfSource(table, node);
  const collector = flows.some((f) => f.flow.to === 'collector') ? index.collectorOf(node) : null;
  return `source|${kind}|${flowIdsText(flows)}|${collector?.node.name ?? ''}`;
}

/**
 * {@link memberSignature} of many nodes. Nodes that share what a signature is made of share its text, found by
 * identity (the node's flow list, which is one role's, and its collector) rather than by writing and hashing the
 * text again for each of 555,000 nodes. A probe's master and the empty flow list (every role's) are not part of
 * that key: such nodes (few) get their text written.
 */
export class MemberSignatures {
  private readonly targets = new Map<Role, string>();
  private readonly sources = new Map<readonly IndexedFlow[], Map<IndexedNode | null, string>>();

  constructor(
    private readonly index: InventoryIndex,
    private readonly table: FlowTable,
  ) {}

  of(node: IndexedNode, target: boolean): string {
    const role = node.node.role;
    if (role === 'probe' && node.node.masterId) return memberSignature(this.index, this.table, node, target);
    if (target) {
      let text = this.targets.get(role);
      if (text === undefined)
        this.targets.set(role, (text = memberSignature(this.index, this.table, node, true)));
      return text;
    }
    const flows = flowsOfSource(this.table, node);
    if (flows.length === 0) return memberSignature(this.index, this.table, node, false);
    const collector = flows.some((f) => f.flow.to === 'collector') ? this.index.collectorOf(node) : null;
    let byCollector = this.sources.get(flows);
    if (!byCollector) this.sources.set(flows, (byCollector = new Map<IndexedNode | null, string>()));
    let text = byCollector.get(collector);
    if (text === undefined) {
      byCollector.set(collector, (text = memberSignature(this.index, this.table, node, false)));
    }
    return text;
  }
}

/** The sorted ids of a node's flows, written once per list ({@link flowsOfSource} shares one per kind of node). */
const flowIdTexts = new WeakMap<readonly IndexedFlow[], string>();

function flowIdsText(flows: readonly IndexedFlow[]): string {
  let text = flowIdTexts.get(flows);
  if (text === undefined) {
    text = flows
      .map((f) => f.flow.id)
      .sort(compareText)
      .join(',');
    flowIdTexts.set(flows, text);
  }
  return text;
}
