/**
 * Device state a push leaves behind on the firewall that must outlive the process running the push:
 *
 * - `transaction`: a FortiOS batch transaction that is (or may be) open. Its tables stay locked for other
 *   transactions (`-580 … locked by transaction`) until it is committed, aborted or expires on the device.
 * - `rollback`: an OPNsense `apply/{revision}` whose rollback timer may still be armed; when it fires the device
 *   restores the filter rules of the savepoint, removing what the push applied.
 * - `uncommitted`: pfSense/OPNsense writes that are in the configuration but not applied (pfSense rule writes do
 *   not even mark the device dirty, so only this record knows about them).
 *
 * Each item is recorded BEFORE the device call that creates it and cleared after it is resolved, so a crash at any
 * point leaves a record that over-approximates the device (resolving something that is not there is harmless:
 * aborting an unknown transaction answers "not found", cancelling a fired rollback answers "no timer", an extra
 * apply reloads the same rules). The next push to the device (`FirewallConnector.recover`) or a start-up sweep
 * resolves it. Connectors see the store through this port only; the service implements it on its database.
 */
export interface PendingTransaction {
  /** Null between "about to call transaction-start" and its answer: no write was made inside it yet. */
  id: number | null;
  openedAt: string;
}

export interface PendingRollback {
  revision: string;
  /** When the device's timer has certainly fired (armed at the apply call + window + slack). ISO time. */
  expiresAt: string;
  /** Rule set the apply came from. */
  ruleSetHash: string;
  reason: string;
}

export interface PendingState {
  transaction: PendingTransaction | null;
  rollback: PendingRollback | null;
  uncommitted: boolean;
}

export const NOTHING_PENDING: PendingState = Object.freeze({
  transaction: null,
  rollback: null,
  uncommitted: false,
});

/** The store of ONE device's pending state (a connector talks to one device). */
export interface PendingStateStore {
  read(): Promise<PendingState>;
  /** Sets the given fields (others unchanged). Must be durable when it resolves: the device write follows. */
  record(patch: Partial<PendingState>): Promise<void>;
  /**
   * Optional: `uncommitted: false` after a successful commit (or when nothing was written after all), which a store
   * may leave to whoever records the end of the push, in that statement, instead of a round trip of its own: `read`
   * answers false from now on and a later `record` writes it along. Until written the row over-approximates the
   * device (a crash in between makes the next push apply once more, which is harmless). Without it: `record`.
   */
  clearUncommitted?(): Promise<void>;
}

/** `uncommitted: false`, deferred when the store can (PendingStateStore.clearUncommitted). */
export function clearUncommitted(store: PendingStateStore): Promise<void> {
  return store.clearUncommitted ? store.clearUncommitted() : store.record({ uncommitted: false });
}

export function hasPending(state: PendingState): boolean {
  return state.transaction !== null || state.rollback !== null || state.uncommitted;
}

/** Keeps the state in memory; for tests, and shared by instances that should see the same "database". */
export class InMemoryPendingStateStore implements PendingStateStore {
  protected state: PendingState = { ...NOTHING_PENDING };
  /** Every `record` call, in order (tests assert what was recorded before which device call). */
  readonly history: Partial<PendingState>[] = [];

  read(): Promise<PendingState> {
    return Promise.resolve({ ...this.state });
  }

  record(patch: Partial<PendingState>): Promise<void> {
    this.history.push(patch);
    this.state = { ...this.state, ...patch };
    return Promise.resolve();
  }
}

const processStores = new Map<string, InMemoryPendingStateStore>();

/**
 * The default when no store is given (library use, demo, bench): one in-memory store per device key for the
 * process. A restart forgets it; the service passes its database-backed store instead.
 */
export function processPendingState(deviceKey: string): InMemoryPendingStateStore {
  let store = processStores.get(deviceKey);
  if (!store) {
    store = new InMemoryPendingStateStore();
    processStores.set(deviceKey, store);
  }
  return store;
}

/** What resolving a device's pending state did, in words for the push history. */
export interface RecoveryReport {
  /** Sentences, e.g. "aborted FortiOS transaction 7 left open by an interrupted push". Empty: nothing pending. */
  actions: string[];
  /** Device calls made (abort, cancelRollback, reads are not counted). */
  writes: number;
}
