import { Controller, Get, HttpStatus, Inject, Query, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Database } from '@app/persistence';
import { Public } from '../auth/auth.decorators';
import type { Response } from 'express';
import { DATABASE } from '../database/database.module';
import { RuleSetsService, type RuleSetsState } from '../rules/rule-sets.service';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  /** The check in flight: probes that arrive while it runs share its answer instead of queueing one each. */
  private pending: Promise<boolean> | null = null;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly ruleSets: RuleSetsService,
  ) {}

  /**
   * 200 when the database answers, 503 otherwise; for load balancers and orchestrators. `ruleSets` says
   * whether the rule sets of the inventory found at start are computed (`starting` until then); with
   * `?ready=true` (a readiness probe) the answer is also 503 until they are, so pushes and rule-set reads
   * are only routed to an instance that can answer them without computing everything first.
   */
  @Get()
  @ApiQuery({ name: 'ready', required: false, type: Boolean })
  async health(
    @Res({ passthrough: true }) res: Response,
    @Query('ready') ready?: string,
  ): Promise<{ status: string; database: string; backend: string; ruleSets: RuleSetsState }> {
    const ruleSets = this.ruleSets.state;
    if (!(await this.databaseUp())) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'error', database: 'down', backend: this.db.kind, ruleSets };
    }
    if (ready === 'true' && ruleSets !== 'ready') {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'starting', database: 'up', backend: this.db.kind, ruleSets };
    }
    return { status: 'ok', database: 'up', backend: this.db.kind, ruleSets };
  }

  private databaseUp(): Promise<boolean> {
    const settle = (up: boolean): boolean => {
      this.pending = null;
      return up;
    };
    this.pending ??= this.db.sql.query('SELECT 1').then(
      () => settle(true),
      () => settle(false),
    );
    return this.pending;
  }
}
