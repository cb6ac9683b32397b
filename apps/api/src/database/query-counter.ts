import { Injectable } from '@nestjs/common';

/** Counts SQL statements sent by Prisma; tests use it to prove GraphQL batching (no N+1). */
@Injectable()
export class QueryCounter {
  private count = 0;

  increment(): void {
    this.count += 1;
  }

  get value(): number {
    return this.count;
  }
}
