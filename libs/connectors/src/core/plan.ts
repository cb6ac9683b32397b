import type { RuleSet, Vendor } from '@app/engine/model';
import { ConnectorError } from './errors';
import type {
  AddressChange,
  DesiredState,
  ManagedAddress,
  ManagedNat,
  NatChange,
  ManagedRule,
  ManagedService,
  ManagedState,
  Plan,
  PlanChange,
  ReorderChange,
  RuleChange,
  ServiceChange,
} from './model';
import type { BlockPosition } from './target';

export interface PlanOptions {
  vendor: Vendor;
  deviceId: string;
  deviceKey: string;
  ruleSetHash: string;
  prefix: string;
  blockPosition: BlockPosition;
  /** Address and service objects share one namespace on the device (pfSense and OPNsense aliases). */
  sharedObjectNamespace?: boolean;
}

/**
 * Refuses a live state or rule set that belongs to another device: planning one device against another's state would
 * delete everything the two do not share.
 */
export function assertSameDevice(
  target: { id: string; vendor: Vendor },
  settings: { deviceKey: string },
  desired: RuleSet,
  live: ManagedState,
): void {
  if (live.vendor !== target.vendor || live.deviceKey !== settings.deviceKey) {
    throw new ConnectorError({ kind: 'validation', message: 'live state was read from another device' });
  }
  if (desired.deviceId !== target.id) {
    throw new ConnectorError({
      kind: 'validation',
      message: `rule set is for device ${desired.deviceId}, this connector targets ${target.id}`,
    });
  }
}

export interface Conflict {
  kind: 'address' | 'service' | 'rule' | 'nat';
  name: string;
  reason: string;
}

/**
 * The generic, pure planner. Connectors normalise the desired rule set and the live device into the same shapes and
 * call this; equal normalised values produce no change, so an unchanged device plans to nothing.
 *
 * Throws `validation` for an inconsistent desired state and `conflict` when a desired name is held by an UNMANAGED
 * object on the device (such objects are never adopted or overwritten; the operator must rename or remove them).
 */
export function computePlan(desired: DesiredState, live: ManagedState, options: PlanOptions): Plan {
  validateDesired(desired, options);
  const conflicts = findConflicts(desired, live);
  if (conflicts.length > 0) {
    throw new ConnectorError({
      kind: 'conflict',
      message:
        `Unmanaged object(s) on the device use managed name(s): ` +
        conflicts.map((c) => `${c.kind} ${c.name}`).join(', ') +
        `. They are not adopted; rename or remove them, or change the prefix.`,
      details: { conflicts },
    });
  }

  const warnings = [...live.warnings];
  const upserts: PlanChange[] = [];
  const deletes: PlanChange[] = [];

  const addr = diffObjects<ManagedAddress>('address', desired.addresses, live.addresses, warnings);
  const svc = diffObjects<ManagedService>('service', desired.services, live.services, warnings);
  const nat = diffObjects<ManagedNat>('nat', desired.nat ?? [], live.nat ?? [], warnings);
  upserts.push(
    ...(addr.upserts as AddressChange[]),
    ...(svc.upserts as ServiceChange[]),
    ...(nat.upserts as NatChange[]),
  );

  const rules = diffRules(desired, live);
  upserts.push(...rules.upserts);
  const reorders = planReorders(desired, live, options.blockPosition, rules.movingAway);
  deletes.push(
    ...rules.deletes,
    ...(nat.deletes as NatChange[]),
    ...(svc.deletes as ServiceChange[]),
    ...(addr.deletes as AddressChange[]),
  );

  const changes = [...upserts, ...reorders, ...deletes];
  return {
    vendor: options.vendor,
    deviceId: options.deviceId,
    deviceKey: options.deviceKey,
    ruleSetHash: options.ruleSetHash,
    prefix: options.prefix,
    blockPosition: options.blockPosition,
    changes,
    pendingCommit: live.pendingCommit,
    summary: {
      create: changes.filter((c) => c.op === 'create').length,
      update: changes.filter((c) => c.op === 'update').length,
      delete: changes.filter((c) => c.op === 'delete').length,
      reorder: changes.filter((c) => c.op === 'reorder').length,
    },
    warnings,
  };
}

