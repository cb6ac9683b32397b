import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Database } from '@app/persistence';
import { Public } from '../auth/auth.decorators';
import type { Response } from 'express';
import { DATABASE } from '../database/database.module';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  /** The check in flight: probes that arrive while it runs share its answer instead of queueing one each. */
  private pending: Promise<boolean> | null = null;

  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** 200 when the database answers, 503 otherwise; for load balancers and orchestrators. */
  @Get()
  async health(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; database: string; backend: string }> {
    if (await this.databaseUp()) return { status: 'ok', database: 'up', backend: this.db.kind };
    res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'error', database: 'down', backend: this.db.kind };
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
