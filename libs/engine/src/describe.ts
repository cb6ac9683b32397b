/** Human-readable descriptions and name labels of node groups (used for objects, rules and explanations). */
import { compareText } from './compare';
import type { IndexedNode } from './inventory-index';
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

function groupByRole(nodes: readonly IndexedNode[]): Array<[Role, IndexedNode[]]> {
  return ROLES.map((role): [Role, IndexedNode[]] => [role, nodes.filter((n) => n.node.role === role)]).filter(
    ([, list]) => list.length > 0,
  );
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
  return groupByRole(nodes)
    .map(([role, list]) => {
      if (list.length === 1) return `${role} ${list[0].node.name}`;
      return `${PLURAL[role]} of ${listSites(sortedUnique(list.map(siteName)))}`;
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

/**
 * Name label of an address object: the node name for one node, `<role>_<site>` for several nodes of one
 * role and site, `<role>_<n>_sites`, `<role>_<role>_<site>` or `mixed_<n>_nodes` otherwise; `_v6` for IPv6.
 * With `qualify` (a rule set serving several deployments), an object whose nodes are all in one named
 * deployment starts with `<deployment>_`, so two customers' "agent_HQ" objects do not read alike.
 */
export function objectLabel(nodes: readonly IndexedNode[], family: AddressFamily, qualify = false): string {
  const deployment = nodes[0]?.deployment;
  if (qualify && deployment && nodes.every((n) => n.deployment === deployment)) {
    return `${sanitizeLabel(deployment.name)}_${objectLabel(nodes, family)}`;
  }
  let label: string;
  if (nodes.length === 1) {
    label = sanitizeLabel(nodes[0].node.name);
  } else {
    const roles = groupByRole(nodes).map(([role]) => role);
    const sites = sortedUnique(nodes.map(siteName));
    if (roles.length === 1 && sites.length === 1) label = `${roles[0]}_${sanitizeLabel(sites[0])}`;
    else if (roles.length === 1) label = `${roles[0]}_${sites.length}_sites`;
    else if (sites.length === 1) label = `${roles.join('_')}_${sanitizeLabel(sites[0])}`;
    else label = `mixed_${nodes.length}_nodes`;
  }
  return family === 6 ? `${label}_v6` : label;
}
