import { Body, Controller, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { idParam } from '../common/http/id.pipe';
import { ListResponse, type PageResult, pageOf } from '../common/pagination/pagination';
import { FleetSummaryModel } from './fleet-summary.model';
import { FleetSummaryService } from './fleet-summary.service';
import { FleetPushInput, PushInput, PushListQuery } from './push.input';
import { FleetPushModel, PushModel, toPushModel } from './push.model';
import { PushesService } from './pushes.service';
import { Post } from '../common/http/idempotency.interceptor';

const PushList = ListResponse(PushModel);

@ApiTags('pushes')
@Controller()
export class PushesController {
  constructor(
    private readonly pushes: PushesService,
    private readonly summaries: FleetSummaryService,
  ) {}

  @Post('devices/:id/pushes')
  @HttpCode(202)
  @RequireScope('push')
  @ApiAcceptedResponse({ type: PushModel, description: 'Queued; follow it with GET /pushes/{id}' })
  async push(@Param('id', idParam()) id: string, @Body() input: PushInput): Promise<PushModel> {
    return toPushModel(await this.pushes.request(id, input, 'api'));
  }

  @Post('pushes')
  @HttpCode(202)
  @RequireScope('push')
  @ApiAcceptedResponse({ type: FleetPushModel, description: 'One queued push per selected device' })
  async pushFleet(@Body() input: FleetPushInput): Promise<FleetPushModel> {
    const result = await this.pushes.requestFleet(input, 'api');
    return { ...result, pushes: result.pushes.map(toPushModel) };
  }

  @Get('pushes')
  @ApiOkResponse({ type: PushList, description: 'Newest first' })
  async list(@Query() query: PushListQuery): Promise<PageResult<PushModel>> {
    const { limit, offset, ...filter } = query;
    const result = await this.pushes.list(filter, pageOf({ limit, offset }));
    return { ...result, items: result.items.map(toPushModel) };
  }

  @Get('pushes/summary')
  @ApiOkResponse({ type: FleetSummaryModel })
  summary(): Promise<FleetSummaryModel> {
    return this.summaries.summary();
  }

  @Get('pushes/:id')
  @ApiOkResponse({ type: PushModel })
  async get(@Param('id', idParam()) id: string): Promise<PushModel> {
    return toPushModel(await this.pushes.get(id));
  }

  @Post('pushes/:id/cancel')
  @HttpCode(200)
  @RequireScope('push')
  @ApiOkResponse({ type: PushModel, description: 'Only a queued push can be cancelled (else 409)' })
  async cancel(@Param('id', idParam()) id: string): Promise<PushModel> {
    return toPushModel(await this.pushes.cancel(id));
  }
}
