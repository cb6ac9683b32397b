import { Injectable } from '@nestjs/common';
import type { QueryOrigin } from '@app/persistence';
import { currentRequest } from '../common/request-context';

/** Statements sent, by origin, split into those sent while serving a request and the rest (workers, timers). */
export interface QueryCounts {
  prisma: number;
  queue: number;
  lock: number;
  /** Of all origins: statements sent outside any request (queue workers, listeners, timers). */
  background: number;
  /** Transactions Prisma opened (their BEGIN is also counted under `prisma`). */
  transactions: number;
  /** Of those, the ones opened outside any request. */
  backgroundTransactions: number;
}

/**
 * Counts SQL statements. `value` (Prisma's statements) lets tests prove GraphQL batching (no N+1); `counts`
 * adds the job queue's and the advisory locks' statements, which the push bench divides by the pushes run.
 */
@Injectable()
export class QueryCounter {
  private readonly totals: QueryCounts = {
    prisma: 0,
    queue: 0,
    lock: 0,
    background: 0,
    transactions: 0,
    backgroundTransactions: 0,
  };

  increment(origin: QueryOrigin = 'prisma', sql = ''): void {
    const background = currentRequest().requestId === undefined;
    const begin = origin === 'prisma' && sql === 'BEGIN';
    this.totals[origin] += 1;
    if (background) this.totals.background += 1;
    if (begin) this.totals.transactions += 1;
    if (begin && background) this.totals.backgroundTransactions += 1;
  }

  get value(): number {
    return this.totals.prisma;
  }

  get counts(): QueryCounts {
    return { ...this.totals };
  }
}
