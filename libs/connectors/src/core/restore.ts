import type { FirewallConnector } from './connector';
import { toConnectorError, type ConnectorErrorJson } from './errors';
import { isPlanEmpty, type ApplyResult, type DesiredState, type ManagedState, type Plan } from './model';

/**
 * What the connector's own recovery did after a push went wrong, and what is live on the device afterwards.
 * `live`: `previous` — the managed objects and rules are back as they were read before the push (verified);
 * `new` — the push's changes stay (nothing to undo, or a vendor rollback was left to handle it, see `actions`);
 * `partial` — the restore itself failed or did not verify: some of the push may be live; `unknown` — the device
 * could not be read.
 */
export interface RestoreReport {
  status: 'restored' | 'not_needed' | 'deferred' | 'failed';
  live: 'previous' | 'new' | 'partial' | 'unknown';
  writes: number;
  actions: string[];
  error?: ConnectorErrorJson;
}

/** The managed state read before a push, as a desired state (first copy of each name; order per scope). */
export function desiredFromManaged(previous: ManagedState): DesiredState {
  const firstByName = <T extends { name: string }>(list: T[]): T[] => {
    const seen = new Set<string>();
    return list.filter((x) => (seen.has(x.name) ? false : (seen.add(x.name), true)));
  };
  const order: Record<string, string[]> = {};
  for (const seq of previous.sequences) {
    const names = seq.entries.filter((e) => e.managed && e.name !== null).map((e) => e.name!);
    if (names.length > 0) order[seq.scope] = [...new Set(names)];
  }
  return {
    addresses: firstByName(previous.addresses),
    services: firstByName(previous.services),
    rules: firstByName(previous.rules),
    order,
    // NAT entries read before the push come back too (absent: the connector read none, so none are planned).
    ...(previous.nat ? { nat: firstByName(previous.nat) } : {}),
  };
}

/** Why the push's own recovery runs: its apply failed, or the verification after a successful apply did. */
export interface RestoreContext {
  stage: 'apply' | 'verify';
  apply: ApplyResult;
  ruleSetHash: string;
}

/** A connector that can plan towards a normalised desired state (the one it read before a push). */
export interface RestorableConnector extends FirewallConnector {
  planTo(want: DesiredState, live: ManagedState, ruleSetHash: string): Plan;
}

/**
 * Puts the managed objects and rules back to `previous` with compensating writes (the planner orders them:
 * creates and updates first, rule order, then deletes in reverse dependency order), applies them through the
 * connector's normal executor, and re-reads to verify. Never throws.
 */
export async function restoreManagedState(
  connector: RestorableConnector,
  previous: ManagedState,
  ruleSetHash: string,
): Promise<RestoreReport> {
  const want = desiredFromManaged(previous);
  const actions: string[] = [];
  let writes = 0;
  try {
    const current = await connector.readState();
    const back = connector.planTo(want, current, ruleSetHash);
    if (isPlanEmpty(back)) {
      return {
        status: 'not_needed',
        live: 'previous',
        writes: 0,
        actions: ['the device already holds the managed state read before the push: nothing to undo'],
      };
    }
    actions.push(
      `undoing the push with ${back.changes.length} compensating change(s): ` +
        back.changes.map((c) => `${c.op} ${c.kind} ${c.name}`).join(', '),
    );
    const result = await connector.apply(back);
    writes += result.writes;
    if (!result.ok) {
      actions.push(`the restore failed: ${result.error?.message ?? 'unknown error'}`);
      return { status: 'failed', live: 'partial', writes, actions, error: result.error };
    }
    const after = await connector.readState();
    const rest = connector.planTo(want, after, ruleSetHash);
    if (!isPlanEmpty(rest)) {
      actions.push(
        `after the restore the device still differs from before the push: ` +
          rest.changes.map((c) => `${c.kind} ${c.name} needs ${c.op}`).join('; '),
      );
      return { status: 'failed', live: 'partial', writes, actions };
    }
    actions.push('restored and verified: the device holds the managed state read before the push');
    return { status: 'restored', live: 'previous', writes, actions };
  } catch (err) {
    const error = toConnectorError(err).toJSON();
    actions.push(`the restore could not complete: ${error.message}`);
    return { status: 'failed', live: writes > 0 ? 'partial' : 'unknown', writes, actions, error };
  }
}
