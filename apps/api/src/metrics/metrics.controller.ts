import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { NotFound } from '../common/errors/domain-error';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public((config) => config.metrics === 'public')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description: 'Needs a read-scope token unless METRICS=public; absent when METRICS=off.',
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format', type: String })
  async scrape(): Promise<string> {
    if (this.config.metrics === 'off') throw new NotFound('route', 'GET /metrics');
    return this.metrics.render();
  }
}