function validateDesired(desired: DesiredState, options: PlanOptions): void {
  const problems: string[] = [];
  const check = (kind: string, names: string[]): void => {
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.startsWith(options.prefix))
        problems.push(`${kind} ${name} does not start with ${options.prefix}`);
      if (seen.has(name)) problems.push(`duplicate ${kind} name ${name}`);
      seen.add(name);
    }
  };
  if (options.sharedObjectNamespace) {
    check('object', [...desired.addresses.map((a) => a.name), ...desired.services.map((s) => s.name)]);
  } else {
    check(
      'address',
      desired.addresses.map((a) => a.name),
    );
    check(
      'service',
      desired.services.map((s) => s.name),
    );
  }
  check(
    'rule',
    desired.rules.map((r) => r.name),
  );
  check(
    'NAT entry',
    (desired.nat ?? []).map((n) => n.name),
  );
  // A FortiOS policy's destination may be a VIP (a NAT entry) instead of an address object.
  const objectNames = new Set([
    ...desired.addresses.map((a) => a.name),
    ...(desired.nat ?? []).map((n) => n.name),
  ]);
  const serviceNames = new Set(desired.services.map((s) => s.name));
  for (const rule of desired.rules) {
    for (const ref of [rule.source, rule.destination]) {
      if (!objectNames.has(ref)) problems.push(`rule ${rule.name} references unknown address object ${ref}`);
    }
    if (!serviceNames.has(rule.service)) {
      problems.push(`rule ${rule.name} references unknown service object ${rule.service}`);
    }
  }
  for (const rule of desired.rules) {
    if (!(desired.order[rule.scope] ?? []).includes(rule.name)) {
      problems.push(`rule ${rule.name} is missing from the order of scope ${rule.scope}`);
    }
  }
  if (problems.length > 0) {
    throw new ConnectorError({
      kind: 'validation',
      message: `Invalid desired state: ${problems.join('; ')}`,
      details: { problems },
    });
  }
}

function findConflicts(desired: DesiredState, live: ManagedState): Conflict[] {
  const conflicts: Conflict[] = [];
  const foreignAddresses = new Set(live.foreign.addresses);
  const foreignServices = new Set(live.foreign.services);
  const foreignRules = new Set(live.foreign.rules);
  const foreignNat = new Set(live.foreign.nat ?? []);
  const reason = 'exists on the device without the managed marker';
  for (const a of desired.addresses) {
    if (foreignAddresses.has(a.name)) conflicts.push({ kind: 'address', name: a.name, reason });
  }
  for (const s of desired.services) {
    if (foreignServices.has(s.name)) conflicts.push({ kind: 'service', name: s.name, reason });
  }
  for (const r of desired.rules) {
    if (foreignRules.has(r.name)) conflicts.push({ kind: 'rule', name: r.name, reason });
  }
  for (const n of desired.nat ?? []) {
    if (foreignNat.has(n.name)) conflicts.push({ kind: 'nat', name: n.name, reason });
  }
  return conflicts;
}

type ObjectValue = ManagedAddress | ManagedService | ManagedNat;

function diffObjects<T extends ObjectValue>(
  kind: 'address' | 'service' | 'nat',
  desired: T[],
  live: T[],
  warnings: string[],
): { upserts: PlanChange[]; deletes: PlanChange[] } {
  const liveByName = new Map<string, T>();
  for (const obj of live) {
    if (liveByName.has(obj.name)) warnings.push(`duplicate live ${kind} ${obj.name} ignored`);
    else liveByName.set(obj.name, obj);
  }
  const upserts: PlanChange[] = [];
  const deletes: PlanChange[] = [];
  const desiredNames = new Set(desired.map((d) => d.name));
  for (const want of [...desired].sort(byName)) {
    const have = liveByName.get(want.name);
    if (!have) {
      upserts.push({
        id: `create:${kind}:${want.name}`,
        kind,
        op: 'create',
        name: want.name,
        before: null,
        after: want,
      } as PlanChange);
    } else if (!sameValue(have, want)) {
      upserts.push({
        id: `update:${kind}:${want.name}`,
        kind,
        op: 'update',
        name: want.name,
        before: have,
        after: want,
      } as PlanChange);
    }
  }
  for (const have of [...liveByName.values()].sort(byName)) {
    if (!desiredNames.has(have.name)) {
      deletes.push({
        id: `delete:${kind}:${have.name}`,
        kind,
        op: 'delete',
        name: have.name,
        before: have,
        after: null,
      } as PlanChange);
    }
  }
  return { upserts, deletes };
}

