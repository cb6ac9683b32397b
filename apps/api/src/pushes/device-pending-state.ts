import { NOTHING_PENDING, type PendingState, type PendingStateStore } from '@app/connectors';
import type { Prisma } from '@app/persistence';
import type { PrismaService } from '../database/prisma.service';

type Row = Prisma.DevicePendingStateGetPayload<object>;

/**
 * A device's pending state (open FortiOS transaction, armed OPNsense rollback, uncommitted writes) in the
 * `device_pending_states` row, so it outlives the process that made it and every replica sees it. Each `record`
 * is one upsert that has committed when it resolves: the connector makes the device call only afterwards.
 *
 * One store serves one connector, i.e. one push (or plan, or sweep) that holds the device: nobody else writes the
 * row meanwhile, so the row is read once (or handed in by a caller that read it under the device lock) and
 * kept in step with what this store records.
 *
 * With `deferClear` (a push, whose runner records its end in one statement anyway), `uncommitted: false` is not
 * written by clearUncommitted: the runner takes it (takeUnwrittenClear) into its record statement, one round trip
 * fewer per push that wrote. Only that clear is deferred: FortiOS transaction and OPNsense rollback clears, and
 * everything recorded before a device call, are written at once.
 */
export class PrismaPendingStateStore implements PendingStateStore {
  private known: PendingState | null;
  /** `uncommitted: false` is known here but not yet in the row. */
  private unwrittenClear = false;

  constructor(
    private readonly prisma: PrismaService,
    private readonly deviceId: string,
    known: PendingState | null = null,
    private readonly deferClear = false,
  ) {
    this.known = known ? { ...known } : null;
  }

  async read(): Promise<PendingState> {
    if (!this.known) {
      const row = await this.prisma.devicePendingState.findUnique({ where: { deviceId: this.deviceId } });
      this.known = row ? pendingStateOf(row) : { ...NOTHING_PENDING };
    }
    return { ...this.known };
  }

  async record(patch: Partial<PendingState>): Promise<void> {
    // A clear not written yet goes along (a later `uncommitted` in the patch supersedes it).
    const data = columnsOf(this.unwrittenClear ? { uncommitted: false, ...patch } : patch);
    await this.prisma.devicePendingState.upsert({
      where: { deviceId: this.deviceId },
      create: { deviceId: this.deviceId, ...data },
      update: data,
    });
    this.unwrittenClear = false;
    if (this.known) this.known = { ...this.known, ...patch };
  }

  clearUncommitted(): Promise<void> {
    // Deferred only where reads are answered from memory: a read from the row would still see `true`.
    if (!this.deferClear || !this.known) return this.record({ uncommitted: false });
    this.known = { ...this.known, uncommitted: false };
    this.unwrittenClear = true;
    return Promise.resolve();
  }

  /** Whether `uncommitted: false` is still to be written; the caller writes it (the store forgets it). */
  takeUnwrittenClear(): boolean {
    const unwritten = this.unwrittenClear;
    this.unwrittenClear = false;
    return unwritten;
  }
}

/**
 * Rows the start-up sweep resolves: an open transaction (locks tables) or an armed rollback (fires within a minute).
 * Uncommitted writes alone wait for the device's next push, which re-plans and commits them.
 */
export const NEEDS_SWEEP: Prisma.DevicePendingStateWhereInput = {
  OR: [
    { transactionOpenedAt: { not: null } },
    { transactionId: { not: null } },
    { rollbackRevision: { not: null } },
  ],
};

export function pendingStateOf(row: Row): PendingState {
  return {
    transaction:
      row.transactionOpenedAt !== null || row.transactionId !== null
        ? {
            id: row.transactionId,
            openedAt: (row.transactionOpenedAt ?? row.updatedAt).toISOString(),
          }
        : null,
    rollback:
      row.rollbackRevision !== null
        ? {
            revision: row.rollbackRevision,
            expiresAt: (row.rollbackExpiresAt ?? row.updatedAt).toISOString(),
            ruleSetHash: row.rollbackRuleSetHash ?? '',
            reason: row.rollbackReason ?? '',
          }
        : null,
    uncommitted: row.uncommitted,
  };
}

interface Columns {
  transactionId?: number | null;
  transactionOpenedAt?: Date | null;
  rollbackRevision?: string | null;
  rollbackExpiresAt?: Date | null;
  rollbackRuleSetHash?: string | null;
  rollbackReason?: string | null;
  uncommitted?: boolean;
}

function columnsOf(patch: Partial<PendingState>): Columns {
  const data: Columns = {};
  if (patch.transaction !== undefined) {
    data.transactionId = patch.transaction?.id ?? null;
    data.transactionOpenedAt = patch.transaction ? new Date(patch.transaction.openedAt) : null;
  }
  if (patch.rollback !== undefined) {
    data.rollbackRevision = patch.rollback?.revision ?? null;
    data.rollbackExpiresAt = patch.rollback ? new Date(patch.rollback.expiresAt) : null;
    data.rollbackRuleSetHash = patch.rollback?.ruleSetHash ?? null;
    data.rollbackReason = patch.rollback?.reason ?? null;
  }
  if (patch.uncommitted !== undefined) data.uncommitted = patch.uncommitted;
  return data;
}