function diffRules(
  desired: DesiredState,
  live: ManagedState,
): { upserts: RuleChange[]; deletes: RuleChange[]; movingAway: Set<string> } {
  const kept = new Map<string, ManagedRule>();
  const deletes: RuleChange[] = [];
  const desiredByName = new Map(desired.rules.map((r) => [r.name, r]));
  let dup = 0;
  for (const rule of live.rules) {
    if (!kept.has(rule.name)) {
      kept.set(rule.name, rule);
    } else {
      // A duplicate managed rule (e.g. left by an interrupted push of an older version): remove the extra copy.
      dup += 1;
      deletes.push({
        id: `delete:rule:${rule.name}#dup${dup}`,
        kind: 'rule',
        op: 'delete',
        name: rule.name,
        before: rule,
        after: null,
      });
    }
  }
  const upserts: RuleChange[] = [];
  const movingAway = new Set<string>();
  const ordered = [...desired.rules].sort(
    (a, b) =>
      a.scope.localeCompare(b.scope) ||
      (desired.order[a.scope] ?? []).indexOf(a.name) - (desired.order[b.scope] ?? []).indexOf(b.name),
  );
  for (const want of ordered) {
    const have = kept.get(want.name);
    if (!have) {
      upserts.push({
        id: `create:rule:${want.name}`,
        kind: 'rule',
        op: 'create',
        name: want.name,
        before: null,
        after: want,
      });
    } else if (!sameValue(have, want)) {
      if (have.scope !== want.scope) movingAway.add(`${have.scope}\u0000${have.name}`);
      upserts.push({
        id: `update:rule:${want.name}`,
        kind: 'rule',
        op: 'update',
        name: want.name,
        before: have,
        after: want,
      });
    }
  }
  const staleDeletes: RuleChange[] = [];
  for (const have of kept.values()) {
    if (!desiredByName.has(have.name)) {
      staleDeletes.push({
        id: `delete:rule:${have.name}`,
        kind: 'rule',
        op: 'delete',
        name: have.name,
        before: have,
        after: null,
      });
    }
  }
  staleDeletes.sort((a, b) => byName(a, b));
  return { upserts, deletes: [...staleDeletes, ...deletes], movingAway };
}

function planReorders(
  desired: DesiredState,
  live: ManagedState,
  position: BlockPosition,
  movingAway: Set<string>,
): ReorderChange[] {
  const desiredScopeOf = new Map(desired.rules.map((r) => [r.name, r.scope]));
  const liveScopeOf = new Map<string, string>();
  for (const r of live.rules) if (!liveScopeOf.has(r.name)) liveScopeOf.set(r.name, r.scope);
  const scopes = Object.keys(desired.order)
    .filter((s) => desired.order[s].length > 0)
    .sort();
  const out: ReorderChange[] = [];
  for (const scope of scopes) {
    const want = desired.order[scope];
    const entries = live.sequences.find((s) => s.scope === scope)?.entries ?? [];
    const liveManaged: string[] = [];
    for (const e of entries)
      if (e.managed && e.name !== null && !liveManaged.includes(e.name)) liveManaged.push(e.name);
    // Managed rules that stay in this scope (desired here, kept instance lives here, not moving away).
    const stays = (name: string): boolean =>
      desiredScopeOf.get(name) === scope &&
      liveScopeOf.get(name) === scope &&
      !movingAway.has(`${scope}\u0000${name}`);
    const survivors = liveManaged.filter(stays);
    const wantSurvivors = want.filter((n) => survivors.includes(n));
    let needed = survivors.join('\u0000') !== wantSurvivors.join('\u0000');
    if (!needed) needed = want.some((n) => !survivors.includes(n));
    if (!needed && survivors.length > 0) {
      // Is the managed block at its place relative to the rules people made (managed rules to be deleted ignored)?
      // Duplicate copies of a surviving name are removed by deletes: only the first occurrence counts.
      const seen = new Set<string>();
      const relevant = entries.filter((e) => {
        if (!e.managed) return true;
        if (e.name === null || !survivors.includes(e.name) || seen.has(e.name)) return false;
        seen.add(e.name);
        return true;
      });
      const idxManaged = relevant.map((e, i) => (e.managed ? i : -1)).filter((i) => i >= 0);
      const idxForeign = relevant.map((e, i) => (!e.managed ? i : -1)).filter((i) => i >= 0);
      if (idxForeign.length > 0) {
        needed =
          position === 'top'
            ? Math.min(...idxForeign) < Math.max(...idxManaged)
            : Math.max(...idxForeign) > Math.min(...idxManaged);
      }
    }
    if (needed) {
      out.push({
        id: `reorder:order:${scope}`,
        kind: 'order',
        op: 'reorder',
        name: scope,
        before: liveManaged,
        after: [...want],
      });
    }
  }
  return out;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Deep equality of normalised values, ignoring the informational `ref`. */
export function sameValue(a: object, b: object): boolean {
  return stableStringify(a) === stableStringify(b);
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === 'ref') continue;
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
